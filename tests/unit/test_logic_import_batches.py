"""The import engine's query phase (logic/importer.py over logic/import_batches.py): pages
of many types packed into `/batch` requests, planned from COUNT(*), with the single-query
fallback, and without DynamoDB reads for a type that has nothing stored.

A fake of the QBO client answers the query language the engine sends (COUNT(*) / *,
`Active IN (true, false)`, `Metadata.LastUpdatedTime >=`, ORDERBY Id, STARTPOSITION,
MAXRESULTS; name lists hide inactive rows unless asked, like Intuit), and a fake of the
record store keeps records in a dict and counts its reads.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from qbo_connector.logic.import_batches import (
    MAX_BATCH_ITEMS,
    BatchPlanner,
    QueryResume,
    TypePass,
)
from qbo_connector.logic.importer import CHECKPOINT, DONE, ImportEngine
from qbo_connector.logic.sync_context import RunHandle, SyncContext
from qbo_connector.models.faults import QboError, QboValidationError
from qbo_connector.models.record import RecordWrite, StoredState
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import Checkpoint, RunStatus, SyncMode, SyncRun, Trigger
from tests.unit.fake_qbo import NoWrites
from tests.unit.fakes import LE, ORG, T0, Clock, entity

PAGE = 10
TYPES = ("Vendor", "Customer", "Item", "Term", "TaxCode")
# Vendor: 2.5 pages with inactive rows; Customer: exactly 2 pages; Item: none.
SIZES = {"Vendor": 25, "Customer": 20, "Item": 0, "Term": 3, "TaxCode": 4}
NAME_LISTS = {"Vendor", "Customer", "Item", "Term", "TaxCode"}

_SELECT = re.compile(
    r"SELECT (?P<what>\*|COUNT\(\*\)) FROM (?P<entity>\w+)(?: WHERE (?P<where>.*?))?"
    r"(?: ORDERBY (?P<order>[\w.]+))?(?: STARTPOSITION (?P<start>\d+))?"
    r"(?: MAXRESULTS (?P<max>\d+))?$"
)


@dataclasses.dataclass(frozen=True)
class Item:
    """adapters.qbo_client.BatchItemResult's shape."""

    bid: str
    payload: dict[str, Any] | None = None
    fault: QboError | None = None


def stamp(n: int) -> str:
    return f"2026-03-0{1 + n % 2}T10:00:{n % 60:02d}+00:00"


