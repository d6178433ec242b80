"""Issue 11, sandbox fidelity: Employee, name rules, BillPayment accounts and currencies,
nested unknown properties, minorversion, seed data and fault wording.

Expected bodies are written out from Intuit's entity reference (developer.intuit.com,
Accounting API, minor version 75) and Intuit's published samples, field by field.
"""

from __future__ import annotations

from typing import Any

import pytest
from intuitlib.client import AuthClient

from qbo_sandbox import SandboxServer

from .helpers import REALM, api
from .test_sandbox_protocol import META_TIME, account_id, bill_body, vendor_id

DUPLICATE_NAME = {
    "Message": "Duplicate Name Exists Error",
    "Detail": "The name supplied already exists. : Another customer, vendor or employee is "
              "already using this name. Please use a different name.",
    "code": "6240",
    "element": "",
}


@pytest.fixture(autouse=True)
def _roomy_limits(server: SandboxServer) -> None:
    server.sandbox.set_limits(per_second=10_000, per_minute=100_000)


def _error(resp: Any) -> dict[str, Any]:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    assert len(body["Fault"]["Error"]) == 1
    return dict(body["Fault"]["Error"][0])


def _stamps(obj: dict[str, Any]) -> dict[str, Any]:
    """The server-made part every object carries, checked and then set aside."""
    obj = dict(obj)
    assert obj.pop("domain") == "QBO" and obj.pop("sparse") is False
    assert obj.pop("Id").isdigit() and obj.pop("SyncToken").isdigit()
    meta = obj.pop("MetaData")
    assert set(meta) == {"CreateTime", "LastUpdatedTime"}
    assert META_TIME.match(meta["CreateTime"]) and META_TIME.match(meta["LastUpdatedTime"])
    return obj


# --- 1. Employee ----------------------------------------------------------------------------


