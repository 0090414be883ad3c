"""The platform's clock: wall time, optionally shifted by a test-controlled offset file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


def now(offset_file: str = "") -> datetime:
    current = datetime.now(UTC)
    if offset_file:
        try:
            current += timedelta(seconds=float(Path(offset_file).read_text().strip() or 0))
        except FileNotFoundError:
            pass
    return current