class FakeQbo(NoWrites):
    def __init__(self, sizes: dict[str, int] = SIZES) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {}
        next_id = 1
        for entity_name, n in sizes.items():
            rows = []
            for i in range(n):
                rows.append(
                    {
                        "Id": str(next_id),
                        "SyncToken": "0",
                        "DisplayName": f"{entity_name} {i}",
                        "Active": i % 7 != 3,  # some inactive rows in every list
                        "MetaData": {"LastUpdatedTime": stamp(i)},
                    }
                )
                next_id += 1
            self.objects[entity_name] = rows
        self.calls: list[str] = []  # "query", "batch", "cdc"
        self.asked: list[str] = []  # every query answered, single or in a batch
        self.fail_items: list[str] = []  # substrings: a matching batch item answers a Fault
        self.fail_single: list[str] = []  # substrings: a matching single query raises
        self.refuse_batch = False  # the next batch request fails as a whole
        self.cdc_changes: dict[str, list[dict[str, Any]]] = {}

    def _answer(self, sql: str) -> dict[str, Any]:
        self.asked.append(sql)
        found = _SELECT.match(sql)
        assert found, sql
        entity_name = found["entity"]
        where = found["where"] or ""
        rows = list(self.objects.get(entity_name, []))
        if entity_name in NAME_LISTS and "Active IN (true, false)" not in where:
            rows = [r for r in rows if r["Active"]]
        since = re.search(r"Metadata.LastUpdatedTime >= '([^']+)'", where)
        if since:
            rows = [r for r in rows if r["MetaData"]["LastUpdatedTime"] >= since.group(1)]
        if found["what"] == "COUNT(*)":
            return {"totalCount": len(rows)}
        if found["order"] == "Id":
            rows.sort(key=lambda r: int(r["Id"]))
        start, size = int(found["start"] or 1), int(found["max"] or 100)
        page = rows[start - 1 : start - 1 + size]
        return {entity_name: page, "startPosition": start, "maxResults": len(page)} if page else {}

    def query(self, sql: str) -> dict[str, Any]:
        self.calls.append("query")
        for bad in self.fail_single:
            if bad in sql:
                self.fail_single.remove(bad)
                raise QboValidationError("Invalid query", code="4000", http_status=400)
        return self._answer(sql)

    def batch_query(self, queries: Sequence[str]) -> list[Item]:
        self.calls.append("batch")
        assert 1 < len(queries) <= MAX_BATCH_ITEMS
        if self.refuse_batch:
            self.refuse_batch = False
            raise QboValidationError("Batch refused", code="4002", http_status=400)
        out = []
        for i, sql in enumerate(queries, 1):
            bad = next((b for b in self.fail_items if b in sql), None)
            if bad is not None:
                self.fail_items.remove(bad)
                out.append(Item(f"q{i}", fault=QboError("Internal error", code="10000")))
                continue
            out.append(Item(f"q{i}", payload=self._answer(sql)))
        return out

    def cdc(self, entities: Sequence[str], changed_since: str) -> dict[str, list[dict[str, Any]]]:
        self.calls.append("cdc")
        return {e: list(self.cdc_changes.get(e, [])) for e in entities}

    def pages_asked(self) -> int:
        return sum(1 for q in self.asked if q.startswith("SELECT * "))

    def empty_pages(self) -> int:
        return sum(1 for q in self.asked if q.startswith("SELECT * ") and not self._peek(q))

    def _peek(self, sql: str) -> bool:
        asked = list(self.asked)
        try:
            return bool(self._answer(sql))
        finally:
            self.asked = asked


class Counter0:
    """The run's call counter (adapters.qbo_client.CallCounter): FakeQbo counts its own."""

    def as_dict(self) -> dict[str, int]:
        return {}


