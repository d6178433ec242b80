"""What callers send, as Pydantic models: the JSON request bodies of the HTTP API and the
ops console's events.

The models state the shape: which fields exist (an unknown field is refused, naming it:
in a bill or a schedule it is most likely a misspelt optional field, which would
otherwise be dropped without a word), their JSON types, which are required, and the
lengths, counts and ranges. The routes declare them as their bodies, so Powertools
validates a request before any route code runs and the OpenAPI document shows them;
the ops console validates its events with them. `models/input_errors.py` words their
errors (which field, why, what to send, from each field's description).

The domain parsers keep the rules a JSON Schema cannot say, or cannot say as well:
`ApInvoice.parse` (amount, quantity and date grammars, account xor item, qty x price,
totals), `sync_schedule.validate` (day names, times of day, duplicates, IANA time
zones), `parse_sync_request` (modes, `since`), `parse_profile`, and the services
(references against imported records, PDF locations, permissions). Those grammars are
shown in the document (`pattern`, `enum`) for callers and generated clients, and
enforced once, by the parser, whose message is the specific one (a negative amount is
a vendor credit, not a bill); `tests/unit/test_inputs.py` holds the documented patterns
to the parsers' grammars.

Models import nothing of the package but models, and no Powertools.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from qbo_connector.models.bill import (
    DESCRIPTION_MAX,
    DOC_NUMBER_MAX,
    FILE_NAME_MAX,
    MAX_LINES,
    MEMO_MAX,
    PDF_KEY_MAX_BYTES,
)
from qbo_connector.models.input_errors import Advice
from qbo_connector.models.sync_schedule import (
    DAYS,
    MAX_INTERVAL_HOURS,
    MAX_TIMES_PER_DAY,
    MAX_TIMEZONE_LENGTH,
    MIN_INTERVAL_HOURS,
)
from qbo_connector.models.vendor import (
    ACCOUNT_NUMBER_MAX,
    ADDRESS_LINE_MAX,
    CITY_MAX,
    COMPANY_NAME_MAX,
    COUNTRY_MAX,
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    PERSON_NAME_MAX,
    PHONE_MAX,
    POSTAL_CODE_MAX,
    REGION_MAX,
    TAX_ID_MAX,
)

# The grammars the parsers enforce, as the OpenAPI document shows them.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # legal entities, orgs, AP invoices
QBO_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
AMOUNT_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
QUANTITY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,7})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
SYNC_MODES = ("incremental", "full", "partial")
AMOUNT_LIMIT = 10_000_000_000  # exclusive, as models.bill.AMOUNT_LIMIT


class _Input(BaseModel):
    """Strict JSON: no coercion ("4" is not 4, 1 is not true), no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")
    # How an error message names the model ("x is not a field of a bill line").
    in_words: ClassVar[str] = "the request"


def _json_types(*kinds: type, expected: str) -> PlainValidator:
    """Accept exactly these JSON types (bool is never a number); the parser reads the
    value itself, so it arrives untouched."""

    def check(value: Any) -> Any:
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise PydanticCustomError("json_type", "must be {expected}", {"expected": expected})
        return value

    return PlainValidator(check)


# A QuickBooks record id: "42", or 42 (JSON numbers are read as their digits).
QboId = Annotated[
    str | int,
    _json_types(str, int, expected='a QuickBooks id (a string such as "42", or a number)'),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": QBO_ID_PATTERN, "maxLength": 64},
                {"type": "integer", "minimum": 0},
            ]
        }
    ),
]
# Amounts and quantities: a JSON number or a string of ASCII digits, read exactly.
Amount = Annotated[
    int | float | str,
    _json_types(int, float, str, expected="a number or a string of digits"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": AMOUNT_LIMIT},
                {"type": "string", "pattern": AMOUNT_PATTERN},
            ]
        }
    ),
]
Quantity = Annotated[
    int | float | str,
    _json_types(int, float, str, expected="a number or a string of digits"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": AMOUNT_LIMIT},
                {"type": "string", "pattern": QUANTITY_PATTERN},
            ]
        }
    ),
]
ApDate = Annotated[str, Field(json_schema_extra={"pattern": DATE_PATTERN, "format": "date"})]


