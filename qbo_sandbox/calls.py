"""Per-realm request counters and a short request log (no tokens, no query strings)."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

LOG_SIZE = 2000


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_realm: dict[str, Counter[str]] = {}
        self._status: dict[str, Counter[str]] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)

    def record(self, realm: str, method: str, endpoint: str, path: str, status: int,
               when: float, minorversion: str | None = None) -> None:
        with self._lock:
            self._by_realm.setdefault(realm, Counter())[f"{method} {endpoint}"] += 1
            self._status.setdefault(realm, Counter())[str(status)] += 1
            self._recent.append({"time": when, "realm": realm, "method": method,
                                 "endpoint": endpoint, "path": path, "status": status,
                                 "minorversion": minorversion})

    def total(self, realm: str) -> int:
        with self._lock:
            return sum(self._by_realm.get(realm, Counter()).values())

    def count(self, realm: str, key: str | None = None) -> int:
        """Calls for a realm, optionally for one "METHOD endpoint" key like "POST bill"."""
        with self._lock:
            counter = self._by_realm.get(realm, Counter())
            return sum(counter.values()) if key is None else counter.get(key, 0)

    def snapshot(self, realm: str | None = None) -> dict[str, Any]:
        with self._lock:
            realms = [realm] if realm else list(self._by_realm)
            return {
                "realms": {
                    r: {"total": sum(self._by_realm.get(r, Counter()).values()),
                        "by_endpoint": dict(self._by_realm.get(r, Counter())),
                        "by_status": dict(self._status.get(r, Counter()))}
                    for r in realms
                },
                "recent": [c for c in self._recent if realm is None or c["realm"] == realm][-200:],
            }

    def reset(self) -> None:
        with self._lock:
            self._by_realm.clear()
            self._status.clear()
            self._recent.clear()
