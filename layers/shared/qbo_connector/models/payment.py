"""An AP payment as the AP platform releases it, and its export record (a QBO BillPayment).

`ApPayment.parse` validates the shape with the bills' grammars (models.bill: amounts,
dates, ids, text), so nothing it accepts can fail later. What needs the legal entity's
data (the vendor, the paying account's type, the bills' export and payment state, the
closing date) is checked by logic.payment_submission; what only QBO knows at export time
(the bills' live balances) by logic.payment_push.

Identity: the AP payment id is the idempotency key; in QBO a payment *is* the bills it
pays and how much of each (`PaymentExport.identity`), which is what duplicate detection
compares.

States (`PaymentExport.status`, what the API shows)::

    submit ─► waiting_for_bills ─(bills exported)─► queued ─► exporting ─► exported
                 (a bill not yet                              │  │  └─► duplicate
                  exported)                                   │  └────► failed
    void: exported ─► exported + void requested ─► voided  (or refused: stays exported,
          queued / waiting ─► voided (never sent)              with the reason)

The engine's own states (models.bill.ExportState) are kept in `state`; waiting and the
void are fields beside it, so the push engine runs payments exactly as it runs bills.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from qbo_connector.models.bill import (
    AMOUNT_LIMIT,
    AP_ID,
    CURRENCY,
    MEMO_MAX,
    ExportState,
    log_fields,
    log_item,
    parse_date,
    parse_money,
    parse_ref,
    parse_text,
)
from qbo_connector.models.errors import InvalidInput

MAX_PAID_BILLS = 100
MAX_APPLIED_CREDITS = 50
CHECK_NUMBER_MAX = 21  # QBO's DocNumber limit
REFERENCE_MAX = 100
# How each AP payment method is recorded in QBO (BillPayment.PayType): a check from a
# bank account or a card payment from a credit-card account; ACH, wire and other bank
# transfers are recorded as checks (no printing) with the method named in the memo.
PAY_TYPES = {
    "check": "Check",
    "ach": "Check",
    "wire": "Check",
    "other": "Check",
    "credit_card": "CreditCard",
    "virtual_card": "CreditCard",
}
METHOD_WORDS = {
    "check": "check",
    "ach": "ACH transfer",
    "wire": "wire transfer",
    "other": "bank payment",
    "credit_card": "credit card",
    "virtual_card": "virtual card",
}
EXCHANGE_RATE_DECIMALS = 6


class PaymentStatus(StrEnum):
    """What the API shows (see the module doc)."""

    QUEUED = "queued"
    WAITING_FOR_BILLS = "waiting_for_bills"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    VOIDED = "voided"


class VoidState(StrEnum):
    REQUESTED = "requested"  # the worker voids it in QBO
    REFUSED = "refused"  # QBO would not void it; the payment stays exported
    VOIDED = "voided"


def payment_marker(ap_payment_id: str) -> str:
    """Written into the BillPayment's memo: a person sees where it came from, and recovery
    recognises our own payment."""
    return f"[AP payment {ap_payment_id}]"


@dataclass(frozen=True)
class PaidBill:
    ap_invoice_id: str
    amount: str  # exact decimal as text


@dataclass(frozen=True)
class AppliedCredit:
    vendor_credit_id: str  # the QBO VendorCredit id ("" until an ap_credit_id is resolved)
    amount: str
    ap_credit_id: str | None = None  # an AP credit note exported by this connector


@dataclass(frozen=True)
class ApPayment:
    ap_payment_id: str
    vendor_id: str
    payment_date: str
    amount: str
    method: str
    bills: tuple[PaidBill, ...]
    credits: tuple[AppliedCredit, ...] = ()
    currency: str | None = None
    exchange_rate: str | None = None
    bank_account_id: str | None = None
    card_account_id: str | None = None
    check_number: str | None = None
    reference: str | None = None
    memo: str | None = None

    @classmethod
    def parse(cls, body: Any) -> ApPayment:
        """The payment, or InvalidInput naming the field (and only InvalidInput)."""
        if not isinstance(body, dict):
            raise InvalidInput("The body must be a JSON object describing the payment.")
        ap_id = body.get("ap_payment_id")
        if not isinstance(ap_id, str) or not AP_ID.fullmatch(ap_id):
            raise InvalidInput(
                "ap_payment_id must be 1-64 letters, digits, '.', '_' or '-', starting with "
                "a letter or digit.",
                field="ap_payment_id",
            )
        method = body.get("method", "check")
        if method not in PAY_TYPES:
            raise InvalidInput(f"method must be one of {', '.join(PAY_TYPES)}.", field="method")
        raw_bills = body.get("bills")
        if not isinstance(raw_bills, list) or not raw_bills:
            raise InvalidInput(
                "bills must list at least one bill the payment pays (ap_invoice_id, amount).",
                field="bills",
            )
        if len(raw_bills) > MAX_PAID_BILLS:
            raise InvalidInput(
                f"bills lists {len(raw_bills)} bills; one payment pays at most "
                f"{MAX_PAID_BILLS}. Split the payment.",
                field="bills",
            )
        bills: list[PaidBill] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_bills):
            where = f"bills[{i}]"
            if not isinstance(raw, dict):
                raise InvalidInput(
                    f"{where} must be an object (ap_invoice_id, amount).", field=where
                )
            invoice = raw.get("ap_invoice_id")
            if not isinstance(invoice, str) or not AP_ID.fullmatch(invoice):
                raise InvalidInput(
                    f"{where}.ap_invoice_id must be the AP invoice id a bill was submitted with.",
                    field=f"{where}.ap_invoice_id",
                )
            if invoice in seen:
                raise InvalidInput(
                    f"{where}.ap_invoice_id {invoice} is listed twice; pay each bill once per "
                    "payment (add the amounts).",
                    field=f"{where}.ap_invoice_id",
                )
            seen.add(invoice)
            bills.append(PaidBill(invoice, str(_positive(raw.get("amount"), f"{where}.amount"))))
        raw_credits = body.get("vendor_credits") or []
        if not isinstance(raw_credits, list) or len(raw_credits) > MAX_APPLIED_CREDITS:
            raise InvalidInput(
                f"vendor_credits must list at most {MAX_APPLIED_CREDITS} credits "
                "(vendor_credit_id, amount).",
                field="vendor_credits",
            )
        credits: list[AppliedCredit] = []
        for i, raw in enumerate(raw_credits):
            where = f"vendor_credits[{i}]"
            if not isinstance(raw, dict):
                raise InvalidInput(
                    f"{where} must be an object (vendor_credit_id, amount).", field=where
                )
            ap_credit = raw.get("ap_credit_id")
            if ap_credit is not None and (
                not isinstance(ap_credit, str) or not AP_ID.fullmatch(ap_credit)
            ):
                raise InvalidInput(
                    f"{where}.ap_credit_id must be the AP credit id a vendor credit was "
                    "submitted with.",
                    field=f"{where}.ap_credit_id",
                )
            credit_id = parse_ref(
                raw.get("vendor_credit_id"),
                f"{where}.vendor_credit_id",
                required=ap_credit is None,
            )
            if credit_id and ap_credit:
                raise InvalidInput(
                    f"{where}: name the credit once, by vendor_credit_id (QuickBooks) or "
                    "ap_credit_id (a credit note exported here), not both.",
                    field=f"{where}.ap_credit_id",
                )
            name = credit_id or ap_credit
            if any((c.vendor_credit_id or c.ap_credit_id) == name for c in credits):
                raise InvalidInput(
                    f"{where}: credit {name} is listed twice; apply it once.",
                    field=f"{where}.{'vendor_credit_id' if credit_id else 'ap_credit_id'}",
                )
            credits.append(
                AppliedCredit(
                    credit_id or "",
                    str(_positive(raw.get("amount"), f"{where}.amount")),
                    ap_credit,
                )
            )
        amount = parse_money(body.get("amount"), "amount")
        billed = sum((Decimal(b.amount) for b in bills), Decimal("0"))
        credited = sum((Decimal(c.amount) for c in credits), Decimal("0"))
        if credited > billed:
            raise InvalidInput(
                f"The vendor credits applied ({credited}) exceed the bills paid ({billed}); "
                "apply less credit.",
                field="vendor_credits",
            )
        if amount != billed - credited:
            raise InvalidInput(
                f"amount is {amount}, but the bills paid ({billed}) less the credits applied "
                f"({credited}) are {billed - credited}; the money paid must equal that.",
                field="amount",
            )
        if billed >= AMOUNT_LIMIT:
            raise InvalidInput(
                "The bills paid add up to too much; split the payment.", field="bills"
            )
        currency = body.get("currency")
        if currency is not None and (
            not isinstance(currency, str) or not CURRENCY.fullmatch(currency)
        ):
            raise InvalidInput("currency must be an ISO 4217 code such as USD.", field="currency")
        rate = body.get("exchange_rate")
        exchange_rate = None
        if rate is not None:
            exchange_rate = str(_exchange_rate(rate))
            if currency is None:
                raise InvalidInput(
                    "exchange_rate needs currency: the rate converts that currency into the "
                    "company's home currency.",
                    field="exchange_rate",
                )
        payment_date = parse_date(body.get("payment_date"), "payment_date", required=True)
        assert payment_date is not None
        check_number = parse_text(body.get("check_number"), "check_number", CHECK_NUMBER_MAX)
        if check_number is not None and PAY_TYPES[method] != "Check":
            raise InvalidInput(
                f"check_number applies to checks; a {METHOD_WORDS[method]} payment has none "
                "(use reference).",
                field="check_number",
            )
        bank = parse_ref(body.get("bank_account_id"), "bank_account_id")
        card = parse_ref(body.get("card_account_id"), "card_account_id")
        if bank and PAY_TYPES[method] != "Check":
            raise InvalidInput(
                f"bank_account_id is for checks and bank transfers; a {METHOD_WORDS[method]} "
                "payment is paid from card_account_id.",
                field="bank_account_id",
            )
        if card and PAY_TYPES[method] != "CreditCard":
            raise InvalidInput(
                f"card_account_id is for card payments; a {METHOD_WORDS[method]} is paid "
                "from bank_account_id.",
                field="card_account_id",
            )
        return cls(
            ap_payment_id=ap_id,
            vendor_id=parse_ref(body.get("vendor_id"), "vendor_id", required=True) or "",
            payment_date=payment_date,
            amount=str(amount),
            method=method,
            bills=tuple(bills),
            credits=tuple(credits),
            currency=currency,
            exchange_rate=exchange_rate,
            bank_account_id=bank,
            card_account_id=card,
            check_number=check_number,
            reference=parse_text(body.get("reference"), "reference", REFERENCE_MAX),
            memo=parse_text(body.get("memo"), "memo", MEMO_MAX - 200),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApPayment:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["bills"] = tuple(PaidBill(**b) for b in data.get("bills") or [])
        known["credits"] = tuple(AppliedCredit(**c) for c in data.get("credits") or [])
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["credits"] = [{k: v for k, v in c.items() if v is not None} for c in out["credits"]]
        return {k: v for k, v in out.items() if v is not None and v != []}

    def payload_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def pay_type(self) -> str:
        return PAY_TYPES[self.method]

    @property
    def paying_account_id(self) -> str | None:
        return self.bank_account_id if self.pay_type == "Check" else self.card_account_id

    def to_qbo(self, qbo_bill_ids: dict[str, str]) -> dict[str, Any]:
        """The QBO BillPayment body (qbo-api-facts.md, BillPayment); `qbo_bill_ids` maps
        each paid AP invoice to its exported QBO bill."""
        lines: list[dict[str, Any]] = [
            {
                "Amount": float(Decimal(b.amount)),
                "LinkedTxn": [{"TxnId": qbo_bill_ids[b.ap_invoice_id], "TxnType": "Bill"}],
            }
            for b in self.bills
        ]
        lines += [
            {
                "Amount": float(Decimal(c.amount)),
                "LinkedTxn": [{"TxnId": c.vendor_credit_id, "TxnType": "VendorCredit"}],
            }
            for c in self.credits
        ]
        body: dict[str, Any] = {
            "VendorRef": {"value": self.vendor_id},
            "PayType": self.pay_type,
            "TotalAmt": float(Decimal(self.amount)),
            "TxnDate": self.payment_date,
            "Line": lines,
            "PrivateNote": self.private_note(),
        }
        if self.pay_type == "Check":
            body["CheckPayment"] = {
                "BankAccountRef": {"value": self.bank_account_id},
                "PrintStatus": "NotSet",
            }
            if self.check_number:
                body["DocNumber"] = self.check_number
        else:
            body["CreditCardPayment"] = {"CCAccountRef": {"value": self.card_account_id}}
        if self.currency:
            body["CurrencyRef"] = {"value": self.currency}
        if self.exchange_rate:
            body["ExchangeRate"] = float(Decimal(self.exchange_rate))
        return body

    def private_note(self) -> str:
        parts = []
        if self.method not in ("check", "credit_card"):
            how = f"Paid by {METHOD_WORDS[self.method]}"
            parts.append(f"{how}, reference {self.reference}" if self.reference else how)
        elif self.reference:
            parts.append(f"Reference {self.reference}")
        if self.memo:
            parts.append(self.memo)
        parts.append(payment_marker(self.ap_payment_id))
        return ". ".join(parts)


def _positive(value: Any, field_name: str) -> Decimal:
    amount = parse_money(value, field_name)
    if amount <= 0:
        raise InvalidInput(f"{field_name} must be more than zero.", field=field_name)
    return amount


def _exchange_rate(value: Any) -> Decimal:
    problem = InvalidInput(
        "exchange_rate must be a positive number such as 1.2345 (home currency units per "
        f"unit of the payment's currency, at most {EXCHANGE_RATE_DECIMALS} decimals).",
        field="exchange_rate",
    )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise problem
    try:
        rate = Decimal(str(value))
    except ArithmeticError:
        raise problem from None
    if (
        not rate.is_finite()
        or rate <= 0
        or rate >= 10**9
        or -rate.as_tuple().exponent > EXCHANGE_RATE_DECIMALS  # type: ignore[operator]
    ):
        raise problem
    return rate


@dataclass
class PaymentExport:
    """The export log entry of one AP payment (in the export-log table, kind `payments`)."""

    org_id: str
    legal_entity_id: str
    ap_payment_id: str
    payment: dict[str, Any]  # ApPayment.to_dict(), the profile's defaults applied
    payload_hash: str  # of the payment as sent (a resend is the same answer)
    state: ExportState = ExportState.QUEUED
    generation: int = 1
    submitted_at: str = ""
    updated_at: str = ""
    lease_owner: str | None = None
    lease_until: int | None = None
    attempts: int = 0
    # The payment waits for these bills' export: {"reason", "ap_invoice_ids"}.
    waiting: dict[str, Any] | None = None
    # Each paid AP invoice's QBO bill, fixed once every bill is exported.
    qbo_bills: dict[str, str] | None = None
    qbo_bill_payment_id: str | None = None
    exported_at: str | None = None
    duplicate_of: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    void: dict[str, Any] | None = None
    marked_by: dict[str, Any] | None = None
    recovered: bool | None = None
    bill_balances: dict[str, Any] | None = field(default=None)

    def to_item(self) -> dict[str, Any]:
        return log_item(self)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PaymentExport:
        return cls(**log_fields(cls, item))

    @property
    def key(self) -> str:
        return self.ap_payment_id

    @property
    def parsed(self) -> ApPayment:
        return ApPayment.from_dict(self.payment)

    @property
    def status(self) -> PaymentStatus:
        if (self.void or {}).get("state") == VoidState.VOIDED:
            return PaymentStatus.VOIDED
        if self.state == ExportState.QUEUED and self.waiting:
            return PaymentStatus.WAITING_FOR_BILLS
        return PaymentStatus(str(self.state))

    def identity(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What QBO may hold once: the vendor, and each bill (QBO id) with its amount."""
        pay = self.payment
        qbo = self.qbo_bills or {}
        return (
            str(pay["vendor_id"]),
            tuple(
                sorted(
                    (qbo.get(b["ap_invoice_id"], b["ap_invoice_id"]), str(b["amount"]))
                    for b in pay["bills"]
                )
            ),
        )

    def view(self) -> dict[str, Any]:
        pay = self.payment
        out: dict[str, Any] = {
            "ap_payment_id": self.ap_payment_id,
            "state": str(self.status),
            "vendor_id": pay.get("vendor_id"),
            "payment_date": pay.get("payment_date"),
            "amount": pay.get("amount"),
            "currency": pay.get("currency"),
            "method": pay.get("method"),
            "bills": [
                {
                    **b,
                    **(
                        {"qbo_bill_id": self.qbo_bills[b["ap_invoice_id"]]}
                        if self.qbo_bills and b["ap_invoice_id"] in self.qbo_bills
                        else {}
                    ),
                }
                for b in pay.get("bills") or []
            ],
            "submitted_at": self.submitted_at,
            "updated_at": self.updated_at,
        }
        if pay.get("credits"):
            out["vendor_credits"] = pay["credits"]
        if self.waiting and self.state == ExportState.QUEUED:
            out["waiting"] = self.waiting
        if self.qbo_bill_payment_id:
            out["qbo_bill_payment_id"] = self.qbo_bill_payment_id
            out["qbo_link"] = qbo_bill_payment_link(self.qbo_bill_payment_id)
            out["exported_at"] = self.exported_at
        if self.bill_balances:
            out["bill_balances"] = self.bill_balances
        for name in ("duplicate_of", "failure", "void", "marked_by"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.state in (ExportState.QUEUED, ExportState.EXPORTING) and self.last_error:
            out["last_error"] = self.last_error
        return {k: v for k, v in out.items() if v is not None}


def qbo_bill_payment_link(bill_payment_id: str) -> str:
    return f"https://app.qbo.intuit.com/app/billpayment?txnId={bill_payment_id}"
