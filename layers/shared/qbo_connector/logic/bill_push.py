"""Bills as a pushed kind: the push engine's spec for an approved AP invoice.

Identity is vendor + `models.bill.invoice_number_identity(invoice_number)`, the one
function the export-log claim (logic.bill_submission), the QBO look-up and recovery all
compare with.

The look-up (`lookup`, per chunk of at most 30 bills) finds a bill whatever its case,
spacing or Unicode form, although QBO's `IN` compares exactly: (1) `DocNumber IN (...)`
with the spellings we can derive (as sent, upper, lower, identity), at any date;
(2) `VendorRef IN (<the chunk's vendors>) AND TxnDate >= .. AND TxnDate <= ..`, every
bill of those vendors dated within LOOKUP_WINDOW_DAYS of an invoice date (one query per
cluster of invoice dates, usually one per chunk; the date window alone if QBO refused
VendorRef as a filter), paged at 1000. Both are compared locally by identity.

Matching (`match`): a bill of the same vendor and identity is *ours* when we are
recovering an unknown outcome and its total is the invoice's (our earlier attempt did
create it), else *theirs* (the accountant typed it: a duplicate, not created again); the
same number held only by other vendors is allowed (our rule is vendor + number), so the
bill is created alone with `include=allowduplicatedocnum`. QBO's own 6140 (when its
duplicate warning is on) catches a bill typed between our look-up and our create: the
holder is read, and the same rule applied (`resolve`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Protocol

from qbo_connector.logic.bill_payments import money, payment_state, quote
from qbo_connector.logic.bill_submission import iso
from qbo_connector.logic.ports import MasterDataPort
from qbo_connector.logic.push_engine import (
    Match,
    New,
    Ours,
    PushClientPort,
    PushContext,
    Theirs,
    digest,
)
from qbo_connector.models.bill import (
    BILL,
    ApInvoice,
    BillExport,
    DocumentKind,
    invoice_number_identity,
)
from qbo_connector.models.faults import (
    QboDuplicateDocNumberError,
    QboError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboPeriodClosedError,
    QboValidationError,
)
from qbo_connector.models.legal_entity import book_close_date
from qbo_connector.models.object_types import REFERENCE_LISTS, WORDS
from qbo_connector.observability import logger

LOOKUP_IN_LIMIT = 90  # DocNumber values per IN (...) query
# The accountant may date a typed bill differently from the invoice (received, entered):
# bills of the chunk's vendors within this many days of an invoice date are compared.
LOOKUP_WINDOW_DAYS = 31
# Invoice dates within this span share one date-window query.
LOOKUP_CLUSTER_DAYS = 31
# Intuit's 2500 Detail names the list and the id: "Invalid Reference Id : Names element
# id 540123582 not found" (Names: vendors and customers; Klasses: classes).
_REF_DETAIL = re.compile(r"(\w+)\s+element\s+id\s+(\w+)\s+not\s+found", re.IGNORECASE)


class QboBillMapPort(Protocol):
    """Which AP invoice a QBO bill is the export of (the export log's id map)."""

    def ap_invoice_for_qbo_bill(
        self, org_id: str, legal_entity_id: str, qbo_bill_id: str
    ) -> str | None: ...


class EntityPreferencesPort(Protocol):
    """Where the company's duplicate-number preference is kept (the legal-entity store)."""

    def update(self, org_id: str, legal_entity_id: str, **fields: Any) -> Any: ...


def bill_request_id(
    org_id: str,
    legal_entity_id: str,
    ap_invoice_id: str,
    generation: int,
    kind: DocumentKind = BILL,
) -> str:
    """One bill's (or credit's) create intent (≤ 50 chars): the same document and
    generation, the same id."""
    parts: tuple[str, ...] = (org_id, legal_entity_id, ap_invoice_id, str(generation))
    if kind is not BILL:  # bills' ids stay what they were (QBO remembers them)
        parts = (kind.object_type, *parts)
    return f"{kind.request_prefix}-" + digest(*parts)[:32]


class BillSpec:
    """logic.push_engine.PushSpec for bills (BillExport log entries, ApInvoice payloads),
    and for vendor credits, the same document in QBO's other entity (`kind`)."""

    def __init__(
        self,
        master_data: MasterDataPort,
        bill_map: QboBillMapPort,
        clock: Callable[[], float],
        entities: EntityPreferencesPort | None = None,
        kind: DocumentKind = BILL,
    ) -> None:
        self.kind = kind
        self.object_type = kind.object_type
        self.plural = kind.plural
        self.include_despite_match: str | None = kind.include_despite_match
        self.master = master_data
        self.bill_map = bill_map
        self.clock = clock
        self.entities = entities

    # -- identity and payload ----------------------------------------------------------

    def parse(self, record: BillExport) -> ApInvoice:
        return record.parsed

    def identity(self, item: ApInvoice) -> Hashable:
        return (item.vendor_id, item.number_identity)

    def payload(self, item: ApInvoice) -> dict[str, Any]:
        return item.to_qbo(self.kind)

    def request_id(self, ctx: PushContext, record: BillExport) -> str:
        return bill_request_id(
            ctx.org_id, ctx.legal_entity_id, record.ap_invoice_id, record.generation, self.kind
        )

    def describe(self, record: BillExport) -> str:
        return f"AP {'invoice' if self.kind is BILL else 'credit'} {record.ap_invoice_id}"

    # -- before the first chunk ----------------------------------------------------------

    def prepare(self, ctx: PushContext) -> None:
        """Read WarnDuplicateBillNumber (reported in the connection status; our own vendor
        + number check applies whatever it says) and the closing date (payments are
        refused at submission when dated in a closed period) before export."""
        try:
            prefs = ctx.client.preferences()
        except QboError:
            return
        warn = None
        for nv in (prefs.get("OtherPrefs") or {}).get("NameValue") or []:
            if nv.get("Name") == "WarnDuplicateBillNumber":
                warn = str(nv.get("Value")).lower() == "true"
        entity = ctx.entity
        seen = entity.preferences
        closed = book_close_date(prefs)
        if self.entities is None or (
            (warn is None or seen.warn_duplicate_bill_number == warn)
            and seen.book_close_date == closed
        ):
            return
        try:
            prefs_now = replace(
                seen,
                warn_duplicate_bill_number=seen.warn_duplicate_bill_number
                if warn is None
                else warn,
                book_close_date=closed,
                checked_at=iso(self.clock()),
            )
            self.entities.update(
                entity.org_id, entity.legal_entity_id, preferences=prefs_now.__dict__
            )
        except Exception as exc:  # noqa: BLE001 - informative only
            logger.warning("preferences not saved", extra={"error_type": type(exc).__name__})

    # -- what QBO holds ----------------------------------------------------------------

    def lookup(
        self, client: PushClientPort, items: Sequence[ApInvoice]
    ) -> dict[str, list[dict[str, Any]]]:
        """QBO bills by number identity: exact spellings at any date, and every bill of
        the chunk's vendors near the invoice dates (any spelling). See the module doc."""
        out: dict[str, list[dict[str, Any]]] = {}
        seen: set[str] = set()

        def keep(page: list[dict[str, Any]]) -> None:
            for bill in page:
                bill_id = str(bill.get("Id"))
                key = invoice_number_identity(str(bill.get("DocNumber") or ""))
                if key and bill_id not in seen:
                    seen.add(bill_id)
                    out.setdefault(key, []).append(bill)

        values: list[str] = []
        for inv in items:
            for variant in (
                inv.invoice_number,
                inv.invoice_number.upper(),
                inv.invoice_number.lower(),
                inv.number_identity,
                inv.number_identity.upper(),
            ):
                if variant not in values:
                    values.append(variant)
        for start in range(0, len(values), LOOKUP_IN_LIMIT):
            part = ", ".join(quote(v) for v in values[start : start + LOOKUP_IN_LIMIT])
            for page in client.query_all(self.object_type, where=f"DocNumber IN ({part})"):
                keep(page)
        for first, last, vendors in _date_clusters(items):
            window = (
                f"TxnDate >= '{first - timedelta(days=LOOKUP_WINDOW_DAYS)}'"
                f" AND TxnDate <= '{last + timedelta(days=LOOKUP_WINDOW_DAYS)}'"
            )
            vendor_in = f"VendorRef IN ({', '.join(quote(v) for v in vendors)}) AND "
            try:
                for page in client.query_all(self.object_type, where=vendor_in + window):
                    keep(page)
            except QboValidationError as fault:
                # Should QBO refuse VendorRef as a Bill filter (qbo-api-facts.md does not
                # confirm it), every bill of the window is read instead: more rows, same
                # answer. Transient faults propagate (the chunk is retried later).
                logger.warning(
                    "Bill query by VendorRef refused; reading the date window",
                    extra={"qbo_code": fault.code},
                )
                for page in client.query_all(self.object_type, where=window):
                    keep(page)
        return out

    def match(
        self,
        record: BillExport,
        item: ApInvoice,
        found: dict[str, list[dict[str, Any]]],
        recovering: bool,
    ) -> Match:
        matches = found.get(item.number_identity, [])
        same_vendor = sorted(
            (b for b in matches if (b.get("VendorRef") or {}).get("value") == item.vendor_id),
            key=lambda b: int(b["Id"]) if str(b["Id"]).isdigit() else 0,
        )
        if same_vendor:
            existing = same_vendor[0]
            if recovering and money(existing.get("TotalAmt")) == money(item.total):
                return Ours(existing)  # our earlier attempt did create it
            return Theirs(existing)
        if matches:
            return New(despite_match=True)  # the number is another vendor's
        return New()

    def is_conflict(self, fault: QboError) -> bool:
        return isinstance(fault, QboDuplicateDocNumberError)

    def resolve(
        self, ctx: PushContext, conflicts: Sequence[tuple[BillExport, ApInvoice, QboError]]
    ) -> list[Match]:
        """6140: QBO holds the number. Same vendor → duplicate; another vendor's → create
        anyway (our rule is vendor + number), allowing the duplicate number."""

        def holder_id(fault: QboError) -> str | None:
            return fault.existing_txn_id if isinstance(fault, QboDuplicateDocNumberError) else None

        ids = sorted({i for _, _, fault in conflicts if (i := holder_id(fault))})
        existing: dict[str, dict[str, Any]] = {}
        if ids:
            where = "Id IN (" + ", ".join(quote(i) for i in ids) + ")"
            for page in ctx.client.query_all(self.object_type, where=where):
                existing.update({str(b["Id"]): b for b in page})
        out: list[Match] = []
        for _, invoice, fault in conflicts:
            holder = existing.get(holder_id(fault) or "")
            vendor = ((holder or {}).get("VendorRef") or {}).get("value")
            if holder is not None and vendor != invoice.vendor_id:
                out.append(New(despite_match=True))
            else:
                out.append(Theirs(holder or {"Id": holder_id(fault)}))
        return out

    # -- outcomes in words --------------------------------------------------------------

    def exported(
        self, ctx: PushContext, record: BillExport, qbo_object: dict[str, Any]
    ) -> dict[str, Any]:
        total = money(qbo_object.get("TotalAmt"))
        balance = money(qbo_object.get("Balance", qbo_object.get("TotalAmt")))
        fields: dict[str, Any] = {
            "qbo_bill_id": str(qbo_object["Id"]),
            "exported_at": iso(self.clock()),
            "payment": payment_state(total, balance, None, qbo_object),
        }
        if record.invoice.get("pdf"):
            fields["attachment"] = {"state": "pending"}
        return fields

    def duplicate(
        self, ctx: PushContext, record: BillExport, existing: dict[str, Any]
    ) -> dict[str, Any]:
        inv = record.invoice
        bill_id = str(existing.get("Id") or "") or None
        vendor = self._name(ctx, "Vendor", inv["vendor_id"])
        ours = (
            self.bill_map.ap_invoice_for_qbo_bill(ctx.org_id, ctx.legal_entity_id, bill_id)
            if bill_id
            else None
        )
        where = f"bill {bill_id}" if bill_id else "a bill"
        details = ", ".join(
            x
            for x in (
                f"dated {existing['TxnDate']}" if existing.get("TxnDate") else "",
                f"total {existing['TotalAmt']}" if existing.get("TotalAmt") is not None else "",
            )
            if x
        )
        dup: dict[str, Any] = {
            "source": "export_log" if ours else "quickbooks",
            "qbo_bill_id": bill_id,
            "doc_number": existing.get("DocNumber", inv["invoice_number"]),
            "vendor_id": inv["vendor_id"],
            "message": (
                f"{vendor} already has {where} with number {inv['invoice_number']} in "
                f"QuickBooks{' (' + details + ')' if details else ''}"
                f"{', exported for AP invoice ' + ours if ours else ''}; it was not created "
                "again. If it is this invoice, an operator can mark it exported "
                "(mark_bill_exported); if not, correct the invoice number and submit again."
            ),
        }
        if bill_id:
            dup["qbo_link"] = self.kind.link(bill_id)
        if ours:
            dup["ap_invoice_id"] = ours
        for key in ("TxnDate", "TotalAmt"):
            if existing.get(key) is not None:
                dup[key.lower()] = existing[key]
        return dup

    def failure(
        self, ctx: PushContext, record: BillExport, item: ApInvoice, fault: QboValidationError
    ) -> dict[str, Any]:
        return {
            "code": _failure_code(fault),
            "message": self._explain(ctx, item, fault),
            "qbo_error": fault.as_record(),
        }

    def _explain(self, ctx: PushContext, invoice: ApInvoice, fault: QboError) -> str:
        """QBO's fault in words, naming the records involved."""
        refs = invoice.references()
        names = {(kind, qbo_id): self._name(ctx, kind, qbo_id) for _, kind, qbo_id in refs}
        if isinstance(fault, QboInvalidReferenceError):
            found = _REF_DETAIL.search(f"{fault.message} {fault.detail}")
            if found:
                kinds = REFERENCE_LISTS.get(found.group(1).lower(), ())
                qbo_id = found.group(2)
                named = next(((f, k) for f, k, i in refs if k in kinds and i == qbo_id), None)
                label = names[(named[1], qbo_id)] if named else f"record {qbo_id}"
                return (
                    f"QuickBooks no longer has {label}"
                    f"{' (' + named[0] + ')' if named else ''}: it was deleted or "
                    "merged there. Choose another record, or restore it in QuickBooks and "
                    "sync, then submit the invoice again."
                )
            listed = "; ".join(f"{f}: {names[(k, i)]}" for f, k, i in refs)
            return (
                "QuickBooks says a record on this bill does not exist or was deleted "
                f"(records involved: {listed}). Check them in QuickBooks, sync, and submit "
                "the invoice again."
            )
        if isinstance(fault, QboNotFoundError):
            # 610 on a create: Intuit's "Something you're trying to use has been made
            # inactive" (it names no record, so every reference is listed).
            listed = "; ".join(f"{f}: {names[(k, i)]}" for f, k, i in refs)
            return (
                "QuickBooks says a record on this bill was made inactive there (records "
                f"involved: {listed}). Reactivate it in QuickBooks or choose another record, "
                "sync, and submit the invoice again."
            )
        if isinstance(fault, QboPeriodClosedError):
            return (
                f"The invoice date {invoice.invoice_date} falls in a closed accounting "
                "period in QuickBooks; ask the accountant to reopen it, or change "
                "invoice_date and submit again."
            )
        listed = "; ".join(f"{f}: {names[(k, i)]}" for f, k, i in refs[:8])
        element = f" (field {fault.element})" if fault.element else ""
        return (
            f"QuickBooks refused the bill{element}: {fault.message}"
            f"{' - ' + fault.detail if fault.detail and fault.detail != fault.message else ''}"
            f". Records involved: {listed}. Correct the invoice and submit it again."
        )

    def _name(self, ctx: PushContext, kind: str, qbo_id: str) -> str:
        word = WORDS.get(kind, kind)
        try:
            found = self.master.lookup(ctx.org_id, ctx.legal_entity_id, [(kind, qbo_id)])
        except Exception:  # noqa: BLE001 - a name is a nicety in an error message
            found = {}
        record = found.get((kind, qbo_id))
        return (
            f"{word} '{record.name}' ({qbo_id})" if record and record.name else f"{word} {qbo_id}"
        )


def _date_clusters(invoices: Sequence[ApInvoice]) -> list[tuple[date, date, list[str]]]:
    """(first date, last date, vendors) of invoices whose dates lie within
    LOOKUP_CLUSTER_DAYS of the cluster's first: one date-window query each."""
    ordered = sorted(invoices, key=lambda inv: inv.invoice_date)
    clusters: list[tuple[date, date, list[str]]] = []
    for inv in ordered:
        day = date.fromisoformat(inv.invoice_date)
        if clusters and (day - clusters[-1][0]).days <= LOOKUP_CLUSTER_DAYS:
            first, _, vendors = clusters[-1]
            if inv.vendor_id not in vendors:
                vendors.append(inv.vendor_id)
            clusters[-1] = (first, day, vendors)
        else:
            clusters.append((day, day, [inv.vendor_id]))
    return clusters


def _failure_code(fault: QboError) -> str:
    if isinstance(fault, QboInvalidReferenceError):
        return "invalid_reference"
    if isinstance(fault, QboNotFoundError):
        return "inactive_reference"
    if isinstance(fault, QboPeriodClosedError):
        return "period_closed"
    return "rejected_by_quickbooks"
