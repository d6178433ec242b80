"""What one sync-worker invocation hands to the parts of a sync (import, bill export).

`logic.bill_export` receives a `SyncContext`: it talks to QBO through `client` (whose
calls are counted into the run by `counter`), reports into the run through `run`, and
stops at a safe point when `time_left_ms()` runs low.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from qbo_connector.logic.ports import CallCounterPort, QboClientPort
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import RunError, SyncRun, TypeProgress


class RunRecorder(Protocol):
    def add_error(
        self,
        message: str,
        *,
        code: str,
        object_type: str | None = None,
        intuit_tid: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record a problem in words a person can act on (kept in the run's errors)."""

    def progress(self, object_type: str, **counts: Any) -> None:
        """Add counts (new, changed, deactivated, deleted, unchanged, fetched) for a type;
        `status=` / `method=` set the type's state. Saved with the run."""


@dataclass
class SyncContext:
    org_id: str
    legal_entity_id: str
    entity: LegalEntity
    client: QboClientPort
    counter: CallCounterPort  # shared with `client`: its calls are counted here
    run: RunRecorder
    time_left_ms: Callable[[], int]
    clock: Callable[[], float]
    profile: SyncProfile | None = None
    sync_id: str | None = None


class LeaseLost(Exception):
    """The entity's sync lease is no longer ours (it lapsed and another sync took it)."""


class RunHandle:
    """The `RunRecorder` over a `SyncRun`: records into it and saves it with the API calls
    counted so far, renewing the entity's sync lease on every save."""

    def __init__(
        self,
        run: SyncRun,
        save: Callable[[SyncRun], None],
        renew_lease: Callable[[], bool],
        counter: CallCounterPort | None,
        clock: Callable[[], float],
    ) -> None:
        self.run = run
        self._save = save
        self._renew = renew_lease
        self._counter = counter
        self._clock = clock
        self._calls_saved: dict[str, int] = {}
        self._since = clock()

    def add_error(
        self,
        message: str,
        *,
        code: str,
        object_type: str | None = None,
        intuit_tid: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.run.errors.append(
            RunError(
                message=message,
                code=code,
                object_type=object_type,
                intuit_tid=intuit_tid,
                detail=detail,
                at=iso_now(self._clock()),
            )
        )

    def progress(self, object_type: str, **counts: Any) -> None:
        entry = self.run.progress.setdefault(object_type, TypeProgress())
        for key in ("status", "method", "error"):
            if key in counts:
                setattr(entry, key, counts.pop(key))
        entry.fetched += int(counts.pop("fetched", 0))
        entry.add(counts)
        if object_type not in self.run.object_types:
            self.run.object_types.append(object_type)

    def flush_calls(self) -> None:
        """Move the calls counted since the last save into the run."""
        current = self._counter.as_dict() if self._counter is not None else {}
        delta = {
            kind: n - self._calls_saved.get(kind, 0)
            for kind, n in current.items()
            if kind != "api_calls" and n - self._calls_saved.get(kind, 0) > 0
        }
        self.run.add_calls(delta)
        self._calls_saved = {k: v for k, v in current.items() if k != "api_calls"}
        now = self._clock()
        self.run.worker_seconds += max(0.0, now - self._since)
        self._since = now

    def save(self) -> None:
        self.flush_calls()
        if not self._renew():
            raise LeaseLost(self.run.sync_id)
        self._save(self.run)


def iso_now(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
