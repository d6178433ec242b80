"""In-memory fakes of the ports logic depends on, and small builders for the unit suite.

Each fake keeps the *conditions* of its adapter (a lease taken only when free or
expired, a claim taken only when free, ours or the exact stale one inspected, a replace
only over the record that was read), because those conditions are what the logic
relies on; none of them touches AWS, the network or moto. Each has the shape of its
port in logic/ports.py: mypy checks it where a test hands it to a service.
"""

from __future__ import annotations

import builtins
import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from qbo_connector.logic.ports import CompanyAccessRefused, CompanySnapshot
from qbo_connector.logic.schedule_rules import ScheduleRule
from qbo_connector.models.bill import (
    FINAL_STATES,
    BillExport,
    Claim,
    ClaimHeld,
    ExportState,
    StaleRecord,
)
from qbo_connector.models.caller import SERVICE, SYSTEM_ADMINISTRATOR, Caller
from qbo_connector.models.faults import RealmAlreadyClaimed, ScheduleQuotaExceeded
from qbo_connector.models.legal_entity import CompanyPreferences, ConnectionState, LegalEntity
from qbo_connector.models.oauth_attempt import Consumed, OAuthAttempt, PendingConnection
from qbo_connector.models.push import (
    Duplicate,
    Exported,
    Failed,
    Held,
    Outcome,
    Requeued,
    Taken,
)
from qbo_connector.models.record import MasterRecord
from qbo_connector.models.sync_run import SyncRun
from qbo_connector.models.tokens import TokenSet

ORG = "org-1"
OTHER_ORG = "org-2"
LE = "le-1"
REALM = "9130350000000001"
BUCKET = "invoice-bucket"

# 2026-03-02T12:00:00Z, a Monday.
T0 = 1_772_452_800.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- callers --------------------------------------------------------------------------------


def root_admin(org_id: str = ORG) -> Caller:
    return Caller("u-root", org_id, SYSTEM_ADMINISTRATOR, "ou-root", True, name="Root Admin")


def branch_admin(org_id: str = ORG) -> Caller:
    return Caller("u-branch", org_id, SYSTEM_ADMINISTRATOR, "ou-branch", False)


def clerk(org_id: str = ORG) -> Caller:
    # Even with the root org unit as home, an AP clerk is not an administrator.
    return Caller("u-clerk", org_id, "APClerk", "ou-root", True)


def service(org_id: str = ORG) -> Caller:
    return Caller("ap-platform", org_id, SERVICE, "", False)


def stranger() -> Caller:
    """A root System Administrator of another organization."""
    return root_admin(OTHER_ORG)


CALLERS: dict[str, Callable[..., Caller]] = {
    "root_admin": root_admin,
    "branch_admin": branch_admin,
    "clerk": clerk,
    "service": service,
    "stranger": stranger,
}


# -- legal entities -------------------------------------------------------------------------


def entity(**fields: Any) -> LegalEntity:
    """A connected legal entity with a sync profile (override any field)."""
    base: dict[str, Any] = {
        "org_id": ORG,
        "legal_entity_id": LE,
        "name": "Acme West",
        "created_at": "2026-01-01T00:00:00Z",
        "connection_state": ConnectionState.CONNECTED,
        "realm_id": REALM,
        "data_realm_id": REALM,
        "company_name": "Acme West Inc",
        "sync_profile": {"object_types": ["Vendor", "Account"], "export_bills": True},
    }
    base.update(fields)
    return LegalEntity(**base)


