"""The sandbox's state: apps, users, companies, and the object operations on them.

One re-entrant lock guards everything; handlers hold it while they build the
response bytes, so objects are never serialised mid-update.

Two guards act on the Accounting API only (`admin=False`); the control API plays the
accountant in the QBO website, which may still change what they protect:

* Closed books (Preferences.AccountingInfoPrefs.BookCloseDate): creating, updating,
  deleting or voiding a transaction of CLOSABLE dated on or before the closing date (the
  new TxnDate, and for an update, delete or void the stored one too) is Intuit's 6210.
* Reconciled bill payments (Company.reconciled): updating, deleting or voiding one is a
  6000 business validation error. Intuit's exact wording for it is UNCONFIRMED.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import entities as ents
from . import faults
from .clock import Clock, intuit_time, local_date
from .company import (
    API_READ_ONLY,
    CDC_UNSUPPORTED,
    DELETABLE,
    ENTITIES,
    NAME_LISTS,
    SINGLETONS,
    Company,
    canonical,
)
from .query import evaluate, parse, project
from .schema import _COMMON as _COMMON_FIELDS
from .schema import FIELDS, check_properties

CDC_MAX_OBJECTS = 1000
CDC_MAX_AGE = 30 * 86400
QUERY_CACHE_SIZE = 16
REQUESTID_MEMORY = 5000
COMPUTED_KEYS = {
    "Bill": {"TotalAmt", "Balance", "LinkedTxn"},
    "VendorCredit": {"TotalAmt", "Balance"},
    "Vendor": {"Balance"},
    "Customer": {"Balance"},
}


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Sandbox app"

    def public(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "redirect_uris": self.redirect_uris, "name": self.name}


@dataclass
class User:
    username: str
    password: str
    email: str
    given_name: str = ""
    family_name: str = ""
    sub: str = field(default_factory=lambda: secrets.token_hex(16))

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "email": self.email, "given_name": self.given_name,
                "family_name": self.family_name, "sub": self.sub}


class Store:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.companies: dict[str, Company] = {}
        self._next_realm = 9341450000000001

    # --- admin: apps, users, companies ---------------------------------------------------

    def register_app(
        self, redirect_uris: Iterable[str], client_id: str | None = None,
        client_secret: str | None = None, name: str = "Sandbox app",
    ) -> App:
        with self.lock:
            cid = client_id or "AB" + secrets.token_urlsafe(36).replace("-", "x").replace("_", "y")
            app = App(cid, client_secret or secrets.token_urlsafe(30), list(redirect_uris), name)
            self.apps[cid] = app
            return app

    def create_user(
        self, username: str, password: str, email: str | None = None,
        given_name: str = "", family_name: str = "",
    ) -> User:
        with self.lock:
            if username in self.users:
                raise ValueError(f"user {username!r} already exists")
            user = User(username, password, email or f"{username}@example.com", given_name,
                        family_name)
            self.users[username] = user
            return user

    def create_company(
        self, realm_id: str | None = None, name: str = "Craig's Design and Landscaping Services",
        country: str = "US", admins: Iterable[str] = (), users: Iterable[str] = (),
        seed: str = "craigs", sizes: dict[str, int] | None = None,
        multicurrency: bool = False, warn_duplicate_bill_number: bool = False,
        plan: str = "QuickBooks Online Plus",
    ) -> Company:
        from .seed import seed_company

        with self.lock:
            if realm_id is None:
                realm_id = str(self._next_realm)
                self._next_realm += 1
            if realm_id in self.companies:
                raise ValueError(f"company {realm_id} already exists")
            for u in [*admins, *users]:
                if u not in self.users:
                    raise ValueError(f"unknown user {u!r}")
            company = Company(realm_id, name, country, set(admins), set(users) | set(admins),
                              plan=plan)
            seed_company(self, company, seed, sizes or {}, multicurrency,
                         warn_duplicate_bill_number)
            self.companies[realm_id] = company
            return company

    def company(self, realm_id: str) -> Company:
        company = self.companies.get(realm_id)
        if company is None:
            raise KeyError(realm_id)
        return company

    # --- objects ----------------------------------------------------------------------

    def _stamp(
        self, company: Company, entity: str, obj_id: str, obj: dict[str, Any], sync: int,
        created: str | None,
    ) -> dict[str, Any]:
        now = int(self.clock.now())
        updated = intuit_time(now)
        out = dict(obj)
        out.update({
            "domain": "QBO", "sparse": False, "Id": obj_id, "SyncToken": str(sync),
            "MetaData": {"CreateTime": created or updated, "LastUpdatedTime": updated},
        })
        company.stamps[entity][obj_id] = float(now)
        return out

    def read(self, company: Company, entity: str, obj_id: str) -> dict[str, Any]:
        _check_id(obj_id, entity)
        obj = company.objects[entity].get(obj_id)
        if obj is None:
            raise faults.not_found(entity, obj_id)
        return obj

    def create(
        self, company: Company, entity: str, body: dict[str, Any], allow_dup: bool = False,
        admin: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            self._writable(entity, admin)
            check_properties(entity, body)
            data = {k: v for k, v in ents.clean(body).items()
                    if k not in ents.READ_ONLY_KEYS and k not in COMPUTED_KEYS.get(entity, ())}
            obj, applied = self._prepare(company, entity, data, None, allow_dup)
            if not admin:
                _check_period(company, entity, obj)
            obj_id = company.new_id()
            stored = self._stamp(company, entity, obj_id, obj, 0, None)
            company.objects[entity][obj_id] = stored
            self._after_write(company, entity, None, stored, applied)
            company.touch()
            return stored

    def update(
        self, company: Company, entity: str, body: dict[str, Any], allow_dup: bool = False,
        admin: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            self._writable(entity, admin)
            check_properties(entity, body)
            obj_id, existing = self._current(company, entity, body, admin)
            if not admin:
                _check_period(company, entity, existing)
                _check_reconciled(company, entity, obj_id)
            sparse = str(body.get("sparse", False)).lower() == "true"
            skip = ents.READ_ONLY_KEYS | COMPUTED_KEYS.get(entity, set())
            data = {k: v for k, v in ents.clean(body).items() if k not in skip}
            if sparse:
                merged = {k: v for k, v in existing.items() if k not in skip}
                merged.update(data)
                data = merged
            for key in COMPUTED_KEYS.get(entity, ()):
                if key == "Balance" and entity in ("Vendor", "Customer"):
                    data[key] = existing.get(key, 0)
            obj, applied = self._prepare(company, entity, data, obj_id, allow_dup)
            if not admin:
                _check_period(company, entity, obj)
            if obj == {k: v for k, v in existing.items() if k not in _STAMP_KEYS}:
                # A no-op (e.g. deactivating what is inactive): same SyncToken and
                # LastUpdatedTime, and nothing for CDC, as Intuit answers it.
                return existing
            stored = self._stamp(company, entity, obj_id, obj, int(existing["SyncToken"]) + 1,
                                 existing["MetaData"]["CreateTime"])
            company.objects[entity][obj_id] = stored
            self._after_write(company, entity, existing, stored, applied)
            company.touch()
            return stored

    @staticmethod
    def _current(
        company: Company, entity: str, body: dict[str, Any], admin: bool, deleting: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """The stored object an update/delete names, with Intuit's Id and SyncToken checks
        (the control API, acting as the accountant, may omit the SyncToken)."""
        obj_id = str(body.get("Id") or "")
        if not obj_id:
            raise faults.required("Id")
        _check_id(obj_id, entity)
        existing = company.objects[entity].get(obj_id)
        if existing is None:
            raise faults.not_found(entity, obj_id)
        token = body.get("SyncToken")
        # Deleting an Attachable needs only its Id (recorded); everything else its SyncToken.
        if token is None and not admin and not (entity == "Attachable" and deleting):
            raise faults.required("SyncToken")
        if token is not None and str(token) != existing["SyncToken"]:
            raise faults.stale(entity)
        return obj_id, existing

    def delete(
        self, company: Company, entity: str, body: dict[str, Any], admin: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            if entity not in DELETABLE:
                raise faults.unsupported(f"Delete for {entity}")
            obj_id, existing = self._current(company, entity, body, admin, deleting=True)
            if not admin:
                _check_period(company, entity, existing)
                _check_reconciled(company, entity, obj_id)
            if entity in ("Bill", "VendorCredit") and company.bill_paid.get(obj_id):
                raise faults.business(
                    f"This {entity} is applied in bill payments. Delete the payments first.",
                    "Id")
            self._after_write(company, entity, existing, None, {})
            del company.objects[entity][obj_id]
            company.stamps[entity].pop(obj_id, None)
            company.tombstones[entity][obj_id] = float(int(self.clock.now()))
            company.reconciled.discard(obj_id)
            if entity == "Attachable":
                company.attachments.pop(obj_id, None)
            company.touch()
            return {"status": "Deleted", "domain": "QBO", "Id": obj_id}

    def void(self, company: Company, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """`operation=void`: the payment stays, at zero, and the bills it paid are open again.

        Of the entities the sandbox models, only BillPayment is voidable through the API.
        """
        with self.lock:
            if entity not in VOIDABLE:
                raise faults.unsupported(f"Void for {entity}")
            check_properties(entity, body)
            obj_id, existing = self._current(company, entity, body, admin=False)
            _check_period(company, entity, existing)
            _check_reconciled(company, entity, obj_id)
            voided = {k: v for k, v in existing.items() if k not in _STAMP_KEYS}
            voided["TotalAmt"] = 0.0
            voided["Line"] = [{**line, "Amount": 0.0} for line in voided.get("Line") or []]
            voided["PrivateNote"] = "Voided"
            stored = self._stamp(company, entity, obj_id, voided,
                                 int(existing["SyncToken"]) + 1, existing["MetaData"]["CreateTime"])
            company.objects[entity][obj_id] = stored
            self._after_write(company, entity, existing, stored, {})
            company.touch()
            return stored

    def _writable(self, entity: str, admin: bool) -> None:
        if entity in SINGLETONS or (entity in API_READ_ONLY and not admin):
            raise faults.unsupported(f"Create/Update for {entity}")

    def _prepare(
        self, company: Company, entity: str, data: dict[str, Any], own_id: str | None,
        allow_dup: bool,
    ) -> tuple[dict[str, Any], dict[str, float]]:
        today = local_date(self.clock.now())
        if entity in ents.NAME_LIST_PREPARERS:
            return ents.NAME_LIST_PREPARERS[entity](company, data, own_id), {}
        if entity == "Bill":
            paid = sum(company.bill_paid.get(own_id or "", {}).values())
            linked = _linked_pos(company.objects["Bill"].get(own_id or ""))
            obj = ents.prepare_bill(company, data, today, paid, linked)
            doc = obj.get("DocNumber")
            if doc and company.warn_duplicate_bill_number and not allow_dup:
                others = company.bill_docnums.get(doc, set()) - {own_id}
                if others:
                    raise faults.duplicate_doc_number(doc, min(others, key=int))
            obj["LinkedTxn"] = [{"TxnId": p, "TxnType": "BillPayment"}
                                for p in company.bill_paid.get(own_id or "", {})]
            return obj, {}
        if entity == "VendorCredit":
            used = sum(company.bill_paid.get(own_id or "", {}).values())
            obj = ents.prepare_vendor_credit(company, data, today, used)
            obj["LinkedTxn"] = [{"TxnId": p, "TxnType": "BillPayment"}
                                for p in company.bill_paid.get(own_id or "", {})]
            return obj, {}
        if entity == "BillPayment":
            return ents.prepare_bill_payment(company, data, today, own_id)
        if entity == "PurchaseOrder":
            obj = ents.prepare_purchase_order(company, data, today)
            return self._po_status(company, own_id, obj), {}
        if entity == "Attachable":
            return ents.prepare_attachable(company, data), {}
        raise faults.unsupported(f"Create for {entity}")

    def _after_write(
        self, company: Company, entity: str, old: dict[str, Any] | None,
        new: dict[str, Any] | None, applied: dict[str, float],
    ) -> None:
        """Indexes and side effects (balances, payment links) of a create/update/delete."""
        if old is not None:
            company.unindex_name(entity, old)
        if new is not None:
            company.index_name(entity, new)
        if entity == "Bill":
            if old is not None:
                self._vendor_balance(company, old["VendorRef"]["value"], -old["Balance"])
                if old.get("DocNumber"):
                    company.bill_docnums.get(old["DocNumber"], set()).discard(old["Id"])
            if new is not None:
                self._vendor_balance(company, new["VendorRef"]["value"], new["Balance"])
                if new.get("DocNumber"):
                    company.bill_docnums.setdefault(new["DocNumber"], set()).add(new["Id"])
            for po_id in _linked_pos(old) | _linked_pos(new):
                self._relink_po(company, po_id)
        if entity == "VendorCredit":  # an open credit lowers what we owe the vendor
            if old is not None:
                self._vendor_balance(company, old["VendorRef"]["value"], old["Balance"])
            if new is not None:
                self._vendor_balance(company, new["VendorRef"]["value"], -new["Balance"])
        if entity == "BillPayment":
            pid = (new or old or {})["Id"]
            if old is not None:
                for bill_id in list(company.bill_paid):
                    if pid in company.bill_paid[bill_id]:
                        self._set_paid(company, bill_id, pid, None)
            for bill_id, amount in applied.items():
                self._set_paid(company, bill_id, pid, amount)

    @staticmethod
    def _po_billing(company: Company, po_id: str) -> tuple[list[str], dict[str, float]]:
        """The bills linked to a PO and what they bill per PO line."""
        bills: list[str] = []
        billed: dict[str, float] = {}
        for bill_id, bill in company.objects["Bill"].items():
            for line in bill.get("Line") or []:
                for link in line.get("LinkedTxn") or []:
                    if link.get("TxnType") == "PurchaseOrder" and link.get("TxnId") == po_id:
                        if bill_id not in bills:
                            bills.append(bill_id)
                        key = str(link.get("TxnLineId"))
                        billed[key] = round(billed.get(key, 0.0) + float(line["Amount"]), 2)
        return bills, billed

    def _po_status(self, company: Company, po_id: str | None, po: dict[str, Any]) -> dict:
        """QBO closes a PO when every line is fully billed, or when closed by hand."""
        bills, billed = self._po_billing(company, po_id or "")
        po["LinkedTxn"] = [{"TxnId": b, "TxnType": "Bill"} for b in bills]
        full = all(billed.get(line["Id"], 0.0) + 0.001 >= float(line["Amount"])
                   for line in po.get("Line") or [])
        po["POStatus"] = "Closed" if po.get("ManuallyClosed") or (bills and full) else "Open"
        return po

    def _relink_po(self, company: Company, po_id: str) -> None:
        po = company.objects["PurchaseOrder"].get(po_id)
        if po is None:
            return
        updated = self._po_status(company, po_id, {k: v for k, v in po.items()
                                                   if k not in _STAMP_KEYS})
        if updated == {k: v for k, v in po.items() if k not in _STAMP_KEYS}:
            return
        company.objects["PurchaseOrder"][po_id] = self._stamp(
            company, "PurchaseOrder", po_id, updated, int(po["SyncToken"]) + 1,
            po["MetaData"]["CreateTime"])

    def _vendor_balance(self, company: Company, vendor_id: str, delta: float) -> None:
        vendor = company.objects["Vendor"].get(vendor_id)
        if vendor is not None:
            vendor["Balance"] = round(float(vendor.get("Balance", 0)) + delta, 2)

    def _set_paid(self, company: Company, txn_id: str, pid: str, amount: float | None) -> None:
        """Record what payment `pid` applies to a bill or vendor credit (Ids are unique
        company-wide, so one map serves both)."""
        entity = "Bill" if txn_id in company.objects["Bill"] else "VendorCredit"
        txn = company.objects[entity].get(txn_id)
        if txn is None:
            return
        paid = company.bill_paid.setdefault(txn_id, {})
        if amount is None:
            paid.pop(pid, None)
        else:
            paid[pid] = amount
        if not paid:
            company.bill_paid.pop(txn_id, None)
        new_balance = round(txn["TotalAmt"] - sum(paid.values()), 2)
        sign = 1 if entity == "Bill" else -1
        self._vendor_balance(company, txn["VendorRef"]["value"],
                             sign * (new_balance - txn["Balance"]))
        # Paying changes the transaction: new Balance, LinkedTxn, SyncToken, LastUpdatedTime.
        updated = dict(txn)
        updated["Balance"] = new_balance
        updated["LinkedTxn"] = [{"TxnId": p, "TxnType": "BillPayment"} for p in paid]
        company.objects[entity][txn_id] = self._stamp(
            company, entity, txn_id, updated, int(txn["SyncToken"]) + 1,
            txn["MetaData"]["CreateTime"])

    # --- preferences --------------------------------------------------------------------

    def update_preferences(
        self, company: Company, body: dict[str, Any], admin: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            token = body.get("SyncToken")
            if token is not None and str(token) != company.prefs["SyncToken"]:
                raise faults.stale("Preferences")
            info = body.get("AccountingInfoPrefs")
            raw = info.get("BookCloseDate") if isinstance(info, dict) else None
            # Checked before anything changes; null or "" reopens the books.
            close = None
            if admin and raw is not None and str(raw).strip():
                close = _iso_date(str(raw).strip(), "AccountingInfoPrefs.BookCloseDate")
            for section, value in body.items():
                if section in ents.READ_ONLY_KEYS or not isinstance(value, dict):
                    continue
                if section == "OtherPrefs":
                    for nv in value.get("NameValue") or []:
                        company.set_other_pref(str(nv.get("Name")), str(nv.get("Value")))
                    continue
                if section == "AccountingInfoPrefs" and "BookCloseDate" in value:
                    value = {k: v for k, v in value.items() if k != "BookCloseDate"}
                    # Only the accountant (the control API) closes the books: references of
                    # the Preferences entity list BookCloseDate as read-only (seen in a
                    # third-party reference; Intuit's own page not checked), so an API update
                    # leaves the date as it is. Whether Intuit ignores it, as here, or
                    # faults is UNCONFIRMED.
                    if admin and close is None:  # reopening the books: the field goes away
                        company.prefs.get(section, {}).pop("BookCloseDate", None)
                    elif admin:
                        value["BookCloseDate"] = close
                company.prefs.setdefault(section, {}).update(value)
            company.bump_singleton(company.prefs, self.clock.now())
            company.touch()
            return company.prefs

    def set_reconciled(self, company: Company, payment_id: str, on: bool) -> dict[str, Any]:
        """Mark a bill payment reconciled in the bank, or un-reconcile it (the accountant's
        work in QBO; the payment object itself does not change)."""
        with self.lock:
            payment = self.read(company, "BillPayment", payment_id)
            if on:
                company.reconciled.add(payment_id)
            else:
                company.reconciled.discard(payment_id)
            return payment

    def set_warn_duplicate_bill_number(self, company: Company, on: bool) -> None:
        with self.lock:
            company.set_other_pref("WarnDuplicateBillNumber", "true" if on else "false")
            company.bump_singleton(company.prefs, self.clock.now())
            company.touch()

    # --- query and CDC -------------------------------------------------------------------

    def query(self, company: Company, text: str) -> dict[str, Any]:
        with self.lock:
            q = parse(text)
            entity = canonical(q.entity)
            if entity is None and q.entity.lower() in INTUIT_ENTITIES:
                # An entity Intuit has and this sandbox does not model: a company with none.
                return {"totalCount": 0} if q.count else {}
            if entity is None:
                raise faults.query_invalid("invalid context declaration")
            _queryable(entity, q)
            implicit = entity in NAME_LISTS and not q.mentions("Active")
            key = (entity, repr(q.where), repr(q.order), implicit)
            rows = company.query_cache.get(key)
            if rows is None:
                source: Iterable[dict[str, Any]]
                if entity == "CompanyInfo":
                    source = [company.info]
                elif entity == "Preferences":
                    source = [company.prefs]
                else:
                    source = company.objects[entity].values()
                rows = evaluate(q, source, _is_active if implicit else None)
                company.query_cache[key] = rows
                while len(company.query_cache) > QUERY_CACHE_SIZE:
                    company.query_cache.popitem(last=False)
            if q.count:
                return {"totalCount": len(rows)}
            page = rows[q.start - 1: q.start - 1 + q.max_results]
            if not page:
                return {}
            if q.fields:
                page = [project(r, q.fields) for r in page]
            return {entity: page, "startPosition": q.start, "maxResults": len(page)}

    def cdc(self, company: Company, entity_names: list[str], since: float) -> list[dict[str, Any]]:
        with self.lock:
            # Older than CDC_MAX_AGE (Intuit documents 30 days): recorded real answers are
            # 200 with what is still retained, no fault. This sandbox retains everything;
            # clients must not rely on it (the connector falls back to a full pass itself).
            wanted: list[str] = []
            for name in entity_names:
                entity = canonical(name.strip())
                if name.strip() in CDC_UNSUPPORTED or entity in CDC_UNSUPPORTED:
                    raise faults.QboFault("4001", "Invalid query",
                                          f"CDC is not supported for entity {name.strip()}",
                                          "entities")
                if entity is None or entity not in ENTITIES:
                    raise faults.QboFault("4001", "Invalid query",
                                          f"Invalid entity name: {name.strip()}", "entities")
                if entity not in wanted:
                    wanted.append(entity)
            changes: list[tuple[float, str, dict[str, Any]]] = []
            for entity in wanted:
                objs = company.objects[entity]
                for obj_id, stamp in company.stamps[entity].items():
                    if stamp >= since:
                        changes.append((stamp, entity, objs[obj_id]))
                for obj_id, stamp in company.tombstones[entity].items():
                    if stamp >= since:
                        changes.append((stamp, entity, {
                            "domain": "QBO", "status": "Deleted", "Id": obj_id,
                            "MetaData": {"LastUpdatedTime": intuit_time(stamp)}}))
            changes.sort(key=lambda c: c[0])
            changes = changes[:CDC_MAX_OBJECTS]
            out: list[dict[str, Any]] = []
            for entity in wanted:
                objs_out = [obj for _, e, obj in changes if e == entity]
                if objs_out:
                    out.append({entity: objs_out, "startPosition": 1, "maxResults": len(objs_out)})
                else:
                    out.append({})
            return out


VOIDABLE = {"BillPayment"}
# The transactions the sandbox models that a closed period protects.
CLOSABLE = {"Bill", "BillPayment", "VendorCredit", "PurchaseOrder"}
_STAMP_KEYS = {"domain", "sparse", "Id", "SyncToken", "MetaData"}
_NUMERIC_ID = re.compile(r"^[0-9]{1,20}$")

# Entities of Intuit's Accounting API this sandbox does not model; a query of one answers
# like a company that has none of them (Intuit's entity reference, minor version 75).
INTUIT_ENTITIES = {
    e.lower()
    for e in (
        "Invoice", "SalesReceipt", "Estimate", "Payment", "CreditMemo",
        "RefundReceipt", "JournalEntry", "Deposit", "Transfer", "Purchase",
        "TimeActivity", "PaymentMethod", "TaxAgency", "Budget", "ExchangeRate",
        "JournalCode", "RecurringTransaction", "ReimburseCharge", "CreditCardPayment",
        "InventoryAdjustment", "TaxPayment", "Entitlements",
    )
}


def _linked_pos(bill: dict[str, Any] | None) -> set[str]:
    return {
        str(link.get("TxnId"))
        for line in (bill or {}).get("Line") or []
        for link in line.get("LinkedTxn") or []
        if link.get("TxnType") == "PurchaseOrder"
    }


def _iso_date(value: Any, element: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise faults.invalid_value(element, f"Invalid date : {value}") from None


def _check_period(company: Company, entity: str, txn: dict[str, Any]) -> None:
    """Intuit's 6210 when the books are closed and the transaction is dated on or before
    the closing date."""
    close = company.book_close_date
    if close is None or entity not in CLOSABLE:
        return
    try:
        closed = date.fromisoformat(str(txn.get("TxnDate"))[:10]) <= date.fromisoformat(close)
    except ValueError:  # an unreadable date is not this check's to judge
        return
    if closed:
        raise faults.period_closed()


def _check_reconciled(company: Company, entity: str, obj_id: str) -> None:
    if entity == "BillPayment" and obj_id in company.reconciled:
        raise faults.reconciled(entity)


def _check_id(obj_id: str, entity: str = "") -> None:
    # US companies' pseudo tax codes are the one non-numeric Id Intuit serves.
    if entity == "TaxCode" and obj_id in ("TAX", "NON"):
        return
    if not _NUMERIC_ID.match(obj_id):
        raise faults.invalid_id(obj_id)


def _is_active(obj: dict[str, Any]) -> bool:
    return obj.get("Active", True) is not False


def _queryable(entity: str, q: Any) -> None:
    """Intuit refuses a filter or an order on a property the entity does not have (a
    PurchaseOrder has no `Active`): 4001, never an empty answer. The wording of Intuit's
    Detail is unconfirmed."""
    known = FIELDS.get(entity)
    if known is None:
        return
    names = {n.lower() for n in (*known, *_COMMON_FIELDS)}
    paths = [c.path for c in q.where] + [path for path, _ in q.order]
    for path in paths:
        head = path[0]
        if head.lower() not in names and head.lower() != "metadata":
            raise faults.query_invalid(f"property '{head}' is not queryable for {entity}")
