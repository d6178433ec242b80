"""The words of the push engine (logic.push_engine): what one pushed object's log entry
must show it, and the outcomes a push ends a lease with.

Every object we write into QBO (a bill today; payments, vendor credits and vendors next)
has a log entry with the AP platform's id (`key`), a `generation` (bumped when a final
outcome is reset by a resubmission, so a new intent gets a new requestid), a `state`
(models.bill.ExportState: queued → exporting → exported | duplicate | failed) and, while
`exporting`, a lease. The engine ends each lease it holds with exactly one `Outcome`,
written by the store conditionally on that lease (`PushLogPort.settle`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from qbo_connector.models.bill import ExportState


class PushRecord(Protocol):
    """A log entry the engine can push: read-only to the engine."""

    @property
    def key(self) -> str:
        """The AP platform's id of the object (the log's idempotency key)."""

    @property
    def generation(self) -> int: ...

    @property
    def state(self) -> ExportState: ...

    @property
    def lease_until(self) -> int | None: ...


# -- outcomes (each ends the lease, except Held which extends it) ------------------------


@dataclass(frozen=True)
class Exported:
    """QBO holds the object: `fields` (its QBO id first) are stored with the record.
    `recovered`: an earlier attempt created it and we only now learned its outcome."""

    fields: dict[str, Any]
    recovered: bool = False


@dataclass(frozen=True)
class Duplicate:
    """QBO (or our own log) already holds this object; it was not created again."""

    duplicate_of: dict[str, Any]


@dataclass(frozen=True)
class Failed:
    """QBO refused the object for a reason a person must fix; a resubmission retries it."""

    failure: dict[str, Any]


@dataclass(frozen=True)
class Requeued:
    """Nothing was sent in this attempt: back to `queued`, nothing can exist in QBO."""

    last_error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Held:
    """The outcome is unknown (QBO may have it): stay `exporting`, leased until `until`,
    after which a run looks QBO up before anything is created again."""

    until: int
    last_error: dict[str, Any] | None = None


Outcome = Exported | Duplicate | Failed | Requeued | Held


@dataclass
class Taken[R]:
    """What one `take` leased: `(record, recovering)` pairs, `recovering` when the record
    was `exporting` under a lapsed lease (an earlier attempt's outcome is unknown), and
    how many were skipped because another live worker holds them."""

    leased: list[tuple[R, bool]] = field(default_factory=list)
    busy: int = 0