def test_employee_create_read_query_update_as_intuit_serves_it(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    addr = {"Line1": "45 N. Elm Street", "City": "Middlefield", "CountrySubDivisionCode": "CA",
            "PostalCode": "93242"}
    made = api(server, tok, "POST", "employee", json={
        "GivenName": "John", "FamilyName": "Meuller", "SSN": "444-55-6666",
        "PrimaryAddr": addr, "PrimaryPhone": {"FreeFormNumber": "408-525-1234"}})
    assert made.status_code == 200, made.text
    emp = made.json()["Employee"]
    shape = _stamps(emp)
    assert shape.pop("PrimaryAddr") == {**addr, "Id": emp["PrimaryAddr"]["Id"],
                                        "Lat": "INVALID", "Long": "INVALID"}
    assert emp["PrimaryAddr"]["Id"].isdigit()
    # Intuit's create sample: the name parts, DisplayName and PrintOnCheckName made from
    # them, the SSN masked, BillableTime false, Active true. No Balance or CurrencyRef.
    assert shape == {
        "GivenName": "John", "FamilyName": "Meuller", "DisplayName": "John Meuller",
        "PrintOnCheckName": "John Meuller", "SSN": "XXX-XX-XXXX", "BillableTime": False,
        "Active": True, "PrimaryPhone": {"FreeFormNumber": "408-525-1234"},
    }
    read = api(server, tok, "GET", f"employee/{emp['Id']}").json()["Employee"]
    assert read == emp
    found = api(server, tok, "GET", "query", params={
        "query": "select * from Employee where DisplayName = 'John Meuller'"}).json()
    assert found["QueryResponse"] == {"Employee": [emp], "startPosition": 1, "maxResults": 1}
    sparse = api(server, tok, "POST", "employee", json={
        "Id": emp["Id"], "SyncToken": emp["SyncToken"], "sparse": True,
        "EmployeeNumber": "E-7", "SSN": "XXX-XX-XXXX"}).json()["Employee"]
    assert sparse["SyncToken"] == "1" and sparse["EmployeeNumber"] == "E-7"
    assert sparse["SSN"] == "XXX-XX-XXXX"
    gone = api(server, tok, "POST", "employee", json={
        "Id": emp["Id"], "SyncToken": "1", "sparse": True, "Active": False}).json()["Employee"]
    assert (gone["Active"], gone["DisplayName"]) == (False, "John Meuller (deleted)")
    active_only = api(server, tok, "GET", "query", params={
        "query": "select count(*) from Employee where DisplayName = 'John Meuller'"}).json()
    assert active_only["QueryResponse"] == {"totalCount": 0}
    cdc = api(server, tok, "GET", "cdc", params={
        "entities": "Employee", "changedSince": "2000-01-01T00:00:00-08:00"}).json()
    changed = cdc["CDCResponse"][0]["QueryResponse"][0]["Employee"]
    assert [e for e in changed if e["Id"] == emp["Id"]] == [gone]


def test_employee_refuses_what_intuit_refuses(server: SandboxServer,
                                              connected: AuthClient) -> None:
    tok = connected.access_token
    assert _error(api(server, tok, "POST", "employee", json={
        "GivenName": "A", "Balance": 0}))["code"] == "2010"  # not an Employee field
    assert _error(api(server, tok, "POST", "employee", json={
        "GivenName": "A", "Gender": "Other"}))["code"] == "2010"
    assert _error(api(server, tok, "POST", "employee", json={
        "GivenName": "A", "HiredDate": "01/02/2026"}))["code"] == "2010"
    long_title = _error(api(server, tok, "POST", "employee", json={
        "GivenName": "A", "Title": "T" * 17}))
    assert (long_title["code"], long_title["element"]) == ("2050", "Title")
    assert api(server, tok, "POST", "employee?operation=delete", json={
        "Id": "1", "SyncToken": "0"}).status_code == 400  # name lists are deactivated


def test_vendor_customer_and_employee_share_one_name_space(server: SandboxServer,
                                                           connected: AuthClient) -> None:
    tok = connected.access_token
    emp = api(server, tok, "POST", "employee", json={"DisplayName": "Shared Name"})
    assert emp.status_code == 200, emp.text
    for entity in ("vendor", "customer", "employee"):
        assert _error(api(server, tok, "POST", entity, json={
            "DisplayName": "shared name"})) == DUPLICATE_NAME
    vendor = api(server, tok, "POST", "vendor", json={"DisplayName": "Vendor First"})
    assert vendor.status_code == 200
    assert _error(api(server, tok, "POST", "employee", json={
        "GivenName": "Vendor", "FamilyName": "First"})) == DUPLICATE_NAME
    # An inactive name carries " (deleted)" and frees the name, as in QBO.
    e = emp.json()["Employee"]
    api(server, tok, "POST", "employee", json={
        "Id": e["Id"], "SyncToken": e["SyncToken"], "sparse": True, "Active": False})
    assert api(server, tok, "POST", "vendor", json={
        "DisplayName": "Shared Name"}).status_code == 200


# --- 2. Vendor name rules ------------------------------------------------------------------


def test_vendor_display_name_limits_as_intuit_answers_them(server: SandboxServer,
                                                           connected: AuthClient) -> None:
    tok = connected.access_token
    at_limit = api(server, tok, "POST", "vendor", json={"DisplayName": "V" * 500})
    assert at_limit.status_code == 200, at_limit.text
    assert _error(api(server, tok, "POST", "vendor", json={"DisplayName": "W" * 501})) == {
        "Message": "String length is either shorter or longer than supported by specification",
        "Detail": "String length specified does not match the supported length. Min:0 "
                  "Max:500 supported. Supplied length:501",
        "code": "2050",
        "element": "DisplayName",
    }
    for key, limit in (("Title", 16), ("GivenName", 100), ("FamilyName", 100),
                       ("Suffix", 16), ("CompanyName", 100), ("PrintOnCheckName", 110)):
        err = _error(api(server, tok, "POST", "vendor", json={
            "DisplayName": f"Limit {key}", key: "x" * (limit + 1)}))
        assert (err["code"], err["element"]) == ("2050", key)
        assert err["Detail"].endswith(f"Max:{limit} supported. Supplied length:{limit + 1}")
    for bad in ("Lumber: North", "Tab\tVendor", "New\nLine"):
        assert _error(api(server, tok, "POST", "vendor", json={"DisplayName": bad})) == {
            "Message": "A business validation error has occurred while processing your request",
            "Detail": "Business Validation Error: Names must have at least one character and "
                      "cannot include tabs, newlines or ':'.",
            "code": "6000",
            "element": "DisplayName",
        }
    # Intuit: "The DisplayName attribute or at least one of Title, GivenName, MiddleName,
    # FamilyName, or Suffix attributes are required during create" -- CompanyName alone is
    # refused with the (truncated) deserialiser message recorded from Intuit.
    assert _error(api(server, tok, "POST", "vendor", json={"CompanyName": "Only Co"})) == {
        "Message": "Request has invalid or unsupported property",
        "Detail": "Property Name:Can not instanti specified is unsupported or invalid",
        "code": "2010",
        "element": "",
    }
    parts = api(server, tok, "POST", "vendor", json={
        "Title": "Ms", "GivenName": "Ada", "FamilyName": "Byron", "Suffix": "Jr"})
    assert parts.json()["Vendor"]["DisplayName"] == "Ms Ada Byron Jr"
    company = server.sandbox.company(REALM)
    assert not any(v.get("CompanyName") == "Only Co" for v in company.objects["Vendor"].values())


def test_vendor_deactivation_suffix_and_name_reuse(server: SandboxServer,
                                                   connected: AuthClient) -> None:
    tok = connected.access_token
    made = api(server, tok, "POST", "vendor", json={"DisplayName": "Seasonal Vendor"}).json()
    v = made["Vendor"]
    off = api(server, tok, "POST", "vendor", json={
        "Id": v["Id"], "SyncToken": v["SyncToken"], "sparse": True, "Active": False}).json()
    off_v = off["Vendor"]
    assert (off_v["Active"], off_v["DisplayName"]) == (False, "Seasonal Vendor (deleted)")
    assert off_v["PrintOnCheckName"] == "Seasonal Vendor"  # only the display name is marked
    # A new vendor may take the freed name; the old one cannot come back under it.
    again = api(server, tok, "POST", "vendor", json={"DisplayName": "Seasonal Vendor"})
    assert again.status_code == 200, again.text
    back = api(server, tok, "POST", "vendor", json={
        "Id": v["Id"], "SyncToken": off_v["SyncToken"], "sparse": True, "Active": True})
    assert _error(back) == DUPLICATE_NAME
    # Sending the suffixed name back (a full update of what was read) keeps one suffix.
    full = {k: val for k, val in off_v.items() if k not in ("domain", "MetaData")}
    kept = api(server, tok, "POST", "vendor", json={**full, "Notes": "kept"}).json()["Vendor"]
    assert kept["DisplayName"] == "Seasonal Vendor (deleted)" and kept["Notes"] == "kept"


# --- 3. BillPayment: the paying account and the currency -----------------------------------


def _payment(server: SandboxServer, bill_id: str, amount: float, pay_type: str,
             account: str, vendor: str = "Hicks Hardware") -> dict[str, Any]:
    body: dict[str, Any] = {
        "VendorRef": {"value": vendor_id(server, vendor)}, "PayType": pay_type,
        "TotalAmt": amount,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}]}
    if pay_type == "Check":
        body["CheckPayment"] = {"BankAccountRef": {"value": account_id(server, account)}}
    else:
        body["CreditCardPayment"] = {"CCAccountRef": {"value": account_id(server, account)}}
    return body


