"""Approved AP invoices into QBO as Bills: exactly once, duplicates refused, payments back.

State machine of one invoice (store: adapters.bill_export_store)::

    submit ──► queued ──acquire──► exporting ──► exported ──(payments)──► exported
                 ▲                  │  │  └────► duplicate ──(ops mark)──► exported
                 └──requeue─────────┘  └───────► failed
    (a lease that runs out lets the next run take an `exporting` bill over)

Exactly once, by failure point:

- two workers: `acquire` is a conditional write (queued, or exporting with an expired
  lease), so only one holds a bill; outcomes are written only under that lease;
- before the create is sent: the bill is requeued (nothing reached QBO);
- QBO timed out / 5xx / reset / answered after our timeout: the client resends the
  batch with the same deterministic requestid (QBO replays the first answer); if it
  still has no answer the bill stays `exporting`, leased for `settle_seconds` (longer
  than QBO's 120 s request limit, so a slow request has landed or died by then);
- the worker dies between QBO's answer and our write: the bill stays `exporting`;
- every `exporting` bill taken over is *recovered*: QBO is looked up (below) and
  compared on VendorRef, number identity and total before anything is created again;
  the same batch composition also replays the same requestid;
- duplicates typed by the accountant: the same look-up before every create, and QBO's
  own 6140 for races (when its duplicate warning is on); duplicates in our own log are
  refused at submission by a conditional vendor + number claim.

The look-up (`_lookup`, per chunk of at most 30 bills) finds a bill whatever its case,
spacing or Unicode form, although QBO's `IN` compares exactly: (1) `DocNumber IN (...)`
with the spellings we can derive (as sent, upper, lower, identity), at any date;
(2) `VendorRef IN (<the chunk's vendors>) AND TxnDate >= .. AND TxnDate <= ..`, every
bill of those vendors dated within LOOKUP_WINDOW_DAYS of an invoice date (one query per
cluster of invoice dates, usually one per chunk; the date window alone if QBO refused
VendorRef as a filter), paged at 1000. Both are compared locally with
models.bill.invoice_number_identity.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Protocol

from qbo_connector.logic.bill_payments import BillPayments, money, payment_state, quote
from qbo_connector.logic.bill_submission import (
    BillSubmission,
    MasterDataPort,
    QueuePort,
    iso,
)
from qbo_connector.logic.ports import BillExportStorePort
from qbo_connector.models.bill import (
    FINAL_STATES,
    ApInvoice,
    BillExport,
    ExportState,
    invoice_number_identity,
    pdf_location_allowed,
    pdf_unreadable_reason,
    qbo_bill_link,
)
from qbo_connector.models.faults import (
    DocumentUnavailable,
    QboDuplicateDocNumberError,
    QboError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboPeriodClosedError,
    QboValidationError,
)
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.object_types import REFERENCE_LISTS, WORDS
from qbo_connector.observability import logger

BATCH_SIZE = 30  # Intuit's batch limit
# A Lambda lives at most 900 s: a live worker never loses its lease.
LEASE_SECONDS = 960
# Longer than QBO's 120 s request limit: after it, an unanswered create has landed or died.
SETTLE_SECONDS = 180
# Stop starting chunks when less than this is left of the invocation.
RESERVE_MS = 60_000
LOOKUP_IN_LIMIT = 90  # DocNumber values per IN (...) query
# The accountant may date a typed bill differently from the invoice (received, entered):
# bills of the chunk's vendors within this many days of an invoice date are compared.
LOOKUP_WINDOW_DAYS = 31
# Invoice dates within this span share one date-window query.
LOOKUP_CLUSTER_DAYS = 31
ATTACHMENT_MAX_TRIES = 3
_BY_HAND = " Attach it to the bill in QuickBooks by hand."
# Intuit's 2500 Detail names the list and the id: "Invalid Reference Id : Names element
# id 540123582 not found" (Names: vendors and customers; Klasses: classes).
_REF_DETAIL = re.compile(r"(\w+)\s+element\s+id\s+(\w+)\s+not\s+found", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# Ports


class DocumentsPort(Protocol):
    """Invoice PDFs: only from `invoice_bucket`, only below `<org_id>/<legal_entity_id>/`."""

    invoice_bucket: str

    def fetch(self, org_id: str, legal_entity_id: str, bucket: str, key: str) -> bytes: ...


# --------------------------------------------------------------------------------------
# Request ids


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def bill_request_id(org_id: str, le_id: str, ap_invoice_id: str, generation: int) -> str:
    """One bill's create intent (≤ 50 chars): the same bill and generation, the same id."""
    return "bill-" + _digest(org_id, le_id, ap_invoice_id, str(generation))[:32]


