"""Closed books and reconciled bill payments: what the Accounting API refuses and what the
accountant (the control API, acting as the QBO website) may still do.

The closing date is Preferences.AccountingInfoPrefs.BookCloseDate (Settings > Advanced >
Accounting > Close the books); a write dated on or before it is Intuit's 6210. A payment
reconciled in the bank is refused with a 6000 whose wording is UNCONFIRMED.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from intuitlib.client import AuthClient

from qbo_sandbox import SandboxServer

from .helpers import REALM, api
from .test_sandbox_protocol import account_id, bill_body

CLOSE = "2026-10-31"
PERIOD_CLOSED = {
    "Message": "Account Period Closed, Cannot Update Through Services API",
    "Detail": "The account period has closed and the account books cannot be updated through "
              "the QBO Services API. Please use the QBO website to make these changes.",
    "code": "6210",
    "element": "",
}
VOID = {"operation": "update", "include": "void"}


@pytest.fixture(autouse=True)
def _roomy_limits_and_fixed_today(server: SandboxServer) -> None:
    server.sandbox.set_limits(per_second=10_000, per_minute=100_000)
    server.sandbox.freeze_clock("2026-11-15T12:00:00")  # the company's today: 15 November


def _admin(server: SandboxServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    url = f"{server.base_url}/_sandbox/companies/{REALM}/{path}"
    return requests.request(method, url, timeout=10, **kwargs)


def _close_books(server: SandboxServer, on: str | None = CLOSE) -> requests.Response:
    resp = _admin(server, "PUT", "preferences",
                  json={"AccountingInfoPrefs": {"BookCloseDate": on}})
    assert resp.status_code == 200, resp.text
    return resp


def _fault(resp: requests.Response) -> dict[str, Any]:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    (error,) = body["Fault"]["Error"]
    return dict(error)


def _bill(server: SandboxServer, tok: str, amount: float, txn_date: str) -> dict[str, Any]:
    resp = api(server, tok, "POST", "bill", json={**bill_body(server, amount),
                                                   "TxnDate": txn_date})
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["Bill"])


def _pay_body(server: SandboxServer, bills: list[dict[str, Any]],
              txn_date: str) -> dict[str, Any]:
    total = round(sum(b["TotalAmt"] for b in bills), 2)
    return {"VendorRef": bills[0]["VendorRef"], "PayType": "Check", "TotalAmt": total,
            "TxnDate": txn_date,
            "CheckPayment": {"BankAccountRef": {"value": account_id(server, "Checking")}},
            "Line": [{"Amount": b["TotalAmt"],
                      "LinkedTxn": [{"TxnId": b["Id"], "TxnType": "Bill"}]} for b in bills]}


def _payment(server: SandboxServer, tok: str, bills: list[dict[str, Any]],
             txn_date: str) -> dict[str, Any]:
    resp = api(server, tok, "POST", "billpayment", json=_pay_body(server, bills, txn_date))
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["BillPayment"])


def _void(server: SandboxServer, tok: str, payment: dict[str, Any],
          **kwargs: Any) -> requests.Response:
    params = {**VOID, **kwargs.pop("params", {})}
    return api(server, tok, "POST", "billpayment", params=params, json={
        "Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}, **kwargs)


def _balance(server: SandboxServer, tok: str, bill_id: str) -> float:
    return float(api(server, tok, "GET", f"bill/{bill_id}").json()["Bill"]["Balance"])


# --- closed books ---------------------------------------------------------------------------


def test_a_bill_dated_on_or_before_the_closing_date_is_6210(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    prefs = _close_books(server).json()["Preferences"]
    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == CLOSE
    served = api(server, tok, "GET", "preferences").json()["Preferences"]
    assert served["AccountingInfoPrefs"]["BookCloseDate"] == CLOSE
    before = bill_body(server, 10)
    for txn_date in ("2026-09-30", CLOSE):
        refused = api(server, tok, "POST", "bill", json={**before, "TxnDate": txn_date})
        assert _fault(refused) == PERIOD_CLOSED
    assert _bill(server, tok, 10, "2026-11-01")["TxnDate"] == "2026-11-01"
    # No TxnDate: the company's today (15 November), open.
    undated = api(server, tok, "POST", "bill", json=before)
    assert undated.status_code == 200 and undated.json()["Bill"]["TxnDate"] == "2026-11-15"
    # Closed through today: the defaulted date is checked too.
    _close_books(server, "2026-11-15")
    assert _fault(api(server, tok, "POST", "bill", json=before)) == PERIOD_CLOSED
    # Nothing of the refused bills was stored.
    dated = api(server, tok, "GET", "query", params={
        "query": "select * from Bill where TxnDate <= '2026-10-31'"}).json()["QueryResponse"]
    assert [b for b in dated.get("Bill", []) if b["TotalAmt"] == 10] == []


def test_vendor_credits_and_purchase_orders_in_a_closed_period_are_refused(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    _close_books(server)
    for path in ("vendorcredit", "purchaseorder"):
        old = api(server, tok, "POST", path, json={**bill_body(server, 5),
                                                    "TxnDate": "2026-10-01"})
        assert _fault(old) == PERIOD_CLOSED, path
        new = api(server, tok, "POST", path, json={**bill_body(server, 5),
                                                    "TxnDate": "2026-11-02"})
        assert new.status_code == 200, new.text
    # Vendors are no transactions: the closed period does not touch them.
    vendor = api(server, tok, "POST", "vendor", json={"DisplayName": "Closed Books Supply"})
    assert vendor.status_code == 200, vendor.text


def test_a_batch_item_in_a_closed_period_fails_alone(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    _close_books(server)
    batch = {"BatchItemRequest": [
        {"bId": "old", "operation": "create",
         "Bill": {**bill_body(server, 7), "TxnDate": "2026-10-15"}},
        {"bId": "new", "operation": "create",
         "Bill": {**bill_body(server, 8), "TxnDate": "2026-11-03"}},
        {"bId": "q", "Query": "select count(*) from Bill"},
    ]}
    resp = api(server, tok, "POST", "batch", json=batch)
    assert resp.status_code == 200, resp.text
    items = {item["bId"]: item for item in resp.json()["BatchItemResponse"]}
    assert items["old"]["Fault"] == {"Error": [PERIOD_CLOSED], "type": "ValidationFault"}
    assert items["new"]["Bill"]["TxnDate"] == "2026-11-03"
    assert "totalCount" in items["q"]["QueryResponse"]
    # An update and a delete in a batch, of a bill dated in the closed period.
    _close_books(server, None)
    old = _bill(server, tok, 9, "2026-10-20")
    _close_books(server)
    resp = api(server, tok, "POST", "batch", json={"BatchItemRequest": [
        {"bId": "upd", "operation": "update",
         "Bill": {"Id": old["Id"], "SyncToken": old["SyncToken"], "sparse": True,
                  "TxnDate": "2026-11-04"}},
        {"bId": "del", "operation": "delete",
         "Bill": {"Id": old["Id"], "SyncToken": old["SyncToken"]}},
    ]})
    faults = [item["Fault"]["Error"][0] for item in resp.json()["BatchItemResponse"]]
    assert faults == [PERIOD_CLOSED, PERIOD_CLOSED]
    assert api(server, tok, "GET", f"bill/{old['Id']}").json()["Bill"]["TxnDate"] == "2026-10-20"


def test_a_payment_in_a_closed_period_is_not_updated_voided_or_deleted_until_reopened(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bills = [_bill(server, tok, 30, "2026-10-10"), _bill(server, tok, 45.5, "2026-10-12")]
    payment = _payment(server, tok, bills, "2026-10-20")
    assert [_balance(server, tok, b["Id"]) for b in bills] == [0, 0]
    _close_books(server)
    # Moving it out of the closed period is refused too: the stored date is checked.
    moved = api(server, tok, "POST", "billpayment", json={
        "Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True,
        "TxnDate": "2026-11-05"})
    assert _fault(moved) == PERIOD_CLOSED
    assert _fault(_void(server, tok, payment)) == PERIOD_CLOSED
    deleted = api(server, tok, "POST", "billpayment", params={"operation": "delete"},
                  json={"Id": payment["Id"], "SyncToken": payment["SyncToken"]})
    assert _fault(deleted) == PERIOD_CLOSED
    # And moving an open payment into the closed period.
    later = _bill(server, tok, 12, "2026-11-02")
    open_payment = _payment(server, tok, [later], "2026-11-03")
    backdated = api(server, tok, "POST", "billpayment", json={
        "Id": open_payment["Id"], "SyncToken": open_payment["SyncToken"], "sparse": True,
        "TxnDate": "2026-10-30"})
    assert _fault(backdated) == PERIOD_CLOSED
    # Nothing changed.
    stored = api(server, tok, "GET", f"billpayment/{payment['Id']}").json()["BillPayment"]
    assert stored["SyncToken"] == payment["SyncToken"] and stored["TotalAmt"] == 75.5
    assert [_balance(server, tok, b["Id"]) for b in bills] == [0, 0]
    # Reopening the books ("" reopens as null does) lets the void through.
    prefs = _close_books(server, "").json()["Preferences"]
    assert "BookCloseDate" not in prefs["AccountingInfoPrefs"]
    voided = _void(server, tok, payment)
    assert voided.status_code == 200, voided.text
    assert voided.json()["BillPayment"]["TotalAmt"] == 0
    # The bills it paid are open again.
    assert [_balance(server, tok, b["Id"]) for b in bills] == [30, 45.5]
    for bill in bills:
        assert api(server, tok, "GET", f"bill/{bill['Id']}").json()["Bill"].get(
            "LinkedTxn", []) == []


def test_the_closing_date_is_the_accountants_to_set(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bad = _admin(server, "PUT", "preferences",
                 json={"AccountingInfoPrefs": {"BookCloseDate": "31/10/2026"}})
    assert bad.status_code == 400 and bad.json()["Fault"]["Error"][0]["code"] == "2010"
    served = api(server, tok, "GET", "preferences").json()["Preferences"]
    assert "BookCloseDate" not in served["AccountingInfoPrefs"]
    # Through the Accounting API the field is read-only: the books stay open.
    resp = api(server, tok, "POST", "preferences", json={
        "SyncToken": served["SyncToken"], "sparse": True,
        "AccountingInfoPrefs": {"BookCloseDate": CLOSE}})
    assert resp.status_code == 200, resp.text
    assert "BookCloseDate" not in resp.json()["Preferences"]["AccountingInfoPrefs"]
    assert _bill(server, tok, 3, "2026-10-01")["TxnDate"] == "2026-10-01"
    summary = _admin(server, "GET", "").json()
    assert summary["book_close_date"] is None
    _close_books(server)
    assert _admin(server, "GET", "").json()["book_close_date"] == CLOSE


def test_the_accountant_is_not_blocked_by_closed_books(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bill = _bill(server, tok, 20, "2026-10-05")
    _close_books(server)
    made = _admin(server, "POST", "objects/Bill",
                  json={**bill_body(server, 21), "TxnDate": "2026-10-06"})
    assert made.status_code == 201, made.text
    changed = _admin(server, "PATCH", f"objects/Bill/{bill['Id']}", json={"TxnDate": "2026-10-07"})
    assert changed.status_code == 200 and changed.json()["TxnDate"] == "2026-10-07"
    paid = _admin(server, "POST", f"bills/{bill['Id']}/pay", json={"amount": 5})
    assert paid.status_code == 201, paid.text
    assert _balance(server, tok, bill["Id"]) == 15
    payment = paid.json()
    moved = _admin(server, "PATCH", f"objects/BillPayment/{payment['Id']}",
                   json={"TxnDate": "2026-10-08"})
    assert moved.status_code == 200, moved.text
    # The API still may not touch what the accountant put in the closed period.
    assert _fault(_void(server, tok, moved.json())) == PERIOD_CLOSED
    gone = _admin(server, "DELETE", f"objects/BillPayment/{payment['Id']}")
    assert gone.status_code == 200, gone.text
    assert _admin(server, "DELETE", f"objects/Bill/{made.json()['Id']}").status_code == 200
    assert _balance(server, tok, bill["Id"]) == 20


# --- reconciled payments --------------------------------------------------------------------


def test_a_reconciled_payment_is_not_voided_until_unreconciled(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bills = [_bill(server, tok, 60, "2026-11-01"), _bill(server, tok, 15.25, "2026-11-02")]
    payment = _payment(server, tok, bills, "2026-11-10")
    marked = _admin(server, "POST", f"objects/BillPayment/{payment['Id']}/reconcile")
    assert marked.status_code == 200, marked.text
    assert marked.json()["reconciled"] is True
    # No field of the payment says so: Intuit's BillPayment has none.
    served = api(server, tok, "GET", f"billpayment/{payment['Id']}").json()["BillPayment"]
    assert served == {**payment, "MetaData": served["MetaData"]}
    assert _admin(server, "GET", "").json()["reconciled"] == [payment["Id"]]
    for resp in (
        _void(server, tok, payment),
        api(server, tok, "POST", "billpayment", json={
            "Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True,
            "PrivateNote": "changed"}),
        api(server, tok, "POST", "billpayment", params={"operation": "delete"},
            json={"Id": payment["Id"], "SyncToken": payment["SyncToken"]}),
    ):
        error = _fault(resp)
        assert (error["code"], error["element"]) == ("6000", "Id")
        assert error["Message"] == (
            "A business validation error has occurred while processing your request")
        assert error["Detail"] == (
            "Business Validation Error: This BillPayment has been reconciled. Un-reconcile it "
            "in QuickBooks first, then change, void or delete it.")
    assert [_balance(server, tok, b["Id"]) for b in bills] == [0, 0]
    unmarked = _admin(server, "DELETE", f"objects/BillPayment/{payment['Id']}/reconcile")
    assert unmarked.status_code == 200 and unmarked.json()["reconciled"] is False
    voided = _void(server, tok, payment)
    assert voided.status_code == 200, voided.text
    assert [_balance(server, tok, b["Id"]) for b in bills] == [60, 15.25]


def test_reconcile_names_a_bill_payment_that_exists(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bill = _bill(server, tok, 4, "2026-11-01")
    assert _admin(server, "POST", f"objects/Bill/{bill['Id']}/reconcile").status_code == 404
    missing = _admin(server, "POST", "objects/BillPayment/999999/reconcile", json={})
    assert missing.json()["Fault"]["Error"][0]["code"] == "610"
    # The accountant may delete a reconciled payment; the flag goes with it.
    payment = _payment(server, tok, [bill], "2026-11-02")
    _admin(server, "POST", f"objects/BillPayment/{payment['Id']}/reconcile", json={})
    assert _admin(server, "DELETE", f"objects/BillPayment/{payment['Id']}").status_code == 200
    assert _admin(server, "GET", "").json()["reconciled"] == []
    assert _balance(server, tok, bill["Id"]) == 4


# --- voids: again, stale, replayed ----------------------------------------------------------


def test_voiding_a_voided_payment_again_succeeds(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bill = _bill(server, tok, 80, "2026-11-01")
    payment = _payment(server, tok, [bill], "2026-11-05")
    first = _void(server, tok, payment).json()["BillPayment"]
    assert first["SyncToken"] == "1"
    again = _void(server, tok, first)
    assert again.status_code == 200, again.text
    body = again.json()["BillPayment"]
    assert body["SyncToken"] == "2"
    assert body["TotalAmt"] == 0 and [line["Amount"] for line in body["Line"]] == [0]
    assert body["PrivateNote"] == "Voided"
    assert _balance(server, tok, bill["Id"]) == 80
    # The stale token of the first void is 5010 now.
    stale = _void(server, tok, first)
    assert _fault(stale)["code"] == "5010"


def test_a_void_sent_twice_with_one_requestid_replays_the_first_answer(
        server: SandboxServer, connected: AuthClient) -> None:
    tok = connected.access_token
    bill = _bill(server, tok, 25, "2026-11-01")
    payment = _payment(server, tok, [bill], "2026-11-05")
    first = _void(server, tok, payment, params={"requestid": "void-1"})
    second = _void(server, tok, payment, params={"requestid": "void-1"})
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    stored = api(server, tok, "GET", f"billpayment/{payment['Id']}").json()["BillPayment"]
    assert stored["SyncToken"] == "1"  # voided once
    # Without the requestid, the same body is a stale second void.
    assert _fault(_void(server, tok, payment))["code"] == "5010"