class FakeRecords:
    """adapters.record_store.RecordStore in a dict, counting its DynamoDB-like reads."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.reads: Counter[str] = Counter()

    def has_records(self, org_id: str, le_id: str, object_type: str) -> bool:
        self.reads["has_records"] += 1
        return any(kind == object_type for kind, _ in self.items)

    def states(
        self, org_id: str, le_id: str, object_type: str, ids: list[str]
    ) -> dict[str, StoredState]:
        self.reads["states"] += 1
        found = {}
        for qbo_id in ids:
            item = self.items.get((object_type, qbo_id))
            if item is not None:
                found[qbo_id] = StoredState(item["hash"], item["active"], item["deleted"])
        return found

    def all_states(self, org_id: str, le_id: str, object_type: str) -> dict[str, StoredState]:
        self.reads["all_states"] += 1
        return {
            qbo_id: StoredState(item["hash"], item["active"], item["deleted"])
            for (kind, qbo_id), item in self.items.items()
            if kind == object_type
        }

    def put_many(
        self,
        org_id: str,
        le_id: str,
        object_type: str,
        records: list[RecordWrite],
        *,
        sync_id: str,
        imported_at: str,
    ) -> int:
        for r in records:
            self.items[(object_type, r.qbo_id)] = {
                "hash": r.hash,
                "active": r.active,
                "deleted": r.deleted,
                "name": r.name,
                "body": r.body,
            }
        return len(records)

    def mark(
        self,
        org_id: str,
        le_id: str,
        object_type: str,
        ids: list[str],
        *,
        sync_id: str,
        imported_at: str,
        deleted: bool | None = None,
        active: bool | None = None,
    ) -> int:
        for qbo_id in ids:
            item = self.items[(object_type, qbo_id)]
            if deleted is not None:
                item["deleted"] = deleted
            if active is not None:
                item["active"] = active
        return len(ids)

    def delete_all(self, org_id: str, legal_entity_id: str, object_type: str) -> int:
        gone = [key for key in self.items if key[0] == object_type]
        for key in gone:
            del self.items[key]
        return len(gone)

    def list(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> tuple[builtins.list[dict[str, Any]], str | None]:
        raise NotImplementedError("the records API is not part of the import")


class NoBills:
    def export_pending(self, ctx: Any) -> None:
        raise AssertionError("an import does not export")

    def apply_payment_changes(self, ctx: Any, bills: Any, bill_payments: Any) -> int:
        return 0


def import_run(
    qbo: FakeQbo,
    records: FakeRecords,
    *,
    batch: bool = True,
    mode: SyncMode = SyncMode.FULL,
    last_ok: str | None = None,
    types: tuple[str, ...] = TYPES,
    time_left: Any = None,
    run: SyncRun | None = None,
) -> tuple[str, SyncRun]:
    clock = Clock()
    profile = SyncProfile(object_types=types, export_bills=False, import_payments=False)
    engine = ImportEngine(records, NoBills(), page_size=PAGE, batch=batch, batch_pages=3)
    e = entity(
        last_successful_sync_at=last_ok,
        last_sync={"synced_types": list(types)} if last_ok else None,
    )
    if run is None:
        run = SyncRun(ORG, LE, "s-1", Trigger.MANUAL, mode, RunStatus.RUNNING, "2026-03-02")
        engine.plan(run, e, profile, T0)
    handle = RunHandle(run, lambda _r: None, lambda: True, None, clock)
    ctx = SyncContext(
        ORG,
        LE,
        e,
        qbo,
        Counter0(),
        handle,
        time_left_ms=time_left or (lambda: 10**9),
        clock=clock,
        profile=profile,
    )
    return engine.run(ctx, handle), run


def stored(records: FakeRecords) -> dict[tuple[str, str], dict[str, Any]]:
    return {k: dict(v) for k, v in records.items.items()}


def every_row() -> int:
    return sum(SIZES.values())


# -- planning rounds ---------------------------------------------------------------------


def test_round_one_counts_every_full_type_and_asks_first_pages() -> None:
    passes = [TypePass(t, t, "Active IN (true, false)", "Id", full=True) for t in TYPES]
    asks = BatchPlanner(PAGE, max_items=30, max_pages=10, counts=True).next_round(passes)
    assert [a.kind for a in asks] == ["count"] * len(TYPES) + ["page"] * len(TYPES)
    assert asks[0].sql == "SELECT COUNT(*) FROM Vendor WHERE Active IN (true, false)"
    assert asks[len(TYPES)].sql == (
        "SELECT * FROM Vendor WHERE Active IN (true, false) ORDERBY Id "
        "STARTPOSITION 1 MAXRESULTS 10"
    )


def test_later_rounds_ask_exactly_the_pages_the_counts_call_for() -> None:
    vendor = TypePass("Vendor", "Vendor", "", "Id", full=True, start=11, count=25)
    item = TypePass("Item", "Item", "", "Id", full=True, start=11, count=20)
    asks = BatchPlanner(PAGE, max_items=30, max_pages=10, counts=True).next_round([vendor, item])
    assert [(a.type_pass.object_type, a.start) for a in asks] == [
        ("Vendor", 11),
        ("Vendor", 21),
        ("Item", 11),
    ]


def test_a_round_holds_at_most_30_items_and_the_page_budget() -> None:
    passes = [TypePass(f"T{i}", f"T{i}", "", "Id", full=True) for i in range(40)]
    asks = BatchPlanner(1000, max_items=30, max_pages=10, counts=True).next_round(passes)
    assert [a.kind for a in asks] == ["count"] * 30  # 30 counts fill the request
    known = [TypePass(f"T{i}", f"T{i}", "", "Id", full=True, count=10_000) for i in range(2)]
    asks = BatchPlanner(1000, max_items=30, max_pages=10, counts=True).next_round(known)
    assert [a.kind for a in asks] == ["page"] * 10  # the memory bound: ten pages a request


# -- batch equals single ------------------------------------------------------------------


def test_batch_import_equals_the_single_query_import_record_for_record() -> None:
    single_qbo, single = FakeQbo(), FakeRecords()
    outcome, single_run = import_run(single_qbo, single, batch=False)
    assert outcome == DONE
    batch_qbo, batched = FakeQbo(), FakeRecords()
    outcome, batch_run = import_run(batch_qbo, batched)
    assert outcome == DONE

    assert stored(batched) == stored(single)
    assert len(batched.items) == every_row()  # inactive rows included
    assert any(not item["active"] for item in batched.items.values())
    for t in TYPES:
        assert batch_run.progress[t].status == "done"
        assert batch_run.progress[t].new == single_run.progress[t].new == SIZES[t]
        assert batch_run.progress[t].fetched == SIZES[t]
    # The single-query import reads page after page, and an empty one after each type
    # whose rows fill its last page (Customer, and Item which has none).
    assert single_qbo.calls == ["query"] * single_qbo.pages_asked()
    assert single_qbo.empty_pages() == 2
    # Batched: exactly sum(ceil(n/page)) pages, none empty but the first page of a type
    # that has no rows (asked beside its count in round 1, at no extra request).
    pages = sum(-(-n // PAGE) for n in SIZES.values())
    assert batch_qbo.pages_asked() == pages + 1
    assert batch_qbo.empty_pages() == 1
    assert len(batch_qbo.calls) < single_qbo.pages_asked()
    # Three pages a request here: counts + 3 first pages, then the 5 pages left in two.
    assert batch_qbo.calls == ["batch", "batch", "batch"]


def test_changed_since_types_go_in_the_same_batch_and_incremental_takes_two_calls() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    import_run(qbo, records)
    qbo.calls.clear()
    vendor = dict(qbo.objects["Vendor"][0], DisplayName="Renamed")
    qbo.cdc_changes = {"Vendor": [vendor]}
    outcome, run = import_run(
        qbo, records, mode=SyncMode.INCREMENTAL, last_ok="2026-03-02T11:00:00Z"
    )
    assert outcome == DONE
    assert run.progress["TaxCode"].method == "updated_since"
    assert run.progress["Vendor"].method == "cdc"
    assert qbo.calls == ["cdc", "query"]  # TaxCode alone: one query, no batch needed
    assert run.progress["Vendor"].changed == 1

    qbo.calls.clear()
    types = (*TYPES, "TaxRate")
    qbo.objects["TaxRate"] = [dict(qbo.objects["TaxCode"][0], Id="900")]
    outcome, run = import_run(
        qbo, records, mode=SyncMode.INCREMENTAL, last_ok="2026-03-02T11:00:00Z", types=types
    )
    assert outcome == DONE
    assert qbo.calls == ["cdc", "batch"]  # TaxCode and TaxRate in one batch: 2 calls
    assert len(qbo.calls) <= 2


# -- fallback -----------------------------------------------------------------------------


def test_a_failed_batch_item_is_asked_alone_and_everything_is_imported() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    qbo.fail_items = ["FROM Vendor WHERE Active IN (true, false) ORDERBY Id STARTPOSITION 11"]
    outcome, run = import_run(qbo, records)
    assert outcome == DONE
    assert "query" in qbo.calls  # the failed item, alone
    assert len(records.items) == every_row()
    assert run.progress["Vendor"].fetched == SIZES["Vendor"]
    assert run.errors == []


def test_a_failed_count_is_asked_alone() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    qbo.fail_items = ["SELECT COUNT(*) FROM Customer"]
    outcome, _ = import_run(qbo, records)
    assert outcome == DONE
    assert qbo.calls.count("query") == 1
    assert len(records.items) == every_row()


def test_a_count_that_fails_alone_too_pages_on_until_a_short_page() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    qbo.fail_items = ["SELECT COUNT(*) FROM Customer"]
    qbo.fail_single = ["SELECT COUNT(*) FROM Customer"]
    outcome, run = import_run(qbo, records)
    assert outcome == DONE
    assert len(records.items) == every_row()
    assert run.progress["Customer"].status == "done"
    assert run.errors == []


def test_a_batch_refused_as_a_whole_is_asked_query_by_query() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    qbo.refuse_batch = True
    outcome, _ = import_run(qbo, records)
    assert outcome == DONE
    assert qbo.calls[0] == "batch" and qbo.calls[1] == "query"
    assert len(records.items) == every_row()


def test_a_query_that_fails_alone_too_fails_only_its_type() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    bad = "FROM Vendor WHERE Active IN (true, false) ORDERBY Id STARTPOSITION 11"
    qbo.fail_items = [bad]
    qbo.fail_single = [bad]
    outcome, run = import_run(qbo, records)
    assert outcome == DONE
    assert run.progress["Vendor"].status == "failed"
    assert [e.object_type for e in run.errors] == ["Vendor"]
    assert "QuickBooks refused importing Vendor" in run.errors[0].message
    for t in ("Customer", "Term", "TaxCode"):
        assert run.progress[t].status == "done"
        assert sum(1 for kind, _ in records.items if kind == t) == SIZES[t]


# -- DynamoDB work -------------------------------------------------------------------------


def test_a_first_import_reads_no_record_state_and_sweeps_nothing() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    import_run(qbo, records)
    # One probe per type ("is anything stored?"), then only writes.
    assert records.reads == Counter({"has_records": len(TYPES)})


def test_a_re_import_looks_states_up_and_sweeps() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    import_run(qbo, records)
    records.reads.clear()
    gone = qbo.objects["Vendor"].pop(0)
    outcome, run = import_run(qbo, records)
    assert outcome == DONE
    assert records.reads["states"] > 0
    # Each type's sweep, but Item's: nothing is stored for it, so nothing can be swept.
    assert records.reads["all_states"] == len(TYPES) - 1
    assert records.items[("Vendor", gone["Id"])]["deleted"] is True
    assert run.progress["Vendor"].deleted == 1
    assert run.progress["Vendor"].unchanged == SIZES["Vendor"] - 1


def test_a_type_reset_by_an_operator_is_a_first_import_again() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    import_run(qbo, records)
    for key in [k for k in records.items if k[0] == "Vendor"]:
        del records.items[key]
    records.reads.clear()
    import_run(qbo, records)
    assert records.reads["all_states"] == len(TYPES) - 2  # no sweep for Vendor (nor Item)


# -- checkpoints ---------------------------------------------------------------------------


def test_a_checkpoint_between_rounds_keeps_every_types_position() -> None:
    qbo, records = FakeQbo(), FakeRecords()
    # Time runs out after the first round (counts; Vendor's, Customer's, Item's page 1).
    outcome, run = import_run(qbo, records, time_left=lambda: 0)
    assert outcome == CHECKPOINT
    assert run.checkpoint is not None and run.checkpoint.phase == "query"
    resume = QueryResume.decode(run.checkpoint)
    assert resume.starts["Vendor"] == 11 and resume.counts["Vendor"] == SIZES["Vendor"]
    assert "Vendor" in resume.fresh
    outcome, run = import_run(qbo, records, run=run)
    assert outcome == DONE
    assert len(records.items) == every_row()
    for t in TYPES:
        assert run.progress[t].fetched == SIZES[t]
        assert run.progress[t].new == SIZES[t]
    assert qbo.empty_pages() == 1  # Item's, beside its count


def test_a_checkpoint_of_one_types_pass_still_resumes() -> None:
    resume = QueryResume.decode(Checkpoint("Vendor", "query", 2001))
    assert resume.starts == {"Vendor": 2001}
    assert resume.counts == {} and resume.fresh == set()


@pytest.mark.parametrize("count", [0, 10, 20, 25])
def test_a_pass_ends_on_its_count_or_a_short_page(count: int) -> None:
    p = TypePass("Vendor", "Vendor", "", "Id", full=True, count=count)
    rows = [{"Id": str(i)} for i in range(count)]
    while rows:
        page, rows = rows[:PAGE], rows[PAGE:]
        assert not p.ended
        p.take(page, PAGE)
    assert p.ended or count == 0
    assert p.complete_by_count()
