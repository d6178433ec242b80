"""Per-entity validation and normalisation, as QBO applies it on create/update.

Each `prepare_*` takes the client's body (already merged with the stored object for
sparse updates) and returns the object to store, minus Id/SyncToken/MetaData.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import faults
from .clock import add_days
from .company import DELETED_SUFFIX, Company

READ_ONLY_KEYS = {"Id", "SyncToken", "MetaData", "domain", "sparse"}
CURRENCY_NAMES = {
    "USD": "United States Dollar", "CAD": "Canadian Dollar", "EUR": "Euro",
    "GBP": "British Pound Sterling", "AUD": "Australian Dollar", "MXN": "Mexican Peso",
}
ACCOUNT_TYPES = {
    "Bank": ("Asset", "Checking"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "OtherFixedAssets"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Equity": ("Equity", "OpeningBalanceEquity"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Income": ("Revenue", "ServiceFeeIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
}
LINE_DETAILS = {"AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ATTACHABLE_TARGETS = {"Bill", "BillPayment", "VendorCredit", "Vendor", "Customer", "Item"}


def clean(value: Any) -> Any:
    """Drop empty strings, nulls and empty lists the way QBO ignores them.

    python-quickbooks serialises unset fields as "" (e.g. "TxnDate": "", ref "name": "").
    """
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = clean(v)
            if v is None or v == "" or v == [] or v == {}:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _number(value: Any, element: str) -> float:
    if isinstance(value, bool):
        raise faults.invalid_value(element, f"Property {element} must be a number")
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        raise faults.invalid_value(element, f"Property {element} must be a number") from None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def ref(
    company: Company, body: dict[str, Any], key: str, entity: str, *,
    required: bool = False, element: str | None = None,
) -> dict[str, Any] | None:
    """Validate a reference and return it with QBO's `name` filled in (2500 when dangling)."""
    element = element or key
    raw = body.get(key)
    if raw is None:
        if required:
            raise faults.required(element)
        return None
    value = raw.get("value") if isinstance(raw, dict) else raw
    if value in (None, ""):
        if required:
            raise faults.required(element)
        return None
    value = str(value)
    target = company.objects[entity].get(value)
    if target is None:
        raise faults.invalid_reference(element, entity, value)
    if target.get("Active") is False:
        # What Intuit answers for a transaction naming an inactive account, vendor, item...
        raise faults.not_found(entity, value)
    name = company.display_name(entity, target) or target.get("Name")
    out: dict[str, Any] = {"value": value}
    if name:
        out["name"] = name
    return out


def _currency(company: Company, body: dict[str, Any]) -> dict[str, str]:
    raw = body.get("CurrencyRef")
    code = (raw.get("value") if isinstance(raw, dict) else raw) or company.home_currency
    code = str(code).upper()
    allowed = {company.home_currency}
    if company.multicurrency:
        allowed |= {c.get("Code", "") for c in company.objects["CompanyCurrency"].values()
                    if c.get("Active", True)}
    if code not in allowed:
        raise faults.invalid_reference("CurrencyRef", "Currency", code)
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _check_name(company: Company, entity: str, name: str, own_id: str | None, kind: str) -> None:
    owner = company.name_owner(entity, name)
    if owner is not None and owner != own_id:
        raise faults.duplicate_name(kind)


