"""Approved AP invoices into QBO as Bills: exactly once, duplicates refused, payments back.

State machine of one invoice (store: adapters.bill_export_store)::

    submit ──► queued ──take──► exporting ──► exported ──(payments)──► exported
                 ▲                │  │  └────► duplicate ──(ops mark)──► exported
                 └──requeue───────┘  └───────► failed
    (a lease that runs out lets the next run take an `exporting` bill over)

Who does what:

- `BillSubmission` (logic.bill_submission): submit (idempotent on the AP invoice id,
  vendor + number claimed in the log so a second invoice with the number is a
  duplicate), reads, the ops mark;
- `PushEngine` (logic.push_engine) with `BillSpec` (logic.bill_push): the export itself
  — lease, look-up, batch, unknown-outcome recovery, every failure point — the engine
  every pushed kind shares;
- `VendorWait` (logic.vendor_wait): a bill naming the AP supplier of a vendor still
  being created waits for it, and is released by the bill step once the vendor exists;
- `BillAttachments` (here): the invoice PDF uploaded once the bill exists;
- `BillPayments` (logic.bill_payments): payment state back from QBO's changes.

`BillExportService` is the one object the API, the sync worker and the ops console
hold; it only puts these together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from qbo_connector.logic.bill_payments import BillPayments
from qbo_connector.logic.bill_push import BillSpec, EntityPreferencesPort
from qbo_connector.logic.bill_submission import BillSubmission
from qbo_connector.logic.ports import (
    BillExportStorePort,
    BillLogPort,
    DocumentsPort,
    MasterDataPort,
    QueuePort,
)
from qbo_connector.logic.purchase_orders import PurchaseOrderService
from qbo_connector.logic.push_engine import (
    BATCH_SIZE,
    LEASE_SECONDS,
    RESERVE_MS,
    SETTLE_SECONDS,
    PushContext,
    PushCounts,
    PushEngine,
    digest,
)
from qbo_connector.logic.vendor_wait import SupplierLookupPort, VendorWait
from qbo_connector.models.bill import (
    BILL,
    ApInvoice,
    BillExport,
    DocumentKind,
    ExportState,
    pdf_location_allowed,
    pdf_unreadable_reason,
)
from qbo_connector.models.faults import DocumentUnavailable, QboError
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.observability import logger

ATTACHMENT_MAX_TRIES = 3
_BY_HAND = " Attach it to the bill in QuickBooks by hand."
ExportCounts = PushCounts  # the bill export's counts are the engine's


def attachment_request_id(
    org_id: str, legal_entity_id: str, ap_invoice_id: str, bill_id: str
) -> str:
    return "att-" + digest(org_id, legal_entity_id, ap_invoice_id, bill_id)[:32]


class BillAttachments:
    """Invoice PDFs onto exported bills: at most ATTACHMENT_MAX_TRIES, then a reason a
    person can act on (the bill itself stays exported)."""

    def __init__(
        self,
        store: BillLogPort,
        documents: DocumentsPort,
        invoice_bucket: str,
        object_type: str = "Bill",
    ) -> None:
        self.object_type = object_type  # the QBO entity the PDF is attached to
        self.store = store
        self.documents = documents
        self.invoice_bucket = invoice_bucket

    def upload(self, ctx: PushContext, counts: PushCounts) -> None:
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        ids = self.store.attachment_ids(org_id, legal_entity_id)
        for record in self.store.get_many(org_id, legal_entity_id, ids):
            if ctx.time_left_ms() < RESERVE_MS // 2:
                return
            pdf = record.invoice.get("pdf") or {}
            state = dict(record.attachment or {})
            if record.state == ExportState.EXPORTING:
                continue  # marker written just before `finish`: wait for the outcome
            if record.state != ExportState.EXPORTED or not record.qbo_bill_id or not pdf:
                self.store.drop_attachment(org_id, legal_entity_id, record.ap_invoice_id)
                continue
            tries = int(state.get("tries", 0)) + 1
            if not pdf_location_allowed(
                pdf["bucket"], pdf["key"], org_id, legal_entity_id, self.invoice_bucket
            ):
                # Defence in depth (submission refuses these): never read another
                # organization's or legal entity's PDF; the reason is the neutral one.
                self.store.set_attachment(
                    record,
                    {
                        "state": "failed",
                        "tries": tries,
                        "message": pdf_unreadable_reason(org_id, legal_entity_id) + _BY_HAND,
                    },
                    True,
                )
                continue
            try:
                data = self.documents.fetch(org_id, legal_entity_id, pdf["bucket"], pdf["key"])
                att = ctx.client.upload_attachment(
                    self.object_type,
                    record.qbo_bill_id,
                    pdf["file_name"],
                    pdf.get("content_type", "application/pdf"),
                    data,
                    request_id=attachment_request_id(
                        org_id, legal_entity_id, record.ap_invoice_id, record.qbo_bill_id
                    ),
                )
            except Exception as exc:  # noqa: BLE001 - S3 or QBO; the bill itself is exported
                done = tries >= ATTACHMENT_MAX_TRIES
                message = (
                    str(exc)
                    if isinstance(exc, DocumentUnavailable)
                    else (f"The invoice PDF could not be attached ({type(exc).__name__}).")
                )
                self.store.set_attachment(
                    record,
                    {
                        "state": "failed" if done else "pending",
                        "tries": tries,
                        "message": message + (_BY_HAND if done else " It will be retried."),
                    },
                    done,
                )
                continue
            self.store.set_attachment(
                record,
                {
                    "state": "attached",
                    "attachable_id": str(att.get("Id", "")),
                    "file_name": pdf["file_name"],
                },
                True,
            )
            counts.attachments += 1


class BillExportService:
    """The export log's service: submission, reads and the ops mark, the export (the
    push engine with the bill spec), attachments and payment state."""

    def __init__(
        self,
        store: BillExportStorePort,
        master_data: MasterDataPort,
        documents: DocumentsPort,
        queue: QueuePort | None = None,
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
        settle_seconds: int = SETTLE_SECONDS,
        batch_size: int = BATCH_SIZE,
        after_batch: Callable[[list[BillExport], Sequence[Any]], None] | None = None,
        entities: EntityPreferencesPort | None = None,
        invoice_bucket: str | None = None,
        kind: DocumentKind = BILL,
        suppliers: SupplierLookupPort | None = None,
        vendors_enabled: Callable[[LegalEntity], bool] | None = None,
        purchase_orders: PurchaseOrderService | None = None,
    ) -> None:
        self.kind = kind
        # PO-matched bills: checked at submission, their POs read again after export.
        self.purchase_orders = purchase_orders
        self.store = store
        # Submissions may name PDFs only in the bucket the documents adapter reads.
        bucket = invoice_bucket if invoice_bucket is not None else documents.invoice_bucket
        self.submission = BillSubmission(
            store,
            master_data,
            queue,
            clock,
            bucket,
            kind,
            po_check=(
                (lambda entity, invoice: purchase_orders.check(entity, invoice, store))
                if purchase_orders is not None
                else None
            ),
        )
        # A bill may name the AP supplier of a vendor still being created (logic.vendor_wait).
        self.waits = (
            VendorWait(self.submission, store, suppliers, clock, vendors_enabled)
            if suppliers is not None
            else None
        )
        self.spec = BillSpec(master_data, store, clock, entities, kind)
        self.engine: PushEngine[BillExport, ApInvoice] = PushEngine(
            self.spec, store, clock, lease_seconds, settle_seconds, batch_size, after_batch
        )
        self.attachments = BillAttachments(store, documents, bucket, kind.object_type)
        # A bill's payments; a credit note's use (its remaining balance), by the same rule.
        self.payments = BillPayments(store, "BillPayment" if kind is BILL else kind.object_type)

    @property
    def lease_seconds(self) -> int:
        return self.engine.lease_seconds

    @property
    def settle_seconds(self) -> int:
        return self.engine.settle_seconds

    # -- submission, reads, ops ------------------------------------------------------------

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        if self.waits is not None:
            return self.waits.submit(entity, body)
        return self.submission.submit(entity, body)

    def show(self, entity: LegalEntity, ap_invoice_id: str) -> dict[str, Any]:
        return self.submission.show(entity, ap_invoice_id)

    def list_page(
        self, entity: LegalEntity, state: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        return self.submission.list_page(entity, state, limit, cursor)

    def mark_exported(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_invoice_id: Any,
        qbo_bill_id: str | None,
        operator: str,
    ) -> dict[str, Any]:
        return self.submission.mark_exported(
            org_id, legal_entity_id, ap_invoice_id, qbo_bill_id, operator
        )

    # -- the sync run's write-back (logic.ports.BillWriteBackPort) -------------------------

    def export_pending(self, ctx: PushContext) -> PushCounts:
        released = self.waits.release(ctx) if self.waits is not None else 0
        counts = self.engine.run(ctx)
        self._refresh_purchase_orders(ctx, counts.exported_keys)
        self.attachments.upload(ctx, counts)
        ctx.run.progress(
            self.kind.object_type,
            status="done",
            method="export",
            **{k: v for k, v in {**counts.as_dict(), "released": released}.items() if v},
        )
        return counts

    def _refresh_purchase_orders(self, ctx: PushContext, exported: list[str]) -> None:
        """The POs our just-exported bills bill, read again: their billed and open figures
        (and Closed, once fully billed) are current before the next submission."""
        if self.purchase_orders is None or not exported:
            return
        if not self.purchase_orders.imported(ctx.entity):
            return  # no matched bill without imported POs: no read of what was exported
        records = self.store.get_many(ctx.org_id, ctx.legal_entity_id, exported)
        po_ids = {
            str(line.purchase_order_id)
            for record in records
            for line in record.parsed.lines
            if line.purchase_order_id
        }
        if not po_ids:
            return
        try:
            self.purchase_orders.refresh(ctx, po_ids)
        except QboError as err:  # the bills are exported; the next sync reads the POs
            logger.warning("purchase orders not read again", extra={"error": str(err)[:300]})

    def apply_payment_changes(
        self, ctx: Any, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> int:
        return self.payments.apply_payment_changes(ctx, bills, bill_payments)
