"""An approved AP invoice as the AP platform submits it, and its export record.

`ApInvoice.parse` validates the shape (which field, why, what to do) with strict
grammars: amounts, quantities and dates are plain ASCII, bounded and exact, so nothing
the parser accepts can fail later (a body never causes a 500). References to QBO master
data are checked later against the imported records (logic.bill_submission); the PDF's
location against the submitting organization and legal entity (`check_pdf_location`).
`BillExport` is what the export log stores per invoice.

A bill's identity is vendor + `invoice_number_identity(invoice_number)`: the one
function the export-log claim, the QBO look-up and recovery all compare with.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any

from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.legal_entity import validate_id

DOC_NUMBER_MAX = 21  # QBO's DocNumber limit
MEMO_MAX = 4000  # QBO's PrivateNote limit
DESCRIPTION_MAX = 4000
MAX_LINES = 250
# Amounts (per line, and the bill's total): at most 10 integer digits and 2 decimals,
# i.e. 0 to 9,999,999,999.99.
AMOUNT_DIGITS = 10
AMOUNT_DECIMALS = 2
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_DIGITS
# Quantities and unit prices: QBO keeps up to 7 decimals on Qty and UnitPrice. They
# travel as JSON numbers (doubles), which are exact only up to 15 significant digits.
QUANTITY_DECIMALS = 7
QUANTITY_SIGNIFICANT = 15
# Dates: YYYY-MM-DD in ASCII digits, within this range.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2099, 12, 31)
PDF_KEY_MAX_BYTES = 1024  # S3's key limit (UTF-8)
FILE_NAME_MAX = 200

_QBO_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_AP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(rf"[0-9]{{1,{AMOUNT_DIGITS}}}(?:\.[0-9]{{1,{AMOUNT_DECIMALS}}})?")
_QUANTITY = re.compile(rf"[0-9]{{1,{AMOUNT_DIGITS}}}(?:\.[0-9]{{1,{QUANTITY_DECIMALS}}})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Whitespace a memo or description may keep; any other control character is refused.
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
# What an invoice number, file name or S3 key may not carry: control characters (Cc),
# format characters (Cf: zero-width space/joiners, BOM, bidi overrides and isolates),
# surrogates (Cs), private use (Co), unassigned code points (Cn), line/paragraph
# separators (Zl, Zp).
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class DocumentKind:
    """What differs between the AP documents exported from the AP invoice's shape (vendor,
    number, date, lines, PDF): bills and vendor credits (credit notes). Everything else —
    parsing, the vendor + number identity and claim, the look-up, exactly once — is one."""

    object_type: str  # the QBO entity
    noun: str  # in messages
    plural: str
    log_kind: str  # the export log's partition suffix ("" for bills, which came first)
    request_prefix: str  # of requestids
    link_path: str  # app.qbo.intuit.com/app/<link_path>?txnId=
    # `include=` of a single create allowing a number QBO already holds (bills only: QBO's
    # duplicate-number warning concerns bills).
    include_despite_match: str | None
    has_terms: bool  # due date and terms (a credit note has neither)
    profile_flag: str  # the sync-profile setting that turns its export on

    def link(self, qbo_id: str) -> str:
        return f"https://app.qbo.intuit.com/app/{self.link_path}?txnId={qbo_id}"


BILL = DocumentKind(
    "Bill", "bill", "bills", "", "bill", "bill", "allowduplicatedocnum", True, "export_bills"
)
VENDOR_CREDIT = DocumentKind(
    "VendorCredit",
    "vendor credit",
    "vendor credits",
    "credits",
    "vcr",
    "vendorcredit",
    None,
    False,
    "export_vendor_credits",
)


class ExportState(StrEnum):
    QUEUED = "queued"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    DUPLICATE = "duplicate"
    FAILED = "failed"


FINAL_STATES = frozenset({ExportState.EXPORTED, ExportState.DUPLICATE, ExportState.FAILED})


# -- the export log's items, the same for every pushed kind (bills, payments, vendors) ------


def log_item(record: Any) -> dict[str, Any]:
    """A log entry (a dataclass with `state`) as its DynamoDB item: no None attributes."""
    item = asdict(record)
    item["state"] = str(record.state)
    return {k: v for k, v in item.items() if v is not None}


def log_fields(cls: Any, item: dict[str, Any]) -> dict[str, Any]:
    """The dataclass `cls`'s fields read back from its item (numbers as DynamoDB
    returns them, unknown attributes such as keys and markers dropped)."""
    known = {k: v for k, v in item.items() if k in cls.__dataclass_fields__}
    known["state"] = ExportState(known.get("state", ExportState.QUEUED))
    known["generation"] = int(known.get("generation") or 1)
    known["attempts"] = int(known.get("attempts") or 0)
    if known.get("lease_until") is not None:
        known["lease_until"] = int(known["lease_until"])
    return known


# A bill's (or credit's) view state while its vendor is still being created.
WAITING_FOR_VENDOR = "waiting_for_vendor"
BILL_STATES = (*(str(s) for s in ExportState), WAITING_FOR_VENDOR)


class PaymentState(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"


# --------------------------------------------------------------------------------------
# Identity of an invoice number


def invoice_number_identity(number: str) -> str:
    """What two invoice numbers must share to be the same number (for one vendor).

    - Unicode compatibility forms fold (NFKC): full-width letters and digits are the
      ASCII ones, ligatures are their letters;
    - case folds (`str.casefold`: `ß` is `ss`);
    - invisible format and control characters are dropped (a bill typed in QBO may
      carry a pasted zero-width space; submissions cannot carry one at all);
    - whitespace runs collapse to one space, none at either end.

    So `Inv-Mixed-1`, `INV-MIXED-1` and its full-width form are one number, as are
    `inv  double 2` and `INV DOUBLE 2`. The export-log claim, the QBO look-up and
    recovery all compare with this function and nothing else.
    """
    # Invisible characters go first: dropping one later could join a letter and a
    # combining mark that normalization would then compose differently.
    text = "".join(
        ch for ch in number if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    text = unicodedata.normalize("NFKC", text)
    # casefold can leave a string that is no longer NFKC (e.g. U+0130): normalize again.
    text = unicodedata.normalize("NFKC", text.casefold())
    return " ".join(text.split())


# --------------------------------------------------------------------------------------
# Where invoice PDFs live


def pdf_key_prefix(org_id: str, legal_entity_id: str) -> str:
    """Invoice PDFs live in the invoice bucket at `<org_id>/<legal_entity_id>/<name>`."""
    return f"{org_id}/{legal_entity_id}/"


def pdf_location_allowed(
    bucket: str, key: str, org_id: str, legal_entity_id: str, invoice_bucket: str
) -> bool:
    """May this organization's legal entity attach s3://bucket/key? Only from the
    configured invoice bucket, and only below its own prefix (a safe key, see `_pdf`)."""
    prefix = pdf_key_prefix(org_id, legal_entity_id)
    return (
        bool(invoice_bucket)
        and bucket == invoice_bucket
        and key.startswith(prefix)
        and len(key) > len(prefix)
        and _key_problem(key) is None
    )


def pdf_unreadable_reason(org_id: str, legal_entity_id: str) -> str:
    """One neutral reason for a PDF that is missing, forbidden or outside the prefix:
    it never tells whether an object exists anywhere else."""
    return (
        "The invoice PDF could not be read from the invoice bucket; upload it there under "
        f"{pdf_key_prefix(org_id, legal_entity_id)}, at the key the bill names."
    )


def check_pdf_location(
    pdf: PdfRef | None, org_id: str, legal_entity_id: str, invoice_bucket: str
) -> None:
    """At submission: 400 naming pdf.bucket or pdf.key unless the PDF is in the invoice
    bucket below the submitting organization's and legal entity's prefix."""
    if pdf is None:
        return
    prefix = pdf_key_prefix(org_id, legal_entity_id)
    if not invoice_bucket or pdf.bucket != invoice_bucket:
        raise InvalidInput(
            f"pdf.bucket must be the invoice bucket '{invoice_bucket}'; upload the PDF "
            f"there under {prefix}.",
            field="pdf.bucket",
        )
    if not pdf_location_allowed(pdf.bucket, pdf.key, org_id, legal_entity_id, invoice_bucket):
        raise InvalidInput(
            f"pdf.key must be below {prefix} (<org_id>/<legal_entity_id>/<file name>) "
            "in the invoice bucket; upload the PDF there and use that key.",
            field="pdf.key",
        )


# --------------------------------------------------------------------------------------
# Grammars


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}{' ' + name if name else ''}"


def _invisible(value: str) -> tuple[int, str] | None:
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _INVISIBLE:
            return i, ch
    return None


def _decimal(value: Any, field_name: str, grammar: re.Pattern[str], example: str) -> Decimal:
    """A JSON number or a string of ASCII digits with an optional fraction; nothing else
    (no sign, exponent, underscore, NaN/Infinity, non-ASCII digit or surrounding space)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(
            f"{field_name} must be a number such as {example} (a JSON number or a string "
            "of digits).",
            field=field_name,
        )
    if isinstance(value, int):
        if value < 0 or value >= AMOUNT_LIMIT:
            raise _range(field_name)
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput(
                f"{field_name} must be a finite number such as {example}.", field=field_name
            )
        if value < 0 or (value == 0 and str(value).startswith("-")):
            raise _negative(field_name)
        if value >= AMOUNT_LIMIT:
            raise _range(field_name)
        number = Decimal(repr(value))  # the shortest decimal that round-trips
        digits = -int(number.as_tuple().exponent)
        allowed = AMOUNT_DECIMALS if grammar is _AMOUNT else QUANTITY_DECIMALS
        if digits > allowed:
            raise _decimals(field_name, allowed)
        return number
    if value.startswith("-"):
        raise _negative(field_name)
    if not value.isascii() or not grammar.fullmatch(value):
        allowed = AMOUNT_DECIMALS if grammar is _AMOUNT else QUANTITY_DECIMALS
        whole, _, frac = value.partition(".")
        if value.isascii() and whole.isdigit() and frac.isdigit() and len(frac) > allowed:
            raise _decimals(field_name, allowed)
        if value.isascii() and whole.isdigit() and len(whole) > AMOUNT_DIGITS:
            raise _range(field_name)
        raise InvalidInput(
            f"{field_name} must be written like {example}: ASCII digits, an optional "
            f"point and at most {allowed} decimals (no sign, spaces, separators or "
            "exponent).",
            field=field_name,
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the grammar admits only decimals
        raise InvalidInput(
            f"{field_name} must be a number such as {example}.", field=field_name
        ) from None


def _range(field_name: str) -> InvalidInput:
    todo = "split the invoice" if field_name.endswith("amount") else "correct it"
    return InvalidInput(
        f"{field_name} must be less than 10,000,000,000 (at most "
        f"{AMOUNT_DIGITS} digits before the point); {todo}.",
        field=field_name,
    )


def _negative(field_name: str) -> InvalidInput:
    return InvalidInput(
        f"{field_name} must not be negative (nor -0); credits are exported as vendor "
        "credits, not bills.",
        field=field_name,
    )


def _decimals(field_name: str, allowed: int) -> InvalidInput:
    what = "round it to cents" if allowed == AMOUNT_DECIMALS else "round it"
    return InvalidInput(f"{field_name} has more than {allowed} decimals; {what}.", field=field_name)


def _money(value: Any, field_name: str) -> Decimal:
    """An amount: 0 to 9,999,999,999.99, at most 2 decimals."""
    return _decimal(value, field_name, _AMOUNT, "125.50")


def _quantity(value: Any, field_name: str, *, allow_zero: bool) -> Decimal:
    """A qty or unit price: below 10^10, at most 7 decimals and 15 significant digits."""
    number = _decimal(value, field_name, _QUANTITY, "2.5")
    if number == 0 and not allow_zero:
        raise InvalidInput(f"{field_name} must be more than zero.", field=field_name)
    significant = len(number.normalize().as_tuple().digits) if number else 0
    if significant > QUANTITY_SIGNIFICANT:
        raise InvalidInput(
            f"{field_name} has {significant} significant digits; QuickBooks keeps at most "
            f"{QUANTITY_SIGNIFICANT}. Round it.",
            field=field_name,
        )
    return number


def _text(value: Any, field_name: str, limit: int, *, required: bool = False) -> str | None:
    """Free text (memo, description): tab and line breaks allowed, no other control
    character and no lone surrogate (it could not be stored or sent)."""
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field_name} is required.", field=field_name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field_name} must be text.", field=field_name)
    if len(value) > limit:
        raise InvalidInput(
            f"{field_name} is {len(value)} characters; QuickBooks accepts at "
            f"most {limit}. Shorten it.",
            field=field_name,
        )
    for i, ch in enumerate(value):
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in _TEXT_CONTROLS_ALLOWED) or category == "Cs":
            raise InvalidInput(
                f"{field_name} contains the control or invalid character {_describe(ch)} at "
                f"position {i + 1}; remove it (tabs and line breaks are fine).",
                field=field_name,
            )
    return value