def test_bill_payment_pays_from_a_bank_or_credit_card_account_only(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bill = api(server, tok, "POST", "bill", json=bill_body(server, 50.0)).json()["Bill"]
    wrong_bank = _error(api(server, tok, "POST", "billpayment", json=_payment(
        server, bill["Id"], 10, "Check", "Mastercard")))
    assert wrong_bank == {
        "Message": "A business validation error has occurred while processing your request",
        "Detail": "Business Validation Error: CheckPayment.BankAccountRef must be a Bank "
                  f"account; account {account_id(server, 'Mastercard')} is Credit Card.",
        "code": "6000",
        "element": "CheckPayment.BankAccountRef",
    }
    wrong_card = _error(api(server, tok, "POST", "billpayment", json=_payment(
        server, bill["Id"], 10, "CreditCard", "Checking")))
    assert (wrong_card["code"], wrong_card["element"]) == (
        "6000", "CreditCardPayment.CCAccountRef")
    assert wrong_card["Detail"].endswith("must be a Credit Card account; account "
                                         f"{account_id(server, 'Checking')} is Bank.")
    expense = _error(api(server, tok, "POST", "billpayment", json=_payment(
        server, bill["Id"], 10, "Check", "Supplies")))
    assert expense["code"] == "6000"
    bad_status = _payment(server, bill["Id"], 10, "Check", "Checking")
    bad_status["CheckPayment"]["PrintStatus"] = "Printed"
    assert _error(api(server, tok, "POST", "billpayment", json=bad_status))["code"] == "2010"
    # Nothing was stored by the refusals: the bill is still fully open.
    assert api(server, tok, "GET", f"bill/{bill['Id']}").json()["Bill"]["Balance"] == 50.0
    card = api(server, tok, "POST", "billpayment", json=_payment(
        server, bill["Id"], 20, "CreditCard", "Visa")).json()["BillPayment"]
    assert card["CreditCardPayment"] == {"CCAccountRef": {
        "value": account_id(server, "Visa"), "name": "Visa"}}
    assert "CheckPayment" not in card and "ExchangeRate" not in card  # no multicurrency
    check = api(server, tok, "POST", "billpayment", json=_payment(
        server, bill["Id"], 30, "Check", "Savings")).json()["BillPayment"]
    assert check["CheckPayment"] == {"BankAccountRef": {
        "value": account_id(server, "Savings"), "name": "Savings"}, "PrintStatus": "NotSet"}
    assert api(server, tok, "GET", f"bill/{bill['Id']}").json()["Bill"]["Balance"] == 0


MC_REALM = "9130350000000009"


def test_multicurrency_bill_payment_exchange_rate(server: SandboxServer) -> None:
    from .helpers import connect

    sb = server.sandbox
    sb.create_company(MC_REALM, "Multicurrency Co", admins=["craig"], multicurrency=True)
    tok = connect(server, MC_REALM).access_token
    company = sb.company(MC_REALM)

    def acct(name: str) -> str:
        return next(i for i, a in company.objects["Account"].items() if a["Name"] == name)

    def post(path: str, body: dict[str, Any]) -> Any:
        return api(server, tok, "POST", path, MC_REALM, json=body)

    cad = post("vendor", {"DisplayName": "Maple Supplies", "CurrencyRef": {"value": "CAD"}})
    cad_id = cad.json()["Vendor"]["Id"]
    assert cad.json()["Vendor"]["CurrencyRef"] == {"value": "CAD", "name": "Canadian Dollar"}
    line = [{"Amount": 100.0, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": acct("Supplies")}}}]
    bill = post("bill", {"VendorRef": {"value": cad_id}, "Line": line}).json()["Bill"]
    # The vendor's currency by default, at the rate QBO keeps when none is sent.
    assert bill["CurrencyRef"] == {"value": "CAD", "name": "Canadian Dollar"}
    assert bill["ExchangeRate"] == 0.74
    wrong = post("bill", {"VendorRef": {"value": cad_id}, "Line": line,
                          "CurrencyRef": {"value": "EUR"}})
    assert (_error(wrong)["code"], _error(wrong)["element"]) == ("6000", "CurrencyRef")

    pay = {"VendorRef": {"value": cad_id}, "PayType": "Check", "TotalAmt": 40.0,
           "CheckPayment": {"BankAccountRef": {"value": acct("Checking")}},
           "Line": [{"Amount": 40.0, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}
    paid = post("billpayment", pay).json()["BillPayment"]
    assert (paid["CurrencyRef"]["value"], paid["ExchangeRate"]) == ("CAD", 0.74)
    given = post("billpayment", {**pay, "ExchangeRate": 0.7512345678}).json()["BillPayment"]
    assert given["ExchangeRate"] == 0.751235
    assert _error(post("billpayment", {**pay, "ExchangeRate": 0}))["code"] == "2010"
    assert _error(post("billpayment", {**pay, "CurrencyRef": {"value": "USD"}}))[
        "code"] == "6000"

    usd_vendor = next(i for i, v in company.objects["Vendor"].items()
                      if v["DisplayName"] == "Hicks Hardware")
    usd_bill = post("bill", {"VendorRef": {"value": usd_vendor}, "Line": line}).json()["Bill"]
    assert (usd_bill["CurrencyRef"]["value"], usd_bill["ExchangeRate"]) == ("USD", 1)
    home = post("billpayment", {
        **pay, "VendorRef": {"value": usd_vendor}, "ExchangeRate": 1.3,
        "Line": [{"Amount": 40.0, "LinkedTxn": [{"TxnId": usd_bill["Id"],
                                                 "TxnType": "Bill"}]}]}).json()["BillPayment"]
    assert home["ExchangeRate"] == 1  # the home currency is always 1


# --- 4. Unknown properties inside nested objects --------------------------------------------


def _unrecognized(cls: str, name: str) -> dict[str, str]:
    return {
        "Message": "Request has invalid or unsupported property",
        "Detail": f'Property Name:Unrecognized field "{name}" (class '
                  f"com.intuit.schema.finance.v3.{cls}), not marked as ignorable",
        "code": "2010",
        "element": name,
    }


def test_unknown_properties_in_nested_objects_are_2010(server: SandboxServer,
                                                       connected: AuthClient) -> None:
    tok = connected.access_token
    company = server.sandbox.company(REALM)
    before = {e: len(company.objects[e]) for e in ("Vendor", "Bill", "BillPayment")}
    hicks = vendor_id(server, "Hicks Hardware")
    cases: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
        ("vendor", {"DisplayName": "N1", "BillAddr": {"Line1": "x", "Street": "y"}},
         ("PhysicalAddress", "Street")),
        ("vendor", {"DisplayName": "N2", "PrimaryEmailAddr": {"Address": "a@b.c", "Mail": 1}},
         ("EmailAddress", "Mail")),
        ("vendor", {"DisplayName": "N3", "PrimaryPhone": {"FreeFormNumber": "1", "Ext": "2"}},
         ("TelephoneNumber", "Ext")),
        ("vendor", {"DisplayName": "N4", "WebAddr": {"URL": "http://x"}},
         ("WebSiteAddress", "URL")),
        ("vendor", {"DisplayName": "N5", "TermRef": {"value": "1", "id": "1"}},
         ("ReferenceType", "id")),
        ("vendor", {"DisplayName": "N6", "MetaData": {"CreateTime": "x", "Author": "me"}},
         ("ModificationMetaData", "Author")),
        ("bill", {**bill_body(server), "VendorRef": {"value": hicks, "Name": "Hicks"}},
         ("ReferenceType", "Name")),
        ("bill", {**bill_body(server), "Line": [{
            "Amount": 1, "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {
                "value": account_id(server, "Supplies"), "label": "Supplies"}}}]},
         ("ReferenceType", "label")),
        ("bill", {**bill_body(server), "Line": [{
            "Amount": 1, "DetailType": "AccountBasedExpenseLineDetail",
            "LinkedTxn": [{"TxnId": "1", "TxnType": "PurchaseOrder", "LineId": "1"}],
            "AccountBasedExpenseLineDetail": {"AccountRef": {
                "value": account_id(server, "Supplies")}}}]},
         ("LinkedTxn", "LineId")),
        ("billpayment", {
            "VendorRef": {"value": hicks}, "PayType": "Check", "TotalAmt": 1,
            "CheckPayment": {"BankAccountRef": {"value": account_id(server, "Checking")},
                             "CheckNum": "101"},
            "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}]}]},
         ("BillPaymentCheck", "CheckNum")),
        ("billpayment", {
            "VendorRef": {"value": hicks}, "PayType": "CreditCard", "TotalAmt": 1,
            "CreditCardPayment": {"CCAccountRef": {"value": account_id(server, "Visa")},
                                  "Last4": "4242"},
            "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}]}]},
         ("BillPaymentCreditCard", "Last4")),
        ("billpayment", {
            "VendorRef": {"value": hicks}, "PayType": "Check", "TotalAmt": 1,
            "CheckPayment": {"BankAccountRef": {"value": account_id(server, "Checking")}},
            "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill",
                                                  "Amount": 1}]}]},
         ("LinkedTxn", "Amount")),
    ]
    for path, body, (cls, name) in cases:
        assert _error(api(server, tok, "POST", path, json=body)) == _unrecognized(cls, name), (
            path, cls, name)
    assert {e: len(company.objects[e]) for e in before} == before  # nothing stored
    # Every documented nested property still passes.
    ok = api(server, tok, "POST", "vendor", json={
        "DisplayName": "Nested OK",
        "BillAddr": {"Line1": "1 A St", "Line2": "", "City": "X", "Country": "USA",
                     "CountrySubDivisionCode": "CA", "PostalCode": "94000", "Note": "n"},
        "PrimaryEmailAddr": {"Address": "ok@example.com"},
        "PrimaryPhone": {"FreeFormNumber": "555-0100"}, "WebAddr": {"URI": "https://x.test"},
        "TermRef": {"value": next(iter(company.objects["Term"])), "name": "t", "type": ""}})
    assert ok.status_code == 200, ok.text


