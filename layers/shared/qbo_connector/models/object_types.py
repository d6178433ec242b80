"""Every QBO object type the connector reads, and its traits, in one table.

A type's traits decide how the import plans it (CDC or a changed-since query), how it is
queried (QBO's entity name, the `Active` filter), who may skip it (Currency without
multicurrency), how the records API names it and how an error message says it. A new
type is one row here; nothing else lists types.

    type         QBO entity        CDC   default  records API     in words
    Vendor       Vendor            yes   yes      vendor(s)       vendor
    Account      Account           yes   yes      account(s)      account
    ...
    TaxCode      TaxCode           no    yes      taxcode(s)      tax code
    Currency     CompanyCurrency   yes   yes      currency/ies    currency (multicurrency only)
    PurchaseOrder PurchaseOrder    yes   no       purchaseorder(s) purchase order (Plus/Advanced)
    Bill         Bill              yes   no       -               bill       (payment status)
    BillPayment  BillPayment       yes   no       -               bill payment (payment status)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ObjectType:
    name: str  # ours: sync profile, records API, stored records
    words: str  # how a sentence names one ("location" for Department)
    entity: str = ""  # QBO's entity name in queries and CDC (default: the name)
    plural: str = ""  # the records API's plural (default: name + "s", lower case)
    cdc: bool = True  # ChangeDataCapture serves it (TaxCode and TaxRate: no)
    master_data: bool = True  # imported for coding, listed by the records API
    needs_multicurrency: bool = False  # QBO has the list only with multicurrency on
    payment_status: bool = False  # read from CDC for the bills' payment status
    default: bool = True  # in a new sync profile's object_types
    has_active: bool = True  # the entity has `Active` (a PurchaseOrder has POStatus)
    needs_purchase_orders: bool = False  # QBO has it on Plus and Advanced plans only
    # What Intuit calls its list in a 2500 Detail ("Names element id 58 not found").
    reference_list: str = ""

    @property
    def qbo_entity(self) -> str:
        return self.entity or self.name

    @property
    def aliases(self) -> tuple[str, ...]:
        """The spellings the records API accepts: Vendor, vendor, vendors."""
        return (self.name.lower(), self.plural or self.name.lower() + "s")


# Import order: lists other lists refer to (terms, tax, currencies, accounts) come
# before vendors and items.
OBJECT_TYPES: tuple[ObjectType, ...] = (
    ObjectType("Vendor", "vendor", reference_list="Names"),
    ObjectType("Account", "account", reference_list="Accounts"),
    ObjectType("Class", "class", plural="classes", reference_list="Klasses"),
    ObjectType("Department", "location", reference_list="Departments"),
    ObjectType("Item", "item", reference_list="Items"),
    ObjectType("Term", "terms", reference_list="Terms"),
    ObjectType("TaxCode", "tax code", cdc=False, reference_list="TaxCodes"),
    ObjectType("TaxRate", "tax rate", cdc=False),
    ObjectType("Customer", "customer", reference_list="Names"),
    ObjectType(
        "Currency",
        "currency",
        entity="CompanyCurrency",
        plural="currencies",
        needs_multicurrency=True,
    ),
    # Off by default; on for companies whose plan has purchase orders (logic.purchase_orders).
    ObjectType(
        "PurchaseOrder",
        "purchase order",
        plural="purchaseorders",
        default=False,
        has_active=False,
        needs_purchase_orders=True,
    ),
    ObjectType("Bill", "bill", master_data=False, payment_status=True),
    ObjectType("BillPayment", "bill payment", master_data=False, payment_status=True),
)
BY_NAME: dict[str, ObjectType] = {spec.name: spec for spec in OBJECT_TYPES}
WORDS: dict[str, str] = {spec.name: spec.words for spec in OBJECT_TYPES}
# A 2500's list name (lower case) -> the types it may mean (Names: vendors, customers).
REFERENCE_LISTS: dict[str, tuple[str, ...]] = {}
for _spec in OBJECT_TYPES:
    if _spec.reference_list:
        _list = _spec.reference_list.lower()
        REFERENCE_LISTS[_list] = (*REFERENCE_LISTS.get(_list, ()), _spec.name)

MASTER_DATA: tuple[str, ...] = tuple(spec.name for spec in OBJECT_TYPES if spec.master_data)
DEFAULT_TYPES: tuple[str, ...] = tuple(
    spec.name for spec in OBJECT_TYPES if spec.master_data and spec.default
)
PAYMENT_STATUS: tuple[str, ...] = tuple(
    spec.qbo_entity for spec in OBJECT_TYPES if spec.payment_status
)
# Everything a legal entity may have stored (a reset or delete removes all of it).
STORED: tuple[str, ...] = tuple(spec.name for spec in OBJECT_TYPES)


def spec(name: str) -> ObjectType:
    return BY_NAME[name]


def is_active(object_type: str, row: dict[str, Any]) -> bool:
    """A record is active for coding while QBO's `Active` says so; a purchase order (which
    has none) while it is open."""
    if not spec(object_type).has_active:
        return row.get("POStatus", "Open") != "Closed"
    return row.get("Active", True) is not False
