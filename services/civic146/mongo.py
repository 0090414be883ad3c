"""MongoDB connection, made per process and never at import time (pymongo is not fork-safe)."""
from __future__ import annotations

import os

import mongoengine
from pymongo.database import Database

from .config import Settings

_connected_pid: int | None = None


def connect(settings: Settings) -> Database:
    """Connect mongoengine's default alias in this process (again after a fork) and return the db."""
    global _connected_pid
    if _connected_pid != os.getpid():
        mongoengine.disconnect()
        mongoengine.connect(host=settings.mongodb_uri, db=settings.database, uuidRepresentation="standard",
                            serverSelectionTimeoutMS=5000, tz_aware=True)
        _connected_pid = os.getpid()
    return mongoengine.get_db()


def ping() -> None:
    mongoengine.get_db().command("ping")
