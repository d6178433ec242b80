"""Submitting approved AP invoices to the export log, reading it, and the ops mark.

`submit` is idempotent on the AP invoice id, refuses a PDF outside the invoice bucket's
`<org_id>/<legal_entity_id>/` prefix and references the last sync did not import (or
imported inactive/deleted), and claims vendor + invoice number identity
(models.bill.invoice_number_identity) in the log so a second invoice with the same
number becomes a `duplicate`, not a second bill. The export itself is
logic.bill_export; the state machine is described there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.ports import BillLogPort, MasterDataPort, QueuePort
from qbo_connector.models.bill import (
    BILL,
    BILL_STATES,
    WAITING_FOR_VENDOR,
    ApInvoice,
    BillExport,
    Claim,
    ClaimHeld,
    DocumentKind,
    ExportState,
    StaleRecord,
    check_pdf_location,
    dup_key,
    qbo_bill_link,
)
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.object_types import WORDS
from qbo_connector.observability import logger

# A claim younger than this may belong to a submission between its steps (API Gateway
# ends a request after 30 s): only an older one left by a crash is taken over.
CLAIM_GRACE_SECONDS = 120


def export_job_message(org_id: str, legal_entity_id: str) -> dict[str, Any]:
    """The `export_bills` queue message a submission sends (logic.bill_export runs it)."""
    return {"kind": "export_bills", "org_id": org_id, "legal_entity_id": legal_entity_id}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class BillSubmission:
    """Submission, reads and the ops mark of the export log (BillExportService's)."""

    def __init__(
        self,
        store: BillLogPort,
        master_data: MasterDataPort,
        queue: QueuePort | None,
        clock: Callable[[], float],
        invoice_bucket: str,
        kind: DocumentKind = BILL,
        po_check: Callable[[LegalEntity, ApInvoice], None] | None = None,
    ) -> None:
        self.kind = kind
        # The PO-matching rules of a matched bill (logic.purchase_orders.check).
        self.po_check = po_check
        self.store = store
        self.master = master_data
        self.queue = queue
        self.clock = clock
        self.invoice_bucket = invoice_bucket  # the only bucket a bill's PDF may come from

    # -- submission -------------------------------------------------------------------

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        """Queue an approved invoice; idempotent on ap_invoice_id."""
        if not (entity.realm_id or entity.data_realm_id):
            raise PreconditionFailed(
                f"{entity.name} is not connected to QuickBooks; connect it and run a sync "
                "before submitting bills.",
                code="not_connected",
            )
        return self.submit_invoice(entity, ApInvoice.parse(body))

    def submit_invoice(
        self, entity: LegalEntity, invoice: ApInvoice, enqueue: bool = True
    ) -> dict[str, Any]:
        """`submit` of a parsed invoice (logic.vendor_wait hands a waiting bill's here once
        its vendor exists)."""
        if invoice.ap_supplier_id is not None:
            raise PreconditionFailed(
                f"This legal entity does not export vendors (export_vendors is off in its "
                f"sync profile), so a {self.kind.noun} cannot name an AP supplier; give "
                "vendor_id, or ask support to turn export_vendors on.",
                code="vendors_not_enabled",
                field="ap_supplier_id",
            )
        if self.kind is not BILL:
            for i, line in enumerate(invoice.lines):
                if line.purchase_order_id:
                    raise InvalidInput(
                        f"lines[{i}].purchase_order_id: a {self.kind.noun} does not bill a "
                        "purchase order; leave the purchase order out.",
                        field=f"lines[{i}].purchase_order_id",
                    )
        org_id, legal_entity_id = entity.org_id, entity.legal_entity_id
        # Before anything is read or stored: one organization never names another's PDF.
        check_pdf_location(invoice.pdf, org_id, legal_entity_id, self.invoice_bucket)
        digest = invoice.payload_hash()
        existing = self.store.get(org_id, legal_entity_id, invoice.ap_invoice_id)
        # The same payload again is the same answer, except after a failure: resending a
        # failed invoice (its cause fixed in QuickBooks) is how a person retries it.
        if (
            existing is not None
            and existing.payload_hash == digest
            and existing.state != ExportState.FAILED
        ):
            return existing.view(entity.realm_id)
        if existing is not None and existing.state in (ExportState.EXPORTED, ExportState.EXPORTING):
            raise Conflict(
                f"AP invoice {invoice.ap_invoice_id} was already "
                f"{'exported' if existing.state == ExportState.EXPORTED else 'sent'} to "
                "QuickBooks with different content; a bill is never changed after export. "
                "Change it in QuickBooks, or submit the correction as a new AP invoice.",
                code="bill_already_exported",
                details={"state": str(existing.state), "qbo_bill_id": existing.qbo_bill_id},
            )
        self.check_references(org_id, legal_entity_id, invoice)
        if self.po_check is not None:
            self.po_check(entity, invoice)
        now = int(self.clock())
        record = BillExport(
            org_id=org_id,
            legal_entity_id=legal_entity_id,
            ap_invoice_id=invoice.ap_invoice_id,
            invoice=invoice.to_dict(),
            payload_hash=digest,
            dup_key=dup_key(org_id, legal_entity_id, invoice.vendor_id, invoice.number_identity),
            generation=(existing.generation + 1) if existing else 1,
            submitted_at=iso(now),
            updated_at=iso(now),
        )
        claim = (invoice.vendor_id, invoice.number_identity)
        old_claim = None
        if existing is not None and not existing.waiting:  # a waiting bill claims nothing
            old = existing.parsed
            if (old.vendor_id, old.number_identity) != claim:
                # Released after the new record is written, and only if still ours.
                old_claim = (old.vendor_id, old.number_identity)
        record = self._store_with_claim(record, existing, claim, old_claim)
        if record.state == ExportState.QUEUED and enqueue:
            self._enqueue(entity)
        return record.view(entity.realm_id)

    def _store_with_claim(
        self,
        record: BillExport,
        existing: BillExport | None,
        claim: tuple[str, str],
        old_claim: tuple[str, str] | None,
    ) -> BillExport:
        """Claim vendor + number, then write the record; the loser of a race is a duplicate.

        Steps (each repeatable, no transaction): (1) the claim, conditional on being free,
        ours, or exactly the stale claim we inspected; (2) the outbox marker; (3) the
        record, conditional on what we read; (4) release of the old number's claim;
        (5) for a resubmission, re-read of the claim: if a racing submission took it over
        meanwhile (possible while our old record read failed/duplicate), our queued record
        steps down to `duplicate` (conditional on still being queued).
        """
        org_id, legal_entity_id = record.org_id, record.legal_entity_id
        take_over: Claim | None = None
        for _ in range(4):
            try:
                self.store.take_claim(record, claim, take_over, int(self.clock()))
                break
            except ClaimHeld as held:
                if not held.owner:
                    take_over = None  # released meanwhile: just try again
                    continue
                owner = self.store.get(org_id, legal_entity_id, held.owner)
                if self._claim_is_stale(owner, held, claim):
                    take_over = Claim(held.owner, held.token, held.at)
                    continue
                duplicate = replace(
                    record,
                    state=ExportState.DUPLICATE,
                    duplicate_of=self._log_duplicate(record, owner, held.owner),
                )
                return self._write(duplicate, existing, claim, old_claim)
        else:
            raise self._raced(record)
        return self._write(record, existing, claim, old_claim)

    def _claim_is_stale(
        self, owner: BillExport | None, held: ClaimHeld, claim: tuple[str, str]
    ) -> bool:
        """May this claim be taken over? A failed or duplicate holder no longer uses the
        number (the token guards against its resubmission); a missing holder, or one
        whose record carries another number, is a crash leftover once it is older than
        any submission in flight (younger, it may be a submission between its steps)."""
        if owner is not None and owner.state in (ExportState.FAILED, ExportState.DUPLICATE):
            return True
        if owner is not None:
            inv = owner.parsed
            if (inv.vendor_id, inv.number_identity) == claim:
                return False
        return held.at < int(self.clock()) - CLAIM_GRACE_SECONDS

    def _write(
        self,
        record: BillExport,
        existing: BillExport | None,
        claim: tuple[str, str],
        old_claim: tuple[str, str] | None,
    ) -> BillExport:
        org_id, legal_entity_id = record.org_id, record.legal_entity_id
        now = int(self.clock())
        if record.state == ExportState.QUEUED:
            self.store.put_pending(record, now)
        try:
            if existing is None:
                self.store.create(record)
            else:
                self.store.replace(record, existing)
        except StaleRecord:
            raise self._raced(record) from None
        if old_claim is not None:
            self.store.release_claim(org_id, legal_entity_id, old_claim, record.ap_invoice_id)
        if record.state != ExportState.QUEUED:
            if existing is not None:  # the replaced queued record's marker, if any
                self.store.drop_pending(
                    org_id, legal_entity_id, record.ap_invoice_id, record.generation
                )
            return record
        if existing is None:
            # A brand-new invoice's claim can only be taken over once it is older than
            # CLAIM_GRACE_SECONDS (far beyond the API's 29 s): nobody raced us.
            return record
        holder = self.store.claim(org_id, legal_entity_id, *claim)
        if holder is not None and holder.owner != record.ap_invoice_id:
            owner = self.store.get(org_id, legal_entity_id, holder.owner)
            dup = self._log_duplicate(record, owner, holder.owner)
            if self.store.demote_to_duplicate(record, dup, now):
                return replace(record, state=ExportState.DUPLICATE, duplicate_of=dup)
        return record

    @staticmethod
    def _raced(record: BillExport) -> Conflict:
        return Conflict(
            f"AP invoice {record.ap_invoice_id} changed while this request was processed; "
            "send it again.",
            code="bill_changed_concurrently",
        )

    @staticmethod
    def _log_duplicate(
        record: BillExport, owner: BillExport | None, owner_id: str
    ) -> dict[str, Any]:
        inv = record.invoice
        out: dict[str, Any] = {"source": "export_log", "ap_invoice_id": owner_id}
        if owner is not None and owner.qbo_bill_id:
            out["qbo_bill_id"] = owner.qbo_bill_id
            out["qbo_link"] = qbo_bill_link(owner.qbo_bill_id)
        out["message"] = (
            f"AP invoice {owner_id} already has invoice number {inv['invoice_number']} for "
            f"vendor {inv['vendor_id']}; this one was not exported. If it is a different "
            "invoice, correct its invoice number and submit it again."
        )
        return out

    def check_references(self, org_id: str, legal_entity_id: str, invoice: ApInvoice) -> None:
        """Every reference is an active imported record."""
        refs = invoice.references()
        found = self.master.lookup(
            org_id, legal_entity_id, [(kind, qbo_id) for _, kind, qbo_id in refs]
        )
        problems: list[dict[str, str]] = []
        for field_name, kind, qbo_id in refs:
            word = WORDS.get(kind, kind)
            record = found.get((kind, qbo_id))
            if record is None or record.deleted:
                problems.append(
                    {
                        "field": field_name,
                        "message": (
                            f"{field_name} '{qbo_id}' is not a {word} in this legal entity's "
                            f"QuickBooks company (as of the last sync); run a sync if it was just "
                            f"added, or choose another {word}."
                        ),
                    }
                )
            elif not record.active:
                problems.append(
                    {
                        "field": field_name,
                        "message": (
                            f"{field_name} '{qbo_id}' is the {word} '{record.name}', which "
                            "is inactive in QuickBooks; reactivate it there and sync, or "
                            f"choose another {word}."
                        ),
                    }
                )
        if problems:
            first = problems[0]
            more = f" ({len(problems) - 1} more in details)" if len(problems) > 1 else ""
            raise InvalidInput(
                first["message"] + more,
                field=first["field"],
                code="unknown_reference",
                details={"problems": problems},
            )

    def _enqueue(self, entity: LegalEntity) -> None:
        profile = entity.sync_profile or {}
        if self.queue is None or not profile.get(self.kind.profile_flag):
            return
        try:
            self.queue.send(export_job_message(entity.org_id, entity.legal_entity_id))
        except Exception as exc:  # noqa: BLE001 - the bill is safely queued; SmartSync exports it
            logger.warning("export job not enqueued", extra={"error_type": type(exc).__name__})

    # -- reads ------------------------------------------------------------------------

    def show(self, entity: LegalEntity, ap_invoice_id: str) -> dict[str, Any]:
        validate_id(ap_invoice_id, "apInvoiceId")
        record = self.store.get(entity.org_id, entity.legal_entity_id, ap_invoice_id)
        if record is None:
            raise NotFound(
                f"No AP invoice {ap_invoice_id} was submitted to this legal entity.",
                code="bill_not_found",
            )
        return record.view(entity.realm_id)

    def list_page(
        self, entity: LegalEntity, state: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        if state is not None and state not in BILL_STATES:
            raise InvalidInput(f"state must be one of {', '.join(BILL_STATES)}.", field="state")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.", field="limit")
        # A waiting bill is stored queued: both filters read queued records, then the view.
        stored = str(ExportState.QUEUED) if state == WAITING_FOR_VENDOR else state
        items: list[dict[str, Any]] = []
        next_cursor = cursor
        while True:
            page, next_cursor = self.store.list_page(
                entity.org_id, entity.legal_entity_id, stored, limit - len(items), next_cursor
            )
            views = [r.view(entity.realm_id) for r in page]
            items += [v for v in views if state is None or v["state"] == state]
            if next_cursor is None or len(items) >= limit:
                break
        return {"items": items, "next_cursor": next_cursor}

    # -- ops ----------------------------------------------------------------------------

    def mark_exported(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_invoice_id: Any,
        qbo_bill_id: str | None,
        operator: str,
    ) -> dict[str, Any]:
        """A duplicate that *is* the existing QBO bill: record it as exported against it."""
        record = self.store.get(
            org_id, legal_entity_id, validate_id(ap_invoice_id, "ap_invoice_id")
        )
        if record is None:
            raise NotFound(
                f"No AP invoice {ap_invoice_id} in {org_id}/{legal_entity_id}.",
                code="bill_not_found",
            )
        if record.state != ExportState.DUPLICATE:
            raise Conflict(
                f"AP invoice {ap_invoice_id} is {record.state}, not duplicate; only "
                "a duplicate can be marked exported.",
                code="not_a_duplicate",
            )
        target = qbo_bill_id or (record.duplicate_of or {}).get("qbo_bill_id")
        if not target:
            raise InvalidInput(
                "qbo_bill_id is required: the duplicate does not name an existing QuickBooks bill.",
                field="qbo_bill_id",
            )
        validate_id(str(target), "qbo_bill_id")
        owner = self.store.ap_invoice_for_qbo_bill(org_id, legal_entity_id, str(target))
        if owner and owner != ap_invoice_id:
            raise Conflict(
                f"QuickBooks bill {target} is already the export of AP invoice "
                f"{owner}; one QuickBooks bill stands for one AP invoice.",
                code="qbo_bill_taken",
            )
        now = int(self.clock())
        try:
            self.store.mark_exported(
                record, str(target), now, {"operator": operator or "ops", "at": iso(now)}
            )
        except StaleRecord:
            raise Conflict(
                f"AP invoice {ap_invoice_id} changed while it was being marked; "
                "look at its state and try again.",
                code="bill_changed_concurrently",
            ) from None
        updated = self.store.get(org_id, legal_entity_id, ap_invoice_id)
        assert updated is not None
        return updated.view()
