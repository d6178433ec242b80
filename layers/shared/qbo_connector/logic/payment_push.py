"""Bill payments as a pushed kind: the push engine's spec for an AP payment.

A payment is only taken once every bill it pays is exported (logic.payment_export
fixes their QBO ids first), so its payload is complete: one BillPayment with a line per
bill (`LinkedTxn` Bill) and per vendor credit applied (`LinkedTxn` VendorCredit).

The look-up (`lookup`, per chunk of at most 30 payments) is exact and costs two
queries: the chunk's bills (`Bill WHERE Id IN (...)`: live Balance, and the payments
QBO lists against each in `LinkedTxn`), then those payments (`BillPayment WHERE Id IN
(...)`). It does not depend on a BillPayment filter QBO may not support.

Matching (`match`):

- a payment carrying our memo marker (models.payment.payment_marker) for this AP
  payment is *ours*: an earlier attempt created it (the requestid makes a resend replay
  it anyway; the marker covers a lapsed requestid);
- a payment of someone else for exactly these bills and amounts is *theirs*: the
  accountant recorded it, so it is a duplicate, not created again;
- a bill QBO shows fully paid (Balance 0) is *theirs* too, naming the payment that paid
  it: paying it again would overpay the vendor;
- otherwise new. An amount above a bill's live open balance is sent and refused by
  QBO (6000), which `failure` puts in words naming the AP invoice.

BillPayment has no duplicate-number check (6140), so nothing conflicts in a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any

from qbo_connector.logic.bill_payments import money, read_by_ids
from qbo_connector.logic.bill_submission import iso
from qbo_connector.logic.push_engine import (
    Match,
    New,
    Ours,
    PushClientPort,
    PushContext,
    Theirs,
    digest,
)
from qbo_connector.models.faults import (
    QboError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboPeriodClosedError,
    QboValidationError,
)
from qbo_connector.models.payment import (
    PaymentExport,
    payment_marker,
    qbo_bill_payment_link,
)

_BILL_ID = re.compile(r"\bBill (\w+)")


def payment_request_id(
    org_id: str, legal_entity_id: str, ap_payment_id: str, generation: int
) -> str:
    """One payment's create intent (≤ 50 chars): the same payment and generation, one id."""
    return "pay-" + digest(org_id, legal_entity_id, ap_payment_id, str(generation))[:32]


def lines_of(payment: dict[str, Any]) -> dict[str, Decimal]:
    """{QBO bill id: amount} a BillPayment applies (vendor-credit lines left out)."""
    out: dict[str, Decimal] = {}
    for line in payment.get("Line") or []:
        for txn in line.get("LinkedTxn") or []:
            if txn.get("TxnType") == "Bill" and txn.get("TxnId"):
                bill = str(txn["TxnId"])
                out[bill] = out.get(bill, Decimal("0")) + money(line.get("Amount"))
    return out


def is_voided(payment: dict[str, Any]) -> bool:
    """QBO voids a payment by zeroing it and prefixing its memo with "Voided"."""
    return money(payment.get("TotalAmt")) == 0 and str(payment.get("PrivateNote") or "").startswith(
        "Voided"
    )


