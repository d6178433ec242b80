"""An AP supplier as the AP platform submits it, and its export record (a QBO Vendor).

`ApSupplier.parse` is strict: every problem is an `InvalidInput` naming the field and
saying what to do, so nothing it accepts is refused later for its shape. What only
QBO knows (the term and currency exist, the name is free) is checked at export time by
logic.vendor_push.

Identity: the AP supplier id is the idempotency key; in QBO a vendor *is* its
DisplayName, unique across vendors, customers and employees and compared without
regard to case (`name_identity`: NFKC, casefold, whitespace collapsed), which is what
the duplicate look-up compares.

Conflict detection: `VendorExport.sent` holds, per field of ours (`QBO_FIELDS`), the
value we last wrote to QBO. An update compares it with what QBO holds now: a field that
differs was changed by the accountant (logic.vendor_export).

States (`VendorExport.status`)::

    submit ─► queued ─► exporting ─► exported (created, or `matched` to an existing vendor)
                                 ├─► duplicate (an existing vendor, policy `refuse`)
                                 └─► failed (QBO refused it, or a customer/employee holds
                                     the name)
    exported ─► update requested ─(worker)─► done | conflict | refused (stays exported)
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from qbo_connector.models.bill import (
    AP_ID,
    CURRENCY,
    ExportState,
    invoice_number_identity,
    log_fields,
    log_item,
    parse_ref,
)
from qbo_connector.models.errors import InvalidInput

# Intuit's entity reference (qbo_sandbox.entities.NAME_LIMITS): the longest value taken.
DISPLAY_NAME_MAX = 500
COMPANY_NAME_MAX = 100
PERSON_NAME_MAX = 100  # GivenName, FamilyName
EMAIL_MAX = 100
PHONE_MAX = 30
ADDRESS_LINE_MAX = 500
CITY_MAX = 255
REGION_MAX = 255
POSTAL_CODE_MAX = 30
COUNTRY_MAX = 255
TAX_ID_MAX = 20
ACCOUNT_NUMBER_MAX = 100
# What QBO refuses in a name: colon, tab, line breaks, straight double quote.
BAD_NAME_CHARACTERS = (":", "\t", "\n", "\r", '"')
DELETED_SUFFIX = " (deleted)"  # QBO's suffix on an inactive name
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9+()./ x#*-]{3,30}")
ADDRESS_FIELDS = {
    "line1": "Line1",
    "line2": "Line2",
    "city": "City",
    "region": "CountrySubDivisionCode",
    "postal_code": "PostalCode",
    "country": "Country",
}
_ADDRESS_LIMITS = {
    "line1": ADDRESS_LINE_MAX,
    "line2": ADDRESS_LINE_MAX,
    "city": CITY_MAX,
    "region": REGION_MAX,
    "postal_code": POSTAL_CODE_MAX,
    "country": COUNTRY_MAX,
}
# Our field → where QBO keeps it (a path into the Vendor object). `tax_id` is write-only:
# QBO masks TaxIdentifier when it answers, so it is never compared (conflicts ignore it).
QBO_FIELDS: dict[str, tuple[str, ...]] = {
    "display_name": ("DisplayName",),
    "company_name": ("CompanyName",),
    "given_name": ("GivenName",),
    "family_name": ("FamilyName",),
    "email": ("PrimaryEmailAddr", "Address"),
    "phone": ("PrimaryPhone", "FreeFormNumber"),
    **{f"billing_address.{k}": ("BillAddr", v) for k, v in ADDRESS_FIELDS.items()},
    "terms_id": ("TermRef", "value"),
    "currency": ("CurrencyRef", "value"),
    "tax_id": ("TaxIdentifier",),
    "vendor_1099": ("Vendor1099",),
    "account_number": ("AcctNum",),
}
WRITE_ONLY = frozenset({"tax_id"})
# QBO's element names (in its faults) → our field.
ELEMENT_FIELDS = {path[0].lower(): name for name, path in QBO_FIELDS.items() if len(path) == 1}
ELEMENT_FIELDS |= {
    "primaryemailaddr": "email",
    "primaryphone": "phone",
    "billaddr": "billing_address",
    "termref": "terms_id",
    "currencyref": "currency",
    "printoncheckname": "display_name",
}
US_ONLY = ("tax_id", "vendor_1099")
KNOWN_FIELDS = frozenset(
    {
        "ap_supplier_id",
        "display_name",
        "company_name",
        "given_name",
        "family_name",
        "email",
        "phone",
        "billing_address",
        "terms_id",
        "currency",
        "tax_id",
        "vendor_1099",
        "account_number",
    }
)


def name_identity(name: str) -> str:
    """What two display names must share to be one name in QBO: compatibility forms fold
    (NFKC), case folds, invisible characters go, whitespace runs collapse. QBO compares
    names without regard to case; spacing variants are refused too, as near-duplicates
    a person would not tell apart. QBO's " (deleted)" suffix of an inactive name is not
    part of the name."""
    if name.endswith(DELETED_SUFFIX):
        name = name[: -len(DELETED_SUFFIX)]
    return invoice_number_identity(name)


def _describe(ch: str) -> str:
    return {"\t": "a tab", "\n": "a line break", "\r": "a line break", '"': "a double quote"}.get(
        ch, f"'{ch}'"
    )


def _string(
    value: Any, field_name: str, limit: int, *, required: bool = False, what: str = ""
) -> str | None:
    """Single-line text: no control or invisible character, at most `limit` long, trimmed."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field_name} is required{what}.", field=field_name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field_name} must be text.", field=field_name)
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(
            f"{field_name} is {len(text)} characters; QuickBooks accepts at most {limit}. "
            "Shorten it.",
            field=field_name,
        )
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise InvalidInput(
                f"{field_name} contains the control or invisible character U+{ord(ch):04X} at "
                f"position {i + 1}; send it without that character.",
                field=field_name,
            )
    return text