def _visible_text(value: Any, field_name: str, limit: int, what: str) -> str:
    """Text that must be exactly what a person sees: no invisible character at all."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field_name} must be text.", field=field_name)
    if len(value) > limit:
        raise InvalidInput(
            f"{field_name} is {len(value)} characters; at most {limit} are accepted. Shorten it.",
            field=field_name,
        )
    found = _invisible(value)
    if found is not None:
        i, ch = found
        raise InvalidInput(
            f"{field_name} contains the invisible or control character {_describe(ch)} at "
            f"position {i + 1}; send {what} without it.",
            field=field_name,
        )
    return value


def _invoice_number(value: Any) -> str:
    if value is None or value == "":
        raise InvalidInput(
            "invoice_number is required: the vendor's invoice number.", field="invoice_number"
        )
    number = _visible_text(
        value, "invoice_number", DOC_NUMBER_MAX, "the number as printed on the invoice"
    ).strip()
    if not number or not invoice_number_identity(number):
        raise InvalidInput(
            "invoice_number is blank; send the vendor's invoice number.", field="invoice_number"
        )
    return number


def _ref(value: Any, field_name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(
                f"{field_name} is required: the QuickBooks id of the record, "
                "as listed by GET /legal-entities/{id}/records.",
                field=field_name,
            )
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**18:
        value = str(value)
    if not isinstance(value, str) or not _QBO_ID.fullmatch(value):
        raise InvalidInput(
            f'{field_name} must be a QuickBooks record id such as "42".', field=field_name
        )
    return value


def _date(value: Any, field_name: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field_name} is required (YYYY-MM-DD).", field=field_name)
        return None
    problem = f"{field_name} must be a date written YYYY-MM-DD (ASCII digits), such as 2025-10-01."
    if not isinstance(value, str) or not value.isascii() or not _DATE.fullmatch(value):
        raise InvalidInput(problem, field=field_name)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field_name} {value} is not a calendar date; correct it.", field=field_name
        ) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidInput(
            f"{field_name} {value} is outside {DATE_MIN.isoformat()}..{DATE_MAX.isoformat()};"
            " correct it.",
            field=field_name,
        )
    return day.isoformat()


def _key_problem(key: str) -> str | None:
    """Why an S3 key is not a plain relative path (None when it is)."""
    if len(key.encode("utf-8", "surrogatepass")) > PDF_KEY_MAX_BYTES:
        return f"is longer than {PDF_KEY_MAX_BYTES} bytes"
    if key.startswith("/"):
        return "starts with '/'"
    if "//" in key:
        return "contains '//'"
    if "\\" in key:
        return "contains a backslash"
    if any(part in (".", "..") for part in key.split("/")):
        return "contains a '.' or '..' path segment"
    found = _invisible(key)
    if found is not None:
        return f"contains the invisible or control character {_describe(found[1])}"
    return None


@dataclass(frozen=True)
class PdfRef:
    bucket: str
    key: str
    file_name: str
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class BillLine:
    amount: str  # decimal string, exact cents
    account_id: str | None = None
    item_id: str | None = None
    description: str | None = None
    qty: str | None = None
    unit_price: str | None = None
    class_id: str | None = None
    customer_id: str | None = None
    billable: bool = False
    tax_code_id: str | None = None
    # The purchase-order line this line bills (PO-matched bills: logic.purchase_orders).
    purchase_order_id: str | None = None
    purchase_order_line_id: str | None = None


@dataclass(frozen=True)
class ApInvoice:
    ap_invoice_id: str
    vendor_id: str
    invoice_number: str
    invoice_date: str
    lines: tuple[BillLine, ...]
    due_date: str | None = None
    terms_id: str | None = None
    currency: str | None = None
    department_id: str | None = None  # QBO location, a header field on bills
    ap_account_id: str | None = None
    memo: str | None = None
    pdf: PdfRef | None = None
    # Instead of vendor_id (then ""): the AP supplier whose vendor is being created; the
    # document waits for it (logic.vendor_wait), then goes on with the vendor's id.
    ap_supplier_id: str | None = None

    # -- parsing ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, body: Any) -> ApInvoice:
        """The invoice, or InvalidInput naming the field (and only InvalidInput)."""
        if not isinstance(body, dict):
            raise InvalidInput(
                "The body must be a JSON object describing the AP invoice.", field="body"
            )
        ap_id = validate_id(body.get("ap_invoice_id"), "ap_invoice_id")
        if not _AP_ID.fullmatch(ap_id):  # validate_id's `$` lets a trailing newline by
            raise InvalidInput(
                "ap_invoice_id must be 1-64 letters, digits, '.', '_' or '-', starting with "
                "a letter or digit.",
                field="ap_invoice_id",
            )
        number = _invoice_number(body.get("invoice_number"))
        invoice_date = _date(body.get("invoice_date"), "invoice_date", required=True)
        assert invoice_date is not None
        due = _date(body.get("due_date"), "due_date")
        if due is not None and due < invoice_date:
            raise InvalidInput(
                "due_date is before invoice_date; correct one of them.", field="due_date"
            )
        currency = body.get("currency")
        if currency is not None and (
            not isinstance(currency, str) or not _CURRENCY.fullmatch(currency)
        ):
            raise InvalidInput("currency must be an ISO 4217 code such as USD.", field="currency")
        raw_lines = body.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise InvalidInput(
                "lines must list at least one line (amount and GL account or item).", field="lines"
            )
        if len(raw_lines) > MAX_LINES:
            raise InvalidInput(
                f"lines has {len(raw_lines)} lines; at most {MAX_LINES} are "
                "accepted. Split the invoice.",
                field="lines",
            )
        lines = tuple(_line(raw, f"lines[{i}]") for i, raw in enumerate(raw_lines))
        total = sum((Decimal(line.amount) for line in lines), Decimal("0"))
        if total >= AMOUNT_LIMIT:
            raise InvalidInput(
                f"The lines add up to {total}; a bill's total must be less than "
                "10,000,000,000. Split the invoice.",
                field="lines",
            )
        supplier = body.get("ap_supplier_id")
        if supplier is not None:
            if not isinstance(supplier, str) or not _AP_ID.fullmatch(supplier):
                raise InvalidInput(
                    "ap_supplier_id must be the AP supplier id submitted to POST "
                    "/legal-entities/{id}/vendors: 1-64 letters, digits, '.', '_' or '-'.",
                    field="ap_supplier_id",
                )
            if body.get("vendor_id") not in (None, ""):
                raise InvalidInput(
                    "Give vendor_id or ap_supplier_id, not both: ap_supplier_id names a "
                    "supplier whose vendor this connector creates.",
                    field="ap_supplier_id",
                )
        return cls(
            ap_invoice_id=ap_id,
            vendor_id=(
                ""
                if supplier is not None
                else _ref(body.get("vendor_id"), "vendor_id", required=True) or ""
            ),
            ap_supplier_id=supplier,
            invoice_number=number,
            invoice_date=invoice_date,
            lines=lines,
            due_date=due,
            terms_id=_ref(body.get("terms_id"), "terms_id"),
            currency=currency,
            department_id=_ref(body.get("department_id"), "department_id"),
            ap_account_id=_ref(body.get("ap_account_id"), "ap_account_id"),
            memo=_text(body.get("memo"), "memo", MEMO_MAX),
            pdf=_pdf(body.get("pdf")),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApInvoice:
        """Rebuild a stored (already validated) invoice."""
        lines = tuple(BillLine(**line) for line in data.get("lines") or [])
        pdf = PdfRef(**data["pdf"]) if data.get("pdf") else None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "lines": lines, "pdf": pdf})

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lines"] = [{k: v for k, v in line.items() if v is not None} for line in out["lines"]]
        return {k: v for k, v in out.items() if v is not None}

    # -- derived ---------------------------------------------------------------------------

    @property
    def number_identity(self) -> str:
        """The invoice number as identity compares it (`invoice_number_identity`)."""
        return invoice_number_identity(self.invoice_number)

    @property
    def total(self) -> Decimal:
        return sum((Decimal(line.amount) for line in self.lines), Decimal("0"))

    def payload_hash(self) -> str:
        """Stable over key order and number spelling: the idempotency fingerprint."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def references(self) -> list[tuple[str, str, str]]:
        """(field, record type, QBO id) of every master-data reference, for validation."""
        # A waiting document's vendor is not known yet (ap_supplier_id instead).
        refs: list[tuple[str, str, str]] = (
            [("vendor_id", "Vendor", self.vendor_id)] if self.vendor_id else []
        )
        for name, kind, value in (
            ("terms_id", "Term", self.terms_id),
            ("department_id", "Department", self.department_id),
            ("ap_account_id", "Account", self.ap_account_id),
        ):
            if value:
                refs.append((name, kind, value))
        for i, line in enumerate(self.lines):
            for name, kind, value in (
                ("account_id", "Account", line.account_id),
                ("item_id", "Item", line.item_id),
                ("class_id", "Class", line.class_id),
                ("customer_id", "Customer", line.customer_id),
                ("tax_code_id", "TaxCode", line.tax_code_id),
            ):
                if value:
                    refs.append((f"lines[{i}].{name}", kind, value))
        return refs

    def to_qbo(self, kind: DocumentKind = BILL) -> dict[str, Any]:
        """The QBO Bill (or VendorCredit: no due date or terms) body (field by field; see
        qbo-api-facts.md, Bill)."""
        bill: dict[str, Any] = {
            "VendorRef": {"value": self.vendor_id},
            "DocNumber": self.invoice_number,
            "TxnDate": self.invoice_date,
            "Line": [_qbo_line(line, n) for n, line in enumerate(self.lines, 1)],
        }
        if self.due_date and kind.has_terms:
            bill["DueDate"] = self.due_date
        if self.terms_id and kind.has_terms:
            bill["SalesTermRef"] = {"value": self.terms_id}
        if self.currency:
            bill["CurrencyRef"] = {"value": self.currency}
        if self.department_id:
            bill["DepartmentRef"] = {"value": self.department_id}
        if self.ap_account_id:
            bill["APAccountRef"] = {"value": self.ap_account_id}
        if self.memo:
            bill["PrivateNote"] = self.memo
        return bill


