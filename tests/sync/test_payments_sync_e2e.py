"""The payment step of a SmartSync run over the whole local stack (issue 14): a sync run
exports the bills, then the payments that waited for them, and counts both; the next
incremental sync recognises our own BillPayment voided by the accountant in QuickBooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.sync.conftest import Entity

SERVICE = {"sub": "svc-ap-platform", "role": "Service", "home_org_unit_is_root": "false"}
NORTON = "Norton Lumber and Building Materials"


def _sync(entity: Entity) -> dict[str, Any]:
    status, started = entity.start_sync()
    assert status == 202, started
    entity.stack.drain()
    return entity.run(started["sync_id"])


def _id(entity: Entity, kind: str, name: str) -> str:
    return next(
        str(o["Id"])
        for o in entity.sandbox.list_objects(entity.realm, kind)
        if name in (o.get("DisplayName"), o.get("Name"))
    )


def test_a_sync_run_exports_the_bill_then_its_payment_and_counts_both(
    make_entity: Callable[..., Entity],
) -> None:
    entity = make_entity()
    checking = _id(entity, "Account", "Checking")
    assert entity.ops(
        "ops-put-sync-profile.json",
        profile={
            "export_bills": True,
            "import_payments": True,
            "export_payments": True,
            "payment_bank_account_id": checking,
        },
    )["ok"]
    first = _sync(entity)  # the master data payments are checked against
    assert first["status"] == "succeeded", first
    vendor = _id(entity, "Vendor", NORTON)

    # A sync is queued first; the bill and its payment are submitted while it waits, so
    # the run itself exports them (the submissions' export jobs then find nothing left).
    status, started = entity.start_sync()
    assert status == 202, started
    bill = {
        "ap_invoice_id": "inv-sync-1",
        "vendor_id": vendor,
        "invoice_number": "SYNC-PAY-1",
        "invoice_date": "2025-10-01",
        "lines": [{"amount": "90.00", "account_id": _id(entity, "Account", "Advertising")}],
    }
    status, body = entity.api(
        "EntityApiFunction", "api-post-bill.json", claims=SERVICE, body=bill
    )
    assert status == 202, body
    payment = {
        "ap_payment_id": "pay-sync-1",
        "vendor_id": vendor,
        "payment_date": "2025-11-05",
        "amount": "90.00",
        "bills": [{"ap_invoice_id": "inv-sync-1", "amount": "90.00"}],
    }
    status, body = entity.api(
        "EntityApiFunction", "api-post-payment.json", claims=SERVICE, body=payment
    )
    assert status == 202, body
    assert body["state"] == "waiting_for_bills"
    entity.stack.drain()
    run = entity.run(started["sync_id"])
    assert run["status"] == "succeeded", run
    assert run["progress"]["Bill"]["method"] == "export"
    assert run["progress"]["BillPayment"]["method"] == "export"
    assert run["progress"]["BillPayment"]["outcomes"]["exported"] == 1
    assert run["progress"]["Bill"]["outcomes"]["exported"] == 1
    status, shown = entity.api(
        "EntityApiFunction",
        "entity-api-get-payment.json",
        claims=SERVICE,
        extra_path={"apPaymentId": "pay-sync-1"},
    )
    assert status == 200 and shown["state"] == "exported", shown
    qbo_id = shown["qbo_bill_payment_id"]

    # The accountant voids our payment in QuickBooks; the next (incremental) sync reads
    # the change and records our payment voided, not a second payment.
    sandbox = entity.sandbox
    ours = sandbox.get_object(entity.realm, "BillPayment", qbo_id)
    sandbox.store.void(
        sandbox.company(entity.realm),
        "BillPayment",
        {"Id": qbo_id, "SyncToken": ours["SyncToken"], "sparse": True},
    )
    again = _sync(entity)
    assert again["status"] == "succeeded", again
    assert again["effective_mode"] == "incremental"
    status, shown = entity.api(
        "EntityApiFunction",
        "entity-api-get-payment.json",
        claims=SERVICE,
        extra_path={"apPaymentId": "pay-sync-1"},
    )
    assert shown["state"] == "voided" and shown["void"]["by"] == "quickbooks", shown
    status, bill_view = entity.api(
        "EntityApiFunction",
        "entity-api-get-bill.json",
        claims=SERVICE,
        extra_path={"apInvoiceId": "inv-sync-1"},
    )
    assert bill_view["payment"]["state"] == "unpaid", bill_view


def test_a_credit_the_accountant_applies_in_quickbooks_shows_its_remaining_after_a_sync(
    make_entity: Callable[..., Entity],
) -> None:
    """CDC of VendorCredit: our exported credit note, applied by the accountant in a bill
    payment typed into QuickBooks, shows what remains of it after the next sync."""
    entity = make_entity()
    assert entity.ops(
        "ops-put-sync-profile.json",
        profile={"export_bills": True, "import_payments": True, "export_vendor_credits": True},
    )["ok"]
    assert _sync(entity)["status"] == "succeeded"
    vendor, advertising = _id(entity, "Vendor", NORTON), _id(entity, "Account", "Advertising")
    bill = {"ap_invoice_id": "inv-cr-1", "vendor_id": vendor, "invoice_number": "CDC-CR-1",
            "invoice_date": "2025-10-01",
            "lines": [{"amount": "90.00", "account_id": advertising}]}
    credit = {"ap_credit_id": "cr-cdc-1", "vendor_id": vendor, "credit_number": "CDC-CN-1",
              "credit_date": "2025-10-02",
              "lines": [{"amount": "30.00", "account_id": advertising}]}
    assert entity.api("EntityApiFunction", "api-post-bill.json", claims=SERVICE,
                      body=bill)[0] == 202
    assert entity.api("EntityApiFunction", "api-post-vendor-credit.json", claims=SERVICE,
                      body=credit)[0] == 202
    entity.stack.drain()

    def shown(sample: str, key: str, value: str) -> dict[str, Any]:
        status, body = entity.api("EntityApiFunction", sample, claims=SERVICE,
                                  extra_path={key: value})
        assert status == 200, body
        return dict(body)

    ours = shown("entity-api-get-vendor-credit.json", "apCreditId", "cr-cdc-1")
    assert ours["state"] == "exported" and ours["credit"]["remaining"] == 30.0, ours
    qbo_bill = shown("entity-api-get-bill.json", "apInvoiceId", "inv-cr-1")["qbo_bill_id"]
    # The accountant pays the bill in QuickBooks: a cheque of 70.00 and 20.00 of our credit.
    checking = _id(entity, "Account", "Checking")
    entity.sandbox.create_object(entity.realm, "BillPayment", {
        "VendorRef": {"value": vendor}, "PayType": "Check", "TotalAmt": 70.0,
        "CheckPayment": {"BankAccountRef": {"value": checking}},
        "Line": [
            {"Amount": 90.0, "LinkedTxn": [{"TxnId": qbo_bill, "TxnType": "Bill"}]},
            {"Amount": 20.0, "LinkedTxn": [{"TxnId": ours["qbo_vendor_credit_id"],
                                             "TxnType": "VendorCredit"}]},
        ]})
    run = _sync(entity)
    assert run["status"] == "succeeded" and run["effective_mode"] == "incremental", run
    progress = run["progress"]
    assert progress["VendorCredit"]["changed"] == 1, progress
    # Read from CDC, not imported as a list: no full read of credits or bill payments.
    for kind in ("VendorCredit", "BillPayment"):
        assert progress[kind]["status"] == "done" and progress[kind]["fetched"] == 0, progress
        assert progress[kind]["method"] in ("cdc", "export"), progress  # export: its step
    after = shown("entity-api-get-vendor-credit.json", "apCreditId", "cr-cdc-1")
    assert after["credit"] == {"state": "partially_applied", "total": 30.0, "remaining": 10.0,
                               "applied": 20.0}, after
    paid = shown("entity-api-get-bill.json", "apInvoiceId", "inv-cr-1")["payment"]
    assert paid["state"] == "paid", paid
