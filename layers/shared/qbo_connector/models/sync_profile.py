"""The API Sync Profile of a legal entity: which QBO objects flow, in which direction.

Support creates it from the ops console; a sync refuses to run without one. Validation
reports every problem with the field it concerns, so one correction fixes them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.object_types import DEFAULT_TYPES, MASTER_DATA

# The master data the AP platform codes invoices against, in import order; purchase
# orders are supported but not a default (a company's plan may not have them).
DEFAULT_OBJECT_TYPES: tuple[str, ...] = DEFAULT_TYPES
SUPPORTED_OBJECT_TYPES = frozenset(MASTER_DATA)

# QBO Account.AccountType values (qbo-api-facts.md and Intuit's reference).
ACCOUNT_TYPES = frozenset(
    {
        "Bank",
        "Other Current Asset",
        "Fixed Asset",
        "Other Asset",
        "Accounts Receivable",
        "Equity",
        "Expense",
        "Other Expense",
        "Cost of Goods Sold",
        "Accounts Payable",
        "Credit Card",
        "Long Term Liability",
        "Other Current Liability",
        "Income",
        "Other Income",
    }
)

VENDOR_CREDIT_POLICIES = ("as_submitted", "refuse")
EXISTING_VENDOR_POLICIES = ("match", "refuse")
_QBO_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_KNOWN_KEYS = {
    "object_types",
    "export_bills",
    "export_payments",
    "export_vendor_credits",
    "export_vendors",
    "existing_vendor",
    "po_tolerance_percent",
    "payment_bank_account_id",
    "payment_card_account_id",
    "vendor_credits",
    "import_payments",
    "include_inactive",
    "account_types",
}


@dataclass(frozen=True)
class SyncProfile:
    object_types: tuple[str, ...] = DEFAULT_OBJECT_TYPES
    export_bills: bool = False
    import_payments: bool = False
    # AP-released payments out as BillPayments (needs export_bills), paid by default from
    # these accounts (a payment may name its own), applying vendor credits as submitted
    # or refusing payments that apply any.
    export_payments: bool = False
    # AP credit notes out as VendorCredits (logic.vendor_credits).
    export_vendor_credits: bool = False
    # AP suppliers out as Vendors (logic.vendor_export); a supplier whose name QBO already
    # has as a vendor is matched to it, or refused ("refuse") for a person to decide.
    export_vendors: bool = False
    existing_vendor: str = "match"
    # How far a PO-matched bill line may go beyond the PO line's open amount (and open
    # quantity), in percent of the PO line: "0" refuses any over-billing.
    po_tolerance_percent: str = "0"
    payment_bank_account_id: str | None = None
    payment_card_account_id: str | None = None
    vendor_credits: str = "as_submitted"
    # Inactive records are imported too, so the coding screens can show them as such
    # and a deactivation in QBO is reflected; false imports active records only.
    include_inactive: bool = True
    # Empty: every account type. Otherwise only these AccountType values are imported.
    account_types: tuple[str, ...] = ()
    updated_at: str | None = None
    updated_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "object_types": list(self.object_types),
            "export_bills": self.export_bills,
            "import_payments": self.import_payments,
            "include_inactive": self.include_inactive,
            "account_types": list(self.account_types),
            "export_payments": self.export_payments,
            "export_vendor_credits": self.export_vendor_credits,
            "vendor_credits": self.vendor_credits,
            "export_vendors": self.export_vendors,
            "existing_vendor": self.existing_vendor,
            "po_tolerance_percent": self.po_tolerance_percent,
        }
        for name in ("payment_bank_account_id", "payment_card_account_id"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.updated_at:
            out["updated_at"] = self.updated_at
        if self.updated_by:
            out["updated_by"] = self.updated_by
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncProfile:
        """The stored form (already validated when it was written)."""
        return cls(
            object_types=tuple(data.get("object_types") or DEFAULT_OBJECT_TYPES),
            export_bills=bool(data.get("export_bills", False)),
            import_payments=bool(data.get("import_payments", False)),
            include_inactive=bool(data.get("include_inactive", True)),
            account_types=tuple(data.get("account_types") or ()),
            export_payments=bool(data.get("export_payments", False)),
            export_vendor_credits=bool(data.get("export_vendor_credits", False)),
            payment_bank_account_id=data.get("payment_bank_account_id"),
            payment_card_account_id=data.get("payment_card_account_id"),
            vendor_credits=str(data.get("vendor_credits") or "as_submitted"),
            export_vendors=bool(data.get("export_vendors", False)),
            existing_vendor=str(data.get("existing_vendor") or "match"),
            po_tolerance_percent=str(data.get("po_tolerance_percent") or "0"),
            updated_at=data.get("updated_at"),
            updated_by=data.get("updated_by"),
        )


def _bool(data: dict[str, Any], key: str, default: bool, problems: list[dict[str, str]]) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.append({"field": key, "message": f"{key} must be true or false."})
        return default
    return value


def _names(
    data: dict[str, Any],
    key: str,
    allowed: frozenset[str],
    default: tuple[str, ...],
    problems: list[dict[str, str]],
    *,
    allow_empty: bool,
) -> tuple[str, ...]:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if not isinstance(value, list):
        problems.append({"field": key, "message": f"{key} must be a list of names."})
        return default
    if not value and not allow_empty:
        problems.append(
            {
                "field": key,
                "message": f"{key} must name at least one of: {', '.join(sorted(allowed))}.",
            }
        )
        return default
    by_lower = {name.lower(): name for name in allowed}
    out: list[str] = []
    for i, item in enumerate(value):
        name = by_lower.get(item.strip().lower()) if isinstance(item, str) else None
        if name is None:
            problems.append(
                {
                    "field": f"{key}[{i}]",
                    "message": f"{item!r} is not supported; use one of: "
                    f"{', '.join(sorted(allowed))}.",
                }
            )
        elif name in out:
            problems.append({"field": f"{key}[{i}]", "message": f"{name} is listed twice."})
        else:
            out.append(name)
    return tuple(out)


def _qbo_id(
    data: dict[str, Any], key: str, default: str | None, problems: list[dict[str, str]]
) -> str | None:
    value = data.get(key, default)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _QBO_ID.fullmatch(value):
        problems.append(
            {"field": key, "message": f'{key} must be a QuickBooks account id such as "35".'}
        )
        return default
    return value


_PERCENT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")


def _percent(data: dict[str, Any], key: str, default: str, problems: list[dict[str, str]]) -> str:
    value = data.get(key, default)
    text = (
        str(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else ""
    )
    if not _PERCENT.fullmatch(text) or float(text) > 100:
        problems.append(
            {"field": key, "message": f'{key} must be a percentage from 0 to 100, such as "2.5".'}
        )
        return default
    return text


def _choice(
    data: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    default: str,
    problems: list[dict[str, str]],
) -> str:
    value = data.get(key, default)
    if value not in allowed:
        problems.append({"field": key, "message": f"{key} must be one of {', '.join(allowed)}."})
        return default
    return str(value)


def parse_profile(data: Any, base: SyncProfile | None = None) -> SyncProfile:
    """Validate a profile from an ops event; `base` supplies the values not given (update).

    Raises InvalidInput naming the first bad field; `details["problems"]` lists them all.
    """
    if not isinstance(data, dict):
        raise InvalidInput("profile must be a JSON object.", field="profile")
    base = base or SyncProfile()
    problems: list[dict[str, str]] = [
        {
            "field": key,
            "message": f"{key} is not a sync profile setting; remove it "
            f"(settings: {', '.join(sorted(_KNOWN_KEYS))}).",
        }
        for key in data
        if key not in _KNOWN_KEYS and key not in {"updated_at", "updated_by"}
    ]
    object_types = _names(
        data,
        "object_types",
        SUPPORTED_OBJECT_TYPES,
        base.object_types,
        problems,
        allow_empty=False,
    )
    # Keep the dependency order of MASTER_DATA whatever order was given.
    object_types = tuple(t for t in MASTER_DATA if t in object_types)
    account_types = _names(
        data, "account_types", ACCOUNT_TYPES, base.account_types, problems, allow_empty=True
    )
    profile = SyncProfile(
        object_types=object_types,
        export_bills=_bool(data, "export_bills", base.export_bills, problems),
        import_payments=_bool(data, "import_payments", base.import_payments, problems),
        include_inactive=_bool(data, "include_inactive", base.include_inactive, problems),
        account_types=account_types,
        export_payments=_bool(data, "export_payments", base.export_payments, problems),
        export_vendor_credits=_bool(
            data, "export_vendor_credits", base.export_vendor_credits, problems
        ),
        payment_bank_account_id=_qbo_id(
            data, "payment_bank_account_id", base.payment_bank_account_id, problems
        ),
        payment_card_account_id=_qbo_id(
            data, "payment_card_account_id", base.payment_card_account_id, problems
        ),
        vendor_credits=_choice(
            data, "vendor_credits", VENDOR_CREDIT_POLICIES, base.vendor_credits, problems
        ),
        export_vendors=_bool(data, "export_vendors", base.export_vendors, problems),
        existing_vendor=_choice(
            data, "existing_vendor", EXISTING_VENDOR_POLICIES, base.existing_vendor, problems
        ),
        po_tolerance_percent=_percent(
            data, "po_tolerance_percent", base.po_tolerance_percent, problems
        ),
    )
    if profile.export_payments and not profile.export_bills:
        problems.append(
            {
                "field": "export_payments",
                "message": "export_payments pays exported bills; turn export_bills on too, "
                "or turn export_payments off.",
            }
        )
    if profile.account_types and "Account" not in profile.object_types:
        problems.append(
            {
                "field": "account_types",
                "message": "account_types filters imported accounts, but Account is not in "
                "object_types; add Account or remove account_types.",
            }
        )
    if profile.import_payments and not profile.export_bills:
        problems.append(
            {
                "field": "import_payments",
                "message": "import_payments reads the payment status of exported bills; "
                "turn export_bills on too, or turn import_payments off.",
            }
        )
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s) in details)" if len(problems) > 1 else ""
        raise InvalidInput(
            f"profile.{first['field']}: {first['message']}{more}",
            field=f"profile.{first['field']}",
            details={"problems": problems},
        )
    return profile