class Entities:
    """The legal entity store (adapters.legal_entity_store) in a dict."""

    def __init__(self, *entities: LegalEntity) -> None:
        self.items: dict[tuple[str, str], LegalEntity] = {}
        self.realms: dict[str, tuple[str, str]] = {}
        for e in entities:
            self.put(e)

    def put(self, e: LegalEntity) -> None:
        self.items[(e.org_id, e.legal_entity_id)] = e
        if e.realm_id and e.connection_state == ConnectionState.CONNECTED:
            self.realms[e.realm_id] = (e.org_id, e.legal_entity_id)

    def one(self, org_id: str = ORG, legal_entity_id: str = LE) -> LegalEntity:
        """What the store holds now (for the test to read; KeyError if nothing)."""
        return dataclasses.replace(self.items[(org_id, legal_entity_id)])

    def get(self, org_id: str, legal_entity_id: str) -> LegalEntity | None:
        found = self.items.get((org_id, legal_entity_id))
        return dataclasses.replace(found) if found else None

    def list(self, org_id: str) -> builtins.list[LegalEntity]:
        return [dataclasses.replace(e) for (org, _), e in self.items.items() if org == org_id]

    def scan_connected(self) -> Iterator[LegalEntity]:
        for e in list(self.items.values()):
            if e.connection_state == ConnectionState.CONNECTED:
                yield dataclasses.replace(e)

    def create(self, e: LegalEntity) -> bool:
        if (e.org_id, e.legal_entity_id) in self.items:
            return False  # registration is idempotent
        self.put(e)
        return True

    def delete(self, org_id: str, legal_entity_id: str) -> None:
        self.items.pop((org_id, legal_entity_id), None)

    def update(self, org_id: str, legal_entity_id: str, **fields: Any) -> None:
        current = self.items[(org_id, legal_entity_id)]  # KeyError: the real one fails too
        if "connection_state" in fields:
            fields["connection_state"] = ConnectionState(fields["connection_state"])
        self.items[(org_id, legal_entity_id)] = dataclasses.replace(current, **fields)

    def realm_owner(self, realm_id: str) -> tuple[str, str] | None:
        return self.realms.get(realm_id)

    def bind_realm(self, e: LegalEntity) -> None:
        assert e.realm_id
        owner = self.realms.get(e.realm_id)
        if owner is not None and owner != (e.org_id, e.legal_entity_id):
            raise RealmAlreadyClaimed(*owner)
        self.realms[e.realm_id] = (e.org_id, e.legal_entity_id)
        self.items[(e.org_id, e.legal_entity_id)] = e

    def release_realm(self, realm_id: str, org_id: str, legal_entity_id: str) -> None:
        if self.realms.get(realm_id) == (org_id, legal_entity_id):
            del self.realms[realm_id]

    def acquire_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, now: int, lease_seconds: int
    ) -> str | None:
        e = self.items[(org_id, legal_entity_id)]
        free = (
            e.running_sync_id is None
            or (e.sync_lease_expires_at or 0) < now
            or e.running_sync_id == sync_id
        )
        if not free:
            return e.running_sync_id
        self.items[(org_id, legal_entity_id)] = dataclasses.replace(
            e, running_sync_id=sync_id, sync_lease_expires_at=now + lease_seconds
        )
        return None

    def renew_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, expires_at: int
    ) -> bool:
        e = self.items.get((org_id, legal_entity_id))
        if e is None or e.running_sync_id != sync_id:
            return False
        self.items[(org_id, legal_entity_id)] = dataclasses.replace(
            e, sync_lease_expires_at=expires_at
        )
        return True

    def release_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, last_sync: dict[str, Any]
    ) -> None:
        e = self.items[(org_id, legal_entity_id)]
        if e.running_sync_id != sync_id:
            return
        self.items[(org_id, legal_entity_id)] = dataclasses.replace(
            e, running_sync_id=None, sync_lease_expires_at=None, last_sync=last_sync
        )


# -- sync runs and the sync queue -------------------------------------------------------------