def _ref(description: str) -> Any:
    return Field(default=None, description=description)


# -- POST /legal-entities/{id}/bills ---------------------------------------------------------

# A document's vendor by the AP supplier submitted to POST .../vendors: the vendor's id
# once it is created; a document for a supplier still being created waits for it.
_SUPPLIER_REF = Field(
    default=None,
    min_length=1,
    max_length=64,
    description="Instead of vendor_id: the AP supplier id of a supplier submitted to POST "
    "/legal-entities/{id}/vendors (the document waits while its vendor is being created)",
    json_schema_extra={"pattern": ID_PATTERN},
)


class _VendorRef(_Input):
    """A document's vendor: its QuickBooks id, or the AP supplier whose vendor we create."""

    # One of the two is required: the document says so for callers and generated clients.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["vendor_id"]}, {"required": ["ap_supplier_id"]}]}
    )

    ap_supplier_id: Annotated[str | None, _SUPPLIER_REF]
    vendor_id: Annotated[
        QboId | None,
        Field(
            default=None,
            validate_default=True,
            description="The QuickBooks id of the vendor, as listed by "
            "GET /legal-entities/{id}/records/Vendor (or give ap_supplier_id)",
        ),
    ]

    @field_validator("vendor_id")
    @classmethod
    def _vendor_or_supplier(cls, value: Any, info: ValidationInfo) -> Any:
        """vendor_id may be left out only when ap_supplier_id names the supplier instead."""
        if value is None and info.data.get("ap_supplier_id") is None:
            raise PydanticCustomError("missing", "Field required")
        return value


class PdfBody(_Input):
    """The invoice PDF in the invoice bucket: {bucket, key, file_name?}."""

    in_words: ClassVar[str] = "pdf"

    bucket: Annotated[
        str,
        Field(
            min_length=1,
            max_length=63,
            description="The invoice bucket (the stack's InvoiceBucketName)",
            json_schema_extra={"pattern": BUCKET_PATTERN},
        ),
    ]
    key: Annotated[
        str,
        Field(
            min_length=1,
            max_length=PDF_KEY_MAX_BYTES,
            description="The object key: <org_id>/<legal_entity_id>/<file name> of the "
            "submitting organization and legal entity (a plain relative key)",
        ),
    ]
    file_name: Annotated[
        str | None,
        Field(
            max_length=FILE_NAME_MAX,
            description="The name QuickBooks shows, ending in .pdf (default: the key's last part)",
        ),
    ] = None


class BillLineBody(_Input):
    """One line: an amount with a GL account (expense line) or an item (item line)."""

    in_words: ClassVar[str] = "a bill line"

    amount: Annotated[
        Amount,
        Field(
            description="The line's amount such as 125.50: a JSON number or a string of "
            "ASCII digits, at most 2 decimals, 0 to 9,999,999,999.99",
        ),
    ]
    account_id: Annotated[
        QboId | None,
        _ref(
            "The QuickBooks id of the expense (GL) account of an expense line; exactly one "
            "of account_id and item_id"
        ),
    ]
    item_id: Annotated[QboId | None, _ref("The QuickBooks id of the item of an item line")]
    qty: Annotated[
        Quantity | None,
        _ref("An item line's quantity, more than 0, at most 7 decimals (default 1)"),
    ]
    unit_price: Annotated[
        Quantity | None,
        _ref("An item line's unit price, at most 7 decimals; qty x unit_price rounds to amount"),
    ]
    class_id: Annotated[QboId | None, _ref("The QuickBooks id of the line's class")]
    customer_id: Annotated[
        QboId | None, _ref("The QuickBooks id of the customer the line is for (billable lines)")
    ]
    billable: Annotated[
        bool, Field(description="Whether the line is billed on to its customer_id")
    ] = False
    tax_code_id: Annotated[QboId | None, _ref("The QuickBooks id of the line's tax code")]
    description: Annotated[
        str | None,
        Field(
            max_length=DESCRIPTION_MAX,
            description=f"The line's description (at most {DESCRIPTION_MAX} characters; tabs "
            "and line breaks allowed, other control characters not)",
        ),
    ] = None
    purchase_order_id: Annotated[
        QboId | None,
        _ref("The QuickBooks id of the purchase order this line bills (PO-matched bills)"),
    ]
    purchase_order_line_id: Annotated[
        QboId | None, _ref("The line of that purchase order (its line id)")
    ]


