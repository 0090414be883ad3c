"""MongoDB connection, made per process and never at import time (pymongo is not fork-safe)."""

from __future__ import annotations

import os

import mongoengine
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

from .config import Settings

_connected: tuple | None = None  # (pid, uri, database) of the current connection


def connect(settings: Settings) -> Database:
    """Connect mongoengine's default alias in this process (again after a fork, or when the
    settings name another database) and return the database."""
    global _connected
    wanted = (os.getpid(), settings.mongodb_uri, settings.database)
    if _connected != wanted:
        mongoengine.disconnect()
        mongoengine.connect(
            host=settings.mongodb_uri,
            db=settings.database,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
            connectTimeoutMS=settings.mongodb_timeout_ms,
            timeoutMS=settings.mongodb_timeout_ms,
            tz_aware=True,
        )
        _connected = wanted
    return mongoengine.get_db()


def ping() -> None:
    mongoengine.get_db().command("ping")


def database_away(exc: BaseException) -> bool:
    """The database could not be reached or did not answer in time (down, frozen, failing over,
    an operation over MONGODB_TIMEOUT_MS in all): nothing about the request or message itself. The APIs
    answer it 503, the consumers wait for it; every other database error is a fault of ours."""
    return isinstance(exc, ConnectionFailure) or (isinstance(exc, PyMongoError) and exc.timeout)
