"""A Legal Entity of the AP platform and its link to one QBO company (realm)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from qbo_connector.models.errors import InvalidInput

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


class ConnectionState(StrEnum):
    NOT_CONNECTED = "not_connected"
    PENDING = "pending"  # derived from a live OAuth attempt, never stored
    CONNECTED = "connected"
    RECONNECT_REQUIRED = "reconnect_required"


def validate_id(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise InvalidInput(
            f"{field_name} must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit.",
            field=field_name,
        )
    return value


@dataclass
class CompanyPreferences:
    """What the connector needs to know of QBO's Preferences, read at connect and export."""

    warn_duplicate_bill_number: bool | None = None
    home_currency: str | None = None
    multicurrency_enabled: bool | None = None
    # "Close the books": transactions dated on or before it are refused (QBO's 6210).
    book_close_date: str | None = None
    # Whether the company's plan has purchase orders (Plus, Advanced: CompanyInfo's
    # OfferingSku); None when QBO did not say.
    purchase_orders: bool | None = None
    checked_at: str | None = None


# The QuickBooks Online plans that have purchase orders (Intuit's plan comparison).
PURCHASE_ORDER_PLANS = ("plus", "advanced")


def has_purchase_orders(company_info: dict[str, Any]) -> bool | None:
    """From CompanyInfo's `NameValue` OfferingSku ("QuickBooks Online Plus"); None when
    the company does not say."""
    sku = next(
        (
            str(item.get("Value") or "")
            for item in company_info.get("NameValue") or []
            if isinstance(item, dict) and item.get("Name") == "OfferingSku"
        ),
        "",
    ).lower()
    if not sku:
        return None
    return any(plan in sku for plan in PURCHASE_ORDER_PLANS)


def book_close_date(prefs: dict[str, Any]) -> str | None:
    """QBO Preferences' `AccountingInfoPrefs.BookCloseDate` (YYYY-MM-DD), None when the
    books are open."""
    value = (prefs.get("AccountingInfoPrefs") or {}).get("BookCloseDate")
    return str(value)[:10] if value else None


@dataclass
class LegalEntity:
    org_id: str
    legal_entity_id: str
    name: str
    created_at: str
    connection_state: ConnectionState = ConnectionState.NOT_CONNECTED
    realm_id: str | None = None
    company_name: str | None = None
    country: str | None = None
    connected_by: dict[str, str] | None = None
    connected_at: str | None = None
    reconnect_reason: str | None = None
    refresh_token_hard_expires_at: str | None = None
    preferences: CompanyPreferences = field(default_factory=CompanyPreferences)
    # The realm whose data we hold; survives a disconnect so the entity is not
    # silently re-pointed at another company (an operator must reset it).
    data_realm_id: str | None = None
    sync_profile: dict[str, Any] | None = None
    sync_schedule: dict[str, Any] | None = None
    running_sync_id: str | None = None
    sync_lease_expires_at: int | None = None
    last_sync: dict[str, Any] | None = None
    last_successful_sync_at: str | None = None
    last_disconnect: dict[str, Any] | None = None

    @property
    def is_connected(self) -> bool:
        return self.connection_state == ConnectionState.CONNECTED

    def to_item(self) -> dict[str, Any]:
        item = asdict(self)
        item["connection_state"] = str(self.connection_state)
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LegalEntity:
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in item.items() if k in known}
        data["connection_state"] = ConnectionState(
            data.get("connection_state", ConnectionState.NOT_CONNECTED)
        )
        data["preferences"] = CompanyPreferences(**(data.get("preferences") or {}))
        if data.get("sync_lease_expires_at") is not None:
            data["sync_lease_expires_at"] = int(data["sync_lease_expires_at"])
        return cls(**data)