class BillBody(_VendorRef):
    """An approved AP invoice, to be exported into QuickBooks as a Bill.

    Ids are QuickBooks ids from GET /legal-entities/{id}/records/{type}. Submitting the
    same ap_invoice_id again is idempotent.
    """

    in_words: ClassVar[str] = "a bill"

    ap_invoice_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP platform's id of the invoice: 1-64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    invoice_number: Annotated[
        str,
        Field(
            min_length=1,
            max_length=DOC_NUMBER_MAX,
            description=f"The vendor's invoice number as printed on the invoice (at most "
            f"{DOC_NUMBER_MAX} characters, no control or invisible characters)",
        ),
    ]
    invoice_date: Annotated[
        ApDate, Field(min_length=1, description="The invoice date, YYYY-MM-DD such as 2025-10-01")
    ]
    due_date: Annotated[ApDate | None, _ref("The due date, YYYY-MM-DD, not before invoice_date")]
    terms_id: Annotated[QboId | None, _ref("The QuickBooks id of the payment terms")]
    currency: Annotated[
        str | None,
        Field(
            description="The ISO 4217 currency code such as USD (multicurrency companies)",
            json_schema_extra={"pattern": CURRENCY_PATTERN},
        ),
    ] = None
    department_id: Annotated[
        QboId | None, _ref("The QuickBooks id of the department (location) of the bill")
    ]
    ap_account_id: Annotated[
        QboId | None, _ref("The QuickBooks id of the accounts payable account to credit")
    ]
    memo: Annotated[
        str | None,
        Field(
            max_length=MEMO_MAX,
            description=f"A private note (at most {MEMO_MAX} characters; tabs and line breaks "
            "allowed, other control characters not)",
        ),
    ] = None
    lines: Annotated[
        list[BillLineBody],
        Field(
            min_length=1,
            max_length=MAX_LINES,
            description=f"The invoice's lines (1 to {MAX_LINES}), each an amount with a GL "
            "account or an item",
        ),
        Advice("Split the invoice."),
    ]
    pdf: Annotated[PdfBody | None, _ref("The invoice PDF to attach to the bill")]


# -- POST /legal-entities/{id}/vendor-credits ------------------------------------------------


class VendorCreditBody(_VendorRef):
    """An AP credit note (a vendor's credit), to be exported into QuickBooks as a
    VendorCredit. Submitting the same ap_credit_id again is idempotent."""

    in_words: ClassVar[str] = "a vendor credit"

    ap_credit_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP platform's id of the credit note (the idempotency key)",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    credit_number: Annotated[
        str,
        Field(
            min_length=1,
            max_length=DOC_NUMBER_MAX,
            description="The vendor's credit note number as printed (vendor + number is "
            "exported once)",
        ),
    ]
    credit_date: Annotated[
        ApDate, Field(min_length=1, description="The credit note's date, YYYY-MM-DD")
    ]
    currency: Annotated[
        str | None,
        Field(
            description="The ISO 4217 currency code (multicurrency companies)",
            json_schema_extra={"pattern": CURRENCY_PATTERN},
        ),
    ] = None
    department_id: Annotated[QboId | None, _ref("The QuickBooks id of the department")]
    ap_account_id: Annotated[QboId | None, _ref("The accounts payable account to debit")]
    memo: Annotated[str | None, Field(max_length=MEMO_MAX, description="A private note")] = None
    lines: Annotated[
        list[BillLineBody],
        Field(
            min_length=1,
            max_length=MAX_LINES,
            description=f"The credit's lines (1 to {MAX_LINES}), each an amount with a GL "
            "account or an item",
        ),
        Advice("Split the credit note."),
    ]
    pdf: Annotated[PdfBody | None, _ref("The credit note PDF to attach")]


# -- POST /legal-entities/{id}/payments ------------------------------------------------------


class PaidBillBody(_Input):
    """One bill the payment pays, and how much of it."""

    in_words: ClassVar[str] = "a paid bill"

    ap_invoice_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP invoice id the bill was submitted with",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    amount: Annotated[
        Amount, Field(description="The amount paid on this bill (partial payments allowed)")
    ]