def _qbo_line(line: BillLine, number: int) -> dict[str, Any]:
    out: dict[str, Any] = {"LineNum": number, "Amount": float(Decimal(line.amount))}
    if line.description:
        out["Description"] = line.description
    detail: dict[str, Any] = {}
    if line.class_id:
        detail["ClassRef"] = {"value": line.class_id}
    if line.customer_id:
        detail["CustomerRef"] = {"value": line.customer_id}
        detail["BillableStatus"] = "Billable" if line.billable else "NotBillable"
    if line.tax_code_id:
        detail["TaxCodeRef"] = {"value": line.tax_code_id}
    if line.purchase_order_id:
        # QBO links the bill line to the PO line; the PO shows it billed, and closes once
        # every line is fully billed.
        out["LinkedTxn"] = [
            {
                "TxnId": line.purchase_order_id,
                "TxnType": "PurchaseOrder",
                "TxnLineId": line.purchase_order_line_id,
            }
        ]
    if line.item_id:
        detail["ItemRef"] = {"value": line.item_id}
        if line.qty is not None:
            detail["Qty"] = float(Decimal(line.qty))
        if line.unit_price is not None:
            detail["UnitPrice"] = float(Decimal(line.unit_price))
        out["DetailType"] = "ItemBasedExpenseLineDetail"
        out["ItemBasedExpenseLineDetail"] = detail
    else:
        detail["AccountRef"] = {"value": line.account_id}
        out["DetailType"] = "AccountBasedExpenseLineDetail"
        out["AccountBasedExpenseLineDetail"] = detail
    return out


