"""Exactly-once writing of any object into QBO: the engine every pushed kind runs on.

A pushed kind (bills today: logic.bill_push) is a `PushSpec`: how to read its log
entry, its identity (the natural key QBO must hold at most once), its QBO payload, how
to look existing ones up, and how to put an outcome in words. The engine owns the rest,
the same for every kind::

    pending ─► take (lease) ─► look up ─► match ─┬─► ours already  ─► Exported(recovered)
                                                 ├─► someone else's ─► Duplicate
                                                 ├─► new ─► batch of ≤ 30 (one requestid)
                                                 └─► new, allowed despite a match
                                                     ─► single create (QBO's duplicate
                                                        check waived)
    batch answer per item: object ─► Exported · refusal ─► Failed · conflict (6140)
    ─► spec.resolve ─► Duplicate / single create · no answer ─► Held (unknown)

Exactly once, by failure point (the store writes every outcome conditionally on the
lease it was taken under, so two workers never both win):

- before anything is sent (take or look-up fails): fresh records are `Requeued`;
  records being recovered stay `exporting`, takeable at once, to be looked up again;
- QBO timed out / 5xx / reset / answered after our timeout: the client resends with
  the same deterministic requestid (QBO replays its first answer); still no answer →
  `Held` for `settle_seconds` (longer than QBO's 120 s request limit, so a slow
  request has landed or died by then);
- the worker dies between QBO's answer and our write: the record stays `exporting`;
  once its lease lapses the next run takes it `recovering`, and the look-up finds the
  object our attempt created (`spec.match` says "ours") before anything is sent again;
  the same batch members also make the same batch requestid;
- two records of one identity in one chunk: the look-up cannot tell them apart, so the
  second waits for the next run (`Requeued`);
- the run nears its time limit: no chunk starts with less than RESERVE_MS left.

Counts (`PushCounts`) are reported per run by the caller.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from qbo_connector.models.faults import QboError, QboValidationError
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.push import (
    Duplicate,
    Exported,
    Failed,
    Held,
    Outcome,
    PushRecord,
    Requeued,
    Taken,
)

BATCH_SIZE = 30  # Intuit's batch limit
# A Lambda lives at most 900 s: a live worker never loses its lease.
LEASE_SECONDS = 960
# Longer than QBO's 120 s request limit: after it, an unanswered create has landed or died.
SETTLE_SECONDS = 180
# Stop starting chunks when less than this is left of the invocation.
RESERVE_MS = 60_000


# --------------------------------------------------------------------------------------
# Request ids


def digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def batch_request_id(org_id: str, legal_entity_id: str, members: Iterable[tuple[str, int]]) -> str:
    """A batch's id (≤ 36 chars inside batch) from the (key, generation) intents it carries,
    so a resend of the same objects replays QBO's first answer instead of creating again."""
    joined = ",".join(sorted(f"{key}:{gen}" for key, gen in members))
    return "b-" + digest(org_id, legal_entity_id, joined)[:34]


# --------------------------------------------------------------------------------------
# Ports


class BatchAnswerPort(Protocol):
    """One item of a batch answer (adapters.qbo_client.BatchItemResult)."""

    @property
    def bid(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any] | None: ...

    @property
    def fault(self) -> QboError | None: ...


class PushClientPort(Protocol):
    """What writing into QBO asks of one company's client (adapters.qbo_client.QboClient):
    look-ups, the company's preferences, batch and single creates, attachments."""

    def query_all(
        self,
        entity: str,
        where: str | None = None,
        order_by: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]: ...

    def preferences(self) -> dict[str, Any]: ...

    def batch(
        self, items: Sequence[Mapping[str, Any]], request_id: str | None = None
    ) -> Sequence[BatchAnswerPort]: ...

    def create(
        self,
        entity: str,
        body: Mapping[str, Any],
        request_id: str | None = None,
        include: str | None = None,
    ) -> dict[str, Any]: ...

    def upload_attachment(
        self,
        entity_type: str,
        entity_id: str,
        file_name: str,
        content_type: str,
        data: bytes,
        request_id: str | None = None,
    ) -> dict[str, Any]: ...


class PushLogPort[R](Protocol):
    """The log of one pushed kind, in the engine's intents: one crossing per stage."""

    def pending_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        """Queued or exporting keys (and crash leftovers), oldest submission first."""
        ...

    def take(
        self,
        org_id: str,
        legal_entity_id: str,
        ids: Sequence[str],
        owner: str,
        now: int,
        lease_seconds: int,
    ) -> Taken[R]:
        """Lease, for `owner`, those of `ids` that are queued or exporting under a lapsed
        lease (conditionally: only one worker wins each); drop markers left by a crash."""
        ...

    def settle(self, record: R, owner: str, outcome: Outcome, now: int) -> bool:
        """End (or, for Held, extend) `owner`'s lease with `outcome`. False: the lease
        was lost and the outcome belongs to whoever holds it now."""
        ...