class AppliedCreditBody(_Input):
    """A vendor credit applied in the payment (it pays part of the bills): a QuickBooks
    VendorCredit by its id, or a credit note exported here by its ap_credit_id."""

    in_words: ClassVar[str] = "an applied vendor credit"

    vendor_credit_id: Annotated[
        QboId | None, _ref("The QuickBooks id of the VendorCredit (or give ap_credit_id)")
    ]
    ap_credit_id: Annotated[
        str | None,
        Field(
            max_length=64,
            description="The AP credit id of a credit note exported here",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ] = None
    amount: Annotated[Amount, Field(description="How much of the credit is applied")]


class PaymentBody(_Input):
    """An AP payment released to the payment provider and paid, to be recorded in
    QuickBooks as one BillPayment. Submitting the same ap_payment_id again is idempotent."""

    in_words: ClassVar[str] = "a payment"

    ap_payment_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP platform's id of the payment (the idempotency key)",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    vendor_id: Annotated[QboId, Field(description="The QuickBooks id of the vendor paid")]
    payment_date: Annotated[
        ApDate, Field(min_length=1, description="The date the payment was made, YYYY-MM-DD")
    ]
    amount: Annotated[
        Amount,
        Field(description="The money paid: the bills' amounts less the credits applied"),
    ]
    currency: Annotated[
        str | None,
        Field(
            description="ISO 4217 code; the bills' and the vendor's currency (multicurrency)",
            json_schema_extra={"pattern": CURRENCY_PATTERN},
        ),
    ] = None
    exchange_rate: Annotated[
        Amount | None,
        _ref("Home-currency units per unit of currency, as the AP platform paid it"),
    ]
    method: Annotated[
        Literal["check", "ach", "wire", "other", "credit_card", "virtual_card"],
        Field(
            description="How it was paid: check, ach, wire and other are recorded as checks "
            "from a bank account; credit_card and virtual_card from a credit-card account"
        ),
    ] = "check"
    bank_account_id: Annotated[
        QboId | None, _ref("The Bank account paid from (default: the profile's)")
    ]
    card_account_id: Annotated[
        QboId | None, _ref("The Credit Card account paid from (default: the profile's)")
    ]
    check_number: Annotated[
        str | None, Field(max_length=21, description="The check number (checks only)")
    ] = None
    reference: Annotated[
        str | None,
        Field(max_length=100, description="The provider's reference (ACH trace, wire id)"),
    ] = None
    memo: Annotated[str | None, Field(max_length=3800, description="A private note")] = None
    bills: Annotated[
        list[PaidBillBody],
        Field(min_length=1, max_length=100, description="The bills paid (1 to 100)"),
        Advice("Split the payment."),
    ]
    vendor_credits: Annotated[
        list[AppliedCreditBody] | None,
        Field(max_length=50, description="Vendor credits applied (at most 50)"),
    ] = None


class VoidPaymentBody(_Input):
    """Why the payment is voided (a returned cheque, a failed transfer)."""

    in_words: ClassVar[str] = "a void"

    reason: Annotated[
        str | None, Field(max_length=500, description="Why it is voided, in words")
    ] = None


# -- POST /legal-entities/{id}/vendors ---------------------------------------------------------


def _text(limit: int, description: str) -> Any:
    return Field(default=None, max_length=limit, description=description)


class AddressBody(_Input):
    """A postal address (QBO's BillAddr)."""

    in_words: ClassVar[str] = "an address"

    line1: Annotated[str | None, _text(ADDRESS_LINE_MAX, "Street and number")]
    line2: Annotated[str | None, _text(ADDRESS_LINE_MAX, "Suite, building, c/o")]
    city: Annotated[str | None, _text(CITY_MAX, "City")]
    region: Annotated[str | None, _text(REGION_MAX, "State, province or region code")]
    postal_code: Annotated[str | None, _text(POSTAL_CODE_MAX, "Postal or ZIP code")]
    country: Annotated[str | None, _text(COUNTRY_MAX, "Country")]


class _SupplierBody(_Input):
    """A supplier's fields, but its id (VendorBody, VendorUpdateBody)."""

    in_words: ClassVar[str] = "a supplier"

    display_name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=DISPLAY_NAME_MAX,
            description="The vendor's name in QuickBooks, unique among its vendors, customers "
            "and employees (no colon, tab, line break or double quote)",
        ),
    ]
    company_name: Annotated[str | None, _text(COMPANY_NAME_MAX, "The supplier's company name")]
    given_name: Annotated[str | None, _text(PERSON_NAME_MAX, "The contact's first name")]
    family_name: Annotated[str | None, _text(PERSON_NAME_MAX, "The contact's last name")]
    email: Annotated[str | None, _text(EMAIL_MAX, "The e-mail address remittances go to")]
    phone: Annotated[str | None, _text(PHONE_MAX, "The supplier's phone number")]
    billing_address: Annotated[AddressBody | None, _ref("The supplier's address")]
    terms_id: Annotated[QboId | None, _ref("The QuickBooks id of the payment terms")]
    currency: Annotated[
        str | None,
        Field(
            description="ISO 4217 code of the vendor's currency (multicurrency companies; it "
            "cannot change once the vendor has transactions)",
            json_schema_extra={"pattern": CURRENCY_PATTERN},
        ),
    ] = None
    tax_id: Annotated[
        str | None, _text(TAX_ID_MAX, "The supplier's tax id (EIN or SSN; US companies only)")
    ]
    vendor_1099: Annotated[
        bool | None, _ref("Whether the supplier gets a 1099 (US companies only)")
    ]
    account_number: Annotated[
        str | None, _text(ACCOUNT_NUMBER_MAX, "Our account number with the supplier")
    ]