def _name(value: Any, field_name: str, limit: int, *, required: bool = False) -> str | None:
    """A name QBO keeps: no ':', tab, line break or '"' (QBO refuses them), nor controls."""
    if isinstance(value, str):
        for ch in BAD_NAME_CHARACTERS:
            if ch in value:
                raise InvalidInput(
                    f"{field_name} contains {_describe(ch)}; QuickBooks refuses names with "
                    "':', tabs, line breaks or '\"'. Remove it (e.g. 'Acme - East' for "
                    "'Acme: East').",
                    field=field_name,
                )
    what = ": the supplier's name as it should appear in QuickBooks" if required else ""
    return _string(value, field_name, limit, required=required, what=what)


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Address | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise InvalidInput(
                "billing_address must be an object: line1, line2, city, region, postal_code, "
                "country.",
                field="billing_address",
            )
        unknown = sorted(set(raw) - set(ADDRESS_FIELDS))
        if unknown:
            raise InvalidInput(
                f"billing_address.{unknown[0]} is not a field of an address; use line1, line2, "
                "city, region, postal_code, country.",
                field=f"billing_address.{unknown[0]}",
            )
        values = {
            key: _string(raw.get(key), f"billing_address.{key}", _ADDRESS_LIMITS[key])
            for key in ADDRESS_FIELDS
        }
        if not any(values.values()):
            return None
        return cls(**values)

    def to_qbo(self) -> dict[str, str]:
        return {q: getattr(self, k) for k, q in ADDRESS_FIELDS.items() if getattr(self, k)}


