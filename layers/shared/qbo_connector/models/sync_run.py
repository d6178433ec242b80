"""One SmartSync run of a legal entity: what triggered it, how far it got, what failed.

The worker owns a run while it holds the entity's sync lease; it saves the run after
each page so the history shows progress while it runs, and a checkpoint when it must
continue in a new Lambda invocation.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

# Sync ids sort newest first: the sort key is the id, and DynamoDB sorts ascending.
_MAX_MS = 10**13 - 1


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    WEBHOOK = "webhook"
    CONSOLE = "console"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED}
)


class SyncMode(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"
    PARTIAL = "partial"  # everything changed since a given date


COUNT_KEYS = ("new", "changed", "deactivated", "deleted", "unchanged")
# CallCounter kinds that are not HTTP requests to the Accounting API.
_NOT_CALLS = frozenset({"throttled", "refresh", "paced", "api_calls"})


def new_sync_id(now_ms: int) -> str:
    """Inverted timestamp + randomness: unique, and newest first in the table."""
    return f"{_MAX_MS - now_ms:013d}-{secrets.token_hex(4)}"


@dataclass
class TypeProgress:
    status: str = "pending"  # pending | running | done | failed | skipped
    method: str | None = None  # full | cdc | updated_since | export
    fetched: int = 0
    new: int = 0
    changed: int = 0
    deactivated: int = 0
    deleted: int = 0
    unchanged: int = 0
    error: str | None = None
    # Steps that are not imports say what they did here (bill export: exported, duplicate...).
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int]) -> None:
        for key in COUNT_KEYS:
            setattr(self, key, getattr(self, key) + int(counts.get(key, 0)))
        for key, value in counts.items():
            if key not in COUNT_KEYS:
                self.outcomes[key] = self.outcomes.get(key, 0) + int(value)


@dataclass
class RunError:
    message: str  # a sentence a person can act on
    code: str
    object_type: str | None = None
    intuit_tid: str | None = None
    at: str | None = None
    detail: str | None = None


@dataclass
class Checkpoint:
    """Where the next invocation resumes: a type and phase, and the position within it."""

    object_type: str
    phase: str  # query | cdc | sweep
    start_position: int = 1
    cursor: str | None = None  # e.g. the CDC changedSince reached so far


@dataclass
class SyncRun:
    org_id: str
    legal_entity_id: str
    sync_id: str
    trigger: Trigger
    mode: SyncMode
    status: RunStatus
    requested_at: str
    requested_by: dict[str, str] | None = None
    since: str | None = None  # partial: the date asked for
    started_at: str | None = None
    finished_at: str | None = None
    # The plan the first invocation chose: per type, full/cdc/updated_since and from when.
    effective_mode: str | None = None
    changed_since: str | None = None
    object_types: list[str] = field(default_factory=list)
    progress: dict[str, TypeProgress] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    step: int = 0  # continuation messages carry the step they are for
    # The step a worker has begun: a message for a step already begun is a redelivery
    # after that worker died (the queue's visibility timeout outlasts the Lambda's).
    claimed_step: int = -1
    deferrals: int = 0  # continuations after QBO throttling or outages
    synced_types: list[str] = field(default_factory=list)
    cdc_done: bool = False  # the change-data-capture phase of this run has finished
    summary: str | None = None
    started_epoch: float | None = None
    duration_seconds: float | None = None  # wall time, start to finish
    worker_seconds: float = 0.0  # time spent in worker invocations

    @property
    def pk(self) -> str:
        return f"{self.org_id}#{self.legal_entity_id}"

    def totals(self) -> dict[str, int]:
        return {k: sum(getattr(p, k) for p in self.progress.values()) for k in COUNT_KEYS}

    def total_api_calls(self) -> int:
        return sum(n for kind, n in self.api_calls.items() if kind not in _NOT_CALLS)

    def add_calls(self, calls: dict[str, int]) -> None:
        for kind, n in calls.items():
            self.api_calls[kind] = self.api_calls.get(kind, 0) + int(n)

    def to_item(self) -> dict[str, Any]:
        item = asdict(self)
        item["trigger"] = str(self.trigger)
        item["mode"] = str(self.mode)
        item["status"] = str(self.status)
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> SyncRun:
        known = set(cls.__dataclass_fields__)
        data = {k: v for k, v in item.items() if k in known}
        data["trigger"] = Trigger(data["trigger"])
        data["mode"] = SyncMode(data["mode"])
        data["status"] = RunStatus(data["status"])
        data["progress"] = {k: TypeProgress(**v) for k, v in (data.get("progress") or {}).items()}
        data["errors"] = [RunError(**e) for e in data.get("errors") or []]
        if data.get("checkpoint"):
            data["checkpoint"] = Checkpoint(**data["checkpoint"])
        data["api_calls"] = {k: int(v) for k, v in (data.get("api_calls") or {}).items()}
        data["step"] = int(data.get("step") or 0)
        data["claimed_step"] = int(data.get("claimed_step", -1))
        data["deferrals"] = int(data.get("deferrals") or 0)
        return cls(**data)

    def to_public(self) -> dict[str, Any]:
        """The API shape: what a person reads in the sync history."""
        body: dict[str, Any] = {
            "sync_id": self.sync_id,
            "legal_entity_id": self.legal_entity_id,
            "trigger": str(self.trigger),
            "mode": str(self.mode),
            "effective_mode": self.effective_mode,
            "status": str(self.status),
            "summary": self.summary,
            "requested_at": self.requested_at,
            "requested_by": self.requested_by,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": self.duration_seconds,
            "worker_seconds": round(self.worker_seconds, 3),
            "changed_since": self.changed_since,
            "progress": {
                t: asdict(self.progress[t]) for t in self.object_types if t in self.progress
            },
            "counts": self.totals(),
            "api_calls": {"total": self.total_api_calls(), **self.api_calls},
            "errors": [{k: v for k, v in asdict(e).items() if v is not None} for e in self.errors],
        }
        if self.since:
            body["since"] = self.since
        if self.checkpoint and not self.status.finished:
            body["resumes_at"] = {
                "object_type": self.checkpoint.object_type,
                "phase": self.checkpoint.phase,
            }
        return body