# --------------------------------------------------------------------------------------
# Matching a record against what QBO holds


@dataclass(frozen=True)
class Ours:
    """QBO holds the object our earlier attempt created: record it as exported."""

    existing: dict[str, Any]


@dataclass(frozen=True)
class Theirs:
    """QBO holds this object already, not created by us: a duplicate, not sent."""

    existing: dict[str, Any]


@dataclass(frozen=True)
class New:
    """Create it. `despite_match`: QBO holds a look-alike our rule allows (a bill
    number of another vendor), so create it alone with QBO's duplicate check waived."""

    despite_match: bool = False


Match = Ours | Theirs | New


class PushContext(Protocol):
    """The part of logic.sync_context.SyncContext the engine uses."""

    org_id: str
    legal_entity_id: str
    sync_id: str | None

    @property
    def entity(self) -> LegalEntity: ...

    @property
    def client(self) -> PushClientPort: ...

    @property
    def run(self) -> Any: ...

    def time_left_ms(self) -> int: ...


class PushSpec[R: PushRecord, P](Protocol):
    """One pushed kind. `R` is its log entry, `P` its parsed, validated payload."""

    object_type: str  # the QBO entity, e.g. "Bill"
    plural: str  # in messages: "bills"
    # `include=` of a single create that waives QBO's own duplicate check (New(True)).
    include_despite_match: str | None

    def parse(self, record: R) -> P: ...

    def identity(self, item: P) -> Hashable:
        """The natural key QBO may hold at most once per legal entity."""
        ...

    def payload(self, item: P) -> dict[str, Any]: ...

    def request_id(self, ctx: PushContext, record: R) -> str:
        """A single create's requestid: the same record and generation, the same id."""
        ...

    def prepare(self, ctx: PushContext) -> None:
        """Once per run, before the first chunk is sent (e.g. read a preference)."""
        ...

    def lookup(self, client: PushClientPort, items: Sequence[P]) -> Any:
        """What QBO holds that could be these items (raises QboError: nothing sent)."""
        ...

    def match(self, record: R, item: P, found: Any, recovering: bool) -> Match: ...

    def exported(self, ctx: PushContext, record: R, qbo_object: dict[str, Any]) -> dict[str, Any]:
        """The fields stored with an exported record (its QBO id first)."""
        ...

    def duplicate(self, ctx: PushContext, record: R, existing: dict[str, Any]) -> dict[str, Any]:
        """`duplicate_of`: the existing object named, and what a person can do."""
        ...

    def failure(
        self, ctx: PushContext, record: R, item: P, fault: QboValidationError
    ) -> dict[str, Any]:
        """`failure`: {code, message, qbo_error}: QBO's refusal in words."""
        ...

    def is_conflict(self, fault: QboError) -> bool:
        """QBO refused because it holds the identity already (e.g. 6140)."""
        ...

    def resolve(self, ctx: PushContext, conflicts: Sequence[tuple[R, P, QboError]]) -> list[Match]:
        """One Theirs / New(despite_match=True) per conflict (raises QboError)."""
        ...

    def describe(self, record: R) -> str:
        """The record in a run error: "AP invoice ap-1"."""
        ...


# --------------------------------------------------------------------------------------
# The engine


@dataclass
class PushCounts:
    exported: int = 0
    recovered: int = 0
    duplicate: int = 0
    failed: int = 0
    unknown: int = 0
    requeued: int = 0
    skipped: int = 0
    attachments: int = 0
    # The keys this run recorded exported (recovered included), for a kind's follow-ups.
    exported_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "exported_keys"}


class QboNotAnswering(Exception):
    """Internal: stop the run, QBO is not answering (the records are settled already)."""


def last_error(err: QboError | None, message: str | None = None) -> dict[str, Any] | None:
    if err is None:
        return {"message": message} if message else None
    return {"type": type(err).__name__, "message": str(err)[:300], "intuit_tid": err.intuit_tid}