# --- 5. minorversion ------------------------------------------------------------------------


def test_every_minorversion_is_answered_as_75(server: SandboxServer,
                                              connected: AuthClient) -> None:
    """Intuit, since 1 August 2025: a minorversion below 75 is ignored and answered as 75,
    and none at all defaults to 75 (no longer to the base version)."""
    import requests

    from qbo_sandbox.api import SERVED_MINOR_VERSION

    tok = connected.access_token
    server.sandbox.freeze_clock("2026-11-25T10:00:00-08:00")  # same envelope time for all
    bill = api(server, tok, "POST", "bill", json=bill_body(server)).json()["Bill"]
    paths = [f"bill/{bill['Id']}", f"vendor/{bill['VendorRef']['value']}", "preferences",
             f"companyinfo/{REALM}"]
    headers = {"Authorization": f"Bearer {tok}", "Accept": "application/json"}
    for path in paths:
        url = f"{server.base_url}/v3/company/{REALM}/{path}"
        at_75 = requests.get(url, headers=headers, params={"minorversion": "75"}, timeout=10)
        assert at_75.status_code == 200
        for sent in (None, "1", "4", "40", "65", "74"):
            params = {} if sent is None else {"minorversion": sent}
            other = requests.get(url, headers=headers, params=params, timeout=10)
            assert (other.status_code, other.content) == (200, at_75.content), (path, sent)
    assert SERVED_MINOR_VERSION == 75
    recent = server.sandbox.calls.snapshot(REALM)["recent"]
    assert [c["minorversion"] for c in recent[-7:]] == ["75", None, "1", "4", "40", "65", "74"]