def batch_request_id(org_id: str, le_id: str, bills: Iterable[tuple[str, int]]) -> str:
    """A batch's id (≤ 36 chars inside batch) from the per-bill intents it carries, so a
    resend of the same bills replays QBO's first answer instead of creating again."""
    members = ",".join(sorted(f"{ap}:{gen}" for ap, gen in bills))
    return "b-" + _digest(org_id, le_id, members)[:34]


def attachment_request_id(org_id: str, le_id: str, ap_invoice_id: str, bill_id: str) -> str:
    return "att-" + _digest(org_id, le_id, ap_invoice_id, bill_id)[:32]


# --------------------------------------------------------------------------------------
# The service


@dataclass
class ExportCounts:
    exported: int = 0
    recovered: int = 0
    duplicate: int = 0
    failed: int = 0
    unknown: int = 0
    requeued: int = 0
    skipped: int = 0
    attachments: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class BillExportService(BillSubmission, BillPayments):
    """The export log's service: submission, reads and the ops mark (logic.bill_submission),
    payment state (logic.bill_payments) and, here, the export engine."""

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
        after_batch: Callable[[list[BillExport], list[Any]], None] | None = None,
        entities: Any = None,
        invoice_bucket: str | None = None,
    ) -> None:
        self.store = store
        self.master = master_data
        self.documents = documents
        # Submissions may name PDFs only in the bucket the documents adapter reads.
        self.invoice_bucket = (
            invoice_bucket if invoice_bucket is not None else documents.invoice_bucket
        )
        self.queue = queue
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.settle_seconds = settle_seconds
        self.batch_size = min(batch_size, BATCH_SIZE)
        # Test hook: runs after QBO answered a batch and before we record it (chaos test).
        self.after_batch = after_batch
        self.entities = entities

    # -- export -------------------------------------------------------------------------

    def export_pending(self, ctx: Any) -> ExportCounts:
        counts = ExportCounts()
        org, le = ctx.org_id, ctx.legal_entity_id
        owner = f"{getattr(ctx, 'sync_id', None) or 'job'}:{uuid.uuid4().hex[:12]}"
        ids = self.store.pending_ids(org, le)
        refreshed = False
        # Read the log a chunk at a time: a run that stops early (QBO not answering) has
        # read only what it tried.
        for start in range(0, len(ids), self.batch_size):
            if ctx.time_left_ms() < RESERVE_MS:
                counts.skipped += len(ids) - start
                break
            page = ids[start : start + self.batch_size]
            now = int(self.clock())
            found = {r.ap_invoice_id: r for r in self.store.get_many(org, le, page)}
            self._drop_stale_markers(org, le, page, found, now)
            chunk = [
                found[i]
                for i in page
                if i in found
                and (
                    found[i].state == ExportState.QUEUED
                    or (
                        found[i].state == ExportState.EXPORTING
                        and (found[i].lease_until or 0) < now
                    )
                )
            ]
            counts.skipped += sum(
                1
                for r in found.values()
                if r.state == ExportState.EXPORTING and (r.lease_until or 0) >= now
            )
            if not chunk:
                continue
            if not refreshed:
                self._refresh_preferences(ctx)
                refreshed = True
            if not self._export_chunk(ctx, chunk, owner, counts):
                counts.skipped += max(0, len(ids) - start - self.batch_size)
                break
        self._upload_attachments(ctx, counts)
        ctx.run.progress(
            "Bill",
            status="done",
            method="export",
            **{k: v for k, v in counts.as_dict().items() if v},
        )
        return counts

    def _drop_stale_markers(
        self, org: str, le: str, ids: list[str], found: dict[str, BillExport], now: int
    ) -> None:
        """Markers left by a crash between two steps: of a final record (conditional on
        its generation, so a resubmission's new marker survives), or of a record never
        written (only once older than a lease: a submission may be between its steps)."""
        for ap_id in ids:
            record = found.get(ap_id)
            if record is None:
                self.store.drop_pending(org, le, ap_id, None, older_than=now - self.lease_seconds)
            elif record.state in FINAL_STATES:
                self.store.drop_pending(org, le, ap_id, record.generation)

    def _refresh_preferences(self, ctx: Any) -> None:
        """Read WarnDuplicateBillNumber before export: reported in the connection status.
        Our own vendor + number check applies whatever it says."""
        try:
            prefs = ctx.client.preferences()
        except QboError:
            return
        warn = None
        for nv in (prefs.get("OtherPrefs") or {}).get("NameValue") or []:
            if nv.get("Name") == "WarnDuplicateBillNumber":
                warn = str(nv.get("Value")).lower() == "true"
        entity: LegalEntity = ctx.entity
        if (
            warn is None
            or self.entities is None
            or entity.preferences.warn_duplicate_bill_number == warn
        ):
            return
        try:
            prefs_now = replace(
                entity.preferences, warn_duplicate_bill_number=warn, checked_at=iso(self.clock())
            )
            self.entities.update(
                entity.org_id, entity.legal_entity_id, preferences=prefs_now.__dict__
            )
        except Exception as exc:  # noqa: BLE001 - informative only
            logger.warning("preferences not saved", extra={"error_type": type(exc).__name__})

    def _export_chunk(
        self, ctx: Any, chunk: list[BillExport], owner: str, counts: ExportCounts
    ) -> bool:
        """One look-up + one batch for ≤ 30 bills. False: QBO is not answering; stop."""
        now = int(self.clock())
        mine: list[tuple[BillExport, bool]] = []
        for record in chunk:
            recovering = record.state == ExportState.EXPORTING
            if self.store.acquire(record, owner, now, self.lease_seconds):
                mine.append((record, recovering))
        if not mine:
            return True
        try:
            found = self._lookup(ctx.client, [r.parsed for r, _ in mine])
        except QboError as err:
            # Nothing was sent in this attempt: fresh bills go back to the queue; bills of an
            # earlier unknown outcome stay `exporting` (takeable at once) to be looked up again.
            for record, recovering in mine:
                if recovering:
                    self.store.hold(record, owner, now, now, _err(err))
                else:
                    self.store.requeue(record, owner, now, _err(err))
                    counts.requeued += 1
            self._report(ctx, err, "looking up existing bills")
            return False
        create: list[tuple[BillExport, ApInvoice]] = []
        allow_dup: list[tuple[BillExport, ApInvoice]] = []
        identities: set[tuple[str, str]] = set()
        for record, recovering in mine:
            invoice = record.parsed
            identity = (invoice.vendor_id, invoice.number_identity)
            if identity in identities:
                # Two submissions that raced for one number: the QBO look-up cannot tell
                # them apart within one batch, so the second waits for the next run.
                self.store.requeue(record, owner, now, None)
                counts.requeued += 1
                continue
            identities.add(identity)
            matches = found.get(invoice.number_identity, [])
            same_vendor = sorted(
                (
                    b
                    for b in matches
                    if (b.get("VendorRef") or {}).get("value") == invoice.vendor_id
                ),
                key=lambda b: int(b["Id"]) if str(b["Id"]).isdigit() else 0,
            )
            if same_vendor:
                existing = same_vendor[0]
                if recovering and money(existing.get("TotalAmt")) == money(invoice.total):
                    # Our earlier attempt did create it: record the outcome we missed.
                    self._exported(ctx, record, owner, existing, counts, recovered=True)
                else:
                    self._duplicate(ctx, record, owner, existing, counts)
            elif matches:
                allow_dup.append((record, invoice))  # the number is another vendor's
            else:
                create.append((record, invoice))
        if create and not self._create_batch(ctx, create, owner, counts):
            return False
        for record, invoice in allow_dup:
            if not self._create_single(ctx, record, invoice, owner, counts):
                return False
        return True

    def _lookup(self, client: Any, invoices: Sequence[ApInvoice]) -> dict[str, list[dict]]:
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
        for inv in invoices:
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
            for page in client.query_all("Bill", where=f"DocNumber IN ({part})"):
                keep(page)
        for first, last, vendors in _date_clusters(invoices):
            window = (
                f"TxnDate >= '{first - timedelta(days=LOOKUP_WINDOW_DAYS)}'"
                f" AND TxnDate <= '{last + timedelta(days=LOOKUP_WINDOW_DAYS)}'"
            )
            vendor_in = f"VendorRef IN ({', '.join(quote(v) for v in vendors)}) AND "
            try:
                for page in client.query_all("Bill", where=vendor_in + window):
                    keep(page)
            except QboValidationError as fault:
                # Should QBO refuse VendorRef as a Bill filter (qbo-api-facts.md does not
                # confirm it), every bill of the window is read instead: more rows, same
                # answer. Transient faults propagate (the chunk is retried later).
                logger.warning(
                    "Bill query by VendorRef refused; reading the date window",
                    extra={"qbo_code": fault.code},
                )
                for page in client.query_all("Bill", where=window):
                    keep(page)
        return out

    def _create_batch(
        self, ctx: Any, create: list[tuple[BillExport, ApInvoice]], owner: str, counts: ExportCounts
    ) -> bool:
        org, le = ctx.org_id, ctx.legal_entity_id
        rid = batch_request_id(org, le, [(r.ap_invoice_id, r.generation) for r, _ in create])
        items = [
            {"bId": f"b{i}", "operation": "create", "Bill": inv.to_qbo()}
            for i, (_, inv) in enumerate(create)
        ]
        now = int(self.clock())
        try:
            results = ctx.client.batch(items, rid)
        except QboError as err:
            # Unknown outcome: the bills may exist. Keep them leased until QBO has settled;
            # the next run looks them up before anything is created again.
            for record, _ in create:
                self.store.hold(record, owner, now + self.settle_seconds, now, _err(err))
                counts.unknown += 1
            self._report(ctx, err, "creating bills")
            return False
        if self.after_batch is not None:
            self.after_batch([r for r, _ in create], results)
        by_bid = {res.bid: res for res in results}
        conflicts: list[tuple[BillExport, ApInvoice, QboDuplicateDocNumberError]] = []
        for i, (record, invoice) in enumerate(create):
            res = by_bid.get(f"b{i}")
            if res is None:
                self.store.hold(
                    record,
                    owner,
                    now + self.settle_seconds,
                    now,
                    {"message": "QuickBooks' batch answer lacked this bill."},
                )
                counts.unknown += 1
            elif res.fault is None and res.payload:
                self._exported(ctx, record, owner, res.payload, counts)
            elif isinstance(res.fault, QboDuplicateDocNumberError):
                conflicts.append((record, invoice, res.fault))
            else:
                self._fault(ctx, record, invoice, owner, res.fault, counts)
        if conflicts:
            return self._resolve_conflicts(ctx, conflicts, owner, counts)
        return True

    def _resolve_conflicts(
        self,
        ctx: Any,
        conflicts: list[tuple[BillExport, ApInvoice, QboDuplicateDocNumberError]],
        owner: str,
        counts: ExportCounts,
    ) -> bool:
        """6140: QBO holds the number. Same vendor → duplicate; another vendor's → create
        anyway (our rule is vendor + number), allowing the duplicate number."""
        ids = sorted({c[2].existing_txn_id for c in conflicts if c[2].existing_txn_id})
        existing: dict[str, dict[str, Any]] = {}
        try:
            if ids:
                where = "Id IN (" + ", ".join(quote(i) for i in ids) + ")"
                for page in ctx.client.query_all("Bill", where=where):
                    existing.update({str(b["Id"]): b for b in page})
        except QboError as err:
            now = int(self.clock())
            for record, _, _ in conflicts:  # nothing created for them: try again next run
                self.store.hold(record, owner, now, now, _err(err))
                counts.unknown += 1
            self._report(ctx, err, "reading the bills holding duplicate numbers")
            return False
        for record, invoice, fault in conflicts:
            holder = existing.get(fault.existing_txn_id or "")
            vendor = ((holder or {}).get("VendorRef") or {}).get("value")
            if holder is not None and vendor != invoice.vendor_id:
                if not self._create_single(ctx, record, invoice, owner, counts):
                    return False
            else:
                self._duplicate(ctx, record, owner, holder or {"Id": fault.existing_txn_id}, counts)
        return True

    def _create_single(
        self, ctx: Any, record: BillExport, invoice: ApInvoice, owner: str, counts: ExportCounts
    ) -> bool:
        rid = bill_request_id(
            ctx.org_id, ctx.legal_entity_id, record.ap_invoice_id, record.generation
        )
        now = int(self.clock())
        try:
            bill = ctx.client.create(
                "Bill", invoice.to_qbo(), request_id=rid, include="allowduplicatedocnum"
            )
        except QboValidationError as fault:
            self._fault(ctx, record, invoice, owner, fault, counts)
            return True
        except QboError as err:
            self.store.hold(record, owner, now + self.settle_seconds, now, _err(err))
            counts.unknown += 1
            self._report(ctx, err, "creating a bill")
            return False
        self._exported(ctx, record, owner, bill, counts)
        return True

    # -- outcomes ------------------------------------------------------------------------

    def _exported(
        self,
        ctx: Any,
        record: BillExport,
        owner: str,
        bill: dict[str, Any],
        counts: ExportCounts,
        recovered: bool = False,
    ) -> None:
        now = int(self.clock())
        total, balance = (
            money(bill.get("TotalAmt")),
            money(bill.get("Balance", bill.get("TotalAmt"))),
        )
        fields: dict[str, Any] = {
            "qbo_bill_id": str(bill["Id"]),
            "exported_at": iso(now),
            "payment": payment_state(total, balance, None, bill),
        }
        if record.invoice.get("pdf"):
            fields["attachment"] = {"state": "pending"}
        if recovered:
            fields["recovered"] = True
        if self.store.finish(record, owner, ExportState.EXPORTED, now, **fields):
            if recovered:
                counts.recovered += 1
            else:
                counts.exported += 1

    def _duplicate(
        self,
        ctx: Any,
        record: BillExport,
        owner: str,
        existing: dict[str, Any],
        counts: ExportCounts,
    ) -> None:
        inv = record.invoice
        bill_id = str(existing.get("Id") or "") or None
        vendor = self._name(ctx, "Vendor", inv["vendor_id"])
        ours = (
            self.store.ap_invoice_for_qbo_bill(ctx.org_id, ctx.legal_entity_id, bill_id)
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
            dup["qbo_link"] = qbo_bill_link(bill_id)
        if ours:
            dup["ap_invoice_id"] = ours
        for key in ("TxnDate", "TotalAmt"):
            if existing.get(key) is not None:
                dup[key.lower()] = existing[key]
        if self.store.finish(
            record, owner, ExportState.DUPLICATE, int(self.clock()), duplicate_of=dup
        ):
            counts.duplicate += 1

    def _fault(
        self,
        ctx: Any,
        record: BillExport,
        invoice: ApInvoice,
        owner: str,
        fault: QboError | None,
        counts: ExportCounts,
    ) -> None:
        now = int(self.clock())
        if fault is None or fault.retryable or not isinstance(fault, QboValidationError):
            # Not a verdict on the bill: QBO may or may not have it; settle and look it up.
            self.store.hold(
                record, owner, now + self.settle_seconds, now, _err(fault) if fault else None
            )
            counts.unknown += 1
            return
        failure = {
            "code": _failure_code(fault),
            "message": self._explain(ctx, invoice, fault),
            "qbo_error": {
                "code": fault.code,
                "message": fault.message,
                "detail": fault.detail,
                "element": fault.element,
                "intuit_tid": fault.intuit_tid,
            },
        }
        if self.store.finish(record, owner, ExportState.FAILED, now, failure=failure):
            counts.failed += 1
            ctx.run.add_error(
                f"AP invoice {record.ap_invoice_id}: {failure['message']}",
                code=failure["code"],
                object_type="Bill",
                intuit_tid=fault.intuit_tid,
            )

    def _explain(self, ctx: Any, invoice: ApInvoice, fault: QboError) -> str:
        """QBO's fault in words, naming the records involved."""
        refs = invoice.references()
        names = {(kind, qbo_id): self._name(ctx, kind, qbo_id) for _, kind, qbo_id in refs}
        if isinstance(fault, QboInvalidReferenceError):
            match = _REF_DETAIL.search(f"{fault.message} {fault.detail}")
            if match:
                kinds = REFERENCE_LISTS.get(match.group(1).lower(), ())
                qbo_id = match.group(2)
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

    def _name(self, ctx: Any, kind: str, qbo_id: str) -> str:
        word = WORDS.get(kind, kind)
        try:
            found = self.master.lookup(ctx.org_id, ctx.legal_entity_id, [(kind, qbo_id)])
        except Exception:  # noqa: BLE001 - a name is a nicety in an error message
            found = {}
        record = found.get((kind, qbo_id))
        return (
            f"{word} '{record.name}' ({qbo_id})" if record and record.name else f"{word} {qbo_id}"
        )

    @staticmethod
    def _report(ctx: Any, err: QboError, doing: str) -> None:
        ctx.run.add_error(
            f"QuickBooks did not answer while {doing} ({type(err).__name__}); the bills stay "
            "queued and the next sync continues safely, without creating any bill twice.",
            code="quickbooks_unavailable",
            object_type="Bill",
            intuit_tid=err.intuit_tid,
        )

    # -- attachments --------------------------------------------------------------------

    def _upload_attachments(self, ctx: Any, counts: ExportCounts) -> None:
        org, le = ctx.org_id, ctx.legal_entity_id
        ids = self.store.attachment_ids(org, le)
        for record in self.store.get_many(org, le, ids):
            if ctx.time_left_ms() < RESERVE_MS // 2:
                return
            pdf = record.invoice.get("pdf") or {}
            state = dict(record.attachment or {})
            if record.state == ExportState.EXPORTING:
                continue  # marker written just before `finish`: wait for the outcome
            if record.state != ExportState.EXPORTED or not record.qbo_bill_id or not pdf:
                self.store.drop_attachment(org, le, record.ap_invoice_id)
                continue
            tries = int(state.get("tries", 0)) + 1
            if not pdf_location_allowed(pdf["bucket"], pdf["key"], org, le, self.invoice_bucket):
                # Defence in depth (submission refuses these): never read another
                # organization's or legal entity's PDF; the reason is the neutral one.
                self.store.set_attachment(
                    record,
                    {
                        "state": "failed",
                        "tries": tries,
                        "message": pdf_unreadable_reason(org, le) + _BY_HAND,
                    },
                    True,
                )
                continue
            try:
                data = self.documents.fetch(org, le, pdf["bucket"], pdf["key"])
                att = ctx.client.upload_attachment(
                    "Bill",
                    record.qbo_bill_id,
                    pdf["file_name"],
                    pdf.get("content_type", "application/pdf"),
                    data,
                    request_id=attachment_request_id(
                        org, le, record.ap_invoice_id, record.qbo_bill_id
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


def _err(err: QboError) -> dict[str, Any]:
    return {"type": type(err).__name__, "message": str(err)[:300], "intuit_tid": err.intuit_tid}


def _failure_code(fault: QboError) -> str:
    if isinstance(fault, QboInvalidReferenceError):
        return "invalid_reference"
    if isinstance(fault, QboNotFoundError):
        return "inactive_reference"
    if isinstance(fault, QboPeriodClosedError):
        return "period_closed"
    return "rejected_by_quickbooks"