class VendorBody(_SupplierBody):
    """An AP supplier, to be created in QuickBooks as a Vendor (or matched to the vendor
    that already has its name, by the profile's existing_vendor). Submitting the same
    ap_supplier_id again is idempotent."""

    ap_supplier_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP platform's id of the supplier (the idempotency key)",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]


class VendorUpdateBody(_SupplierBody):
    """The supplier as it should be now (PUT): only what changed is sent to QuickBooks, and
    a field the accountant changed there since our last write is reported, not
    overwritten."""

    ap_supplier_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=64,
            description="The supplier of the path (may be left out)",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ] = None


class DeactivateVendorBody(_Input):
    """Why the vendor is made inactive in QuickBooks."""

    in_words: ClassVar[str] = "a deactivation"

    reason: Annotated[
        str | None, Field(max_length=500, description="Why it is deactivated, in words")
    ] = None


# -- PUT /legal-entities/{id}/sync-schedule --------------------------------------------------

_TIMEZONE_ADVICE = Advice('Use an IANA time zone name such as "America/Vancouver".')


class WeeklyScheduleBody(_Input):
    """Syncs on some days of the week at some times of day, in a time zone."""

    in_words: ClassVar[str] = "a weekly schedule"

    kind: Annotated[
        Literal["weekly"],
        Field(description='"weekly" (days and times) or "interval" (every N hours)'),
    ]
    days: Annotated[
        list[str],
        Field(
            min_length=1,
            max_length=len(DAYS),
            description=f"The days of the week, each once: {', '.join(DAYS)}",
            json_schema_extra={"items": {"type": "string", "enum": list(DAYS)}},
        ),
        Advice("List each day once."),
    ]
    times: Annotated[
        list[str],
        Field(
            min_length=1,
            max_length=MAX_TIMES_PER_DAY,
            description=f"The local times of day, HH:MM (24-hour clock), each once, at most "
            f"{MAX_TIMES_PER_DAY}; the same on every day",
            json_schema_extra={"items": {"type": "string", "pattern": TIME_PATTERN}},
        ),
        Advice(f"Keep {MAX_TIMES_PER_DAY} or fewer times (webhooks keep data fresh between)."),
    ]
    timezone: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_TIMEZONE_LENGTH,
            description='The IANA time zone of the times, such as "America/Vancouver"',
        ),
        _TIMEZONE_ADVICE,
    ]


