"""Throttling of the routes anyone can call and of those that answer guesses of personal data.

Built on `limits` (the library under Flask-Limiter, by the same maintainers) with its moving
window, kept in the service's own MongoDB so that every gunicorn worker and every replica counts
against the same window. Flask-Limiter itself is not used: it binds one storage to one Limiter at
`init_app` and wants that instance at import time for its decorators, while our apps are built by
a factory from settings and each route is declared once in `ApiBlueprint.endpoint`. Its default
fixed-window strategy also fails on the test server (pipeline updates are not implemented there);
the moving window uses only `$push` with `$slice` and a plain aggregation, which it does implement.

A limit is a named list of rules; each rule is a `limits` string ("10/minute;50/day") counted per
key: the caller (the token's subject, or the client address on public routes) and, for "guess",
also the target (the request path, so that many callers together cannot try one draft forever).
Breaches answer 429 with `Retry-After` and count in `civic146_throttled_requests_total`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MongoDBStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from . import metrics
from .config import Settings
from .errors import TooManyRequests


class WindowStorage(MongoDBStorage):
    """`limits`' MongoDB storage, closed only if it was used: its own `__del__` reads the lazy
    client property, so an app that never throttled would connect just to close."""

    def __del__(self) -> None:
        if self._storage is not None:
            self._storage.close()


@dataclass(frozen=True)
class Rule:
    items: list[RateLimitItem]
    per: str  # "caller" or "target"


# The named limits a route may ask for (`ApiBlueprint.endpoint(throttled=...)`): per name, the
# setting of each rule and what it counts per.
RULES = {
    "public": (("throttle_public", "caller"),),
    "guess": (("throttle_guess", "caller"), ("throttle_guess_per_target", "target")),
}
LIMITS = tuple(RULES)


def rules(settings: Settings) -> dict[str, list[Rule]]:
    return {
        name: [Rule(parse_many(getattr(settings, setting)), per) for setting, per in spec]
        for name, spec in RULES.items()
    }


class Throttle:
    def __init__(self, settings: Settings):
        self.enabled = settings.throttle_enabled
        self.rules = rules(settings)
        # Created lazily by `limits` on first use, i.e. in the gunicorn worker after the fork.
        storage = WindowStorage(
            settings.mongodb_uri,
            database_name=settings.database,
            counter_collection_name="throttle_counters",
            window_collection_name="throttle_windows",
            serverSelectionTimeoutMS=5000,
        )
        self.limiter = MovingWindowRateLimiter(storage)

    def hit(self, name: str) -> None:
        if not self.enabled:
            return
        principal = g.get("principal")
        caller = f"sub:{principal.sub}" if principal is not None else f"addr:{request.remote_addr}"
        route = request.url_rule.rule if request.url_rule else request.path
        for rule in self.rules[name]:
            key = caller if rule.per == "caller" else f"path:{request.path}"
            for item in rule.items:
                if not self.limiter.hit(item, name, key):
                    reset_at, _ = self.limiter.get_window_stats(item, name, key)
                    metrics.THROTTLED.labels(route, name).inc()
                    retry_after = max(1, math.ceil(reset_at - time.time()))
                    per = "for this caller" if rule.per == "caller" else "for this target, from all callers"
                    raise TooManyRequests(
                        f"too many requests: at most {item} {per}; retry after {retry_after} s",
                        {"limit": str(item), "per": rule.per, "retry_after_seconds": retry_after},
                        retry_after=retry_after,
                    )


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions["civic146.throttle"] = Throttle(settings)
    if settings.trusted_proxy_hops:
        # Behind N reverse proxies the client address is the Nth from the right of X-Forwarded-For;
        # without this every caller would share the proxy's address (and its limit).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)


def limited(name: str):
    """Route decorator: count the call against the named limit before the view runs."""
    if name not in LIMITS:
        raise ValueError(f"unknown throttle limit {name!r}; known: {', '.join(LIMITS)}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            current_app.extensions["civic146.throttle"].hit(name)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def describe(app: Flask, name: str) -> str:
    """The limit as the OpenAPI document states it, e.g. "10 per 1 minute, 50 per 1 day per caller"."""
    parts = [
        ", ".join(str(i) for i in rule.items) + f" per {rule.per}"
        for rule in app.extensions["civic146.throttle"].rules[name]
    ]
    return "; ".join(parts)