def _line(raw: Any, where: str) -> BillLine:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be an object.", field=where)
    account = _ref(raw.get("account_id"), f"{where}.account_id")
    item = _ref(raw.get("item_id"), f"{where}.item_id")
    if bool(account) == bool(item):
        raise InvalidInput(
            f"{where} needs exactly one of account_id (an expense line) or item_id (an item line).",
            field=where,
        )
    amount = _money(raw.get("amount"), f"{where}.amount")
    qty = unit_price = None
    if raw.get("qty") is not None or raw.get("unit_price") is not None:
        if account:
            raise InvalidInput(
                f"{where}: qty and unit_price apply to item lines only; use item_id or drop them.",
                field=f"{where}.qty",
            )
        q = _quantity(raw.get("qty", 1), f"{where}.qty", allow_zero=False)
        p = _quantity(raw.get("unit_price", 0), f"{where}.unit_price", allow_zero=True)
        with localcontext() as exact:
            exact.prec = 60  # both factors are bounded: the product is exact
            product = q * p
            rounded = product.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if raw.get("unit_price") is not None and rounded != amount:
            raise InvalidInput(
                f"{where}: qty x unit_price is {product}, not amount {amount}; correct one "
                "of them.",
                field=f"{where}.amount",
            )
        qty, unit_price = str(q), (str(p) if raw.get("unit_price") is not None else None)
    billable = raw.get("billable", False)
    if not isinstance(billable, bool):
        raise InvalidInput(f"{where}.billable must be true or false.", field=f"{where}.billable")
    customer = _ref(raw.get("customer_id"), f"{where}.customer_id")
    if billable and not customer:
        raise InvalidInput(
            f"{where}: a billable line needs customer_id (who it is billed to).",
            field=f"{where}.customer_id",
        )
    po_id = _ref(raw.get("purchase_order_id"), f"{where}.purchase_order_id")
    po_line = _ref(raw.get("purchase_order_line_id"), f"{where}.purchase_order_line_id")
    if bool(po_id) != bool(po_line):
        missing = "purchase_order_line_id" if po_id else "purchase_order_id"
        raise InvalidInput(
            f"{where}.{missing} is required with the other: a matched line names the purchase "
            "order and its line (GET /legal-entities/{id}/purchase-orders/{poId}).",
            field=f"{where}.{missing}",
        )
    return BillLine(
        amount=str(amount.quantize(Decimal("0.01"))),
        account_id=account,
        item_id=item,
        description=_text(raw.get("description"), f"{where}.description", DESCRIPTION_MAX),
        qty=qty,
        unit_price=unit_price,
        class_id=_ref(raw.get("class_id"), f"{where}.class_id"),
        customer_id=customer,
        billable=billable,
        tax_code_id=_ref(raw.get("tax_code_id"), f"{where}.tax_code_id"),
        purchase_order_id=po_id,
        purchase_order_line_id=po_line,
    )


