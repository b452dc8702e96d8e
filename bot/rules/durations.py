"""Durations as the rules file writes them (``30s``, ``10m``, ``1h``, ``2d``, ``1w``) and back."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$")

DURATION_HINT = "use 10s, 5m, 1h, 2d, 1w"


class DurationError(ValueError):
    """A string that is not a duration."""


def parse_duration(value: object) -> timedelta:
    """Parse ``"10m"`` into ``timedelta(minutes=10)``; raise DurationError with a readable message."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise DurationError(f"{value!r} is not a duration ({DURATION_HINT})")
    m = _DURATION.match(value)
    if m is None:
        raise DurationError(f'"{value}" is not a duration ({DURATION_HINT})')
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise DurationError(f'"{value}" must be longer than zero')
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Format a timedelta in the largest whole unit: ``timedelta(hours=2)`` -> ``"2h"``."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