@dataclass(frozen=True)
class ApSupplier:
    ap_supplier_id: str
    display_name: str
    company_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: Address | None = None
    terms_id: str | None = None
    currency: str | None = None
    tax_id: str | None = None
    vendor_1099: bool | None = None
    account_number: str | None = None

    @classmethod
    def parse(cls, body: Any, country: str | None = None) -> ApSupplier:
        """The supplier, or InvalidInput naming the field (and only InvalidInput).

        `country`: the QBO company's country, when known; tax_id and vendor_1099 are US
        fields (1099 reporting) and refused for a company elsewhere (`check_country`)."""
        if not isinstance(body, dict):
            raise InvalidInput("The body must be a JSON object describing the supplier.")
        unknown = sorted(set(body) - KNOWN_FIELDS)
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} is not a field of a supplier; the fields are "
                f"{', '.join(sorted(KNOWN_FIELDS))}.",
                field=unknown[0],
            )
        ap_id = body.get("ap_supplier_id")
        if not isinstance(ap_id, str) or not AP_ID.fullmatch(ap_id):
            raise InvalidInput(
                "ap_supplier_id must be 1-64 letters, digits, '.', '_' or '-', starting with "
                "a letter or digit.",
                field="ap_supplier_id",
            )
        display = _name(body.get("display_name"), "display_name", DISPLAY_NAME_MAX, required=True)
        assert display is not None
        if not name_identity(display):
            raise InvalidInput(
                "display_name is blank; send the supplier's name.", field="display_name"
            )
        if display.endswith(DELETED_SUFFIX):
            raise InvalidInput(
                f"display_name may not end with '{DELETED_SUFFIX}': QuickBooks marks inactive "
                "names that way. Send the name without it.",
                field="display_name",
            )
        email = _string(body.get("email"), "email", EMAIL_MAX)
        if email is not None and not _EMAIL.fullmatch(email):
            raise InvalidInput(
                "email must be one e-mail address such as ap@example.com.", field="email"
            )
        phone = _string(body.get("phone"), "phone", PHONE_MAX)
        if phone is not None and not _PHONE.fullmatch(phone):
            raise InvalidInput(
                "phone must be a phone number of digits, spaces and + ( ) - . x, such as "
                "+1 415 555 0100.",
                field="phone",
            )
        currency = body.get("currency")
        if currency is not None and (
            not isinstance(currency, str) or not CURRENCY.fullmatch(currency)
        ):
            raise InvalidInput(
                "currency must be an ISO 4217 code in capitals such as USD.", field="currency"
            )
        tax_id = _string(body.get("tax_id"), "tax_id", TAX_ID_MAX)
        if tax_id is not None and not re.fullmatch(r"[0-9A-Za-z-]{1,20}", tax_id):
            raise InvalidInput(
                "tax_id must be the supplier's tax id (EIN or SSN), digits and '-' only, such "
                "as 12-3456789.",
                field="tax_id",
            )
        v1099 = body.get("vendor_1099")
        if v1099 is not None and not isinstance(v1099, bool):
            raise InvalidInput(
                "vendor_1099 must be true or false: whether the supplier gets a 1099.",
                field="vendor_1099",
            )
        supplier = cls(
            ap_supplier_id=ap_id,
            display_name=display,
            company_name=_name(body.get("company_name"), "company_name", COMPANY_NAME_MAX),
            given_name=_name(body.get("given_name"), "given_name", PERSON_NAME_MAX),
            family_name=_name(body.get("family_name"), "family_name", PERSON_NAME_MAX),
            email=email,
            phone=phone,
            billing_address=Address.parse(body.get("billing_address")),
            terms_id=parse_ref(body.get("terms_id"), "terms_id"),
            currency=currency,
            tax_id=tax_id,
            vendor_1099=v1099,
            account_number=_string(body.get("account_number"), "account_number", 100),
        )
        if country is not None:
            supplier.check_country(country)
        return supplier

    def check_country(self, country: str | None) -> None:
        """tax_id and vendor_1099 only for a US company (QBO's 1099 fields)."""
        if country is None or country.upper() in ("US", "USA"):
            return
        for name in US_ONLY:
            if getattr(self, name) is not None:
                raise InvalidInput(
                    f"{name} applies to US companies (1099 reporting); this QuickBooks company "
                    f"is in {country}. Send the supplier without {name}.",
                    field=name,
                )

    @property
    def identity(self) -> str:
        return name_identity(self.display_name)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApSupplier:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("billing_address"):
            known["billing_address"] = Address(**known["billing_address"])
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out.get("billing_address"):
            out["billing_address"] = {
                k: v for k, v in out["billing_address"].items() if v is not None
            }
        return {k: v for k, v in out.items() if v is not None}

    def payload_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def fields(self) -> dict[str, Any]:
        """Our fields flat, as `QBO_FIELDS` names them (None: not given)."""
        out: dict[str, Any] = {}
        for name in QBO_FIELDS:
            if name.startswith("billing_address."):
                addr = self.billing_address
                out[name] = getattr(addr, name.split(".", 1)[1]) if addr else None
            else:
                out[name] = getattr(self, name)
        return out

    def to_qbo(self) -> dict[str, Any]:
        """The QBO Vendor body of a create."""
        return fields_to_qbo({k: v for k, v in self.fields().items() if v is not None})


