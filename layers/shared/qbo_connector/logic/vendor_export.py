"""AP suppliers into QBO as Vendors: created exactly once, matched or refused when QBO has
the name, updated without overwriting the accountant, deactivated as QBO does it.

State machine of one supplier (store: adapters.vendor_store; views: models.vendor)::

    submit ─► queued ─take─► exporting ─► exported (created, or matched)
                                     ├──► duplicate (an existing vendor, policy refuse)
                                     └──► failed (QBO refused it; a customer or employee
                                          holds the name)
    PUT / deactivate: exported ─► update requested ─(worker)─► done | conflict | refused

Who does what:

- `submit` (here): idempotent on ap_supplier_id (the same payload is the same answer; a
  different payload for an exported supplier is 409 `supplier_already_exported`: use PUT);
- `PushEngine` with `VendorSpec` (logic.vendor_push): the create — lease, look-up by name
  identity, batch, unknown-outcome recovery — shared with bills and payments;
- `export_pending` (here), the sync run's vendor step: the engine runs, each vendor
  created or matched is written into the imported master data (the RecordsTable row
  exactly as the importer writes it) *before* the log records it exported, so a bill can
  name its QBO id before any sync and no crash leaves an exported vendor out of the
  records;
  then requested updates and deactivations are done.

Updates (PUT) are done by the worker, not in the request: the API Lambda holds no QBO
client (tokens, the realm's rate limits and QBO's 120 s requests stay in the worker, as
for a payment's void), and the worker's read-compare-write is exactly once: the sparse
update carries the SyncToken just read (a concurrent edit makes QBO answer 5010: the next
run reads again) and a requestid derived from the attempt and that SyncToken. A PUT
sends only the fields that changed since what we last wrote (`sent`); fields a PUT omits
are left as QuickBooks has them. Before sending, the vendor is read: a field the
accountant changed since our `sent` value that the PUT changes too is a conflict, reported
field by field (`{field, ours_before, quickbooks_now, wanted}`) and not overwritten; the
others are sent. The update ends `done` (with `conflicts` if some were held back),
`conflict` (every change conflicted: nothing sent) or `refused` (QBO's words).

Deactivation is QBO's own: a sparse update `Active: false`. QuickBooks' UI will not make
a vendor with an open balance inactive without first settling it; we refuse the same
before sending (the open balance named). QBO names an inactive vendor "<name> (deleted)".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from qbo_connector.logic.bill_payments import money
from qbo_connector.logic.bill_submission import export_job_message, iso
from qbo_connector.logic.importer import display_name
from qbo_connector.logic.ports import QueuePort
from qbo_connector.logic.push_engine import (
    BATCH_SIZE,
    LEASE_SECONDS,
    SETTLE_SECONDS,
    PushContext,
    PushCounts,
    PushEngine,
    PushLogPort,
    digest,
)
from qbo_connector.logic.sync_context import SyncContext
from qbo_connector.logic.vendor_push import VendorSpec
from qbo_connector.models.bill import ExportState, StaleRecord
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.faults import QboError, QboStaleObjectError, QboValidationError
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.push import Duplicate, Failed, Outcome, Taken
from qbo_connector.models.record import RecordWrite, content_hash
from qbo_connector.models.vendor import (
    ADDRESS_FIELDS,
    WRITE_ONLY,
    ApSupplier,
    UpdateState,
    VendorExport,
    VendorStatus,
    fields_to_qbo,
    qbo_fields,
    same_value,
)
from qbo_connector.observability import logger

POLICIES = ("match", "refuse")


# -- ports -----------------------------------------------------------------------------------


class VendorLogPort(PushLogPort[VendorExport], Protocol):
    """The vendor log (adapters.vendor_store.VendorStore)."""

    def get(self, org_id: str, legal_entity_id: str, key: str) -> VendorExport | None: ...
    def get_many(
        self, org_id: str, legal_entity_id: str, ids: Sequence[str]
    ) -> list[VendorExport]: ...
    def list_page(
        self, org_id: str, legal_entity_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[VendorExport], str | None]: ...
    def put_pending(self, record: VendorExport, now: int) -> None: ...
    def create(self, record: VendorExport) -> None: ...
    def replace(self, record: VendorExport, previous: VendorExport) -> None: ...
    def ap_supplier_for_qbo_vendor(
        self, org_id: str, legal_entity_id: str, qbo_vendor_id: str
    ) -> str | None: ...
    def update_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]: ...
    def request_update(self, record: VendorExport, update: dict[str, Any], now: int) -> bool: ...
    def settle_update(
        self, record: VendorExport, update: dict[str, Any], now: int, **fields: Any
    ) -> bool: ...
    def drop_update(self, org_id: str, legal_entity_id: str, ap_supplier_id: str) -> None: ...


class RecordWriterPort(Protocol):
    """Writing imported master data (adapters.record_store.RecordStore.put_many): the row
    the importer would write for the object."""

    def put_many(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        records: list[RecordWrite],
        *,
        sync_id: str,
        imported_at: str,
    ) -> int: ...


def update_request_id(
    org_id: str, legal_entity_id: str, ap_supplier_id: str, attempt: int, sync_token: str
) -> str:
    """One update intent against one version of the vendor: a resend replays QBO's answer;
    a re-read vendor (new SyncToken) is a new intent."""
    return "vup-" + digest(org_id, legal_entity_id, ap_supplier_id, str(attempt), sync_token)[:32]


def record_write(vendor: dict[str, Any]) -> RecordWrite:
    """The RecordsTable row of a QBO vendor, as logic.importer writes it."""
    return RecordWrite(
        qbo_id=str(vendor["Id"]),
        hash=content_hash(vendor),
        active=vendor.get("Active", True) is not False,
        deleted=False,
        name=display_name(vendor),
        body=vendor,
        qbo_updated_at=(vendor.get("MetaData") or {}).get("LastUpdatedTime"),
    )


class _RefusingLog:
    """The engine's log, with one translation: a name held by a customer or employee comes
    from `VendorSpec.match` as a marked Duplicate (the engine's match cannot fail) and is
    recorded as what it is, `failed` (logic.vendor_push)."""

    def __init__(self, inner: VendorLogPort) -> None:
        self.inner = inner
        self.refused: list[tuple[VendorExport, dict[str, Any]]] = []

    def pending_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        return self.inner.pending_ids(org_id, legal_entity_id, limit)

    def take(
        self,
        org_id: str,
        legal_entity_id: str,
        ids: Sequence[str],
        owner: str,
        now: int,
        lease_seconds: int,
    ) -> Taken[VendorExport]:
        return self.inner.take(org_id, legal_entity_id, ids, owner, now, lease_seconds)

    def settle(self, record: VendorExport, owner: str, outcome: Outcome, now: int) -> bool:
        if isinstance(outcome, Duplicate) and outcome.duplicate_of.get("_refused"):
            failure = {k: v for k, v in outcome.duplicate_of.items() if k != "_refused"}
            failure["field"] = "display_name"
            done = self.inner.settle(record, owner, Failed(failure), now)
            if done:
                self.refused.append((record, failure))
            return done
        return self.inner.settle(record, owner, outcome, now)


class VendorExportService:
    """The vendor log's service: submission, reads, updates, deactivation and the sync
    run's vendor step."""

    def __init__(
        self,
        store: VendorLogPort,
        records: RecordWriterPort,
        clock: Callable[[], float] = time.time,
        existing_vendor: str | Callable[[LegalEntity], str] = "match",
        queue: QueuePort | None = None,
        lease_seconds: int = LEASE_SECONDS,
        settle_seconds: int = SETTLE_SECONDS,
        batch_size: int = BATCH_SIZE,
        after_batch: Callable[[list[VendorExport], Sequence[Any]], None] | None = None,
        enabled: Callable[[LegalEntity], bool] | None = None,
    ) -> None:
        if isinstance(existing_vendor, str) and existing_vendor not in POLICIES:
            raise ValueError(f"existing_vendor must be one of {POLICIES}")
        self.store = store
        self.records = records
        self.clock = clock
        self.queue = queue
        self.existing_vendor = existing_vendor
        # Whether the legal entity exports vendors (its profile's export_vendors); None: yes.
        self.enabled = enabled
        self.log = _RefusingLog(store)
        self.spec = VendorSpec(
            clock,
            lambda ctx: self.policy(ctx.entity),
            store.ap_supplier_for_qbo_vendor,
            on_exported=lambda ctx, vendor: self._write_records(ctx, [vendor]),
        )
        self.engine: PushEngine[VendorExport, ApSupplier] = PushEngine(
            self.spec, self.log, clock, lease_seconds, settle_seconds, batch_size, after_batch
        )

    def policy(self, entity: LegalEntity) -> str:
        """The legal entity's existing_vendor policy: "match" or "refuse"."""
        chosen = (
            self.existing_vendor
            if isinstance(self.existing_vendor, str)
            else self.existing_vendor(entity)
        )
        return chosen if chosen in POLICIES else "match"

    # -- submission ---------------------------------------------------------------------

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        """Queue an AP supplier's vendor; idempotent on ap_supplier_id (module doc)."""
        self._connected(entity)
        sent = ApSupplier.parse(body, entity.country)
        existing = self.store.get(entity.org_id, entity.legal_entity_id, sent.ap_supplier_id)
        digest_sent = sent.payload_hash()
        if (
            existing is not None
            and existing.payload_hash == digest_sent
            and existing.state != ExportState.FAILED
        ):
            return existing.view()
        if existing is not None and existing.state in (
            ExportState.EXPORTED,
            ExportState.EXPORTING,
        ):
            raise Conflict(
                f"AP supplier {sent.ap_supplier_id} was already "
                f"{'exported' if existing.state == ExportState.EXPORTED else 'sent'} to "
                "QuickBooks with different content; change an exported supplier with PUT "
                f"/legal-entities/{{id}}/vendors/{sent.ap_supplier_id}.",
                code="supplier_already_exported",
                details={"state": str(existing.state), "qbo_vendor_id": existing.qbo_vendor_id},
            )
        return self._queue(entity, sent, existing)

    def _queue(
        self, entity: LegalEntity, sent: ApSupplier, existing: VendorExport | None
    ) -> dict[str, Any]:
        now = int(self.clock())
        record = VendorExport(
            org_id=entity.org_id,
            legal_entity_id=entity.legal_entity_id,
            ap_supplier_id=sent.ap_supplier_id,
            supplier=sent.to_dict(),
            payload_hash=sent.payload_hash(),
            generation=(existing.generation + 1) if existing else 1,
            submitted_at=iso(now),
            updated_at=iso(now),
        )
        self.store.put_pending(record, now)
        try:
            if existing is None:
                self.store.create(record)
            else:
                self.store.replace(record, existing)
        except StaleRecord:
            raise self._raced(sent.ap_supplier_id) from None
        self._enqueue(entity)
        return record.view()

    def _connected(self, entity: LegalEntity) -> None:
        if not (entity.realm_id or entity.data_realm_id):
            raise PreconditionFailed(
                f"{entity.name} is not connected to QuickBooks; connect it before submitting "
                "suppliers.",
                code="not_connected",
            )
        if self.enabled is not None and not self.enabled(entity):
            raise PreconditionFailed(
                "Vendors are not exported for this legal entity: export_vendors is off in its "
                "sync profile. Ask support to turn it on (put_sync_profile).",
                code="vendors_not_enabled",
            )

    def _enqueue(self, entity: LegalEntity) -> None:
        if self.queue is None:
            return
        try:
            self.queue.send(export_job_message(entity.org_id, entity.legal_entity_id))
        except Exception as exc:  # noqa: BLE001 - safely queued; the next sync exports it
            logger.warning("export job not enqueued", extra={"error_type": type(exc).__name__})

    @staticmethod
    def _raced(ap_supplier_id: str) -> Conflict:
        return Conflict(
            f"AP supplier {ap_supplier_id} changed while this request was processed; look at "
            "its state and send the request again.",
            code="supplier_changed_concurrently",
        )

    # -- reads ------------------------------------------------------------------------------

    def show(self, entity: LegalEntity, ap_supplier_id: str) -> dict[str, Any]:
        return self._get(entity, ap_supplier_id).view()

    def _get(self, entity: LegalEntity, ap_supplier_id: str) -> VendorExport:
        validate_id(ap_supplier_id, "apSupplierId")
        record = self.store.get(entity.org_id, entity.legal_entity_id, ap_supplier_id)
        if record is None:
            raise NotFound(
                f"No AP supplier {ap_supplier_id} was submitted to this legal entity.",
                code="supplier_not_found",
            )
        return record

    def list_page(
        self, entity: LegalEntity, state: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        wanted = {str(s) for s in VendorStatus}
        if state is not None and state not in wanted:
            raise InvalidInput(f"state must be one of {', '.join(sorted(wanted))}.", field="state")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.", field="limit")
        page, next_cursor = self.store.list_page(
            entity.org_id, entity.legal_entity_id, state, limit, cursor
        )
        return {"items": [r.view() for r in page], "next_cursor": next_cursor}

    # -- updates (PUT) and deactivation -------------------------------------------------------

    def update(self, entity: LegalEntity, ap_supplier_id: str, body: Any) -> dict[str, Any]:
        """PUT: the supplier as it should be now. Not yet exported: it replaces the queued
        (or failed, or duplicate) submission. Exported: the changed fields are sent by the
        worker as a sparse update, conflicts with the accountant's edits held back."""
        self._connected(entity)
        record = self._get(entity, ap_supplier_id)
        if isinstance(body, dict):
            if body.get("ap_supplier_id", ap_supplier_id) != ap_supplier_id:
                raise InvalidInput(
                    f"ap_supplier_id in the body ({body.get('ap_supplier_id')}) is not the "
                    f"supplier of the path ({ap_supplier_id}); leave it out or make them equal.",
                    field="ap_supplier_id",
                )
            body = {**body, "ap_supplier_id": ap_supplier_id}
        new = ApSupplier.parse(body, entity.country)
        if record.state == ExportState.EXPORTING:
            raise Conflict(
                f"AP supplier {ap_supplier_id} is being sent to QuickBooks; send the change "
                "once it is exported.",
                code="supplier_exporting",
            )
        if record.state != ExportState.EXPORTED:
            if record.payload_hash == new.payload_hash() and record.state == ExportState.QUEUED:
                return record.view()
            return self._queue(entity, new, record)
        pending = record.update or {}
        if pending.get("state") == UpdateState.REQUESTED:
            if record.payload_hash == new.payload_hash() and pending.get("kind") == "update":
                return record.view()
            raise Conflict(
                f"An earlier change of AP supplier {ap_supplier_id} is still being sent to "
                "QuickBooks; send this one once its update is done.",
                code="update_in_progress",
            )
        if record.active is False:
            raise Conflict(
                f"AP supplier {ap_supplier_id} was deactivated in QuickBooks; reactivate the "
                "vendor there before changing it.",
                code="vendor_inactive",
            )
        if record.payload_hash == new.payload_hash():
            return record.view()
        sent = record.sent or {}
        wanted = {
            name: value
            for name, value in new.fields().items()
            if value is not None and not same_value(value, sent.get(name))
        }
        now = int(self.clock())
        update: dict[str, Any] = {
            "kind": "update",
            "state": str(UpdateState.REQUESTED if wanted else UpdateState.DONE),
            "attempt": int(pending.get("attempt", 0)) + 1,
            "requested_at": iso(now),
            "wanted": wanted,
        }
        if not wanted:
            update["message"] = "Nothing to send: QuickBooks already has these values from us."
        changed = replace(record, supplier=new.to_dict(), payload_hash=new.payload_hash())
        if not self.store.request_update(changed, update, now):
            raise self._raced(ap_supplier_id)
        if wanted:
            self._enqueue(entity)
        else:
            self.store.drop_update(entity.org_id, entity.legal_entity_id, ap_supplier_id)
        return self._get(entity, ap_supplier_id).view()

    def deactivate(
        self, entity: LegalEntity, ap_supplier_id: str, reason: str | None = None
    ) -> dict[str, Any]:
        """Make the exported vendor inactive in QBO (Active=false), by the worker."""
        self._connected(entity)
        record = self._get(entity, ap_supplier_id)
        if record.state != ExportState.EXPORTED:
            raise Conflict(
                f"AP supplier {ap_supplier_id} is {record.state}; only an exported vendor "
                "can be deactivated (nothing of it is in QuickBooks otherwise).",
                code="vendor_not_exported",
            )
        pending = record.update or {}
        if record.active is False or (
            pending.get("kind") == "deactivate" and pending.get("state") == UpdateState.REQUESTED
        ):
            return record.view()
        if pending.get("state") == UpdateState.REQUESTED:
            raise Conflict(
                f"A change of AP supplier {ap_supplier_id} is still being sent to QuickBooks; "
                "deactivate it once that update is done.",
                code="update_in_progress",
            )
        now = int(self.clock())
        update: dict[str, Any] = {
            "kind": "deactivate",
            "state": str(UpdateState.REQUESTED),
            "attempt": int(pending.get("attempt", 0)) + 1,
            "requested_at": iso(now),
        }
        if reason:
            update["reason"] = str(reason)[:500]
        if not self.store.request_update(record, update, now):
            raise self._raced(ap_supplier_id)
        self._enqueue(entity)
        return self._get(entity, ap_supplier_id).view()

    # -- the sync run's vendor step ---------------------------------------------------------

    def export_pending(self, ctx: SyncContext) -> PushCounts:
        """Create what is queued, write the new vendors into the master data, then send the
        requested updates and deactivations."""
        self.spec.matched_keys = []
        self.log.refused = []
        counts = self.engine.run(ctx)
        # A refusal without sending is a failure, not a duplicate (see _RefusingLog).
        counts.duplicate -= len(self.log.refused)
        counts.failed += len(self.log.refused)
        for record, failure in self.log.refused:
            ctx.run.add_error(
                f"AP supplier {record.key}: {failure['message']}",
                code=str(failure.get("code", "name_in_use")),
                object_type="Vendor",
            )
        extra = self._do_updates(ctx)
        # A match comes back from the engine as `Ours` (recovered): count it as matched.
        matched = len([k for k in self.spec.matched_keys if k in counts.exported_keys])
        counts.recovered -= matched
        ctx.run.progress(
            "Vendor",
            status="done",
            method="export",
            **{k: v for k, v in {**counts.as_dict(), "matched": matched, **extra}.items() if v},
        )
        return counts

    def _write_records(self, ctx: PushContext, vendors: list[dict[str, Any]]) -> None:
        """Into the RecordsTable at once, as the importer would write them (the next import
        finds them unchanged or refreshes them)."""
        if not vendors:
            return
        self.records.put_many(
            ctx.org_id,
            ctx.legal_entity_id,
            "Vendor",
            [record_write(v) for v in vendors],
            sync_id=ctx.sync_id or "vendor-export",
            imported_at=iso(self.clock()),
        )

    def _do_updates(self, ctx: SyncContext) -> dict[str, int]:
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        counts: dict[str, int] = {}
        ids = self.store.update_ids(org_id, legal_entity_id)
        for record in self.store.get_many(org_id, legal_entity_id, ids):
            update = dict(record.update or {})
            if update.get("state") != UpdateState.REQUESTED or not record.qbo_vendor_id:
                self.store.drop_update(org_id, legal_entity_id, record.key)
                continue
            try:
                if update.get("kind") == "deactivate":
                    outcome = self._deactivate(ctx, record, update)
                else:
                    outcome = self._update(ctx, record, update)
            except QboError as err:
                # Unknown or transient: the update stays requested; the next run reads again.
                logger.warning(
                    "vendor update not answered", extra={"error_type": type(err).__name__}
                )
                continue
            if outcome is None:
                continue
            update, fields, vendor = outcome
            if self.store.settle_update(record, update, int(self.clock()), **fields):
                key = f"update_{update['state']}"
                counts[key] = counts.get(key, 0) + 1
                if vendor is not None:
                    self._write_records(ctx, [vendor])
                if update["state"] in (UpdateState.REFUSED, UpdateState.CONFLICT):
                    ctx.run.add_error(
                        f"AP supplier {record.key}: {update.get('message', '')}",
                        code=f"vendor_update_{update['state']}",
                        object_type="Vendor",
                    )
        return counts

    def _send(
        self,
        ctx: SyncContext,
        record: VendorExport,
        update: dict[str, Any],
        current: dict[str, Any],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        client = ctx.client
        token = str(current.get("SyncToken", "0"))
        return client.update(
            "Vendor",
            {"Id": record.qbo_vendor_id, "SyncToken": token, **body},
            request_id=update_request_id(
                ctx.org_id, ctx.legal_entity_id, record.key, int(update.get("attempt", 1)), token
            ),
            sparse=True,
        )

    @staticmethod
    def _refused(
        update: dict[str, Any], message: str, fault: QboError | None = None
    ) -> dict[str, Any]:
        update.update(state=str(UpdateState.REFUSED), message=message)
        if fault is not None:
            update["qbo_error"] = {"code": fault.code, "intuit_tid": fault.intuit_tid}
        return update

    def _deactivate(
        self, ctx: SyncContext, record: VendorExport, update: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
        current = ctx.client.read("Vendor", str(record.qbo_vendor_id))
        now = iso(self.clock())
        if current.get("Active", True) is False:
            update.update(
                state=str(UpdateState.DONE),
                done_at=now,
                message="The vendor was already inactive in QuickBooks.",
            )
            return (
                update,
                {"active": False, "qbo_sync_token": str(current.get("SyncToken"))},
                current,
            )
        balance = money(current.get("Balance"))
        if balance != 0:
            message = (
                f"QuickBooks vendor {record.qbo_vendor_id} has an open balance of {balance}; "
                "QuickBooks does not make a vendor with an open balance inactive. Pay or credit "
                "its open bills, then request the deactivation again."
            )
            return self._refused(update, message), {}, None
        try:
            done = self._send(ctx, record, update, current, {"Active": False})
        except QboStaleObjectError:
            return None  # changed meanwhile: the next run reads it again
        except QboValidationError as fault:
            message = (
                f"QuickBooks refused to make vendor {record.qbo_vendor_id} inactive: "
                f"{fault.detail or fault.message}. It stays active; resolve that in QuickBooks "
                "and request the deactivation again."
            )
            return self._refused(update, message, fault), {}, None
        update.update(state=str(UpdateState.DONE), done_at=now)
        return update, {"active": False, "qbo_sync_token": str(done.get("SyncToken"))}, done

    def _update(
        self, ctx: SyncContext, record: VendorExport, update: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
        current = ctx.client.read("Vendor", str(record.qbo_vendor_id))
        if current.get("Active", True) is False:
            message = (
                f"QuickBooks vendor {record.qbo_vendor_id} is inactive; nothing was changed. "
                "Reactivate it in QuickBooks and send the change again."
            )
            return self._refused(update, message), {"active": False}, None
        now_values = qbo_fields(current)
        sent = dict(record.sent or {})
        to_send: dict[str, Any] = {}
        conflicts: list[dict[str, Any]] = []
        for name, wanted in (update.get("wanted") or {}).items():
            before = sent.get(name)
            if name in WRITE_ONLY:
                to_send[name] = wanted
                continue
            have = now_values.get(name)
            if same_value(have, wanted):
                sent[name] = wanted  # QuickBooks has it already
            elif same_value(have, before):
                to_send[name] = wanted
            else:
                conflicts.append(
                    {"field": name, "ours_before": before, "quickbooks_now": have, "wanted": wanted}
                )
        stamp = iso(self.clock())
        update["conflicts"] = conflicts
        if not to_send:
            if conflicts:
                names = ", ".join(c["field"] for c in conflicts)
                update.update(
                    state=str(UpdateState.CONFLICT),
                    done_at=stamp,
                    message=(
                        f"The accountant changed {names} in QuickBooks since we last wrote it; "
                        "nothing was overwritten. Send QuickBooks' value (quickbooks_now) to "
                        "accept it, or ask the accountant to change it back."
                    ),
                )
            else:
                update.update(state=str(UpdateState.DONE), done_at=stamp, sent_fields=[])
            return update, {"sent": sent}, None
        body = fields_to_qbo(to_send)
        if "BillAddr" in body:  # one aggregate: keep what we do not change
            address = {
                k: v
                for k, v in (current.get("BillAddr") or {}).items()
                if k in ("Id", *ADDRESS_FIELDS.values())
            }
            body["BillAddr"] = {**address, **body["BillAddr"]}
        try:
            done = self._send(ctx, record, update, current, body)
        except QboStaleObjectError:
            return None
        except QboValidationError as fault:
            message = (
                f"QuickBooks refused the change of vendor {record.qbo_vendor_id}: "
                f"{fault.detail or fault.message}. Nothing was changed; correct the supplier "
                "and send it again."
            )
            return self._refused(update, message, fault), {}, None
        sent.update(to_send)
        update.update(state=str(UpdateState.DONE), done_at=stamp, sent_fields=sorted(to_send))
        if conflicts:
            update["message"] = (
                "Sent, except the fields the accountant changed in QuickBooks since we last "
                "wrote them (conflicts): those were not overwritten."
            )
        fields = {"sent": sent, "qbo_sync_token": str(done.get("SyncToken"))}
        return update, fields, done
