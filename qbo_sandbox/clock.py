"""The sandbox clock: real time shifted by an offset, or a fixed instant.

Tests move the clock instead of sleeping (token expiry, 24 h refresh-token
rotation, CDC look-back, rate-limit windows).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# QBO reports times in the company's zone; sandbox companies are US Pacific.
PACIFIC = ZoneInfo("America/Los_Angeles")


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._fixed: float | None = None
        # Bumped whenever the clock is set, so rate-limit windows can reset.
        self.generation = 0

    def now(self) -> float:
        """Sandbox wall-clock time as epoch seconds."""
        fixed = self._fixed
        return fixed if fixed is not None else time.time() + self._offset

    def monotonic(self) -> float:
        """Time for sliding windows: the fixed instant, else real monotonic + offset."""
        fixed = self._fixed
        return fixed if fixed is not None else time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._fixed is not None:
                self._fixed += seconds
            else:
                self._offset += seconds

    def set_fixed(self, epoch: float | None) -> None:
        with self._lock:
            if epoch is None and self._fixed is not None:
                # Unfreeze where we stand, so time never jumps back.
                self._offset = self._fixed - time.time()
            self._fixed = epoch
            self.generation += 1

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds
            self._fixed = None
            self.generation += 1

    def state(self) -> dict[str, object]:
        return {
            "now": intuit_time(self.now()),
            "epoch": self.now(),
            "offset_seconds": self._offset,
            "fixed": self._fixed is not None,
        }


def intuit_time(epoch: float) -> str:
    """MetaData style: 2026-11-25T10:00:00-08:00."""
    return _intuit_time(int(epoch))


@lru_cache(maxsize=4096)  # bulk seeding stamps thousands of objects in the same second
def _intuit_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, PACIFIC).isoformat()


def envelope_time(epoch: float) -> str:
    """The `time` field of envelopes: 2020-09-29T06:53:30.722-07:00."""
    return datetime.fromtimestamp(epoch, PACIFIC).isoformat(timespec="milliseconds")


def local_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, PACIFIC).date().isoformat()


def add_days(date_str: str, days: int) -> str:
    return (datetime.fromisoformat(date_str) + timedelta(days=days)).date().isoformat()


def parse_time(value: str) -> float:
    """Parse an ISO 8601 date or date-time; naive values are company (Pacific) time."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PACIFIC)
    return dt.astimezone(UTC).timestamp()
