"""Payments out over the moto server and the QBO sandbox: AP payments of exported bills
become BillPayments exactly once (issue 14).

Each test pays bills the world exported for real, then reads QBO (the sandbox) back:
balances, links, voids. Validation errors name the field and the record.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed
from qbo_connector.models.payment import payment_marker

NORTON = "Norton Lumber and Building Materials"


def balance(world: Any, qbo_bill_id: str) -> Decimal:
    return Decimal(str(world.sandbox.get_object(world.realm, "Bill", qbo_bill_id)["Balance"]))


def ours_in_qbo(world: Any, ap_payment_id: str) -> list[dict[str, Any]]:
    marker = payment_marker(ap_payment_id)
    return [p for p in world.sandbox.list_objects(world.realm, "BillPayment")
            if marker in str(p.get("PrivateNote") or "")]


def norton_credit(world: Any) -> dict[str, Any]:
    vendor = world.id_of("Vendor", NORTON)
    return next(c for c in world.sandbox.list_objects(world.realm, "VendorCredit")
                if c["VendorRef"]["value"] == vendor and c["Balance"] > 0)


def test_full_partial_and_multi_bill_payments_with_a_credit(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    a = world.exported_bill("inv-a", "PAY-A", amount="500.00")
    b = world.exported_bill("inv-b", "PAY-B", amount="300.00")
    c = world.exported_bill("inv-c", "PAY-C", amount="200.00")
    credit = norton_credit(world)

    full = payments.submit(world.entity, world.payment("pay-full", [("inv-a", "500.00")],
                                                       check_number="1001"))
    partial = payments.submit(world.entity, world.payment("pay-part", [("inv-b", "100.00")]))
    multi = payments.submit(world.entity, world.payment(
        "pay-multi", [("inv-b", "200.00"), ("inv-c", "200.00")],
        vendor_credits=[{"vendor_credit_id": credit["Id"], "amount": "25.00"}]))
    assert {full["state"], partial["state"], multi["state"]} == {"queued"}
    assert multi["amount"] == "375.00"

    ctx = world.ctx()
    counts = payments.export_pending(ctx)
    assert counts.exported == 3 and counts.failed == 0 and counts.duplicate == 0
    assert ctx.counter.get("batch") == 1  # the three in one batch request

    for ap_id in ("pay-full", "pay-part", "pay-multi"):
        view = payments.show(world.entity, ap_id)
        assert view["state"] == "exported", view
        assert view["qbo_link"].endswith(view["qbo_bill_payment_id"])
        assert len(ours_in_qbo(world, ap_id)) == 1
    # QBO's books afterwards: A paid in full, B paid in two, C paid with the credit.
    assert balance(world, a["qbo_bill_id"]) == 0
    assert balance(world, b["qbo_bill_id"]) == 0
    assert balance(world, c["qbo_bill_id"]) == 0
    qbo_multi = ours_in_qbo(world, "pay-multi")[0]
    assert qbo_multi["TotalAmt"] == 375.0 and qbo_multi["PayType"] == "Check"
    links = {(t["TxnType"], t["TxnId"]) for line in qbo_multi["Line"] for t in line["LinkedTxn"]}
    assert links == {("Bill", b["qbo_bill_id"]), ("Bill", c["qbo_bill_id"]),
                     ("VendorCredit", credit["Id"])}
    assert world.sandbox.get_object(world.realm, "VendorCredit", credit["Id"])["Balance"] == 0
    assert ours_in_qbo(world, "pay-full")[0]["DocNumber"] == "1001"
    # The bills' payment state came back with the balances, and each payment shows them.
    assert world.service.show(world.entity, "inv-a")["payment"]["state"] == "paid"
    assert payments.show(world.entity, "pay-part")["bill_balances"]["inv-b"]["balance"] in (
        0.0, 200.0)
    # Running again sends nothing.
    again = world.ctx()
    payments.export_pending(again)
    assert again.counter.get("batch") == 0 and again.counter.get("create") == 0


def test_credit_card_and_ach_payments(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "CC-1", amount="80.00")
    world.exported_bill("inv-2", "ACH-2", amount="90.00")
    payments.submit(world.entity, world.payment("pay-cc", [("inv-1", "80.00")],
                                                method="credit_card"))
    payments.submit(world.entity, world.payment("pay-ach", [("inv-2", "90.00")], method="ach",
                                                reference="TRACE-77"))
    payments.export_pending(world.ctx())
    card = ours_in_qbo(world, "pay-cc")[0]
    assert card["PayType"] == "CreditCard"
    assert card["CreditCardPayment"]["CCAccountRef"]["value"] == world.id_of("Account",
                                                                             "Mastercard")
    ach = ours_in_qbo(world, "pay-ach")[0]
    assert ach["PayType"] == "Check"
    assert ach["PrivateNote"].startswith("Paid by ACH transfer, reference TRACE-77")


def test_a_payment_waits_for_its_bill_and_is_exported_after_it(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.service.submit(world.entity, world.invoice("inv-late", "LATE-1", amount="60.00"))
    view = payments.submit(world.entity, world.payment("pay-late", [("inv-late", "60.00")]))
    assert view["state"] == "waiting_for_bills"
    assert "inv-late" in view["waiting"]["reason"]
    # A run that exports nothing of the bills leaves it waiting, sending nothing for it.
    ctx = world.ctx()
    payments.export_pending(ctx)
    assert payments.show(world.entity, "pay-late")["state"] == "waiting_for_bills"
    assert ctx.counter.get("batch") == 0
    # The bill step, then the payment step (the sync run's order).
    ctx = world.ctx()
    world.service.export_pending(ctx)
    payments.export_pending(ctx)
    shown = payments.show(world.entity, "pay-late")
    assert shown["state"] == "exported"
    bill = world.service.show(world.entity, "inv-late")
    assert shown["bills"][0]["qbo_bill_id"] == bill["qbo_bill_id"]
    assert balance(world, bill["qbo_bill_id"]) == 0


def test_the_same_payment_again_is_the_same_answer_and_a_change_is_refused(
    make_world: Any,
) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "SAME-1", amount="50.00")
    body = world.payment("pay-1", [("inv-1", "20.00")])
    first = payments.submit(world.entity, body)
    assert payments.submit(world.entity, body) == first
    payments.export_pending(world.ctx())
    exported = payments.show(world.entity, "pay-1")
    assert payments.submit(world.entity, body) == exported
    with pytest.raises(Conflict) as refused:
        payments.submit(world.entity, {**body, "amount": "30.00",
                                       "bills": [{"ap_invoice_id": "inv-1", "amount": "30.00"}]})
    assert refused.value.code == "payment_already_exported"
    assert len(ours_in_qbo(world, "pay-1")) == 1


def test_every_validation_error_names_the_field_and_the_record(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.entity.preferences.home_currency = "USD"
    world.exported_bill("inv-1", "VAL-1", amount="100.00")
    other_vendor = world.id_of("Vendor", "Brosnahan Insurance Agency")
    world.service.submit(world.entity, world.invoice("inv-other", "VAL-2", vendor="Brosnahan "
                                                     "Insurance Agency", amount="10.00"))

    def refused(body: dict[str, Any], error: type[Exception] = InvalidInput) -> Any:
        with pytest.raises(error) as caught:
            payments.submit(world.entity, body)
        return caught.value

    pay = world.payment
    err = refused(pay("p1", [("inv-nope", "1.00")]))
    assert err.field == "bills[0].ap_invoice_id" and "inv-nope" in err.message
    err = refused(pay("p2", [("inv-other", "10.00")]))
    assert err.code == "bill_of_another_vendor" and "inv-other" in err.message
    err = refused(pay("p3", [("inv-1", "100.01")]), Conflict)
    assert err.field == "bills[0].amount" and err.details["open_balance"] == "100.00"
    err = refused(pay("p4", [("inv-1", "10.00")], bank_account_id=world.id_of("Account",
                                                                               "Advertising")))
    assert err.field == "bank_account_id" and err.code == "wrong_account_type"
    assert "Expense" in err.message and "Bank" in err.message
    err = refused(pay("p5", [("inv-1", "10.00")], method="credit_card",
                      card_account_id=world.id_of("Account", "Checking")))
    assert err.field == "card_account_id"
    err = refused(pay("p6", [("inv-1", "10.00")], currency="EUR"))
    assert err.field == "currency" and err.code == "currency_mismatch"
    err = refused(pay("p7", [("inv-1", "10.00")], amount="11.00"))
    assert err.field == "amount"
    err = refused(pay("p8", [("inv-1", "10.00")], vendor_id="999999"))
    assert err.field == "vendor_id"
    err = refused(pay("p9", [("inv-1", "10.00")], vendor_id=other_vendor))
    assert err.code == "bill_of_another_vendor"
    world.entity.preferences.book_close_date = "2025-11-30"
    err = refused(pay("p10", [("inv-1", "10.00")]), Conflict)
    assert err.field == "payment_date" and err.code == "period_closed"
    world.entity.preferences.book_close_date = None
    world.entity.sync_profile = {**world.entity.sync_profile, "vendor_credits": "refuse"}
    err = refused(pay("p11", [("inv-1", "10.00")], vendor_credits=[
        {"vendor_credit_id": norton_credit(world)["Id"], "amount": "5.00"}]))
    assert err.field == "vendor_credits"
    world.entity.sync_profile = {**world.entity.sync_profile, "export_payments": False}
    assert refused(pay("p12", [("inv-1", "10.00")]), PreconditionFailed).code == (
        "payments_not_enabled")
    # A bill paid in full (as our last read saw it) is not paid twice.
    world.entity.sync_profile = {**world.entity.sync_profile, "export_payments": True}
    payments.submit(world.entity, pay("p13", [("inv-1", "100.00")]))
    payments.export_pending(world.ctx())
    err = refused(pay("p14", [("inv-1", "1.00")]), Conflict)
    assert err.code == "bill_already_paid" and err.field == "bills[0].ap_invoice_id"
    assert not any(ours_in_qbo(world, f"p{n}") for n in range(1, 13))


def test_the_accountants_own_payment_is_a_duplicate_and_can_be_marked(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    bill = world.exported_bill("inv-1", "DUP-1", amount="70.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "70.00")]))
    typed = world.sandbox.pay_bill(world.realm, bill["qbo_bill_id"], 70.0)  # the accountant
    payments.export_pending(world.ctx())
    view = payments.show(world.entity, "pay-1")
    assert view["state"] == "duplicate"
    assert view["duplicate_of"]["qbo_bill_payment_id"] == typed["Id"]
    assert "mark_payment_exported" in view["duplicate_of"]["message"]
    assert ours_in_qbo(world, "pay-1") == []
    assert balance(world, bill["qbo_bill_id"]) == 0  # paid once, not twice
    marked = payments.mark_exported(world.org_id, world.le_id, "pay-1", None, "jane")
    assert marked["state"] == "exported" and marked["qbo_bill_payment_id"] == typed["Id"]


def test_a_payment_is_voided_exactly_once_and_the_bill_opens_again(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    bill = world.exported_bill("inv-1", "VOID-1", amount="40.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    payments.export_pending(world.ctx())
    assert balance(world, bill["qbo_bill_id"]) == 0
    requested = payments.void(world.entity, "pay-1", "Cheque returned")
    assert requested["state"] == "exported" and requested["void"]["state"] == "requested"
    assert payments.void(world.entity, "pay-1", "again")["void"]["state"] == "requested"
    ctx = world.ctx()
    payments.export_pending(ctx)
    assert ctx.counter.get("void") == 1
    view = payments.show(world.entity, "pay-1")
    assert view["state"] == "voided" and view["void"]["reason"] == "Cheque returned"
    assert balance(world, bill["qbo_bill_id"]) == Decimal("40.00")
    assert view["bill_balances"]["inv-1"]["balance"] == 40.0  # read back after the void
    assert world.service.show(world.entity, "inv-1")["payment"]["state"] == "unpaid"
    again = world.ctx()
    payments.export_pending(again)
    assert again.counter.get("void") == 0
    assert payments.void(world.entity, "pay-1", None)["state"] == "voided"


def test_a_payment_never_sent_is_voided_at_once(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.service.submit(world.entity, world.invoice("inv-1", "CANCEL-1", amount="40.00"))
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    assert payments.void(world.entity, "pay-1", "Transfer failed")["state"] == "voided"
    ctx = world.ctx()
    world.service.export_pending(ctx)
    payments.export_pending(ctx)
    assert payments.show(world.entity, "pay-1")["state"] == "voided"
    assert ours_in_qbo(world, "pay-1") == []


def test_a_reconciled_payment_is_not_voided_and_says_why(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "REC-1", amount="40.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    payments.export_pending(world.ctx())
    qbo_id = payments.show(world.entity, "pay-1")["qbo_bill_payment_id"]
    world.sandbox.reconcile_payment(world.realm, qbo_id)
    payments.void(world.entity, "pay-1", "Cheque returned")
    ctx = world.ctx()
    payments.export_pending(ctx)
    view = payments.show(world.entity, "pay-1")
    assert view["state"] == "exported" and view["void"]["state"] == "refused"
    assert "reconciled" in view["void"]["message"]
    assert any(e["code"] == "void_refused" for e in ctx.run.errors)
    # Un-reconciled in QuickBooks, the void may be asked for again and then succeeds.
    world.sandbox.reconcile_payment(world.realm, qbo_id, on=False)
    assert payments.void(world.entity, "pay-1", "again")["void"]["state"] == "requested"
    payments.export_pending(world.ctx())
    assert payments.show(world.entity, "pay-1")["state"] == "voided"


def test_a_closed_period_in_quickbooks_fails_the_payment_in_words(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "CLOSED-1", amount="40.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    world.sandbox.store.update_preferences(
        world.sandbox.company(world.realm),
        {"AccountingInfoPrefs": {"BookCloseDate": "2025-11-30"}}, admin=True)
    ctx = world.ctx()
    counts = payments.export_pending(ctx)
    assert counts.failed == 1
    view = payments.show(world.entity, "pay-1")
    assert view["state"] == "failed" and view["failure"]["code"] == "period_closed"
    assert "2025-11-05" in view["failure"]["message"]
    assert ctx.run.errors and "AP payment pay-1" in ctx.run.errors[0]["message"]


def test_our_payment_voided_by_the_accountant_is_recorded_voided(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "ACCVOID-1", amount="40.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    payments.export_pending(world.ctx())
    ours = ours_in_qbo(world, "pay-1")[0]
    voided = world.client().void("BillPayment", ours["Id"], ours["SyncToken"])
    assert payments.apply_changes(world.ctx(), [voided]) == 1
    view = payments.show(world.entity, "pay-1")
    assert view["state"] == "voided" and view["void"]["by"] == "quickbooks"
    # The accountant's own payments are not ours: nothing recorded for them.
    bill = world.exported_bill("inv-2", "ACCVOID-2", amount="10.00")
    theirs = world.sandbox.pay_bill(world.realm, bill["qbo_bill_id"], 10.0)
    assert payments.apply_changes(world.ctx(), [theirs]) == 0


def test_a_worker_killed_after_quickbooks_answered_recovers_without_a_second_payment(
    make_world: Any,
) -> None:
    class Killed(BaseException):
        pass

    kill = {"on": True}

    def after_batch(records: Any, results: Any) -> None:
        if kill.pop("on", False):
            raise Killed()

    world = make_world()
    payments = world.payments(after_batch=after_batch)
    world.exported_bill("inv-1", "KILL-1", amount="40.00")
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    with pytest.raises(Killed):
        payments.export_pending(world.ctx())
    assert payments.show(world.entity, "pay-1")["state"] == "exporting"
    world.clock.advance(payments.engine.lease_seconds + 1)
    counts = payments.export_pending(world.ctx())
    assert counts.recovered == 1
    assert payments.show(world.entity, "pay-1")["state"] == "exported"
    assert len(ours_in_qbo(world, "pay-1")) == 1


def test_listing_filters_by_state(make_world: Any) -> None:
    world = make_world()
    payments = world.payments()
    world.exported_bill("inv-1", "LIST-1", amount="40.00")
    world.service.submit(world.entity, world.invoice("inv-2", "LIST-2", amount="40.00"))
    payments.submit(world.entity, world.payment("pay-1", [("inv-1", "40.00")]))
    payments.submit(world.entity, world.payment("pay-2", [("inv-2", "40.00")]))
    payments.export_pending(world.ctx())
    listed = payments.list_page(world.entity, None, 50, None)["items"]
    assert {p["ap_payment_id"]: p["state"] for p in listed} == {
        "pay-1": "exported", "pay-2": "waiting_for_bills"}
    waiting = payments.list_page(world.entity, "waiting_for_bills", 50, None)["items"]
    assert [p["ap_payment_id"] for p in waiting] == ["pay-2"]
    with pytest.raises(InvalidInput):
        payments.list_page(world.entity, "paid", 50, None)


def test_a_multicurrency_payment_at_the_ap_platforms_exchange_rate(make_world: Any) -> None:
    world = make_world(multicurrency=True)
    world.entity.preferences.home_currency = "USD"
    world.sandbox.create_object(world.realm, "Vendor", {"DisplayName": "Maple Supplies",
                                                        "CurrencyRef": {"value": "CAD"}})
    world.reimport()
    payments = world.payments()
    maple = world.id_of("Vendor", "Maple Supplies")
    bill = world.exported_bill("inv-cad", "CAD-1", amount="100.00", vendor="Maple Supplies",
                               currency="CAD")
    assert bill["state"] == "exported", bill
    # Paid in the vendor's and the bill's currency, at the rate the AP platform paid.
    with pytest.raises(InvalidInput) as refused:
        payments.submit(world.entity, world.payment("pay-usd", [("inv-cad", "40.00")],
                                                    vendor_id=maple, currency="USD"))
    assert refused.value.field == "currency" and refused.value.code == "currency_mismatch"
    with pytest.raises(InvalidInput) as refused:
        payments.submit(world.entity, world.payment("pay-rate", [("inv-cad", "40.00")],
                                                    vendor_id=maple, exchange_rate="0.75"))
    assert refused.value.field == "exchange_rate"
    payments.submit(world.entity, world.payment("pay-cad", [("inv-cad", "40.00")],
                                                vendor_id=maple, currency="CAD",
                                                exchange_rate="0.7512"))
    payments.export_pending(world.ctx())
    assert payments.show(world.entity, "pay-cad")["state"] == "exported"
    qbo = ours_in_qbo(world, "pay-cad")[0]
    assert qbo["CurrencyRef"]["value"] == "CAD" and qbo["ExchangeRate"] == 0.7512
    assert balance(world, bill["qbo_bill_id"]) == Decimal("60.00")
