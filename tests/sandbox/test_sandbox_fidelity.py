"""Issue 11, sandbox fidelity: Employee, name rules, BillPayment accounts and currencies,
nested unknown properties, minorversion, seed data and fault wording.

Expected bodies are written out from Intuit's entity reference (developer.intuit.com,
Accounting API, minor version 75) and Intuit's published samples, field by field.
"""

from __future__ import annotations

import re
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
    assert [e["Id"] for e in cdc["CDCResponse"][0]["QueryResponse"][0]["Employee"]] == [
        emp["Id"]]


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
