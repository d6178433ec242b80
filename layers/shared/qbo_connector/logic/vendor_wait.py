"""A bill (or a vendor credit) for a supplier whose vendor is still being created.

The AP platform onboards a supplier (POST .../vendors) and submits the supplier's first
invoice at once, naming the supplier by `ap_supplier_id` instead of a QuickBooks
`vendor_id` it does not have yet. What happens depends on the supplier's export::

    submit(ap_supplier_id) ─┬─ vendor exported ──► the bill, as if vendor_id were given
                            ├─ vendor queued or being created
                            │      ──► waiting_for_vendor (stored queued, `waiting` set:
                            │          the lease refuses it, no vendor + number claimed)
                            │             │ the sync run's vendor step creates the vendor,
                            │             ▼ then the bill step's `release`:
                            │          vendor exported ──► submitted with its QBO id
                            │                              (claim, duplicate rules) ──► queued
                            │          vendor failed / duplicate ──► failed, naming why
                            └─ vendor failed, duplicate or unknown ──► refused (409 / 400)

Everything about the bill but its vendor is checked when it is submitted (shape, PDF
location, references), so a waiting bill fails later only for its vendor's sake (or a
number already used by the vendor, which only the vendor's id can tell). The same body
sent again while it waits is the same answer; sent again once it is released, it is the
released bill (the supplier now resolves to its vendor id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from qbo_connector.logic.bill_submission import BillSubmission, iso
from qbo_connector.logic.ports import BillExportStorePort
from qbo_connector.logic.push_engine import PushContext
from qbo_connector.models.bill import (
    ApInvoice,
    BillExport,
    DocumentKind,
    ExportState,
    StaleRecord,
    check_pdf_location,
    dup_key,
)
from qbo_connector.models.errors import (
    Conflict,
    DomainError,
    InvalidInput,
)
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.vendor import VendorExport


class SupplierLookupPort(Protocol):
    """The vendor log, read (adapters.vendor_store.VendorStore)."""

    def get(self, org_id: str, legal_entity_id: str, key: str) -> VendorExport | None: ...
    def get_many(self, org_id: str, legal_entity_id: str, ids: list[str]) -> list[VendorExport]: ...


def supplier_refusal(kind: DocumentKind, supplier: VendorExport) -> dict[str, Any] | None:
    """Why a bill cannot be exported for this supplier (its vendor will not be created),
    or None while it may still be."""
    sup = supplier.ap_supplier_id
    if supplier.state == ExportState.DUPLICATE:
        dup = supplier.duplicate_of or {}
        existing = dup.get("qbo_vendor_id")
        use = (
            f" To export the {kind.noun} for that vendor, submit it with vendor_id {existing}."
            if existing
            else ""
        )
        return {
            "code": "supplier_not_created",
            "field": "ap_supplier_id",
            "message": f"The vendor of AP supplier {sup} was not created: "
            f"{dup.get('message', 'QuickBooks already has it.')}{use}",
            "qbo_vendor_id": existing,
        }
    if supplier.state == ExportState.FAILED:
        failure = supplier.failure or {}
        return {
            "code": "supplier_failed",
            "field": "ap_supplier_id",
            "message": f"The vendor of AP supplier {sup} could not be created: "
            f"{failure.get('message', 'QuickBooks refused it.')} Once its vendor is "
            f"created, submit this {kind.noun} again.",
        }
    return None


class VendorWait:
    """`submit` with `ap_supplier_id`, and the bill step's `release` of waiting bills."""

    def __init__(
        self,
        submission: BillSubmission,
        store: BillExportStorePort,
        suppliers: SupplierLookupPort,
        clock: Callable[[], float],
        enabled: Callable[[LegalEntity], bool] | None = None,
    ) -> None:
        self.submission = submission
        self.kind = submission.kind
        self.store = store
        self.suppliers = suppliers
        self.clock = clock
        # Whether the legal entity exports vendors (its profile's export_vendors).
        self.enabled = enabled

    # -- submission ---------------------------------------------------------------------

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        if not (entity.realm_id or entity.data_realm_id):
            return self.submission.submit(entity, body)  # the not-connected answer
        invoice = ApInvoice.parse(body)
        supplier_id = invoice.ap_supplier_id
        if supplier_id is None:
            return self.submission.submit_invoice(entity, invoice)
        noun = self.kind.noun
        if self.enabled is not None and not self.enabled(entity):
            return self.submission.submit_invoice(entity, invoice)  # vendors_not_enabled
        supplier = self.suppliers.get(entity.org_id, entity.legal_entity_id, supplier_id)
        if supplier is None:
            raise InvalidInput(
                f"No AP supplier {supplier_id} was submitted to this legal entity; submit it "
                f"(POST /legal-entities/{{id}}/vendors) before its {noun}, or give vendor_id.",
                field="ap_supplier_id",
                code="unknown_supplier",
            )
        if supplier.state == ExportState.EXPORTED and supplier.qbo_vendor_id:
            resolved = replace(invoice, vendor_id=supplier.qbo_vendor_id, ap_supplier_id=None)
            return {
                **self.submission.submit_invoice(entity, resolved),
                "ap_supplier_id": supplier_id,
            }
        refusal = supplier_refusal(self.kind, supplier)
        if refusal is not None:
            raise Conflict(
                refusal["message"],
                code=refusal["code"],
                field="ap_supplier_id",
                details={k: v for k, v in refusal.items() if k == "qbo_vendor_id" and v},
            )
        return self._wait(entity, invoice, supplier)

    def _wait(
        self, entity: LegalEntity, invoice: ApInvoice, supplier: VendorExport
    ) -> dict[str, Any]:
        org_id, legal_entity_id = entity.org_id, entity.legal_entity_id
        check_pdf_location(invoice.pdf, org_id, legal_entity_id, self.submission.invoice_bucket)
        digest = invoice.payload_hash()
        existing = self.store.get(org_id, legal_entity_id, invoice.ap_invoice_id)
        if existing is not None and existing.payload_hash == digest and existing.waiting:
            return existing.view(entity.realm_id)
        if existing is not None and existing.state in (ExportState.EXPORTED, ExportState.EXPORTING):
            raise Conflict(
                f"AP invoice {invoice.ap_invoice_id} was already sent to QuickBooks for vendor "
                f"{existing.invoice.get('vendor_id')}; a {self.kind.noun} is never changed "
                "after export.",
                code="bill_already_exported",
                details={"state": str(existing.state), "qbo_bill_id": existing.qbo_bill_id},
            )
        self.submission.check_references(org_id, legal_entity_id, invoice)
        now = int(self.clock())
        record = BillExport(
            org_id=org_id,
            legal_entity_id=legal_entity_id,
            ap_invoice_id=invoice.ap_invoice_id,
            invoice=invoice.to_dict(),
            payload_hash=digest,
            # The vendor is not known yet: the legacy index gets the supplier instead.
            dup_key=dup_key(
                org_id,
                legal_entity_id,
                f"ap-supplier-{supplier.ap_supplier_id}",
                invoice.number_identity,
            ),
            generation=(existing.generation + 1) if existing else 1,
            submitted_at=iso(now),
            updated_at=iso(now),
            waiting={
                "ap_supplier_id": supplier.ap_supplier_id,
                "reason": (
                    f"Waiting for the vendor of AP supplier {supplier.ap_supplier_id} "
                    f"('{supplier.supplier.get('display_name')}') to be created in QuickBooks; "
                    f"the {self.kind.noun} is exported right after."
                ),
            },
        )
        # The marker first (as every submission), so the bill step finds it to release.
        self.store.put_pending(record, now)
        try:
            if existing is None:
                self.store.create(record)
            else:
                self.store.replace(record, existing)
        except StaleRecord:
            raise Conflict(
                f"AP invoice {invoice.ap_invoice_id} changed while this request was processed; "
                "send it again.",
                code="bill_changed_concurrently",
            ) from None
        if existing is not None and not existing.waiting and existing.state == ExportState.QUEUED:
            old = existing.parsed  # a queued bill now waiting no longer holds its number
            self.store.release_claim(
                org_id, legal_entity_id, (old.vendor_id, old.number_identity), existing.key
            )
        return record.view(entity.realm_id)

    # -- the bill step: release what waited -----------------------------------------------

    def release(self, ctx: PushContext) -> int:
        """Submit each waiting bill whose vendor now exists (the run then exports it), fail
        those whose vendor will not be; answers how many were released."""
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        pending = self.store.get_many(
            org_id, legal_entity_id, self.store.pending_ids(org_id, legal_entity_id)
        )
        waiting = [r for r in pending if r.state == ExportState.QUEUED and r.waiting]
        if not waiting:
            return 0
        wanted = sorted({str((r.waiting or {})["ap_supplier_id"]) for r in waiting})
        suppliers = {
            s.ap_supplier_id: s for s in self.suppliers.get_many(org_id, legal_entity_id, wanted)
        }
        released = 0
        for record in waiting:
            supplier = suppliers.get(str((record.waiting or {})["ap_supplier_id"]))
            if supplier is None:
                self._fail(
                    record,
                    {
                        "code": "unknown_supplier",
                        "field": "ap_supplier_id",
                        "message": f"AP supplier {(record.waiting or {})['ap_supplier_id']} is no "
                        f"longer known here; submit the {self.kind.noun} with vendor_id.",
                    },
                )
                continue
            if supplier.state == ExportState.EXPORTED and supplier.qbo_vendor_id:
                released += self._release(ctx, record, supplier.qbo_vendor_id)
                continue
            refusal = supplier_refusal(self.kind, supplier)
            if refusal is not None:
                self._fail(record, refusal)
        return released

    def _release(self, ctx: PushContext, record: BillExport, qbo_vendor_id: str) -> int:
        invoice = replace(record.parsed, vendor_id=qbo_vendor_id, ap_supplier_id=None)
        try:
            self.submission.submit_invoice(ctx.entity, invoice, enqueue=False)
        except DomainError as refused:
            current = self.store.get(record.org_id, record.legal_entity_id, record.key)
            if current is not None and current.waiting and current.state == ExportState.QUEUED:
                self._fail(
                    current,
                    {"code": refused.code, "message": refused.message}
                    | ({"field": refused.field} if refused.field else {}),
                )
            return 0
        return 1

    def _fail(self, record: BillExport, failure: dict[str, Any]) -> None:
        """waiting → failed (conditional on the record read): a person resubmits it."""
        now = int(self.clock())
        failed = replace(
            record,
            state=ExportState.FAILED,
            failure={k: v for k, v in failure.items() if v is not None},
            updated_at=iso(now),
        )
        try:
            self.store.replace(failed, record)
        except StaleRecord:
            return  # resubmitted meanwhile: the new submission decides
        self.store.drop_pending(
            record.org_id, record.legal_entity_id, record.key, record.generation
        )