class PaymentSpec:
    """logic.push_engine.PushSpec for bill payments (PaymentExport is both log entry and
    payload: its QBO bill ids are fixed before it can be taken)."""

    object_type = "BillPayment"
    plural = "payments"
    include_despite_match: str | None = None

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def parse(self, record: PaymentExport) -> PaymentExport:
        return record

    def identity(self, item: PaymentExport) -> Hashable:
        return item.identity()

    def payload(self, item: PaymentExport) -> dict[str, Any]:
        return item.parsed.to_qbo(item.qbo_bills or {})

    def request_id(self, ctx: PushContext, record: PaymentExport) -> str:
        return payment_request_id(
            ctx.org_id, ctx.legal_entity_id, record.ap_payment_id, record.generation
        )

    def describe(self, record: PaymentExport) -> str:
        return f"AP payment {record.ap_payment_id}"

    def prepare(self, ctx: PushContext) -> None:
        """Nothing to read: the closing date comes with the bill step's preferences."""

    # -- what QBO holds ------------------------------------------------------------------

    def lookup(self, client: PushClientPort, items: Sequence[PaymentExport]) -> dict[str, Any]:
        bill_ids = [i for item in items for i in (item.qbo_bills or {}).values()]
        bills = read_by_ids(client, "Bill", bill_ids)
        linked = [
            str(txn["TxnId"])
            for bill in bills.values()
            for txn in bill.get("LinkedTxn") or []
            if txn.get("TxnType") == "BillPayment" and txn.get("TxnId")
        ]
        payments = read_by_ids(client, "BillPayment", linked) if linked else {}
        return {"bills": bills, "payments": payments}

    def match(
        self, record: PaymentExport, item: PaymentExport, found: dict[str, Any], recovering: bool
    ) -> Match:
        ours = payment_marker(record.ap_payment_id)
        wanted = {
            (record.qbo_bills or {})[b["ap_invoice_id"]]: money(b["amount"])
            for b in record.payment["bills"]
        }
        candidates = sorted(
            (
                p
                for p in found["payments"].values()
                if not is_voided(p) and set(lines_of(p)) & set(wanted)
            ),
            key=lambda p: int(p["Id"]) if str(p["Id"]).isdigit() else 0,
        )
        for payment in candidates:
            if ours in str(payment.get("PrivateNote") or ""):
                return Ours(payment)
        for payment in candidates:
            if "[AP payment " not in str(payment.get("PrivateNote") or "") and (
                lines_of(payment) == wanted
            ):
                return Theirs(payment)
        for bill_id in wanted:
            bill = found["bills"].get(bill_id)
            if bill is not None and money(bill.get("Balance")) <= 0:
                payers = [p for p in candidates if bill_id in lines_of(p)]
                return Theirs(payers[-1] if payers else {"paid_bill": bill})
        return New()

    def is_conflict(self, fault: QboError) -> bool:
        return False

    def resolve(
        self, ctx: PushContext, conflicts: Sequence[tuple[PaymentExport, PaymentExport, QboError]]
    ) -> list[Match]:
        return [New() for _ in conflicts]  # never called: nothing conflicts (module doc)

    # -- outcomes in words ------------------------------------------------------------------

    def exported(
        self, ctx: PushContext, record: PaymentExport, qbo_object: dict[str, Any]
    ) -> dict[str, Any]:
        return {"qbo_bill_payment_id": str(qbo_object["Id"]), "exported_at": iso(self.clock())}

    def duplicate(
        self, ctx: PushContext, record: PaymentExport, existing: dict[str, Any]
    ) -> dict[str, Any]:
        by_bill = {v: k for k, v in (record.qbo_bills or {}).items()}
        if "paid_bill" in existing:
            bill = existing["paid_bill"]
            invoice = by_bill.get(str(bill.get("Id")), str(bill.get("Id")))
            return {
                "source": "quickbooks",
                "qbo_bill_id": str(bill.get("Id")),
                "message": (
                    f"The bill of AP invoice {invoice} is already fully paid in QuickBooks; "
                    "the payment was not recorded again. If this payment is the one "
                    "recorded there, an operator can mark it exported "
                    "(mark_payment_exported); if not, check the bill in QuickBooks."
                ),
            }
        payment_id = str(existing.get("Id"))
        paid = ", ".join(
            f"AP invoice {by_bill.get(b, b)} ({a})" for b, a in sorted(lines_of(existing).items())
        )
        return {
            "source": "quickbooks",
            "qbo_bill_payment_id": payment_id,
            "qbo_link": qbo_bill_payment_link(payment_id),
            "txn_date": existing.get("TxnDate"),
            "total": existing.get("TotalAmt"),
            "message": (
                f"QuickBooks already has bill payment {payment_id}"
                f"{' dated ' + existing['TxnDate'] if existing.get('TxnDate') else ''} "
                f"paying {paid}; it was not recorded again. If it is this payment, an "
                "operator can mark it exported (mark_payment_exported)."
            ),
        }

    def failure(
        self,
        ctx: PushContext,
        record: PaymentExport,
        item: PaymentExport,
        fault: QboValidationError,
    ) -> dict[str, Any]:
        return {
            "code": _failure_code(fault),
            "message": self._explain(record, fault),
            "qbo_error": fault.as_record(),
        }

    def _explain(self, record: PaymentExport, fault: QboError) -> str:
        pay = record.payment
        by_bill = {v: k for k, v in (record.qbo_bills or {}).items()}
        if isinstance(fault, QboPeriodClosedError):
            return (
                f"The payment date {pay['payment_date']} falls in a closed accounting period "
                "in QuickBooks; ask the accountant to reopen it, or change payment_date and "
                "submit the payment again."
            )
        if isinstance(fault, QboInvalidReferenceError | QboNotFoundError):
            return (
                "QuickBooks no longer has (or has made inactive) a record this payment uses: "
                f"vendor {pay['vendor_id']}, account "
                f"{pay.get('bank_account_id') or pay.get('card_account_id')}, or a vendor "
                "credit. Check them in QuickBooks, sync, and submit the payment again."
            )
        detail = f"{fault.detail or fault.message}"
        # Name our AP invoices where QuickBooks names its bills.
        detail = _BILL_ID.sub(
            lambda m: (
                f"Bill {m.group(1)} (AP invoice {by_bill[m.group(1)]})"
                if m.group(1) in by_bill
                else m.group(0)
            ),
            detail,
        )
        element = f" (field {fault.element})" if fault.element else ""
        return (
            f"QuickBooks refused the payment{element}: {detail}. Correct the payment (the "
            "bills' open balances are in GET .../bills/{apInvoiceId}) and submit it again."
        )


def _failure_code(fault: QboError) -> str:
    if isinstance(fault, QboPeriodClosedError):
        return "period_closed"
    if isinstance(fault, QboInvalidReferenceError | QboNotFoundError):
        return "invalid_reference"
    return "rejected_by_quickbooks"