def test_the_connector_targets_the_served_minor_version() -> None:
    from qbo_connector.adapters.qbo_client import MINOR_VERSION
    from qbo_sandbox.api import SERVED_MINOR_VERSION

    assert MINOR_VERSION == SERVED_MINOR_VERSION == 75


# --- 6. Seed data ---------------------------------------------------------------------------


def _content(company: Any) -> dict[str, Any]:
    """A company's objects without their timestamps (the clock moves between creations)."""
    return {e: {i: {k: v for k, v in o.items() if k != "MetaData"} for i, o in objs.items()}
            for e, objs in company.objects.items()}


def test_the_default_company_is_seeded_with_ap_transactions(server: SandboxServer) -> None:
    company = server.sandbox.company(REALM)
    kinds = {a["AccountType"] for a in company.objects["Account"].values()}
    assert {"Bank", "Credit Card", "Accounts Payable"} <= kinds
    assert sorted(e["DisplayName"] for e in company.objects["Employee"].values()) == [
        "Emily Platt", "John Johnson"]
    payments = list(company.objects["BillPayment"].values())
    assert {p["PayType"] for p in payments} == {"Check", "CreditCard"}
    printed = [p for p in payments if p.get("DocNumber") == "1045"]
    assert printed[0]["CheckPayment"]["PrintStatus"] == "PrintComplete"
    partly = company.objects["Bill"][printed[0]["Line"][0]["LinkedTxn"][0]["TxnId"]]
    assert 0 < partly["Balance"] < partly["TotalAmt"]  # a partial payment
    credits = sorted(company.objects["VendorCredit"].values(), key=lambda v: int(v["Id"]))
    assert [(v["TotalAmt"], v["Balance"]) for v in credits] == [(20.0, 0.0), (25.0, 25.0)]
    assert any(link["TxnType"] == "VendorCredit" for p in payments for line in p["Line"]
               for link in line["LinkedTxn"])
    pos = sorted(company.objects["PurchaseOrder"].values(), key=lambda p: p["DocNumber"])
    assert [(p["DocNumber"], p["POStatus"], p["ManuallyClosed"], len(p["LinkedTxn"]))
            for p in pos] == [("1001", "Open", False, 0), ("1002", "Open", False, 1),
                              ("1003", "Closed", False, 1), ("1004", "Closed", True, 0)]
    # Deterministic: another company from the same seed has the same objects and Ids.
    other = server.sandbox.create_company("9130350000000005", admins=["craig"])
    assert _content(other) == _content(company)