class PushEngine[R: PushRecord, P]:
    def __init__(
        self,
        spec: PushSpec[R, P],
        log: PushLogPort[R],
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
        settle_seconds: int = SETTLE_SECONDS,
        batch_size: int = BATCH_SIZE,
        after_batch: Callable[[list[R], Sequence[Any]], None] | None = None,
    ) -> None:
        self.spec = spec
        self.log = log
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.settle_seconds = settle_seconds
        self.batch_size = min(batch_size, BATCH_SIZE)
        # Test hook: runs after QBO answered a batch and before we record it (chaos test).
        self.after_batch = after_batch

    def run(self, ctx: PushContext, counts: PushCounts | None = None) -> PushCounts:
        """Push what is pending for the legal entity, a chunk of ≤ 30 at a time."""
        counts = counts if counts is not None else PushCounts()
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        owner = f"{ctx.sync_id or 'job'}:{uuid.uuid4().hex[:12]}"
        ids = self.log.pending_ids(org_id, legal_entity_id)
        prepared = False
        # A chunk at a time: a run that stops early (QBO not answering) has read only
        # what it tried.
        for start in range(0, len(ids), self.batch_size):
            if ctx.time_left_ms() < RESERVE_MS:
                counts.skipped += len(ids) - start
                break
            chunk = ids[start : start + self.batch_size]
            taken = self.log.take(
                org_id, legal_entity_id, chunk, owner, self._now(), self.lease_seconds
            )
            counts.skipped += taken.busy
            if not taken.leased:
                continue
            if not prepared:
                self.spec.prepare(ctx)
                prepared = True
            try:
                self._chunk(ctx, taken.leased, owner, counts)
            except QboNotAnswering:
                counts.skipped += max(0, len(ids) - start - self.batch_size)
                break
        return counts

    def _now(self) -> int:
        return int(self.clock())

    def _settle(self, record: R, owner: str, outcome: Outcome, counts: PushCounts) -> bool:
        if not self.log.settle(record, owner, outcome, self._now()):
            return False  # the lease was lost: the outcome is the new holder's to record
        if isinstance(outcome, Exported):
            counts.exported_keys.append(record.key)
        match outcome:
            case Exported(recovered=True):
                counts.recovered += 1
            case Exported():
                counts.exported += 1
            case Duplicate():
                counts.duplicate += 1
            case Failed():
                counts.failed += 1
            case Requeued():
                counts.requeued += 1
            case Held():
                counts.unknown += 1
        return True

    def _release(
        self,
        record: R,
        owner: str,
        recovering: bool,
        err: dict[str, Any] | None,
        counts: PushCounts,
    ) -> None:
        """Nothing was sent for the record in this attempt. A fresh one goes back to the
        queue; one being recovered stays `exporting` (an earlier attempt's outcome is
        still unknown) but takeable at once, to be looked up again."""
        if recovering:
            self.log.settle(record, owner, Held(self._now(), err), self._now())
        else:
            self._settle(record, owner, Requeued(err), counts)

    def _hold(self, record: R, owner: str, err: dict[str, Any] | None, counts: PushCounts) -> None:
        self._settle(record, owner, Held(self._now() + self.settle_seconds, err), counts)

    def _chunk(
        self, ctx: PushContext, leased: list[tuple[R, bool]], owner: str, counts: PushCounts
    ) -> None:
        """One look-up and one batch for ≤ 30 records."""
        spec = self.spec
        items = [(record, spec.parse(record), recovering) for record, recovering in leased]
        try:
            found = spec.lookup(ctx.client, [item for _, item, _ in items])
        except QboError as err:
            # Nothing was sent in this attempt: fresh records go back to the queue; records
            # of an earlier unknown outcome stay `exporting` (takeable at once).
            for record, _, recovering in items:
                self._release(record, owner, recovering, last_error(err), counts)
            self._report(ctx, err, f"looking up existing {spec.plural}")
            raise QboNotAnswering() from err
        create: list[tuple[R, P]] = []
        singly: list[tuple[R, P]] = []
        identities: set[Hashable] = set()
        for record, item, recovering in items:
            identity = spec.identity(item)
            if identity in identities:
                self._settle(record, owner, Requeued(), counts)
                continue
            identities.add(identity)
            self._apply(
                ctx,
                record,
                item,
                spec.match(record, item, found, recovering),
                owner,
                counts,
                create,
                singly,
            )
        try:
            if create:
                self._create_batch(ctx, create, owner, counts, singly)
            while singly:
                record, item = singly.pop(0)
                self._create_single(ctx, record, item, owner, counts)
        except QboNotAnswering:
            # Single creates not yet sent: nothing of them reached QBO.
            in_recovery = {record.key for record, was_recovering in leased if was_recovering}
            for record, _ in singly:
                self._release(record, owner, record.key in in_recovery, None, counts)
            raise

    def _apply(
        self,
        ctx: PushContext,
        record: R,
        item: P,
        match: Match,
        owner: str,
        counts: PushCounts,
        create: list[tuple[R, P]],
        singly: list[tuple[R, P]],
    ) -> None:
        match match:
            case Ours(existing):
                fields = self.spec.exported(ctx, record, existing)
                self._settle(record, owner, Exported(fields, recovered=True), counts)
            case Theirs(existing):
                dup = self.spec.duplicate(ctx, record, existing)
                self._settle(record, owner, Duplicate(dup), counts)
            case New(despite_match=True):
                singly.append((record, item))
            case New():
                create.append((record, item))

    def _create_batch(
        self,
        ctx: PushContext,
        create: list[tuple[R, P]],
        owner: str,
        counts: PushCounts,
        singly: list[tuple[R, P]],
    ) -> None:
        spec = self.spec
        rid = batch_request_id(
            ctx.org_id, ctx.legal_entity_id, [(r.key, r.generation) for r, _ in create]
        )
        items = [
            {"bId": f"b{i}", "operation": "create", spec.object_type: spec.payload(item)}
            for i, (_, item) in enumerate(create)
        ]
        try:
            results = ctx.client.batch(items, rid)
        except QboError as err:
            # Unknown outcome: the objects may exist. Keep them leased until QBO has
            # settled; the next run looks them up before anything is created again.
            for record, _ in create:
                self._hold(record, owner, last_error(err), counts)
            self._report(ctx, err, f"creating {spec.plural}")
            raise QboNotAnswering() from err
        if self.after_batch is not None:
            self.after_batch([r for r, _ in create], results)
        by_bid = {res.bid: res for res in results}
        conflicts: list[tuple[R, P, QboError]] = []
        for i, (record, item) in enumerate(create):
            res = by_bid.get(f"b{i}")
            if res is None:
                message = f"QuickBooks' batch answer lacked this {spec.object_type.lower()}."
                self._hold(record, owner, last_error(None, message), counts)
            elif res.fault is None and res.payload:
                fields = spec.exported(ctx, record, res.payload)
                self._settle(record, owner, Exported(fields), counts)
            elif res.fault is not None and spec.is_conflict(res.fault):
                conflicts.append((record, item, res.fault))
            else:
                self._outcome_of_fault(ctx, record, item, owner, res.fault, counts)
        if conflicts:
            self._resolve(ctx, conflicts, owner, counts, singly)

    def _resolve(
        self,
        ctx: PushContext,
        conflicts: list[tuple[R, P, QboError]],
        owner: str,
        counts: PushCounts,
        singly: list[tuple[R, P]],
    ) -> None:
        """QBO holds the identity: the spec reads the holder and decides."""
        try:
            matches = self.spec.resolve(ctx, conflicts)
        except QboError as err:
            for record, _, _ in conflicts:  # nothing was created for them: next run
                self._settle(record, owner, Held(self._now(), last_error(err)), counts)
            self._report(ctx, err, f"reading the {self.spec.plural} QuickBooks matched")
            raise QboNotAnswering() from err
        # After the batch every create is a single one, whatever the match says.
        for (record, item, _), match in zip(conflicts, matches, strict=True):
            self._apply(ctx, record, item, match, owner, counts, singly, singly)

    def _create_single(
        self, ctx: PushContext, record: R, item: P, owner: str, counts: PushCounts
    ) -> None:
        spec = self.spec
        try:
            created = ctx.client.create(
                spec.object_type,
                spec.payload(item),
                request_id=spec.request_id(ctx, record),
                include=spec.include_despite_match,
            )
        except QboValidationError as fault:
            self._outcome_of_fault(ctx, record, item, owner, fault, counts)
            return
        except QboError as err:
            self._hold(record, owner, last_error(err), counts)
            self._report(ctx, err, f"creating a {spec.object_type.lower()}")
            raise QboNotAnswering() from err
        self._settle(record, owner, Exported(spec.exported(ctx, record, created)), counts)

    def _outcome_of_fault(
        self,
        ctx: PushContext,
        record: R,
        item: P,
        owner: str,
        fault: QboError | None,
        counts: PushCounts,
    ) -> None:
        if fault is None or fault.retryable or not isinstance(fault, QboValidationError):
            # Not a verdict on the object: QBO may or may not have it; settle, look it up.
            self._hold(record, owner, last_error(fault), counts)
            return
        failure = self.spec.failure(ctx, record, item, fault)
        if self._settle(record, owner, Failed(failure), counts):
            ctx.run.add_error(
                f"{self.spec.describe(record)}: {failure['message']}",
                code=failure["code"],
                object_type=self.spec.object_type,
                intuit_tid=fault.intuit_tid,
            )

    def _report(self, ctx: PushContext, err: QboError, doing: str) -> None:
        ctx.run.add_error(
            f"QuickBooks did not answer while {doing} ({type(err).__name__}); the "
            f"{self.spec.plural} stay queued and the next sync continues safely, without "
            f"creating any {self.spec.object_type.lower()} twice.",
            code="quickbooks_unavailable",
            object_type=self.spec.object_type,
            intuit_tid=err.intuit_tid,
        )
