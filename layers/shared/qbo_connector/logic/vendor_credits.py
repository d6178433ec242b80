"""Vendor credits (credit notes) from AP into QBO as VendorCredits, exactly once.

A credit note is the AP invoice's shape — vendor, number, date, lines, PDF — so it runs on
the bill export's machinery with `models.bill.VENDOR_CREDIT` (logic.bill_export with
its kind: the same parser, vendor + number identity and claim, look-up by every spelling
of the number, push engine, PDF tenancy and attachment), in its own partitions of the
export log. Bills and credits never collide: a credit note may carry an invoice's number.

This module is the credit's side of that: the API's words (`ap_credit_id`,
`credit_number`, `credit_date`, `qbo_vendor_credit_id`, the remaining credit) in and
out, errors included, so a caller never reads "invoice" about a credit note::

    submit ──► queued ──take──► exporting ──► exported (remaining read back) ──► applied
                                   │  └────► duplicate (vendor + number already there)
                                   └───────► failed

A credit is applied in a payment (logic.payment_export) by its `ap_credit_id`; the
payment step then reads the credit's remaining balance back.
"""

from __future__ import annotations

import re
from typing import Any

from qbo_connector.logic.bill_export import BillExportService
from qbo_connector.logic.push_engine import PushContext, PushCounts
from qbo_connector.models.bill import BILL, VENDOR_CREDIT
from qbo_connector.models.errors import DomainError, PreconditionFailed
from qbo_connector.models.legal_entity import LegalEntity

# The credit's field names in the API, and the bill machinery's.
FIELDS = {
    "ap_credit_id": "ap_invoice_id",
    "credit_number": "invoice_number",
    "credit_date": "invoice_date",
    "qbo_vendor_credit_id": "qbo_bill_id",
}
_OUT = {
    "ap_invoice_id": "ap_credit_id",
    "invoice_number": "credit_number",
    "qbo_bill_id": "qbo_vendor_credit_id",
}
# The bill machinery's words, in a credit note's (order matters: longest first).
_WORDS = [
    (re.compile(r"\bap_invoice_id\b"), "ap_credit_id"),
    (re.compile(r"\binvoice_number\b"), "credit_number"),
    (re.compile(r"\binvoice_date\b"), "credit_date"),
    (re.compile(r"\bqbo_bill_id\b"), "qbo_vendor_credit_id"),
    (re.compile(r"\bmark_bill_exported\b"), "mark_vendor_credit_exported"),
    (re.compile(r"\bAP invoices\b"), "AP credits"),
    (re.compile(r"\bAP invoice\b"), "AP credit"),
    (re.compile(r"\binvoice number\b"), "credit number"),
    (re.compile(r"\binvoice date\b"), "credit date"),
    (re.compile(r"\binvoice PDF\b"), "credit note PDF"),
    (re.compile(r"\bbills\b"), "vendor credits"),
    (re.compile(r"\bbill\b"), "vendor credit"),
    (re.compile(r"\bBills\b"), "Vendor credits"),
    (re.compile(r"\bBill\b"), "Vendor credit"),
    (re.compile(r"\binvoices\b"), "credit notes"),
    (re.compile(r"\binvoice\b"), "credit note"),
]


def in_credit_words(text: str) -> str:
    for pattern, words in _WORDS:
        text = pattern.sub(words, text)
    return text


def _field(name: str | None) -> str | None:
    if name is None:
        return None
    for ours, theirs in FIELDS.items():
        name = re.sub(rf"\b{theirs}\b", ours, name)
    return name


def _translated(err: DomainError) -> DomainError:
    if err.code.startswith("bill_"):  # bill_not_found → credit_not_found, …
        err.code = "credit_" + err.code.removeprefix("bill_")
    err.message = in_credit_words(err.message)
    err.args = (err.message,)
    err.field = _field(err.field)
    problems = err.details.get("problems")
    if isinstance(problems, list):
        err.details["problems"] = [
            {**p, "field": _field(p.get("field")), "message": in_credit_words(str(p["message"]))}
            for p in problems
            if isinstance(p, dict)
        ]
    return err