class Runs:
    """The sync run store in a dict, newest first like the table's sort."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], SyncRun] = {}

    def create(self, run: SyncRun) -> None:
        key = (run.org_id, run.legal_entity_id, run.sync_id)
        assert key not in self.items, "a sync id is created once"
        self.items[key] = dataclasses.replace(run)

    def save(self, run: SyncRun) -> None:
        self.items[(run.org_id, run.legal_entity_id, run.sync_id)] = dataclasses.replace(run)

    def finish_if_open(self, run: SyncRun) -> bool:
        key = (run.org_id, run.legal_entity_id, run.sync_id)
        current = self.items.get(key)
        if current is None or current.status.finished:
            return False
        self.items[key] = dataclasses.replace(run)
        return True

    def one(self, org_id: str, legal_entity_id: str, sync_id: str) -> SyncRun:
        """What the store holds now (for the test to read; KeyError if nothing)."""
        return dataclasses.replace(self.items[(org_id, legal_entity_id, sync_id)])

    def get(self, org_id: str, legal_entity_id: str, sync_id: str) -> SyncRun | None:
        found = self.items.get((org_id, legal_entity_id, sync_id))
        return dataclasses.replace(found) if found else None

    def list(
        self, org_id: str, legal_entity_id: str, limit: int = 20, cursor: str | None = None
    ) -> tuple[builtins.list[SyncRun], str | None]:
        runs = sorted(
            (r for (o, le, _), r in self.items.items() if (o, le) == (org_id, legal_entity_id)),
            key=lambda r: r.sync_id,
        )
        start = int(cursor) if cursor else 0
        page = runs[start : start + limit]
        more = start + limit < len(runs)
        return page, (str(start + limit) if more else None)

    def of(self, legal_entity_id: str = LE) -> builtins.list[SyncRun]:
        return [r for (_, le, _), r in self.items.items() if le == legal_entity_id]


class SyncQueue:
    """The sync queue (adapters.sync_queue) and the bill export queue."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.steps: list[tuple[int, int]] = []  # (step, delay_seconds) of each sent
        self.messages: list[dict[str, Any]] = []
        self.fail = fail

    def send_sync(
        self,
        org_id: str,
        legal_entity_id: str,
        sync_id: str,
        step: int = 0,
        delay_seconds: int = 0,
    ) -> str:
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.sent.append((org_id, legal_entity_id, sync_id))
        self.steps.append((step, delay_seconds))
        return f"s-{len(self.sent)}"

    def send(self, message: dict[str, Any], delay_seconds: int = 0) -> str:
        if self.fail:
            raise RuntimeError("queue unavailable")
        self.messages.append(message)
        return f"m-{len(self.messages)}"


# -- master data and the bill export log ------------------------------------------------------


class MasterData:
    """Imported QBO records, by (type, QuickBooks id)."""

    def __init__(self, records: dict[tuple[str, str], MasterRecord] | None = None) -> None:
        self.records = dict(records or {})

    def add(self, kind: str, qbo_id: str, name: str = "", active: bool = True) -> None:
        self.records[(kind, qbo_id)] = MasterRecord(name or f"{kind} {qbo_id}", active, False)

    def lookup(
        self,
        org_id: str,
        le_id: str,
        refs: Iterable[tuple[str, str]],
        with_body: bool = False,
    ) -> dict[tuple[str, str], MasterRecord]:
        return {ref: self.records[ref] for ref in refs if ref in self.records}