def test_large_sizes_get_payment_accounts_payments_credits_and_pos(
        server: SandboxServer) -> None:
    sb = server.sandbox
    sizes = {"Vendor": 40, "Bill": 200, "Employee": 5}
    company = sb.create_company("9130350000000006", admins=["craig"], seed="empty",
                                sizes=sizes)
    counts = {e: len(company.objects[e]) for e in
              ("Vendor", "Employee", "BillPayment", "VendorCredit", "PurchaseOrder")}
    assert counts == {"Vendor": 40, "Employee": 5, "BillPayment": 20, "VendorCredit": 10,
                      "PurchaseOrder": 10}
    kinds = sorted(a["AccountType"] for a in company.objects["Account"].values())
    assert kinds == ["Accounts Payable", "Bank", "Credit Card", "Expense"]
    payments = list(company.objects["BillPayment"].values())
    assert {p["PayType"] for p in payments} == {"Check", "CreditCard"}
    bills = company.objects["Bill"]
    paid = [bills[p["Line"][0]["LinkedTxn"][0]["TxnId"]] for p in payments]
    assert any(b["Balance"] == 0 for b in paid) and any(b["Balance"] > 0 for b in paid)
    pos = list(company.objects["PurchaseOrder"].values())
    billed = [p for p in pos if p["LinkedTxn"]]
    assert {p["POStatus"] for p in pos} == {"Open", "Closed"}
    assert any(p["POStatus"] == "Open" for p in billed)  # partly billed and still open
    assert any(p["POStatus"] == "Open" and not p["LinkedTxn"] for p in pos)
    again = sb.create_company("9130350000000007", admins=["craig"], seed="empty", sizes=sizes)
    # Same seed and sizes, another realm: the same shapes and Ids (vendors drawn per realm).
    assert {e: sorted(v) for e, v in again.objects.items()} == {
        e: sorted(v) for e, v in company.objects.items()}
    explicit = sb.create_company("9130350000000008", admins=["craig"], seed="empty", sizes={
        "Vendor": 3, "Bill": 6, "PurchaseOrder": 3, "BillPayment": 2})
    assert (len(explicit.objects["PurchaseOrder"]), len(explicit.objects["BillPayment"]),
            len(explicit.objects["VendorCredit"])) == (3, 2, 0)
    with pytest.raises(ValueError):
        sb.create_company("9130350000000010", admins=["craig"], seed="empty",
                          sizes={"Invoice": 1})