def _pdf(raw: Any) -> PdfRef | None:
    """The PDF's S3 location: a plain relative key (no leading '/', '//', '.' or '..'
    segment, backslash or invisible character). Whose prefix it must be under is
    checked against the submitting legal entity (`check_pdf_location`)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("pdf must be an object {bucket, key, file_name}.", field="pdf")
    bucket = raw.get("bucket")
    if bucket is None or bucket == "":
        raise InvalidInput("pdf.bucket is required: the invoice bucket.", field="pdf.bucket")
    if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
        raise InvalidInput(
            "pdf.bucket must be an S3 bucket name (the invoice bucket).", field="pdf.bucket"
        )
    key = raw.get("key")
    if key is None or key == "":
        raise InvalidInput(
            "pdf.key is required: <org_id>/<legal_entity_id>/<file name>.", field="pdf.key"
        )
    key = _visible_text(key, "pdf.key", PDF_KEY_MAX_BYTES, "the key")
    problem = _key_problem(key)
    if problem is not None:
        raise InvalidInput(
            f"pdf.key {problem}; use a plain key <org_id>/<legal_entity_id>/<file name>.",
            field="pdf.key",
        )
    raw_name = raw.get("file_name")
    name = (
        _visible_text(raw_name, "pdf.file_name", FILE_NAME_MAX, "the file name")
        if raw_name not in (None, "")
        else key.rsplit("/", 1)[-1]
    )
    if not name.lower().endswith(".pdf") or "/" in name or "\\" in name:
        raise InvalidInput(
            "pdf.file_name must be a file name ending in .pdf (QuickBooks shows it by name).",
            field="pdf.file_name",
        )
    return PdfRef(bucket=bucket, key=key, file_name=name)


@dataclass
class BillExport:
    """The export log entry of one AP invoice (one row of the BillExports table)."""

    org_id: str
    legal_entity_id: str
    ap_invoice_id: str
    invoice: dict[str, Any]
    payload_hash: str
    dup_key: str
    state: ExportState = ExportState.QUEUED
    # Bumped whenever a definitive outcome is reset (resubmission after failed/duplicate):
    # the requestid of a new intent must differ from the old one, which QBO remembers.
    generation: int = 1
    submitted_at: str = ""
    updated_at: str = ""
    lease_owner: str | None = None
    lease_until: int | None = None
    # Set once a create may have reached QBO: recovery must look QBO up before creating.
    sent_at: str | None = None
    attempts: int = 0
    qbo_bill_id: str | None = None
    exported_at: str | None = None
    duplicate_of: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    attachment: dict[str, Any] | None = None
    payment: dict[str, Any] = field(default_factory=lambda: {"state": str(PaymentState.UNPAID)})
    marked_by: dict[str, Any] | None = None
    # While `queued` for a vendor still being created (logic.vendor_wait): its AP supplier
    # id and why it waits. The lease refuses a waiting bill; no vendor + number is claimed.
    waiting: dict[str, Any] | None = None

    def to_item(self) -> dict[str, Any]:
        return log_item(self)

    @property
    def status(self) -> str:
        """The state a person reads: the engine's, or `waiting_for_vendor`."""
        if self.state == ExportState.QUEUED and self.waiting:
            return WAITING_FOR_VENDOR
        return str(self.state)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> BillExport:
        return cls(**log_fields(cls, item))

    @property
    def key(self) -> str:
        """The push engine's name for the AP platform's id (models.push.PushRecord)."""
        return self.ap_invoice_id

    @property
    def parsed(self) -> ApInvoice:
        return ApInvoice.from_dict(self.invoice)

    def view(self, realm_id: str | None = None) -> dict[str, Any]:
        """The API answer: state, QBO ids, reason and payment state; no internals."""
        inv = self.invoice
        out: dict[str, Any] = {
            "ap_invoice_id": self.ap_invoice_id,
            "state": self.status,
            "vendor_id": inv.get("vendor_id") or None,
            "invoice_number": inv.get("invoice_number"),
            "submitted_at": self.submitted_at,
            "updated_at": self.updated_at,
        }
        if self.waiting:
            out["ap_supplier_id"] = self.waiting.get("ap_supplier_id")
            if self.state == ExportState.QUEUED:
                out["waiting"] = self.waiting
        if self.qbo_bill_id:
            out["qbo_bill_id"] = self.qbo_bill_id
            out["exported_at"] = self.exported_at
            if realm_id:
                out["qbo_link"] = qbo_bill_link(self.qbo_bill_id)
        if self.duplicate_of:
            out["duplicate_of"] = self.duplicate_of
        if self.failure:
            out["failure"] = self.failure
        if self.state in (ExportState.QUEUED, ExportState.EXPORTING) and self.last_error:
            out["last_error"] = self.last_error
        if self.attachment:
            out["attachment"] = self.attachment
        if self.state == ExportState.EXPORTED:
            # Internal bookkeeping (the QBO SyncToken seen) stays out of the answer.
            out["payment"] = {k: v for k, v in self.payment.items() if not k.startswith("qbo_")}
        if self.marked_by:
            out["marked_by"] = self.marked_by
        return out


def qbo_bill_link(bill_id: str) -> str:
    return f"https://app.qbo.intuit.com/app/bill?txnId={bill_id}"


# -- the export log's claims on vendor + invoice number ---------------------------------


def dup_key(org_id: str, legal_entity_id: str, vendor_id: str, identity: str) -> str:
    """`identity` is invoice_number_identity(number); vendor ids never contain '#'."""
    return f"{org_id}#{legal_entity_id}#{vendor_id}#{identity}"


@dataclass(frozen=True)
class Claim:
    """Who holds a vendor + number; `token` changes with every (re)claim."""

    owner: str
    token: str
    at: int = 0  # epoch seconds of the claim (crash leftovers are recognised by age)


class ClaimHeld(Exception):
    """Another AP invoice holds the vendor + invoice number."""

    def __init__(self, owner: str, token: str = "", at: int = 0) -> None:
        super().__init__(owner)
        self.owner = owner
        self.token = token
        self.at = at


class StaleRecord(Exception):
    """The record changed between our read and our conditional write."""


# -- the field grammars, shared with the other pushed kinds' parsers (models.payment) ----

parse_money = _money
parse_date = _date
parse_ref = _ref
parse_text = _text
AP_ID = _AP_ID
CURRENCY = _CURRENCY