class BillStore:
    """The bill export log (adapters.bill_export_store) with its conditional writes."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], BillExport] = {}
        self.claims: dict[tuple[str, str, str, str], Claim] = {}
        self.pending: dict[tuple[str, str, str], int] = {}  # -> generation
        self.pending_at: dict[tuple[str, str, str], int] = {}
        self.attach: set[tuple[str, str, str]] = set()
        self.qbo_ids: dict[tuple[str, str, str], str] = {}
        self._tokens = itertools.count(1)
        self.takes = 0  # crossings into the store by the push engine
        self.settled: list[tuple[str, Outcome]] = []

    # reads
    def get(self, org_id: str, le_id: str, ap_invoice_id: str) -> BillExport | None:
        found = self.records.get((org_id, le_id, ap_invoice_id))
        return dataclasses.replace(found) if found else None

    def ap_invoice_for_qbo_bill(self, org_id: str, le_id: str, qbo_bill_id: str) -> str | None:
        return self.qbo_ids.get((org_id, le_id, qbo_bill_id))

    def list_page(
        self, org_id: str, le_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[BillExport], str | None]:
        items = sorted(
            (
                r
                for (o, le, _), r in self.records.items()
                if (o, le) == (org_id, le_id) and (state is None or str(r.state) == state)
            ),
            key=lambda r: r.ap_invoice_id,
        )
        start = int(cursor) if cursor else 0
        more = start + limit < len(items)
        return items[start : start + limit], (str(start + limit) if more else None)

    # claims
    def claim(self, org_id: str, le_id: str, vendor_id: str, identity: str) -> Claim | None:
        return self.claims.get((org_id, le_id, vendor_id, identity))

    def take_claim(
        self,
        record: BillExport,
        claim: tuple[str, str],
        take_over: Claim | None = None,
        now: int = 0,
    ) -> None:
        key = (record.org_id, record.legal_entity_id, *claim)
        held = self.claims.get(key)
        if (
            held is None
            or held.owner == record.ap_invoice_id
            or (take_over is not None and held == take_over)
        ):
            self.claims[key] = Claim(record.ap_invoice_id, f"t{next(self._tokens)}", now)
            return
        raise ClaimHeld(held.owner, held.token, held.at)

    def release_claim(
        self, org_id: str, le_id: str, claim: tuple[str, str], ap_invoice_id: str
    ) -> None:
        key = (org_id, le_id, *claim)
        if key in self.claims and self.claims[key].owner == ap_invoice_id:
            del self.claims[key]

    # outbox markers
    def put_pending(self, record: BillExport, now: int) -> None:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        self.pending[key] = record.generation
        self.pending_at[key] = now

    def drop_pending(
        self,
        org_id: str,
        le_id: str,
        ap_invoice_id: str,
        up_to_generation: int | None,
        older_than: int | None = None,
    ) -> None:
        key = (org_id, le_id, ap_invoice_id)
        if key not in self.pending:
            return
        if up_to_generation is not None and self.pending[key] > up_to_generation:
            return
        if (
            up_to_generation is None
            and older_than is not None
            and self.pending_at.get(key, 0) >= older_than
        ):
            return
        del self.pending[key]
        self.pending_at.pop(key, None)

    # records
    def create(self, record: BillExport) -> None:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        if key in self.records:
            raise StaleRecord()
        self.records[key] = dataclasses.replace(record)

    def replace(self, record: BillExport, previous: BillExport) -> None:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        current = self.records.get(key)
        if current is None or (current.state, current.payload_hash, current.generation) != (
            previous.state,
            previous.payload_hash,
            previous.generation,
        ):
            raise StaleRecord()
        self.records[key] = dataclasses.replace(record)

    def demote_to_duplicate(
        self, record: BillExport, duplicate_of: dict[str, Any], now: int
    ) -> bool:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        current = self.records.get(key)
        if (
            current is None
            or current.state != ExportState.QUEUED
            or current.generation != record.generation
        ):
            return False
        self.records[key] = dataclasses.replace(
            current, state=ExportState.DUPLICATE, duplicate_of=duplicate_of
        )
        self.drop_pending(*key, record.generation)
        return True

    def mark_exported(
        self, record: BillExport, qbo_bill_id: str, now: int, marked_by: dict[str, Any]
    ) -> None:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        current = self.records.get(key)
        if current is None or current.state != record.state:
            raise StaleRecord()
        self.records[key] = dataclasses.replace(
            current,
            state=ExportState.EXPORTED,
            qbo_bill_id=qbo_bill_id,
            exported_at="2026-03-02T12:00:00Z",
            marked_by=marked_by,
        )
        self.qbo_ids[(record.org_id, record.legal_entity_id, qbo_bill_id)] = record.ap_invoice_id

    # the push engine's intents (adapters.bill_export_store: take, settle)
    def pending_ids(self, org_id: str, le_id: str, limit: int = 10_000) -> list[str]:
        keys = [k for k in self.pending if k[:2] == (org_id, le_id)]
        keys.sort(key=lambda k: (self.pending_at.get(k, 0), k[2]))
        return [k[2] for k in keys][:limit]

    def get_many(self, org_id: str, le_id: str, ids: Iterable[str]) -> list[BillExport]:
        return [r for i in dict.fromkeys(ids) if (r := self.get(org_id, le_id, i)) is not None]

    def take(
        self,
        org_id: str,
        le_id: str,
        ids: Iterable[str],
        owner: str,
        now: int,
        lease_seconds: int,
    ) -> Taken[BillExport]:
        taken: Taken[BillExport] = Taken()
        self.takes += 1
        for ap_invoice_id in ids:
            record = self.get(org_id, le_id, ap_invoice_id)
            if record is None:
                self.drop_pending(org_id, le_id, ap_invoice_id, None, now - lease_seconds)
            elif record.state in FINAL_STATES:
                self.drop_pending(org_id, le_id, ap_invoice_id, record.generation)
            elif record.state == ExportState.EXPORTING and (record.lease_until or 0) >= now:
                taken.busy += 1
            else:
                recovering = record.state == ExportState.EXPORTING
                leased = dataclasses.replace(
                    record,
                    state=ExportState.EXPORTING,
                    lease_owner=owner,
                    lease_until=now + lease_seconds,
                    attempts=record.attempts + 1,
                )
                self.records[(org_id, le_id, ap_invoice_id)] = leased
                taken.leased.append((record, recovering))
        return taken

    def settle(self, record: BillExport, owner: str, outcome: Outcome, now: int) -> bool:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        current = self.records.get(key)
        if (
            current is None
            or current.state != ExportState.EXPORTING
            or current.lease_owner != owner
            or current.generation != record.generation
        ):
            return False
        self.settled.append((record.ap_invoice_id, outcome))
        done: dict[str, Any] = {"lease_owner": None, "lease_until": None}
        match outcome:
            case Exported(fields=fields):
                bill_id = str(fields["qbo_bill_id"])
                self.qbo_ids[(record.org_id, record.legal_entity_id, bill_id)] = (
                    record.ap_invoice_id
                )
                if record.invoice.get("pdf"):
                    self.attach.add(key)
                # (`recovered` is kept in the item, not in BillExport: the count shows it)
                new = dataclasses.replace(current, state=ExportState.EXPORTED, **done, **fields)
            case Duplicate(duplicate_of=duplicate_of):
                new = dataclasses.replace(
                    current, state=ExportState.DUPLICATE, duplicate_of=duplicate_of, **done
                )
            case Failed(failure=failure):
                new = dataclasses.replace(
                    current,
                    state=ExportState.FAILED,
                    failure=failure,
                    generation=current.generation + 1,
                    **done,
                )
            case Requeued(last_error=last_error):
                new = dataclasses.replace(
                    current, state=ExportState.QUEUED, last_error=last_error, **done
                )
            case Held(until=until, last_error=last_error):
                new = dataclasses.replace(
                    current, lease_until=until, last_error=last_error or current.last_error
                )
        self.records[key] = new
        if new.state in FINAL_STATES:
            self.drop_pending(*key, new.generation)
        return True

    # attachments and payment state
    def attachment_ids(self, org_id: str, le_id: str, limit: int = 10_000) -> list[str]:
        return sorted(k[2] for k in self.attach if k[:2] == (org_id, le_id))[:limit]

    def set_attachment(self, record: BillExport, attachment: dict[str, Any], done: bool) -> None:
        key = (record.org_id, record.legal_entity_id, record.ap_invoice_id)
        self.records[key] = dataclasses.replace(self.records[key], attachment=attachment)
        if done:
            self.attach.discard(key)

    def drop_attachment(self, org_id: str, le_id: str, ap_invoice_id: str) -> None:
        self.attach.discard((org_id, le_id, ap_invoice_id))

    def set_payment(
        self, org_id: str, le_id: str, ap_invoice_id: str, payment: dict[str, Any]
    ) -> None:
        key = (org_id, le_id, ap_invoice_id)
        self.records[key] = dataclasses.replace(self.records[key], payment=payment)

    # test helpers
    def one(self, ap_invoice_id: str, org_id: str = ORG, legal_entity_id: str = LE) -> BillExport:
        """The stored record, which the test knows exists."""
        record = self.get(org_id, legal_entity_id, ap_invoice_id)
        assert record is not None, f"no record {ap_invoice_id}"
        return record

    def holder(self, vendor_id: str, identity: str) -> str:
        """Who holds the vendor + number claim, which the test knows is held."""
        claim = self.claim(ORG, LE, vendor_id, identity)
        assert claim is not None, f"no claim on {vendor_id} {identity}"
        return claim.owner

    def set_state(self, ap_invoice_id: str, state: ExportState, **fields: Any) -> None:
        key = next(k for k in self.records if k[2] == ap_invoice_id)
        self.records[key] = dataclasses.replace(self.records[key], state=state, **fields)


def bill_service(
    store: BillStore | None = None,
    master: MasterData | None = None,
    queue: SyncQueue | None = None,
    clock: Clock | None = None,
    invoice_bucket: str = BUCKET,
) -> Any:
    """The bill export service as wiring builds it, on fakes (no documents adapter needed
    for submission). The one place to change if its constructor changes."""
    from qbo_connector.logic.bill_export import BillExportService

    return BillExportService(
        store=store if store is not None else BillStore(),
        master_data=master if master is not None else MasterData(),
        documents=None,  # type: ignore[arg-type]  # submission never reads a PDF
        queue=queue,
        clock=clock or Clock(),
        invoice_bucket=invoice_bucket,
    )


# -- the sync schedules (EventBridge Scheduler, legacy rules) ---------------------------------


class ScheduleRules:
    def __init__(self, quota_exceeded: bool = False) -> None:
        self.applied: dict[tuple[str, str], tuple[ScheduleRule, ...]] = {}
        self.enabled: dict[tuple[str, str], bool] = {}
        self.quota_exceeded = quota_exceeded
        self.calls: list[tuple[str, str, str]] = []
        self.hints: dict[tuple[str, str], dict[str, Any]] = {}

    def apply(
        self,
        org_id: str,
        legal_entity_id: str,
        rules: Sequence[ScheduleRule],
        *,
        enabled: bool = True,
        previous: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> list[str]:
        self.calls.append(("apply", org_id, legal_entity_id))
        self.hints[(org_id, legal_entity_id)] = {
            "previous": None if previous is None else list(previous),
            "legacy": legacy,
        }
        if self.quota_exceeded:
            raise ScheduleQuotaExceeded(legal_entity_id)
        self.applied[(org_id, legal_entity_id)] = tuple(rules)
        self.enabled[(org_id, legal_entity_id)] = enabled
        return [rule.name for rule in rules]

    def remove(
        self,
        org_id: str,
        legal_entity_id: str,
        *,
        known: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> int:
        self.calls.append(("remove", org_id, legal_entity_id))
        removed = len(self.applied.pop((org_id, legal_entity_id), ()))
        self.enabled.pop((org_id, legal_entity_id), None)
        return removed

    def enable(self, org_id: str, legal_entity_id: str) -> int:
        self.calls.append(("enable", org_id, legal_entity_id))
        self.enabled[(org_id, legal_entity_id)] = True
        return len(self.applied.get((org_id, legal_entity_id), ()))

    def disable(self, org_id: str, legal_entity_id: str) -> int:
        self.calls.append(("disable", org_id, legal_entity_id))
        self.enabled[(org_id, legal_entity_id)] = False
        return len(self.applied.get((org_id, legal_entity_id), ()))


# -- connecting: OAuth attempts, token vault, Intuit ----------------------------------------------


class Attempts:
    """The OAuth attempt store (adapters.oauth_attempt_store): single-use, browser-bound."""

    def __init__(self) -> None:
        self.locks: dict[tuple[str, str], OAuthAttempt] = {}
        self.launches: dict[str, OAuthAttempt] = {}
        self.states: dict[str, OAuthAttempt] = {}
        self.confirmations: dict[str, PendingConnection] = {}

    def pending(self, org_id: str, legal_entity_id: str, now: int) -> OAuthAttempt | None:
        lock = self.locks.get((org_id, legal_entity_id))
        return lock if lock is not None and lock.expires_at > now else None

    def begin(self, attempt: OAuthAttempt, now: int) -> OAuthAttempt | None:
        key = (attempt.org_id, attempt.legal_entity_id)
        previous = self.pending(*key, now)
        if previous is not None and previous.user_id != attempt.user_id:
            return previous
        if previous is not None:
            self.launches.pop(previous.attempt_hash, None)
            if previous.state_hash:
                self.states.pop(previous.state_hash, None)
        self.locks[key] = attempt
        self.launches[attempt.attempt_hash] = attempt
        return None

    def launch(self, attempt_hash: str, state_hash: str, browser_hash: str) -> OAuthAttempt | None:
        old = self.launches.pop(attempt_hash, None)
        if old is None:
            return None
        attempt = dataclasses.replace(old, state_hash=state_hash, browser_hash=browser_hash)
        self.states[state_hash] = attempt
        key = (attempt.org_id, attempt.legal_entity_id)
        if key in self.locks and self.locks[key].attempt_hash == attempt_hash:
            self.locks[key] = attempt
        return attempt

    def consume(self, state_hash: str, browser_hash: str) -> tuple[Consumed, OAuthAttempt | None]:
        attempt = self.states.get(state_hash)
        if attempt is None:
            return Consumed.UNKNOWN, None
        if attempt.browser_hash != browser_hash:
            return Consumed.OTHER_BROWSER, None
        del self.states[state_hash]
        return Consumed.OK, attempt

    def hold(self, pending: PendingConnection) -> None:
        self.confirmations[pending.confirmation_hash] = pending

    def take(
        self, confirmation_hash: str, browser_hash: str
    ) -> tuple[Consumed, PendingConnection | None]:
        pending = self.confirmations.get(confirmation_hash)
        if pending is None:
            return Consumed.UNKNOWN, None
        if pending.browser_hash != browser_hash:
            return Consumed.OTHER_BROWSER, None
        del self.confirmations[confirmation_hash]
        return Consumed.OK, pending

    def expired_confirmations(self, now: int) -> list[PendingConnection]:
        return [p for p in self.confirmations.values() if p.expires_at <= now]

    def forget(self, pending: PendingConnection) -> None:
        self.confirmations.pop(pending.confirmation_hash, None)

    def finish(self, attempt: OAuthAttempt) -> None:
        key = (attempt.org_id, attempt.legal_entity_id)
        if key in self.locks and self.locks[key].attempt_hash == attempt.attempt_hash:
            del self.locks[key]


def tokens(
    access_token: str, refresh_token: str, refresh_hard_expires_at: float | None = None
) -> TokenSet:
    """Intuit's tokens as the OAuth adapter hands them out (an hour, then 100 days)."""
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token,
        access_expires_at=T0 + 3600,
        refresh_expires_at=T0 + 100 * 86400,
        realm_id="",
        refresh_hard_expires_at=refresh_hard_expires_at,
    )