class IntervalScheduleBody(_Input):
    """Syncs every N hours from local midnight, at a minute past the hour."""

    in_words: ClassVar[str] = "an interval schedule"

    kind: Annotated[
        Literal["interval"],
        Field(description='"weekly" (days and times) or "interval" (every N hours)'),
    ]
    every_hours: Annotated[
        int,
        Field(
            ge=MIN_INTERVAL_HOURS,
            le=MAX_INTERVAL_HOURS,
            description=f"A whole number of hours from {MIN_INTERVAL_HOURS} to "
            f"{MAX_INTERVAL_HOURS} (runs at local hours 0, N, 2N and so on)",
        ),
    ]
    anchor_minute: Annotated[
        int, Field(ge=0, le=59, description="The minute past the hour, 0 to 59")
    ] = 0
    timezone: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_TIMEZONE_LENGTH,
            description='The IANA time zone whose midnight the runs start from, such as "UTC"',
        ),
        _TIMEZONE_ADVICE,
    ] = "UTC"


ScheduleBody = Annotated[WeeklyScheduleBody | IntervalScheduleBody, Field(discriminator="kind")]


# -- POST /legal-entities/{id}/syncs, POST /syncs ---------------------------------------------


class SyncStartBody(_Input):
    """A SmartSync's options; an empty body is an incremental sync."""

    in_words: ClassVar[str] = "a sync request"

    mode: Annotated[
        str,
        Field(
            description="incremental (changes since the last sync), full, or partial (changes "
            "since `since`); the first sync is always full",
            json_schema_extra={"enum": list(SYNC_MODES)},
        ),
    ] = "incremental"
    since: Annotated[
        str | None,
        Field(
            description="For a partial sync: the date (YYYY-MM-DD) or ISO 8601 date-time from "
            "which changes are imported, in the last 10 years",
        ),
    ] = None


# -- ops console events ------------------------------------------------------------------------

OrgId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The AP platform's organization id (1-64 letters, digits, '.', '_' or '-')",
        json_schema_extra={"pattern": ID_PATTERN},
    ),
]
LegalEntityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The legal entity's id (1-64 letters, digits, '.', '_' or '-')",
        json_schema_extra={"pattern": ID_PATTERN},
    ),
]


def _operator(what: str) -> Any:
    return Field(min_length=1, description=f"Who {what} (a name or email, kept in the log)")


class _OpsEvent(_Input):
    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        action = cls.model_fields.get("action")
        if action is not None and action.default is not None:
            cls.in_words = f"the {action.default} action"


class RegisterLegalEntityEvent(_OpsEvent):
    """Register a legal entity of an organization (idempotent)."""

    action: Literal["register_legal_entity"] = "register_legal_entity"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    name: Annotated[
        str,
        Field(
            min_length=1, max_length=200, description="The legal entity's name, 1-200 characters"
        ),
    ]


class ListLegalEntitiesEvent(_OpsEvent):
    """The organization's legal entities with their status."""

    action: Literal["list_legal_entities"] = "list_legal_entities"
    org_id: OrgId


class ShowLegalEntityEvent(_OpsEvent):
    """One legal entity with its profile, schedule and data realm."""

    action: Literal["show_legal_entity"] = "show_legal_entity"
    org_id: OrgId
    legal_entity_id: LegalEntityId


class ResetLegalEntityEvent(_OpsEvent):
    """Forget the QuickBooks data of a disconnected legal entity."""

    action: Literal["reset_legal_entity"] = "reset_legal_entity"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    operator: Annotated[str, _operator("resets the entity")]


class DeleteLegalEntityEvent(_OpsEvent):
    """Remove a legal entity, its connection, schedule rules and records."""

    action: Literal["delete_legal_entity"] = "delete_legal_entity"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    operator: Annotated[str, _operator("deletes the entity")]


class MarkBillExportedEvent(_OpsEvent):
    """Record a duplicate bill as exported against the QuickBooks bill it is."""

    action: Literal["mark_bill_exported"] = "mark_bill_exported"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    ap_invoice_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP invoice found to be a duplicate",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    qbo_bill_id: Annotated[
        QboId | None,
        _ref("The QuickBooks bill it is (default: the bill the duplicate check found)"),
    ]
    operator: Annotated[
        str | None, Field(description="Who marks it (kept with the bill; default ops)")
    ] = None