# --- 8. Fault Detail texts as Intuit words them ---------------------------------------------


def test_fault_details_as_recorded_from_intuit(server: SandboxServer,
                                               connected: AuthClient) -> None:
    """Each Detail below is copied from a recorded Intuit answer (published client test
    fixtures and issue threads), not paraphrased."""
    tok = connected.access_token
    assert _error(api(server, tok, "GET", "bill/999999")) == {
        "Message": "Object Not Found",
        "Detail": "Object Not Found : Something you're trying to use has been made inactive. "
                  "Check the fields with accounts, customers, items, vendors or employees.",
        "code": "610",
        "element": "",
    }
    missing_vendor = {**bill_body(server), "VendorRef": {"value": "540123582"}}
    assert _error(api(server, tok, "POST", "bill", json=missing_vendor)) == {
        "Message": "Invalid Reference Id",
        "Detail": "Invalid Reference Id : Names element id 540123582 not found",
        "code": "2500",
        "element": "VendorRef",
    }
    missing_account = bill_body(server)
    missing_account["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"] = {
        "value": "2109"}
    err = _error(api(server, tok, "POST", "bill", json=missing_account))
    assert err["Detail"] == "Invalid Reference Id : Accounts element id 2109 not found"
    inactive = next(i for i, v in server.sandbox.company(REALM).objects["Vendor"].items()
                    if v["Active"] is False)
    err = _error(api(server, tok, "POST", "bill", json={
        **bill_body(server), "VendorRef": {"value": inactive}}))
    assert (err["code"], err["Message"]) == ("610", "Object Not Found")  # made inactive
    vendor = api(server, tok, "GET", f"vendor/{vendor_id(server, 'Hicks Hardware')}").json()
    stale = _error(api(server, tok, "POST", "vendor", json={
        "Id": vendor["Vendor"]["Id"], "SyncToken": "99", "sparse": True, "Notes": "x"}))
    assert stale == {
        "Message": "Stale Object Error",
        "Detail": "Stale Object Error : You and root were working on this at the same time. "
                  "root finished before you did, so your work was not saved.",
        "code": "5010",
        "element": "",
    }
    no_line = {k: v for k, v in bill_body(server).items() if k != "Line"}
    assert _error(api(server, tok, "POST", "bill", json=no_line)) == {
        "Message": "Required param missing, need to supply the required value for the API",
        "Detail": "Required parameter Line is missing in the request",
        "code": "2020",
        "element": "Line",
    }
    long_doc = _error(api(server, tok, "POST", "bill", json=bill_body(server, doc="D" * 45)))
    assert long_doc["Detail"] == ("String length specified does not match the supported "
                                  "length. Min:0 Max:21 supported. Supplied length:45")
    unknown = _error(api(server, tok, "GET", "bogusentity/1"))
    path = f"/v3/company/{REALM}/bogusentity/1"
    assert unknown == {
        "Message": "Unsupported Operation",
        "Detail": f"Operation Could not find resource for relative : {path} of full path: "
                  f"{server.base_url}{path} is not supported.",
        "code": "500",
        "element": "",
    }