class Vault:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], TokenSet] = {}
        self.held: dict[tuple[str, str, str], TokenSet] = {}

    def load(self, org_id: str, legal_entity_id: str) -> TokenSet | None:
        return self.saved.get((org_id, legal_entity_id))

    def save(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
        self.saved[(org_id, legal_entity_id)] = tokens

    def delete(self, org_id: str, legal_entity_id: str) -> None:
        self.saved.pop((org_id, legal_entity_id), None)

    def hold_pending(self, org_id: str, legal_entity_id: str, key: str, tokens: TokenSet) -> None:
        self.held[(org_id, legal_entity_id, key)] = tokens

    def take_pending(self, org_id: str, legal_entity_id: str, key: str) -> TokenSet | None:
        return self.held.get((org_id, legal_entity_id, key))

    def drop_pending(self, org_id: str, legal_entity_id: str, key: str) -> None:
        self.held.pop((org_id, legal_entity_id, key), None)


class OAuth:
    """Intuit's OAuth endpoints: hands out tokens, remembers what was revoked."""

    def __init__(self, exchange_fails: bool = False, revoke_fails: bool = False) -> None:
        self.exchange_fails = exchange_fails
        self.revoke_fails = revoke_fails
        self.revoked: list[str] = []
        self.states: list[str] = []
        self._n = itertools.count(1)

    def authorization_url(self, state: str, scopes: list[str]) -> str:
        self.states.append(state)
        return f"https://appcenter.intuit.com/connect/oauth2?state={state}"

    def exchange_code(self, code: str, realm_id: str) -> TokenSet:
        if self.exchange_fails:
            raise RuntimeError("invalid_grant")
        n = next(self._n)
        return dataclasses.replace(tokens(f"access-{n}", f"refresh-{n}"), realm_id=realm_id)

    def revoke(self, token: str) -> None:
        if self.revoke_fails:
            raise RuntimeError("Intuit down")
        self.revoked.append(token)

    def user_info(self, access_token: str) -> dict[str, Any]:
        return {"email": "owner@acme.example"}


class Companies:
    """Reads the company a fresh token belongs to; refuses realms it does not know."""

    def __init__(self, *realms: str, down: bool = False) -> None:
        self.realms = set(realms)
        self.down = down

    def read(self, realm_id: str, access_token: str) -> CompanySnapshot:
        if self.down:
            raise TimeoutError("QBO timeout")
        if realm_id not in self.realms:
            raise CompanyAccessRefused("403")
        return CompanySnapshot(
            f"Company {realm_id}", "US", CompanyPreferences(warn_duplicate_bill_number=True)
        )