def _apply_active(obj: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Inactive names carry QBO's " (deleted)" suffix; reactivation removes it."""
    active = _bool(obj.get("Active", True))
    obj["Active"] = active
    for key in keys:
        val = obj.get(key)
        if not isinstance(val, str):
            continue
        base = val[: -len(DELETED_SUFFIX)] if val.endswith(DELETED_SUFFIX) else val
        obj[key] = base if active else base + DELETED_SUFFIX


def _base_name(value: str) -> str:
    return value[: -len(DELETED_SUFFIX)] if value.endswith(DELETED_SUFFIX) else value


# --- name lists ---------------------------------------------------------------------------


# Intuit's entity reference: the longest value each name field takes.
NAME_LIMITS = {"Title": 16, "GivenName": 100, "MiddleName": 100, "FamilyName": 100,
               "Suffix": 16, "CompanyName": 100, "DisplayName": 500}
PRINT_ON_CHECK_LIMIT = {"Vendor": 110, "Customer": 110, "Employee": 100}
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
MASKED_SSN = "XXX-XX-XXXX"
BAD_NAME_CHARACTERS = (":", "\t", "\n", "\r", '"')


def _display(obj: dict[str, Any]) -> str:
    """DisplayName, or Intuit's concatenation of the name parts when it is not supplied.

    Intuit: "The DisplayName attribute or at least one of Title, GivenName, MiddleName,
    FamilyName, or Suffix attributes are required during create"; CompanyName alone is not
    enough, and the recorded answer to a body without any is a 2010 whose Detail is a
    truncated Jackson message.
    """
    display = obj.get("DisplayName")
    if not display:
        display = " ".join(str(obj[k]) for k in NAME_PARTS if obj.get(k))
    if not display:
        raise faults.QboFault(
            "2010", "Request has invalid or unsupported property",
            "Property Name:Can not instanti specified is unsupported or invalid")
    return _base_name(str(display))


def _party(company: Company, entity: str, body: dict[str, Any], own_id: str | None) -> dict:
    obj = dict(body)
    display = _display(obj)
    obj["DisplayName"] = display
    for key, limit in NAME_LIMITS.items():
        value = obj.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise faults.too_long(key, limit, len(value))
    if any(c in display for c in BAD_NAME_CHARACTERS):
        # Intuit answers a name with a colon, tab or newline with a 6000 (clients map it to
        # "Names must have at least one character and cannot include tabs, newlines or ':'");
        # a straight double quote is refused too (UNCONFIRMED for DisplayName: the stricter).
        raise faults.business("Names must have at least one character and cannot include "
                              "tabs, newlines or ':'.", "DisplayName")
    check_limit = PRINT_ON_CHECK_LIMIT[entity]
    obj.setdefault("PrintOnCheckName", display[:check_limit])  # a default never overflows
    if len(str(obj["PrintOnCheckName"])) > check_limit:
        raise faults.too_long("PrintOnCheckName", check_limit, len(str(obj["PrintOnCheckName"])))
    for key in ("BillAddr", "ShipAddr", "OtherAddr", "PrimaryAddr"):
        if isinstance(obj.get(key), dict):
            obj[key] = _address(company, obj[key])
    if entity == "Employee":
        _employee_fields(obj)
    else:
        obj["Balance"] = round(float(obj.get("Balance") or 0), 2)
        obj["CurrencyRef"] = _currency(company, obj)
    if entity == "Vendor":
        obj["Vendor1099"] = _bool(obj.get("Vendor1099", False))
        term = ref(company, obj, "TermRef", "Term")
        if term:
            obj["TermRef"] = {"value": term["value"]}  # Intuit serves it without a name
    elif entity == "Customer":
        obj["FullyQualifiedName"] = display
        obj["BalanceWithJobs"] = obj["Balance"]
        tax = ref(company, obj, "DefaultTaxCodeRef", "TaxCode") or _default_tax_code(company)
        if tax:
            obj["DefaultTaxCodeRef"] = {"value": tax["value"]}
        obj.setdefault("Taxable", bool(tax))
        obj.setdefault("Job", False)
        obj.setdefault("BillWithParent", False)
        obj.setdefault("PreferredDeliveryMethod", "Print")
    _apply_active(obj, ("DisplayName", "FullyQualifiedName"))
    kind = "customer, vendor or employee"
    if obj["Active"]:
        _check_name(company, entity, obj["DisplayName"], own_id, kind)
    return obj


def _employee_fields(obj: dict[str, Any]) -> None:
    """What Intuit adds to or refuses in an Employee (its entity reference)."""
    obj["BillableTime"] = _bool(obj.get("BillableTime", False))
    # "If SSN is set, it is masked in the response with XXX-XX-XXXX"; a masked value sent
    # back keeps the stored one (the sandbox keeps only the mask: it never serves an SSN).
    if obj.get("SSN"):
        obj["SSN"] = MASKED_SSN
    gender = obj.get("Gender")
    if gender is not None and gender not in ("Male", "Female"):
        raise faults.invalid_value("Gender", f"Invalid Enumeration : {gender}")
    for key in ("BirthDate", "HiredDate", "ReleasedDate"):
        value = obj.get(key)
        if value is not None and not _DATE.match(str(value)):
            raise faults.invalid_value(key, f"Property {key} must be a date (yyyy-MM-dd)")
    for key in ("BillRate", "CostRate"):
        if obj.get(key) is not None:
            obj[key] = _number(obj[key], key)


def _address(company: Company, addr: dict[str, Any]) -> dict[str, Any]:
    """Intuit gives every stored address an Id and geocodes it ("INVALID" when it can't)."""
    out = dict(addr)
    out.setdefault("Id", company.new_id())
    out.setdefault("Lat", "INVALID")
    out.setdefault("Long", "INVALID")
    return out


def _default_tax_code(company: Company) -> dict[str, str] | None:
    """A new customer of a sales-tax company gets the company's first real tax code."""
    for code_id, code in company.objects["TaxCode"].items():
        if code_id.isdigit() and code.get("Active", True) is not False:
            return {"value": code_id}
    return None


def prepare_vendor(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    return _party(company, "Vendor", body, own_id)


def prepare_employee(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    return _party(company, "Employee", body, own_id)


def prepare_customer(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    return _party(company, "Customer", body, own_id)


def _hierarchical(
    company: Company, entity: str, body: dict[str, Any], own_id: str | None, sub_key: str | None
) -> dict:
    obj = dict(body)
    name = obj.get("Name")
    if not name:
        raise faults.required("Name")
    name = _base_name(str(name))
    if ":" in name or '"' in name:
        raise faults.invalid_value(
            "Name", f'Property Name:{entity}.Name cannot contain a double quote (") or a colon (:)'
        )
    if len(name) > 100:
        raise faults.too_long("Name", 100, len(name))
    obj["Name"] = name
    parent = ref(company, obj, "ParentRef", entity)
    if parent:
        if parent["value"] == own_id:
            raise faults.business(f"A {entity} cannot be its own parent", "ParentRef")
        obj["ParentRef"] = {"value": parent["value"]}
        parent_obj = company.objects[entity][parent["value"]]
        obj["FullyQualifiedName"] = f"{parent_obj.get('FullyQualifiedName', '')}:{name}"
        if sub_key:
            obj[sub_key] = True
    else:
        obj.pop("ParentRef", None)
        obj["FullyQualifiedName"] = name
        if sub_key:
            obj[sub_key] = False
    _apply_active(obj, ("Name", "FullyQualifiedName"))
    if obj["Active"]:
        _check_name(company, entity, obj["FullyQualifiedName"], own_id, entity.lower())
    return obj


def prepare_account(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    obj = _hierarchical(company, "Account", body, own_id, "SubAccount")
    acct_type = obj.get("AccountType")
    if not acct_type and obj.get("AccountSubType"):
        acct_type = "Expense"
    if not acct_type:
        raise faults.required("AccountType")
    if acct_type not in ACCOUNT_TYPES:
        raise faults.invalid_value("AccountType", f"Invalid Enumeration : {acct_type}")
    classification, subtype = ACCOUNT_TYPES[acct_type]
    obj["AccountType"] = acct_type
    obj["Classification"] = classification
    obj.setdefault("AccountSubType", subtype)
    obj["CurrentBalance"] = round(float(obj.get("CurrentBalance") or 0), 2)
    obj["CurrentBalanceWithSubAccounts"] = obj["CurrentBalance"]
    obj["CurrencyRef"] = _currency(company, obj)
    return obj


def prepare_class(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    return _hierarchical(company, "Class", body, own_id, "SubClass")


def prepare_department(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    return _hierarchical(company, "Department", body, own_id, "SubDepartment")


def prepare_item(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    obj = _hierarchical(company, "Item", body, own_id, "SubItem")
    item_type = obj.get("Type") or "Service"
    if item_type not in ("Service", "NonInventory", "Inventory", "Category", "Group"):
        raise faults.invalid_value("Type", f"Invalid Enumeration : {item_type}")
    obj["Type"] = item_type
    for key in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        r = ref(company, obj, key, "Account")
        if r:
            obj[key] = r
    if item_type in ("Service", "NonInventory") and not (
        obj.get("IncomeAccountRef") or obj.get("ExpenseAccountRef")
    ):
        raise faults.required("IncomeAccountRef")
    obj.setdefault("UnitPrice", 0)
    obj.setdefault("PurchaseCost", 0)
    obj.setdefault("Taxable", False)
    obj.setdefault("TrackQtyOnHand", item_type == "Inventory")
    return obj


def prepare_term(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    obj = _hierarchical(company, "Term", body, own_id, None)
    obj.pop("FullyQualifiedName", None)
    obj.setdefault("Type", "STANDARD")
    if obj["Type"] == "STANDARD":
        obj["DueDays"] = int(obj.get("DueDays") or 0)
    return obj


def prepare_plain(company: Company, body: dict[str, Any], own_id: str | None) -> dict:
    """TaxCode, TaxRate, CompanyCurrency: stored as given (admin-made only)."""
    obj = dict(body)
    obj["Active"] = _bool(obj.get("Active", True))
    return obj


# --- transactions ---------------------------------------------------------------------------


def _po_links(
    company: Company, body: dict[str, Any], links: Any, already: set[str]
) -> list[dict[str, str]]:
    """A bill line billing a purchase-order line: the PO must be the vendor's and open."""
    if not isinstance(links, list):
        raise faults.invalid_value("Line.LinkedTxn", "LinkedTxn must be an array")
    out = []
    for link in links:
        if not isinstance(link, dict) or link.get("TxnType") != "PurchaseOrder":
            raise faults.invalid_value("Line.LinkedTxn.TxnType",
                                       "A bill line links to a PurchaseOrder only")
        po_id, line_id = str(link.get("TxnId") or ""), str(link.get("TxnLineId") or "")
        po = company.objects["PurchaseOrder"].get(po_id)
        if po is None:
            raise faults.business(f"PurchaseOrder with Id={po_id} does not exist.",
                                  "Line.LinkedTxn.TxnId")
        if po["VendorRef"]["value"] != (body.get("VendorRef") or {}).get("value"):
            raise faults.business(f"PurchaseOrder {po_id} belongs to another vendor",
                                  "Line.LinkedTxn")
        if not any(line["Id"] == line_id for line in po.get("Line") or []):
            raise faults.business(f"PurchaseOrder {po_id} has no line {line_id}",
                                  "Line.LinkedTxn.TxnLineId")
        # A PO this bill itself closed stays linkable when the bill is updated.
        if po.get("POStatus") == "Closed" and po_id not in already:
            raise faults.business(f"PurchaseOrder {po_id} is closed", "Line.LinkedTxn")
        out.append({"TxnId": po_id, "TxnType": "PurchaseOrder", "TxnLineId": line_id})
    return out


def _lines(
    company: Company, body: dict[str, Any], po_links: set[str] | None = None
) -> tuple[list[dict[str, Any]], float]:
    """Expense lines; `po_links` (bills only) allows LinkedTxn to PO lines, exempting from
    the closed-PO check the POs the bill already links."""
    raw = body.get("Line")
    if not raw:
        raise faults.required("Line")
    if not isinstance(raw, list):
        raise faults.invalid_value("Line", "Line must be an array")
    lines: list[dict[str, Any]] = []
    total = 0.0
    for n, line in enumerate(raw, start=1):
        if not isinstance(line, dict):
            raise faults.invalid_value("Line", "Line items must be objects")
        detail_type = line.get("DetailType")
        if not detail_type:
            raise faults.required("Line.DetailType")
        if detail_type not in LINE_DETAILS:
            raise faults.invalid_value("Line.DetailType", f"Invalid Enumeration : {detail_type}")
        detail = dict(line.get(detail_type) or {})
        if detail_type == "AccountBasedExpenseLineDetail":
            detail["AccountRef"] = ref(company, detail, "AccountRef", "Account", required=True,
                                       element="Line.AccountBasedExpenseLineDetail.AccountRef")
        else:
            detail["ItemRef"] = ref(company, detail, "ItemRef", "Item", required=True,
                                    element="Line.ItemBasedExpenseLineDetail.ItemRef")
        for key, entity in (("ClassRef", "Class"), ("CustomerRef", "Customer"),
                            ("TaxCodeRef", "TaxCode")):
            r = ref(company, detail, key, entity, element=f"Line.{detail_type}.{key}")
            if r:
                detail[key] = r
        detail.setdefault("BillableStatus", "NotBillable")
        detail.pop("TaxInclusiveAmt", None)
        amount = line.get("Amount")
        if amount is None and detail_type == "ItemBasedExpenseLineDetail":
            qty, price = detail.get("Qty"), detail.get("UnitPrice")
            if qty is not None and price is not None:
                amount = _number(qty, "Line.Qty") * _number(price, "Line.UnitPrice")
        if amount is None:
            raise faults.required("Line.Amount")
        amt = _number(amount, "Line.Amount")
        total += amt
        out: dict[str, Any] = {"Id": str(n), "LineNum": n}
        if line.get("Description"):
            out["Description"] = line["Description"]
        out.update({"Amount": amt, "DetailType": detail_type, detail_type: detail})
        links = line.get("LinkedTxn")
        if links and po_links is not None:
            out["LinkedTxn"] = _po_links(company, body, links, po_links)
        elif links:
            raise faults.invalid_value("Line.LinkedTxn", "LinkedTxn is not supported here")
        lines.append(out)
    return lines, round(total, 2)


def _txn_common(company: Company, body: dict[str, Any], today: str) -> dict[str, Any]:
    obj = dict(body)
    obj["VendorRef"] = ref(company, obj, "VendorRef", "Vendor", required=True)
    doc = obj.get("DocNumber")
    if doc is not None:
        doc = str(doc)
        if len(doc) > 21:
            raise faults.too_long("DocNumber", 21, len(doc))
        obj["DocNumber"] = doc
    obj["TxnDate"] = str(obj.get("TxnDate") or today)
    if company.multicurrency and not obj.get("CurrencyRef"):
        obj["CurrencyRef"] = {"value": _party_currency(company, obj["VendorRef"])}
    obj["CurrencyRef"] = _currency(company, obj)
    if company.multicurrency and obj["CurrencyRef"]["value"] != _party_currency(
            company, obj["VendorRef"]):
        raise faults.business("The currency of the transaction must match the vendor's "
                              "currency.", "CurrencyRef")
    for key, entity in (("DepartmentRef", "Department"), ("SalesTermRef", "Term")):
        r = ref(company, obj, key, entity)
        if r:
            obj[key] = r
    ap = ref(company, obj, "APAccountRef", "Account")
    if ap is None:
        ap_id = next((i for i, a in company.objects["Account"].items()
                      if a.get("AccountType") == "Accounts Payable" and a.get("Active")), None)
        if ap_id is None:
            raise faults.business("No Accounts Payable account exists", "APAccountRef")
        ap = {"value": ap_id, "name": company.objects["Account"][ap_id]["Name"]}
    elif company.objects["Account"][ap["value"]].get("AccountType") != "Accounts Payable":
        raise faults.business("APAccountRef must be an Accounts Payable account", "APAccountRef")
    obj["APAccountRef"] = ap
    _exchange_rate(company, obj)
    return obj


def _exchange_rate(company: Company, obj: dict[str, Any]) -> None:
    """Intuit: ExchangeRate is "the number of home currency units it takes to equal one unit
    of currency specified by CurrencyRef", default 1, applicable with multicurrency only.
    A home-currency transaction has 1; a foreign one the rate sent, else the rate QBO keeps
    for the currency (here a fixed table, so the sandbox stays deterministic)."""
    if not company.multicurrency:
        obj.pop("ExchangeRate", None)
        return
    code = obj["CurrencyRef"]["value"]
    if code == company.home_currency:
        obj["ExchangeRate"] = 1
        return
    given = obj.get("ExchangeRate")
    if given is None:
        obj["ExchangeRate"] = market_rate(code, company.home_currency)
        return
    try:
        rate = -1.0 if isinstance(given, bool) else round(float(given), 6)
    except (TypeError, ValueError):
        rate = -1.0
    if rate <= 0:
        raise faults.invalid_value("ExchangeRate",
                                   "Property ExchangeRate must be a positive number")
    obj["ExchangeRate"] = rate


# Home-currency value of one unit (USD per unit), fixed so that the sandbox is deterministic.
USD_PER_UNIT = {"USD": 1.0, "CAD": 0.74, "EUR": 1.08, "GBP": 1.27, "AUD": 0.66, "MXN": 0.058}


def market_rate(code: str, home: str) -> float:
    return round(USD_PER_UNIT.get(code, 1.0) / USD_PER_UNIT.get(home, 1.0), 6)


def _party_currency(company: Company, vendor_ref: dict[str, str]) -> str:
    vendor = company.objects["Vendor"].get(vendor_ref["value"]) or {}
    return str((vendor.get("CurrencyRef") or {}).get("value") or company.home_currency)


def prepare_bill(
    company: Company, body: dict[str, Any], today: str, paid: float,
    linked_pos: set[str] | None = None,
) -> dict:
    obj = _txn_common(company, body, today)
    obj["Line"], total = _lines(company, obj, po_links=linked_pos or set())
    if total < paid:
        raise faults.business(
            f"The bill total {total:.2f} is less than the {paid:.2f} already paid", "Line"
        )
    obj["TotalAmt"] = total
    obj["Balance"] = round(total - paid, 2)
    if not obj.get("DueDate"):
        due = obj.get("TxnDate", today)
        term = obj.get("SalesTermRef")
        if term:
            due = add_days(due, int(company.objects["Term"][term["value"]].get("DueDays") or 0))
        obj["DueDate"] = due
    return obj


def prepare_vendor_credit(
    company: Company, body: dict[str, Any], today: str, used: float = 0.0
) -> dict:
    obj = _txn_common(company, body, today)
    obj["Line"], total = _lines(company, obj)
    if total < used:
        raise faults.business(
            f"The credit total {total:.2f} is less than the {used:.2f} already applied", "Line")
    obj["TotalAmt"] = total
    obj["Balance"] = round(total - used, 2)
    obj.pop("DueDate", None)
    return obj


def prepare_purchase_order(company: Company, body: dict[str, Any], today: str) -> dict:
    """Open until fully billed or closed by hand (`ManuallyClosed`); the store links bills."""
    obj = _txn_common(company, body, today)
    obj["Line"], obj["TotalAmt"] = _lines(company, obj)
    obj["ManuallyClosed"] = _bool(obj.get("ManuallyClosed", False))
    obj.pop("Balance", None)
    for key in ("ShipAddr", "VendorAddr"):
        if isinstance(obj.get(key), dict):
            obj[key] = _address(company, obj[key])
    return obj


def prepare_bill_payment(
    company: Company, body: dict[str, Any], today: str, own_id: str | None
) -> tuple[dict, dict[str, float]]:
    """Returns the payment and {bill or vendor credit id: amount applied}."""
    obj = dict(body)
    obj["VendorRef"] = ref(company, obj, "VendorRef", "Vendor", required=True)
    pay_type = obj.get("PayType")
    if not pay_type:
        raise faults.required("PayType")
    if pay_type not in ("Check", "CreditCard"):
        raise faults.invalid_value("PayType", f"Invalid Enumeration : {pay_type}")
    if pay_type == "Check":
        detail = dict(obj.get("CheckPayment") or {})
        detail["BankAccountRef"] = ref(company, detail, "BankAccountRef", "Account",
                                       required=True, element="CheckPayment.BankAccountRef")
        _pay_from(company, detail["BankAccountRef"], "Bank", "CheckPayment.BankAccountRef")
        status = detail.setdefault("PrintStatus", "NotSet")
        if status not in PRINT_STATUSES:
            raise faults.invalid_value("CheckPayment.PrintStatus",
                                       f"Invalid Enumeration : {status}")
        obj["CheckPayment"] = detail
        obj.pop("CreditCardPayment", None)
        pay_from = detail["BankAccountRef"]["value"]
    else:
        detail = dict(obj.get("CreditCardPayment") or {})
        detail["CCAccountRef"] = ref(company, detail, "CCAccountRef", "Account", required=True,
                                     element="CreditCardPayment.CCAccountRef")
        _pay_from(company, detail["CCAccountRef"], "Credit Card",
                  "CreditCardPayment.CCAccountRef")
        obj["CreditCardPayment"] = detail
        obj.pop("CheckPayment", None)
        pay_from = detail["CCAccountRef"]["value"]
    if obj.get("TotalAmt") is None:
        raise faults.required("TotalAmt")
    total = _number(obj["TotalAmt"], "TotalAmt")
    if total < 0:
        raise faults.business("TotalAmt cannot be negative", "TotalAmt")
    obj["TotalAmt"] = total
    obj["TxnDate"] = str(obj.get("TxnDate") or today)
    if company.multicurrency and not obj.get("CurrencyRef"):
        obj["CurrencyRef"] = {"value": _party_currency(company, obj["VendorRef"])}
    obj["CurrencyRef"] = _currency(company, obj)
    currency = obj["CurrencyRef"]["value"]
    if company.multicurrency:
        if currency != _party_currency(company, obj["VendorRef"]):
            raise faults.business("The currency of the transaction must match the vendor's "
                                  "currency.", "CurrencyRef")
        acct_currency = (company.objects["Account"][pay_from].get("CurrencyRef") or {}).get(
            "value", company.home_currency)
        if acct_currency not in (currency, company.home_currency):
            raise faults.business("The payment account's currency must be the home currency "
                                  "or the transaction's currency.",
                                  "CheckPayment.BankAccountRef" if pay_type == "Check"
                                  else "CreditCardPayment.CCAccountRef")
    _exchange_rate(company, obj)
    applied: dict[str, float] = {}
    bills: set[str] = set()
    credits: set[str] = set()
    lines: list[dict[str, Any]] = []
    for line in obj.get("Line") or []:
        amt = _number(line.get("Amount"), "Line.Amount") if line.get("Amount") is not None else None
        if amt is None:
            raise faults.required("Line.Amount")
        links = line.get("LinkedTxn") or []
        if not links:
            raise faults.required("Line.LinkedTxn")
        out_links = []
        for link in links:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId") or "")
            if txn_type not in ("Bill", "VendorCredit"):
                raise faults.invalid_value("Line.LinkedTxn.TxnType",
                                           f"Unsupported TxnType {txn_type}")
            target = company.objects[txn_type].get(txn_id)
            if target is None:
                # Linking to a transaction that does not exist is 6000, not 2500 (recorded).
                raise faults.business(f"{txn_type} with Id={txn_id} does not exist.",
                                      "Line.LinkedTxn.TxnId")
            if target["VendorRef"]["value"] != obj["VendorRef"]["value"]:
                raise faults.business(f"{txn_type} {txn_id} belongs to another vendor",
                                      "Line.LinkedTxn")
            if (target.get("CurrencyRef") or {}).get("value", currency) != currency:
                raise faults.business(f"{txn_type} {txn_id} is in another currency",
                                      "Line.LinkedTxn")
            out_links.append({"TxnId": txn_id, "TxnType": txn_type})
            applied[txn_id] = round(applied.get(txn_id, 0.0) + amt, 2)
            (credits if txn_type == "VendorCredit" else bills).add(txn_id)
        lines.append({"Amount": amt, "LinkedTxn": out_links})
    obj["Line"] = lines
    # A vendor credit applied in the payment pays part of the bills: the money paid
    # (TotalAmt) is what the bills take less what the credits give.
    billed = round(sum(applied[i] for i in bills), 2)
    credited = round(sum(applied[i] for i in credits), 2)
    if credited > billed:
        raise faults.business("The vendor credits applied exceed the bills paid", "Line")
    if round(billed - credited, 2) > total:
        raise faults.business("The amounts applied exceed the payment's TotalAmt", "Line")
    for txn_id, amt in applied.items():
        txn = company.objects["VendorCredit" if txn_id in credits else "Bill"][txn_id]
        already = company.bill_paid.get(txn_id, {})
        open_balance = txn["TotalAmt"] - sum(v for k, v in already.items() if k != own_id)
        if amt > round(open_balance, 2) + 0.001:
            what = "VendorCredit" if txn_id in credits else "Bill"
            raise faults.business(
                f"The amount applied to {what} {txn_id} ({amt:.2f}) exceeds its open balance "
                f"({open_balance:.2f})", "Line.Amount")
    return obj, applied


PRINT_STATUSES = ("NotSet", "NeedToPrint", "PrintComplete")


def _pay_from(company: Company, account: dict[str, str] | None, acct_type: str,
              element: str) -> None:
    """Intuit's reference: a check pays from a Bank account, a card payment from a Credit
    Card account; anything else is a business validation error (6000)."""
    assert account is not None
    found = company.objects["Account"][account["value"]].get("AccountType")
    if found != acct_type:
        raise faults.business(f"{element} must be a {acct_type} account; account "
                              f"{account['value']} is {found}.", element)


def prepare_attachable(company: Company, body: dict[str, Any]) -> dict:
    obj = dict(body)
    refs = []
    for item in obj.get("AttachableRef") or []:
        entity_ref = (item or {}).get("EntityRef") or {}
        etype, value = entity_ref.get("type"), str(entity_ref.get("value") or "")
        if etype not in ATTACHABLE_TARGETS:
            raise faults.invalid_value("AttachableRef.EntityRef.type",
                                       f"Invalid Enumeration : {etype}")
        if value not in company.objects[etype]:
            # Linking to an entity that does not exist is 6000 (recorded), not 2500.
            raise faults.business(f"{etype} with Id={value} does not exist.",
                                  "AttachableRef.EntityRef")
        refs.append({"EntityRef": {"type": etype, "value": value},
                     "IncludeOnSend": _bool(item.get("IncludeOnSend", False))})
    if refs:
        obj["AttachableRef"] = refs
    if not obj.get("FileName") and not obj.get("Note"):
        raise faults.required("FileName")
    return obj


NAME_LIST_PREPARERS: dict[str, Callable[[Company, dict[str, Any], str | None], dict]] = {
    "Vendor": prepare_vendor,
    "Customer": prepare_customer,
    "Employee": prepare_employee,
    "Account": prepare_account,
    "Class": prepare_class,
    "Department": prepare_department,
    "Item": prepare_item,
    "Term": prepare_term,
    "TaxCode": prepare_plain,
    "TaxRate": prepare_plain,
    "CompanyCurrency": prepare_plain,
}