def fields_to_qbo(values: dict[str, Any]) -> dict[str, Any]:
    """QBO Vendor fields from flat ones (`QBO_FIELDS` names); an address is one aggregate."""
    body: dict[str, Any] = {}
    for name, value in values.items():
        path = QBO_FIELDS[name]
        if len(path) == 1:
            body[path[0]] = value
        elif value is not None:
            body.setdefault(path[0], {})[path[1]] = value
        else:
            body.setdefault(path[0], {})
    return body


def qbo_fields(vendor: dict[str, Any]) -> dict[str, Any]:
    """A QBO Vendor's values of our fields, flat (`QBO_FIELDS`): what it holds now."""
    out: dict[str, Any] = {}
    for name, path in QBO_FIELDS.items():
        value: Any = vendor
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if name == "display_name" and isinstance(value, str) and value.endswith(DELETED_SUFFIX):
            value = value[: -len(DELETED_SUFFIX)]
        if isinstance(value, str):
            value = value.strip() or None
        out[name] = value
    if out.get("vendor_1099") is False:
        out["vendor_1099"] = None  # QBO's default: the same as not given
    return out


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    if a is False or b is False:
        return (a or None) == (b or None)
    return bool(a == b)


class VendorStatus(StrEnum):
    QUEUED = "queued"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class UpdateState(StrEnum):
    REQUESTED = "requested"  # the worker sends it
    DONE = "done"  # sent (every field, or those not in conflict)
    CONFLICT = "conflict"  # nothing sent: every changed field conflicts
    REFUSED = "refused"  # QBO (or our reading of it) refused it; the vendor is unchanged


@dataclass
class VendorExport:
    """The export log entry of one AP supplier (in the export-log table, kind `vendors`)."""

    org_id: str
    legal_entity_id: str
    ap_supplier_id: str
    supplier: dict[str, Any]  # ApSupplier.to_dict(): what the AP platform last sent
    payload_hash: str
    state: ExportState = ExportState.QUEUED
    generation: int = 1
    submitted_at: str = ""
    updated_at: str = ""
    lease_owner: str | None = None
    lease_until: int | None = None
    attempts: int = 0
    qbo_vendor_id: str | None = None
    qbo_sync_token: str | None = None
    exported_at: str | None = None
    matched: bool | None = None  # exported against a vendor QBO already had (policy match)
    # The QBO fields we last wrote (QBO_FIELDS names), for conflict detection.
    sent: dict[str, Any] | None = None
    duplicate_of: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    last_error: dict[str, Any] | None = None
    update: dict[str, Any] | None = None
    active: bool | None = None  # False once deactivated through us
    recovered: bool | None = None

    def to_item(self) -> dict[str, Any]:
        return log_item(self)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> VendorExport:
        return cls(**log_fields(cls, item))

    @property
    def key(self) -> str:
        return self.ap_supplier_id

    @property
    def parsed(self) -> ApSupplier:
        return ApSupplier.from_dict(self.supplier)

    @property
    def status(self) -> VendorStatus:
        return VendorStatus(str(self.state))

    def view(self) -> dict[str, Any]:
        sup = self.supplier
        out: dict[str, Any] = {
            "ap_supplier_id": self.ap_supplier_id,
            "state": str(self.status),
            "display_name": sup.get("display_name"),
            "supplier": sup,
            "submitted_at": self.submitted_at,
            "updated_at": self.updated_at,
        }
        if self.qbo_vendor_id:
            out["qbo_vendor_id"] = self.qbo_vendor_id
            out["qbo_link"] = qbo_vendor_link(self.qbo_vendor_id)
            out["exported_at"] = self.exported_at
            out["active"] = self.active is not False
        if self.matched:
            out["matched"] = True
        for name in ("duplicate_of", "failure", "update"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.state in (ExportState.QUEUED, ExportState.EXPORTING) and self.last_error:
            out["last_error"] = self.last_error
        return {k: v for k, v in out.items() if v is not None}


def qbo_vendor_link(vendor_id: str) -> str:
    return f"https://app.qbo.intuit.com/app/vendordetail?nameId={vendor_id}"
