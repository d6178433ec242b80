"""One QBO company (realm): its objects, indexes and preferences."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .clock import intuit_time

ENTITIES = [
    "Vendor", "Customer", "Account", "Class", "Department", "Item", "Term", "TaxCode",
    "TaxRate", "CompanyCurrency", "Bill", "BillPayment", "VendorCredit", "Attachable",
    "PurchaseOrder", "Employee",
]
# Name lists: have Active; queries return active rows only unless Active is filtered.
NAME_LISTS = {
    "Vendor", "Customer", "Account", "Class", "Department", "Item", "Term", "TaxCode",
    "TaxRate", "CompanyCurrency", "Employee",
}
DELETABLE = {"Bill", "BillPayment", "VendorCredit", "Attachable", "PurchaseOrder"}
# Entities the Accounting API cannot create or update (seeded or admin-made only).
API_READ_ONLY = {"TaxCode", "TaxRate"}
SINGLETONS = {"CompanyInfo", "Preferences"}
CDC_UNSUPPORTED = {"TaxCode", "TaxRate", "TaxAgency", "TimeActivity", "JournalCode"}
ALIASES = {"Currency": "CompanyCurrency"}
LOWER = {e.lower(): e for e in [*ENTITIES, *SINGLETONS]}
LOWER |= {k.lower(): v for k, v in ALIASES.items()}

# Which name index an entity's display name lives in (Vendor, Customer and Employee share
# one: Intuit's DisplayName "must be unique across all Vendor, Customer, and Employee objects").
NAME_SPACE = {
    "Vendor": "party", "Customer": "party", "Employee": "party", "Account": "Account",
    "Class": "Class", "Department": "Department", "Item": "Item", "Term": "Term",
}
PARTIES = ("Vendor", "Customer", "Employee")
DELETED_SUFFIX = " (deleted)"


def canonical(name: str) -> str | None:
    return LOWER.get(name.lower())


@dataclass
class Company:
    realm_id: str
    name: str
    country: str = "US"
    admins: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {e: {} for e in ENTITIES}
    )
    # epoch of LastUpdatedTime per entity/id, for CDC without re-parsing strings
    stamps: dict[str, dict[str, float]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    tombstones: dict[str, dict[str, float]] = field(
        default_factory=lambda: {e: {} for e in ENTITIES}
    )
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    # CompanyInfo's OfferingSku: Plus and Advanced have purchase orders, Essentials not.
    plan: str = "QuickBooks Online Plus"
    bill_docnums: dict[str, set[str]] = field(default_factory=dict)
    # bill id -> {payment id: amount}
    bill_paid: dict[str, dict[str, float]] = field(default_factory=dict)
    attachments: dict[str, bytes] = field(default_factory=dict)
    # Bill payments the accountant marked reconciled in the bank. Intuit's BillPayment has
    # no such field in the API, so the flag lives here and never in the object.
    reconciled: set[str] = field(default_factory=set)
    info: dict[str, Any] = field(default_factory=dict)
    prefs: dict[str, Any] = field(default_factory=dict)
    next_id: int = 1
    version: int = 0
    query_cache: OrderedDict[Any, list[dict[str, Any]]] = field(default_factory=OrderedDict)
    requestids: OrderedDict[str, Any] = field(default_factory=OrderedDict)

    def new_id(self) -> str:
        value = str(self.next_id)
        self.next_id += 1
        return value

    def touch(self) -> None:
        self.version += 1
        self.query_cache.clear()

    # --- name index -----------------------------------------------------------------

    @staticmethod
    def display_name(entity: str, obj: dict[str, Any]) -> str | None:
        if entity in PARTIES:
            return obj.get("DisplayName")
        return obj.get("FullyQualifiedName") or obj.get("Name")

    def index_name(self, entity: str, obj: dict[str, Any]) -> None:
        space = NAME_SPACE.get(entity)
        name = self.display_name(entity, obj)
        if space and name:
            self.names.setdefault(space, {})[name.casefold()] = obj["Id"]

    def unindex_name(self, entity: str, obj: dict[str, Any]) -> None:
        space = NAME_SPACE.get(entity)
        name = self.display_name(entity, obj)
        if space and name:
            index = self.names.get(space, {})
            if index.get(name.casefold()) == obj["Id"]:
                del index[name.casefold()]

    def name_owner(self, entity: str, name: str) -> str | None:
        space = NAME_SPACE.get(entity)
        if not space:
            return None
        return self.names.get(space, {}).get(name.casefold())

    # --- preferences ------------------------------------------------------------------

    def other_pref(self, name: str) -> str | None:
        for nv in self.prefs.get("OtherPrefs", {}).get("NameValue", []):
            if nv.get("Name") == name:
                return str(nv.get("Value"))
        return None

    def set_other_pref(self, name: str, value: str) -> None:
        nvs = self.prefs.setdefault("OtherPrefs", {}).setdefault("NameValue", [])
        for nv in nvs:
            if nv.get("Name") == name:
                nv["Value"] = value
                return
        nvs.append({"Name": name, "Value": value})

    @property
    def warn_duplicate_bill_number(self) -> bool:
        return (self.other_pref("WarnDuplicateBillNumber") or "false").lower() == "true"

    @property
    def multicurrency(self) -> bool:
        return bool(self.prefs.get("CurrencyPrefs", {}).get("MultiCurrencyEnabled"))

    @property
    def home_currency(self) -> str:
        return str(self.prefs.get("CurrencyPrefs", {}).get("HomeCurrency", {}).get("value", "USD"))

    @property
    def book_close_date(self) -> str | None:
        """Settings > Advanced > Accounting > Close the books: the closing date, None when
        the books are open."""
        value = self.prefs.get("AccountingInfoPrefs", {}).get("BookCloseDate")
        return str(value) if value else None

    def bump_singleton(self, obj: dict[str, Any], now: float) -> None:
        obj["SyncToken"] = str(int(obj.get("SyncToken", "0")) + 1)
        obj.setdefault("MetaData", {})["LastUpdatedTime"] = intuit_time(now)

    def summary(self) -> dict[str, Any]:
        return {
            "realm_id": self.realm_id,
            "name": self.name,
            "country": self.country,
            "admins": sorted(self.admins),
            "users": sorted(self.users),
            "counts": {e: len(v) for e, v in self.objects.items()},
            "warn_duplicate_bill_number": self.warn_duplicate_bill_number,
            "multicurrency": self.multicurrency,
            "home_currency": self.home_currency,
            "book_close_date": self.book_close_date,
            "reconciled": sorted(self.reconciled, key=int),
        }
