"""Reads what a connection needs to know about a QBO company: CompanyInfo and Preferences."""

from __future__ import annotations

from typing import Any

from qbo_connector.logic.ports import CompanyAccessRefused, CompanySnapshot
from qbo_connector.models.legal_entity import (
    CompanyPreferences,
    book_close_date,
    has_purchase_orders,
)


class _FreshToken:
    """Token source for the minutes right after the code exchange: nothing to refresh."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def access_token(self) -> str:
        return self._token

    def force_refresh(self) -> str:
        return self._token


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return None


def parse_preferences(
    prefs: dict[str, Any], company_info: dict[str, Any] | None = None
) -> CompanyPreferences:
    other = {
        item.get("Name"): item.get("Value")
        for item in (prefs.get("OtherPrefs") or {}).get("NameValue") or []
    }
    currency = prefs.get("CurrencyPrefs") or {}
    home = currency.get("HomeCurrency") or {}
    return CompanyPreferences(
        warn_duplicate_bill_number=_bool(other.get("WarnDuplicateBillNumber")),
        home_currency=home.get("value") if isinstance(home, dict) else None,
        multicurrency_enabled=_bool(currency.get("MultiCurrencyEnabled")),
        book_close_date=book_close_date(prefs),
        purchase_orders=has_purchase_orders(company_info) if company_info else None,
    )


class QboCompanyReader:
    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    def read(self, realm_id: str, access_token: str) -> CompanySnapshot:
        from qbo_connector.adapters.qbo_client import QboClient
        from qbo_connector.adapters.qbo_faults import (
            QboAuthenticationError,
            QboForbiddenError,
            QboNotFoundError,
        )

        client = QboClient(realm_id, _FreshToken(access_token), self._base_url)
        try:
            info = client.company_info()
            prefs = client.preferences()
        except (QboAuthenticationError, QboForbiddenError, QboNotFoundError) as refused:
            # The token is not for this realm (or the realm does not exist): a refusal.
            raise CompanyAccessRefused(type(refused).__name__) from None
        return CompanySnapshot(
            company_name=str(info.get("CompanyName") or info.get("LegalName") or realm_id),
            country=info.get("Country"),
            preferences=parse_preferences(prefs, info),
        )
