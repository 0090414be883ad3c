"""Domain errors and the one table that maps them to HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, details: object = None):
        super().__init__(message)
        self.message = message
        self.details = details


class MalformedRequest(DomainError):
    """The request cannot be read at all (not JSON, wrong content type)."""

    code = "malformed_request"

    def __init__(self, message: str, code: str | None = None, details: object = None):
        super().__init__(message, details)
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ConcurrencyConflict(DomainError):
    code = "concurrent_update"


class Unavailable(DomainError):
    """A dependency is down: nothing was changed, and the caller may retry after `retry_after`."""

    code = "unavailable"

    def __init__(self, message: str, details: object = None, retry_after: int | None = None):
        super().__init__(message, details)
        self.retry_after = retry_after


class TooManyRequests(DomainError):
    """A throttled route was called too often; `retry_after` (seconds) becomes `Retry-After`."""

    code = "too_many_requests"

    def __init__(self, message: str, details: object = None, retry_after: int = 1):
        super().__init__(message, details)
        self.retry_after = retry_after


HTTP_STATUS: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    InvalidInput: 422,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    InvalidTransition: 409,
    ConcurrencyConflict: 409,
    Unavailable: 503,
    TooManyRequests: 429,
}


def http_status(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400
