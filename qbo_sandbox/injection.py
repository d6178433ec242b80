"""Fault injection: the next N matching requests fail in a chosen way."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any

KINDS = {"429", "500", "503", "delay", "reset", "commit_then_fail"}


@dataclass
class FaultRule:
    rule_id: int
    kind: str
    count: int
    realm: str | None = None
    path: str = "*"  # fnmatch pattern on the request path, e.g. "/v3/company/*/bill"
    method: str | None = None
    seconds: float = 0.0  # for kind == "delay"

    def matches(self, realm: str | None, path: str, method: str) -> bool:
        if self.realm is not None and self.realm != realm:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return fnmatchcase(path.lower(), self.path.lower())


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, kind: str, count: int = 1, realm: str | None = None, path: str = "*",
            method: str | None = None, seconds: float = 0.0) -> FaultRule:
        kind = str(kind).lower().replace("-", "_")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        rule = FaultRule(next(self._ids), kind, int(count), realm, path or "*", method,
                         float(seconds))
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, realm: str | None, path: str, method: str) -> FaultRule | None:
        """Consume one use of the first rule matching this request."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(realm, path, method):
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self._rules]
