"""Payment state of exported bills, from QBO's Bill and BillPayment changes (CDC)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from qbo_connector.logic.ports import BillLogPort
from qbo_connector.models.bill import PaymentState
from qbo_connector.observability import logger


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


IN_LIMIT = 100  # ids per `Id IN (...)` query


def read_by_ids(client: Any, entity: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), IN_LIMIT):
        where = "Id IN (" + ", ".join(quote(i) for i in wanted[start : start + IN_LIMIT]) + ")"
        for page in client.query_all(entity, where=where):
            out.update({str(obj["Id"]): obj for obj in page})
    return out


def money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


class BillPayments:
    """Payment changes of the export log (BillExportService's)."""

    def __init__(self, store: BillLogPort, progress_type: str = "BillPayment") -> None:
        self.store = store
        # Where a run reports the changes: the bills' payments, or the credits' use.
        self.progress_type = progress_type

    def apply_payment_changes(
        self, ctx: Any, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> int:
        """Update payment state of our exported bills from CDC Bill/BillPayment changes.

        Paid means Balance == 0 (a partial payment also links the bill)."""
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        paid_on: dict[str, str] = {}
        linked: set[str] = set()
        for payment in bill_payments:
            if payment.get("status") == "Deleted":
                continue
            for line in payment.get("Line") or []:
                for txn in line.get("LinkedTxn") or []:
                    if txn.get("TxnType") == "Bill" and txn.get("TxnId"):
                        bill_id = str(txn["TxnId"])
                        linked.add(bill_id)
                        date = str(payment.get("TxnDate") or "")
                        if date > paid_on.get(bill_id, ""):
                            paid_on[bill_id] = date
        by_id = {str(b["Id"]): b for b in bills if b.get("Id")}
        missing = sorted(linked - set(by_id))
        if missing:
            by_id.update(read_by_ids(ctx.client, "Bill", missing))
        updated = 0
        for bill_id, bill in by_id.items():
            ap = self.store.ap_invoice_for_qbo_bill(org_id, legal_entity_id, bill_id)
            if ap is None:
                continue  # not one of ours
            if bill.get("status") == "Deleted":
                payment = {
                    "state": str(PaymentState.UNPAID),
                    "qbo_bill_deleted": True,
                    "message": "The bill was deleted in QuickBooks.",
                }
            else:
                payment = payment_state(
                    money(bill.get("TotalAmt")),
                    money(bill.get("Balance")),
                    paid_on.get(bill_id),
                    bill,
                )
            try:
                self.store.set_payment(org_id, legal_entity_id, ap, payment)
                updated += 1
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                logger.warning(
                    "payment state not saved",
                    extra={"ap_invoice_id": ap, "error_type": type(exc).__name__},
                )
        if updated:
            # Read from CDC: done, never a type for the run's query phase to import.
            ctx.run.progress(self.progress_type, changed=updated, status="done", method="cdc")
        return updated


def payment_state(
    total: Decimal, balance: Decimal, paid_on: str | None, bill: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "total": float(total),
        "balance": float(balance),
        "amount_paid": float(total - balance),
    }
    if balance <= 0 and total > 0:
        out["state"] = str(PaymentState.PAID)
        updated = str((bill.get("MetaData") or {}).get("LastUpdatedTime") or "")[:10]
        out["paid_date"] = paid_on or updated or None
    elif balance < total:
        out["state"] = str(PaymentState.PARTIALLY_PAID)
    else:
        out["state"] = str(PaymentState.UNPAID)
        out.pop("amount_paid")
    if bill.get("SyncToken") is not None:
        out["qbo_sync_token"] = str(bill["SyncToken"])
    return {k: v for k, v in out.items() if v is not None}