class MarkPaymentExportedEvent(_OpsEvent):
    """Record a duplicate payment as exported against the QuickBooks bill payment it is."""

    action: Literal["mark_payment_exported"] = "mark_payment_exported"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    ap_payment_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP payment found to be a duplicate",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    qbo_bill_payment_id: Annotated[
        QboId | None,
        _ref("The QuickBooks bill payment it is (default: the one the duplicate check found)"),
    ]
    operator: Annotated[
        str | None, Field(description="Who marks it (kept with the payment; default ops)")
    ] = None


class MarkVendorCreditExportedEvent(_OpsEvent):
    """Record a duplicate credit note as exported against the QuickBooks vendor credit it
    is (the accountant had entered it by hand)."""

    action: Literal["mark_vendor_credit_exported"] = "mark_vendor_credit_exported"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    ap_credit_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The AP credit note found to be a duplicate",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ]
    qbo_vendor_credit_id: Annotated[
        QboId | None,
        _ref("The QuickBooks vendor credit it is (default: the one the duplicate check found)"),
    ]
    operator: Annotated[
        str | None, Field(description="Who marks it (kept with the credit; default ops)")
    ] = None


class PutSyncProfileEvent(_OpsEvent):
    """Create the API Sync Profile, or update the settings given (the others are kept)."""

    action: Literal["put_sync_profile"] = "put_sync_profile"
    org_id: OrgId
    legal_entity_id: LegalEntityId
    operator: Annotated[str, _operator("changes the profile")]
    # The settings are read by models.sync_profile.parse_profile, which reports every
    # problem of a profile at once and merges an update into the stored profile.
    profile: Annotated[
        dict[str, Any] | None,
        _ref(
            "The settings: object_types, export_bills, import_payments, include_inactive, "
            "account_types, export_payments, payment_bank_account_id, "
            "payment_card_account_id, vendor_credits"
        ),
    ]


class ShowSyncProfileEvent(_OpsEvent):
    """The legal entity's API Sync Profile."""

    action: Literal["show_sync_profile"] = "show_sync_profile"
    org_id: OrgId
    legal_entity_id: LegalEntityId


class KeepTokensAliveEvent(_OpsEvent):
    """Refresh idle entities' tokens; revoke unanswered connection confirmations."""

    action: Literal["keep_tokens_alive"] = "keep_tokens_alive"


class MigrateSchedulesEvent(_OpsEvent):
    """Move an organization's schedules (or one legal entity's) from EventBridge rules to
    EventBridge Scheduler; safe to repeat."""

    action: Literal["migrate_schedules"] = "migrate_schedules"
    org_id: OrgId
    legal_entity_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=64,
            description="One legal entity to migrate; left out: all of the organization's",
            json_schema_extra={"pattern": ID_PATTERN},
        ),
    ] = None


OpsEvent = Annotated[
    DeleteLegalEntityEvent
    | KeepTokensAliveEvent
    | ListLegalEntitiesEvent
    | MarkBillExportedEvent
    | MigrateSchedulesEvent
    | PutSyncProfileEvent
    | MarkPaymentExportedEvent
    | MarkVendorCreditExportedEvent
    | RegisterLegalEntityEvent
    | ResetLegalEntityEvent
    | ShowLegalEntityEvent
    | ShowSyncProfileEvent,
    Field(discriminator="action"),
]
OPS_EVENT: TypeAdapter[Any] = TypeAdapter(OpsEvent)


class ConsoleSyncEvent(_Input):
    """An operator's sync from the console: one legal entity, or all of an organization's."""

    in_words: ClassVar[str] = "a console sync event"

    action: Annotated[
        Literal["sync"], Field(description='"sync", the only action here (it may be left out)')
    ] = "sync"
    org_id: OrgId
    legal_entity_id: Annotated[
        str | None,
        Field(description='The legal entity to sync, or "*" (or left out) for all of them'),
    ] = None
    mode: Annotated[
        str, Field(description="incremental, full or partial (partial needs since)")
    ] = "incremental"
    since: Annotated[
        str | None, Field(description="For a partial sync: the date (YYYY-MM-DD) to sync from")
    ] = None
    operator: Annotated[str, _operator("starts the sync")]
