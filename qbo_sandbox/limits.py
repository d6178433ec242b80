"""Intuit's rate limits as sliding windows on the sandbox clock.

500 requests/minute per realm, 10 requests/second per realm and app, 40 batch
requests/minute per realm and app. Rejected requests do not count.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from .clock import Clock


@dataclass
class LimitConfig:
    enabled: bool = True
    per_second: int = 10
    per_minute: int = 500
    batch_per_minute: int = 40


class Limiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.config = LimitConfig()
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, ...], deque[float]] = {}
        self._generation = clock.generation

    def configure(self, **changes: Any) -> LimitConfig:
        with self._lock:
            for key, value in changes.items():
                if not hasattr(self.config, key):
                    raise ValueError(f"unknown limit setting {key!r}")
                setattr(self.config, key, bool(value) if key == "enabled" else int(value))
            self._windows.clear()
            return self.config

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def describe(self) -> dict[str, Any]:
        return asdict(self.config)

    def check(self, realm: str, client_id: str, is_batch: bool) -> str | None:
        """Count the request; return why it is throttled, or None when allowed."""
        cfg = self.config
        if not cfg.enabled:
            return None
        now = self.clock.monotonic()
        with self._lock:
            if self._generation != self.clock.generation:
                # The clock was set (not just advanced): old timestamps are meaningless.
                self._windows.clear()
                self._generation = self.clock.generation
            checks: list[tuple[tuple[str, ...], float, int, str]] = [
                (("m", realm), 60.0, cfg.per_minute, "per-minute limit for the company"),
                (("s", realm, client_id), 1.0, cfg.per_second, "per-second limit"),
            ]
            if is_batch:
                checks.append((("b", realm, client_id), 60.0, cfg.batch_per_minute,
                               "batch per-minute limit"))
            windows = []
            for key, span, limit, reason in checks:
                window = self._windows.setdefault(key, deque())
                while window and window[0] <= now - span:
                    window.popleft()
                if len(window) >= limit:
                    return reason
                windows.append(window)
            for window in windows:
                window.append(now)
            return None