def _credit_state(payment: dict[str, Any]) -> dict[str, Any]:
    """A bill's payment state, as a credit's use: what remains to be applied."""
    state = {"unpaid": "open", "partially_paid": "partially_applied", "paid": "fully_applied"}
    out: dict[str, Any] = {
        "state": state.get(str(payment.get("state")), "open"),
        "total": payment.get("total"),
        "remaining": payment.get("balance", payment.get("total")),
    }
    if payment.get("amount_paid") is not None:
        out["applied"] = payment["amount_paid"]
    return {k: v for k, v in out.items() if v is not None}


def credit_view(view: dict[str, Any]) -> dict[str, Any]:
    """A bill-shaped view in a credit's words."""
    out: dict[str, Any] = {}
    for key, value in view.items():
        if key == "payment":
            out["credit"] = _credit_state(value)
        elif key == "qbo_link":
            out[key] = value.replace(f"/app/{BILL.link_path}?", f"/app/{VENDOR_CREDIT.link_path}?")
        elif key in ("duplicate_of", "failure", "attachment", "last_error") and isinstance(
            value, dict
        ):
            out[key] = {
                _OUT.get(k, k): (
                    in_credit_words(v)
                    if k == "message" and isinstance(v, str)
                    else (
                        v.replace(f"/app/{BILL.link_path}?", f"/app/{VENDOR_CREDIT.link_path}?")
                        if k == "qbo_link" and isinstance(v, str)
                        else v
                    )
                )
                for k, v in value.items()
            }
        else:
            out[_OUT.get(key, key)] = value
    return out


class VendorCreditService:
    """Credit notes: the bill export's service with VENDOR_CREDIT, in a credit's words."""

    def __init__(self, inner: BillExportService) -> None:
        assert inner.kind is VENDOR_CREDIT, "a vendor-credit service runs the VENDOR_CREDIT kind"
        self.inner = inner
        self.store = inner.store

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        if not (entity.sync_profile or {}).get(VENDOR_CREDIT.profile_flag):
            raise PreconditionFailed(
                "Vendor credits are not exported for this legal entity: "
                "export_vendor_credits is off in its sync profile. Ask support to turn it "
                "on (put_sync_profile).",
                code="vendor_credits_not_enabled",
            )
        if isinstance(body, dict):
            body = {FIELDS.get(k, k): v for k, v in body.items()}
        try:
            return credit_view(self.inner.submit(entity, body))
        except DomainError as err:
            raise _translated(err) from None

    def show(self, entity: LegalEntity, ap_credit_id: str) -> dict[str, Any]:
        try:
            return credit_view(self.inner.show(entity, ap_credit_id))
        except DomainError as err:
            raise _translated(err) from None

    def list_page(
        self, entity: LegalEntity, state: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        try:
            page = self.inner.list_page(entity, state, limit, cursor)
        except DomainError as err:
            raise _translated(err) from None
        return {**page, "items": [credit_view(i) for i in page["items"]]}

    def mark_exported(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_credit_id: Any,
        qbo_vendor_credit_id: str | None,
        operator: str,
    ) -> dict[str, Any]:
        """The ops mark: a duplicate credit note that *is* the existing QBO vendor credit."""
        try:
            return credit_view(
                self.inner.mark_exported(
                    org_id, legal_entity_id, ap_credit_id, qbo_vendor_credit_id, operator
                )
            )
        except DomainError as err:
            raise _translated(err) from None

    def qbo_id(self, org_id: str, legal_entity_id: str, ap_credit_id: str) -> str | None:
        """The exported credit's QBO VendorCredit id (None: not exported)."""
        record = self.store.get(org_id, legal_entity_id, ap_credit_id)
        if record is None or str(record.state) != "exported":
            return None
        return record.qbo_bill_id

    def export_pending(self, ctx: PushContext) -> PushCounts:
        return self.inner.export_pending(ctx)

    def apply_changes(self, ctx: Any, vendor_credits: list[dict[str, Any]]) -> int:
        """CDC's changed VendorCredits: the remaining balance of ours (the accountant applied
        or unapplied one in QuickBooks); the others are not ours and are left alone."""
        return self.inner.apply_payment_changes(ctx, vendor_credits, [])
