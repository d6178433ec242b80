"""The push engine's state machine (logic/push_engine.py) at every failure point, on
in-memory fakes: bills through their spec (logic/bill_push.py), and a toy kind showing
that a new pushed kind is one spec.

Each test pushes, breaks one thing (QBO unreachable before or after it acted, the worker
killed between QBO's answer and our write, a lease lost, the clock run down), pushes
again, and counts what QBO holds: every object exactly once, or in a state that says why.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from qbo_connector.logic.push_engine import (
    LEASE_SECONDS,
    RESERVE_MS,
    SETTLE_SECONDS,
    Match,
    New,
    Ours,
    PushContext,
    PushEngine,
    Theirs,
)
from qbo_connector.models.bill import ExportState
from qbo_connector.models.faults import QboError, QboValidationError
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.push import Duplicate, Exported, Held, Outcome, Requeued, Taken
from tests.unit.fake_qbo import FakeQbo
from tests.unit.fakes import LE, ORG, BillStore, Clock, MasterData, bill_service, entity

# --------------------------------------------------------------------------------------
# The world: a sync run's context, the bill service on fakes


@dataclass
class Run:
    errors: list[dict[str, Any]] = field(default_factory=list)
    progressed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_error(self, message: str, *, code: str, **extra: Any) -> None:
        self.errors.append({"message": message, "code": code, **extra})

    def progress(self, object_type: str, **counts: Any) -> None:
        self.progressed[object_type] = counts


@dataclass
class Ctx:
    client: FakeQbo
    entity: LegalEntity
    run: Run = field(default_factory=Run)
    org_id: str = ORG
    legal_entity_id: str = LE
    sync_id: str | None = "sync-1"
    left_ms: int = 600_000

    def time_left_ms(self) -> int:
        return self.left_ms


class World:
    def __init__(self, warn: bool = True) -> None:
        self.qbo = FakeQbo(warn_duplicate_doc_number=warn)
        self.store = BillStore()
        self.master = MasterData()
        for kind, qbo_id, name in [
            ("Vendor", "56", "Norton Lumber"),
            ("Vendor", "57", "Hicks Hardware"),
            ("Account", "7", "Advertising"),
        ]:
            self.master.add(kind, qbo_id, name)
        self.clock = Clock()
        self.service = bill_service(self.store, self.master, None, self.clock)
        self.entity = entity()

    def submit(self, ap_id: str, number: str, vendor: str = "56", amount: str = "10.00") -> None:
        self.service.submit(
            self.entity,
            {
                "ap_invoice_id": ap_id,
                "vendor_id": vendor,
                "invoice_number": number,
                "invoice_date": "2026-02-20",
                "lines": [{"amount": amount, "account_id": "7"}],
            },
        )

    def export(self, **ctx: Any) -> Any:
        self.ctx = Ctx(self.qbo, self.entity, **ctx)
        return self.service.export_pending(self.ctx)

    def state(self, ap_id: str) -> ExportState:
        record = self.store.get(ORG, LE, ap_id)
        assert record is not None
        return record.state

    def bills(self, number: str | None = None) -> list[dict[str, Any]]:
        return [b for b in self.qbo.all("Bill") if number is None or b["DocNumber"] == number]


@pytest.fixture
def world() -> World:
    return World()


# --------------------------------------------------------------------------------------
# The happy path, and what it costs


def test_bills_go_in_batches_of_30_one_store_crossing_per_chunk(world: World) -> None:
    for i in range(31):
        world.submit(f"ap-{i:02}", f"INV-{i}")
    counts = world.export()
    assert counts.exported == 31 and counts.unknown == counts.failed == 0
    assert world.qbo.calls.count("batch") == 2
    assert len(world.bills()) == 31
    assert world.store.takes == 2  # one `take` per chunk, not a read and a write per bill
    record = world.store.get(ORG, LE, "ap-00")
    assert record is not None and record.qbo_bill_id
    assert world.store.ap_invoice_for_qbo_bill(ORG, LE, record.qbo_bill_id) == "ap-00"
    assert record.payment["state"] == "unpaid"
    assert world.store.pending_ids(ORG, LE) == []
    assert world.ctx.run.progressed["Bill"]["exported"] == 31


def test_nothing_pending_calls_qbo_not_at_all(world: World) -> None:
    counts = world.export()
    assert counts.as_dict() == {k: 0 for k in counts.as_dict()}
    assert world.qbo.calls == []


def test_no_chunk_starts_near_the_time_limit(world: World) -> None:
    world.submit("ap-1", "INV-1")
    counts = world.export(left_ms=RESERVE_MS - 1)
    assert counts.skipped == 1 and world.qbo.calls == []
    assert world.state("ap-1") == ExportState.QUEUED


# --------------------------------------------------------------------------------------
# Failure points


def test_lookup_fails_before_anything_is_sent_bills_go_back_to_the_queue(world: World) -> None:
    world.submit("ap-1", "INV-1")
    world.qbo.unreachable.add("query")
    counts = world.export()
    assert counts.requeued == 1 and "batch" not in world.qbo.calls
    assert world.state("ap-1") == ExportState.QUEUED
    assert world.ctx.run.errors[0]["code"] == "quickbooks_unavailable"
    assert "looking up existing bills" in world.ctx.run.errors[0]["message"]
    assert world.export().exported == 1 and len(world.bills()) == 1


def test_batch_unreachable_holds_the_bills_until_qbo_has_settled(world: World) -> None:
    world.submit("ap-1", "INV-1")
    world.submit("ap-2", "INV-2")
    world.qbo.unreachable.add("batch")
    counts = world.export()
    assert counts.unknown == 2 and world.bills() == []
    record = world.store.get(ORG, LE, "ap-1")
    assert record is not None and record.state == ExportState.EXPORTING
    assert record.last_error and record.last_error["type"] == "QboUnavailableError"
    # Before the settle time: another run leaves them alone.
    assert world.export().skipped == 2 and world.bills() == []
    world.clock.advance(SETTLE_SECONDS + 1)
    counts = world.export()
    assert counts.exported == 2 and len(world.bills()) == 2


def test_batch_landed_but_its_answer_was_lost_is_recovered_not_created_again(
    world: World,
) -> None:
    for i in range(3):
        world.submit(f"ap-{i}", f"INV-{i}")
    world.qbo.answer_lost.add("batch")
    counts = world.export()
    assert counts.unknown == 3 and len(world.bills()) == 3  # QBO has them; we do not know
    world.clock.advance(SETTLE_SECONDS + 1)
    counts = world.export()
    assert counts.recovered == 3 and counts.exported == 0
    assert len(world.bills()) == 3
    assert {world.state(f"ap-{i}") for i in range(3)} == {ExportState.EXPORTED}


def test_worker_killed_after_qbo_answered_is_recovered_once_its_lease_lapses(
    world: World,
) -> None:
    for i in range(5):
        world.submit(f"ap-{i}", f"INV-{i}")

    def killed(_records: Any, _results: Any) -> None:
        raise SystemExit("killed after QBO answered")

    world.service.engine.after_batch = killed
    with pytest.raises(SystemExit):
        world.export()
    world.service.engine.after_batch = None
    assert len(world.bills()) == 5
    assert {world.state(f"ap-{i}") for i in range(5)} == {ExportState.EXPORTING}
    assert world.export().skipped == 5  # the dead worker's lease still runs
    world.clock.advance(LEASE_SECONDS + 1)
    counts = world.export()
    assert counts.recovered == 5 and len(world.bills()) == 5


def test_recovery_whose_lookup_fails_stays_exporting_and_is_taken_at_once(world: World) -> None:
    world.submit("ap-1", "INV-1")
    world.qbo.answer_lost.add("batch")
    world.export()
    world.clock.advance(SETTLE_SECONDS + 1)
    world.qbo.unreachable.add("query")
    counts = world.export()
    assert counts.requeued == 0  # it may exist in QBO: never simply requeued
    assert world.state("ap-1") == ExportState.EXPORTING
    world.clock.advance(1)  # no lease or settle time to wait for: the next run looks up
    counts = world.export()
    assert counts.recovered == 1 and len(world.bills()) == 1


def test_a_bill_missing_from_the_batch_answer_is_held_then_looked_up(world: World) -> None:
    world.submit("ap-1", "INV-1")
    world.submit("ap-2", "INV-2")
    world.qbo.omit_from_answer.add("b1")
    counts = world.export()
    assert counts.exported == 1 and counts.unknown == 1
    record = world.store.get(ORG, LE, "ap-2")
    assert record is not None and record.last_error
    assert "lacked this bill" in record.last_error["message"]
    world.clock.advance(SETTLE_SECONDS + 1)
    world.qbo.omit_from_answer.clear()
    assert world.export().exported == 1
    assert len(world.bills("INV-2")) == 1


def test_a_lost_lease_records_nothing(world: World) -> None:
    world.submit("ap-1", "INV-1")

    def taken_over(records: Any, _results: Any) -> None:
        # Another worker took the bill over while QBO was answering us.
        world.store.set_state(records[0].ap_invoice_id, ExportState.EXPORTING,
                              lease_owner="other-worker")

    world.service.engine.after_batch = taken_over
    counts = world.export()
    assert counts.exported == 0
    record = world.store.get(ORG, LE, "ap-1")
    assert record is not None and record.lease_owner == "other-worker"
    assert record.qbo_bill_id is None  # the outcome is the new holder's to write


# --------------------------------------------------------------------------------------
# Verdicts and duplicates


def test_a_refusal_fails_the_bill_with_its_reason_and_a_new_generation(world: World) -> None:
    world.submit("ap-1", "BAD-1")
    world.qbo.refuse["BAD-1"] = QboValidationError(
        "Business Validation Error", code="6000", detail="Amount is wrong", intuit_tid="tid-9"
    )
    counts = world.export()
    assert counts.failed == 1
    record = world.store.get(ORG, LE, "ap-1")
    assert record is not None and record.state == ExportState.FAILED
    assert record.generation == 2  # a resubmission is a new intent, a new requestid
    assert record.failure and record.failure["code"] == "rejected_by_quickbooks"
    assert "vendor_id: vendor 'Norton Lumber' (56)" in record.failure["message"]
    error = world.ctx.run.errors[0]
    assert error["message"].startswith("AP invoice ap-1: QuickBooks refused the bill")
    assert error["intuit_tid"] == "tid-9"


def test_a_bill_the_accountant_typed_is_a_duplicate_and_is_not_sent(world: World) -> None:
    typed = world.qbo.add("Bill", {"VendorRef": {"value": "56"}, "DocNumber": "inv-7 ",
                                   "TxnDate": "2026-02-21", "TotalAmt": 10.0})
    world.submit("ap-1", "INV-7")
    counts = world.export()
    assert counts.duplicate == 1 and "batch" not in world.qbo.calls
    record = world.store.get(ORG, LE, "ap-1")
    assert record is not None and record.duplicate_of
    assert record.duplicate_of["qbo_bill_id"] == typed["Id"]
    assert record.duplicate_of["source"] == "quickbooks"
    assert "Norton Lumber" in record.duplicate_of["message"]


def test_the_same_number_of_another_vendor_is_created_alone_allowing_it(world: World) -> None:
    world.qbo.add("Bill", {"VendorRef": {"value": "57"}, "DocNumber": "INV-8",
                           "TxnDate": "2026-02-20", "TotalAmt": 3.0})
    world.submit("ap-1", "INV-8")
    counts = world.export()
    assert counts.exported == 1
    assert world.qbo.calls.count("create") == 1 and "batch" not in world.qbo.calls
    assert sorted(b["VendorRef"]["value"] for b in world.bills("INV-8")) == ["56", "57"]


def typed_after_lookup(world: World, vendor: str, number: str) -> None:
    """The accountant types a bill with `number` between our look-up and our create."""
    real_lookup = world.service.spec.lookup

    def lookup_then_typed(client: Any, items: Any) -> Any:
        found = real_lookup(client, items)
        world.qbo.add("Bill", {"VendorRef": {"value": vendor}, "DocNumber": number,
                               "TotalAmt": 5.0})
        return found

    world.service.spec.lookup = lookup_then_typed


def test_a_bill_typed_between_lookup_and_create_is_caught_by_6140(world: World) -> None:
    world.submit("ap-1", "INV-9")
    typed_after_lookup(world, "56", "INV-9")
    counts = world.export()
    assert counts.duplicate == 1 and len(world.bills("INV-9")) == 1
    assert world.state("ap-1") == ExportState.DUPLICATE


def test_6140_from_another_vendors_bill_creates_ours_alone(world: World) -> None:
    world.submit("ap-1", "INV-10")
    typed_after_lookup(world, "57", "INV-10")
    assert world.export().exported == 1
    assert sorted(b["VendorRef"]["value"] for b in world.bills("INV-10")) == ["56", "57"]


def test_single_create_unreachable_releases_the_bills_not_yet_sent(world: World) -> None:
    for i, number in enumerate(["INV-11", "INV-12"]):
        world.qbo.add("Bill", {"VendorRef": {"value": "57"}, "DocNumber": number,
                               "TxnDate": "2026-02-20", "TotalAmt": 1.0})
        world.submit(f"ap-{i}", number)
    world.qbo.unreachable.add("create")
    counts = world.export()
    # The first single create may have reached QBO (held); the second was never sent.
    assert counts.unknown == 1 and counts.requeued == 1
    assert world.state("ap-0") == ExportState.EXPORTING
    assert world.state("ap-1") == ExportState.QUEUED
    world.clock.advance(SETTLE_SECONDS + 1)
    assert world.export().exported == 2
    assert len(world.bills()) == 4


def test_two_records_of_one_identity_in_one_chunk_never_both_go(world: World) -> None:
    world.submit("ap-1", "INV-13")
    # A second record with the same vendor + number that bypassed the submission claim
    # (a crash leftover): the chunk must not send both.
    first = world.store.get(ORG, LE, "ap-1")
    assert first is not None
    twin = type(first)(**{**first.__dict__, "ap_invoice_id": "ap-2"})
    world.store.create(twin)
    world.store.put_pending(twin, int(world.clock()))
    counts = world.export()
    assert counts.exported == 1 and counts.requeued == 1
    counts = world.export()  # the look-up now finds the first: the twin is a duplicate
    assert counts.duplicate == 1 and len(world.bills("INV-13")) == 1


def test_crash_leftover_markers_are_dropped_by_take(world: World) -> None:
    world.submit("ap-1", "INV-14")
    world.export()
    record = world.store.get(ORG, LE, "ap-1")
    assert record is not None
    world.store.put_pending(record, int(world.clock()))  # left by a crash after `finish`
    world.store.pending[(ORG, LE, "ghost")] = 1  # a submission that never wrote its record
    world.store.pending_at[(ORG, LE, "ghost")] = int(world.clock())
    world.export()
    assert world.store.pending_ids(ORG, LE) == ["ghost"]  # young: may be mid-submission
    world.clock.advance(LEASE_SECONDS + 1)
    world.export()
    assert world.store.pending_ids(ORG, LE) == []


# --------------------------------------------------------------------------------------
# A new pushed kind is one spec: a toy "Widget" identified by its name


@dataclass
class Widget:
    key: str
    name: str
    generation: int = 1
    state: ExportState = ExportState.QUEUED
    lease_until: int | None = None
    owner: str | None = None
    qbo_id: str | None = None


class WidgetLog:
    """A PushLogPort for widgets: the same lease conditions as the bill log."""

    def __init__(self, *widgets: Widget) -> None:
        self.items = {w.key: w for w in widgets}
        self.outcomes: list[tuple[str, Outcome]] = []

    def pending_ids(self, org_id: str, le_id: str, limit: int = 10_000) -> list[str]:
        return [k for k, w in self.items.items()
                if w.state in (ExportState.QUEUED, ExportState.EXPORTING)][:limit]

    def take(self, org_id: str, le_id: str, ids: Sequence[str], owner: str, now: int,
             lease_seconds: int) -> Taken[Widget]:
        taken: Taken[Widget] = Taken()
        for key in ids:
            w = self.items[key]
            if w.state == ExportState.EXPORTING and (w.lease_until or 0) >= now:
                taken.busy += 1
                continue
            taken.leased.append((w, w.state == ExportState.EXPORTING))
            w.state, w.owner, w.lease_until = ExportState.EXPORTING, owner, now + lease_seconds
        return taken

    def settle(self, record: Widget, owner: str, outcome: Outcome, now: int) -> bool:
        w = self.items[record.key]
        if w.owner != owner or w.state != ExportState.EXPORTING:
            return False
        self.outcomes.append((w.key, outcome))
        match outcome:
            case Exported(fields=fields):
                w.state, w.qbo_id = ExportState.EXPORTED, fields["qbo_id"]
            case Held(until=until):
                w.lease_until = until
            case Requeued():
                w.state = ExportState.QUEUED
            case Duplicate():
                w.state = ExportState.DUPLICATE
            case _:
                w.state = ExportState.FAILED
        return True


class WidgetSpec:
    object_type = "Widget"
    plural = "widgets"
    include_despite_match: str | None = None

    def parse(self, record: Widget) -> Widget:
        return record

    def identity(self, item: Widget) -> Hashable:
        return item.name.casefold()

    def payload(self, item: Widget) -> dict[str, Any]:
        return {"Name": item.name}

    def request_id(self, ctx: PushContext, record: Widget) -> str:
        return f"widget-{record.key}-{record.generation}"

    def prepare(self, ctx: PushContext) -> None:
        pass

    def lookup(self, client: Any, items: Sequence[Widget]) -> dict[str, dict[str, Any]]:
        names = ", ".join("'" + w.name + "'" for w in items)
        return {o["Name"].casefold(): o for page in client.query_all("Widget",
                where=f"Name IN ({names})") for o in page}

    def match(self, record: Widget, item: Widget, found: Any, recovering: bool) -> Match:
        existing = found.get(item.name.casefold())
        if existing is None:
            return New()
        return Ours(existing) if recovering else Theirs(existing)

    def exported(self, ctx: PushContext, record: Widget, qbo_object: dict[str, Any]
                 ) -> dict[str, Any]:
        return {"qbo_id": qbo_object["Id"]}

    def duplicate(self, ctx: PushContext, record: Widget, existing: dict[str, Any]
                  ) -> dict[str, Any]:
        return {"qbo_id": existing["Id"], "message": f"QuickBooks has {existing['Name']}."}

    def failure(self, ctx: PushContext, record: Widget, item: Widget,
                fault: QboValidationError) -> dict[str, Any]:
        return {"code": "rejected_by_quickbooks", "message": fault.message}

    def is_conflict(self, fault: QboError) -> bool:
        return False

    def resolve(self, ctx: PushContext, conflicts: Sequence[tuple[Widget, Widget, QboError]]
                ) -> list[Match]:
        return [Theirs({"Id": ""}) for _ in conflicts]

    def describe(self, record: Widget) -> str:
        return f"widget {record.key}"


def test_a_new_kind_is_one_spec_with_the_same_exactly_once() -> None:
    qbo = FakeQbo()
    qbo.add("Widget", {"Name": "Bolt"})
    log = WidgetLog(Widget("w1", "Nut"), Widget("w2", "Bolt"), Widget("w3", "Gear"))
    clock = Clock()
    engine: PushEngine[Widget, Widget] = PushEngine(WidgetSpec(), log, clock)
    ctx = Ctx(qbo, entity())
    qbo.answer_lost.add("batch")
    counts = engine.run(ctx)
    assert counts.unknown == 2  # Nut and Gear sent, the answer lost
    assert log.items["w2"].state == ExportState.DUPLICATE  # QBO's Bolt is not ours
    assert ctx.run.errors[0]["object_type"] == "Widget"
    assert "the widgets stay queued" in ctx.run.errors[0]["message"]
    clock.advance(SETTLE_SECONDS + 1)
    counts = engine.run(ctx)
    assert counts.recovered == 2
    assert sorted(o["Name"] for o in qbo.all("Widget")) == ["Bolt", "Gear", "Nut"]
    assert {w.state for w in (log.items["w1"], log.items["w3"])} == {ExportState.EXPORTED}
