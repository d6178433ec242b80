"""Bill export over moto and the QBO sandbox: field-by-field, duplicates, references, recovery."""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.models.bill import ExportState
from qbo_connector.models.errors import Conflict, InvalidInput


def _state(world: Any, ap_id: str) -> dict[str, Any]:
    return world.service.show(world.entity, ap_id)


def test_exported_bill_matches_the_invoice_field_by_field(make_world: Any) -> None:
    world = make_world()
    invoice = world.invoice(
        "ap-1", "INV-1001", due_date="2025-10-31",
        terms_id=world.id_of("Term", "Net 30"),
        department_id=world.id_of("Department", "North County"),
        memo="October flyers",
        lines=[
            {"amount": "100.00", "account_id": world.id_of("Account", "Advertising"),
             "class_id": world.id_of("Class", "Design"), "description": "Flyers",
             "customer_id": world.id_of("Customer", "Amy's Bird Sanctuary"), "billable": True},
            {"amount": "25.50", "item_id": next(iter(world.names["Item"].values())),
             "qty": "3", "unit_price": "8.50"},
        ],
    )
    answer = world.service.submit(world.entity, invoice)
    assert answer["state"] == "queued"

    counts = world.service.export_pending(world.ctx())
    assert counts.exported == 1

    shown = _state(world, "ap-1")
    assert shown["state"] == "exported"
    bill = world.sandbox.get_object(world.realm, "Bill", shown["qbo_bill_id"])
    assert bill["VendorRef"]["value"] == invoice["vendor_id"]
    assert bill["DocNumber"] == "INV-1001"
    assert bill["TxnDate"] == "2025-10-01"
    assert bill["DueDate"] == "2025-10-31"
    assert bill["SalesTermRef"]["value"] == invoice["terms_id"]
    assert bill["DepartmentRef"]["value"] == invoice["department_id"]
    assert bill["PrivateNote"] == "October flyers"
    assert bill["TotalAmt"] == 125.5
    first, second = bill["Line"]
    detail = first["AccountBasedExpenseLineDetail"]
    assert first["Amount"] == 100.0 and first["Description"] == "Flyers"
    assert detail["AccountRef"]["value"] == invoice["lines"][0]["account_id"]
    assert detail["ClassRef"]["value"] == invoice["lines"][0]["class_id"]
    assert detail["CustomerRef"]["value"] == invoice["lines"][0]["customer_id"]
    assert detail["BillableStatus"] == "Billable"
    item = second["ItemBasedExpenseLineDetail"]
    assert second["Amount"] == 25.5
    assert item["ItemRef"]["value"] == invoice["lines"][1]["item_id"]
    assert item["Qty"] == 3 and item["UnitPrice"] == 8.5
    assert shown["payment"]["state"] == "unpaid"


def test_same_payload_same_answer_and_changed_exported_invoice_conflicts(make_world: Any) -> None:
    world = make_world()
    body = world.invoice("ap-1", "INV-1")
    first = world.service.submit(world.entity, body)
    assert world.service.submit(world.entity, dict(body)) == first
    world.service.export_pending(world.ctx())
    exported = _state(world, "ap-1")
    assert world.service.submit(world.entity, body) == exported
    with pytest.raises(Conflict) as caught:
        world.service.submit(world.entity, {**body, "memo": "changed"})
    assert caught.value.code == "bill_already_exported"
    assert len(world.qbo_bills()) == 1


def test_queued_invoice_may_be_corrected_before_export(make_world: Any) -> None:
    world = make_world()
    world.service.submit(world.entity, world.invoice("ap-1", "INV-1"))
    answer = world.service.submit(world.entity, world.invoice("ap-1", "INV-1B", amount="10.00"))
    assert answer["invoice_number"] == "INV-1B" and answer["state"] == "queued"
    world.service.export_pending(world.ctx())
    assert [b["DocNumber"] for b in world.qbo_bills()] == ["INV-1B"]
    # The old number is free again for another invoice of the vendor.
    assert world.service.submit(world.entity, world.invoice("ap-2", "INV-1"))["state"] == "queued"


def test_duplicate_in_our_own_log_is_never_exported(make_world: Any) -> None:
    world = make_world()
    world.service.submit(world.entity, world.invoice("ap-1", "INV-7"))
    world.service.export_pending(world.ctx())
    # Same vendor, same number (different spelling), another AP invoice id.
    answer = world.service.submit(world.entity, world.invoice("ap-2", " inv-7 "))
    assert answer["state"] == "duplicate"
    assert answer["duplicate_of"]["ap_invoice_id"] == "ap-1"
    assert answer["duplicate_of"]["qbo_bill_id"] == _state(world, "ap-1")["qbo_bill_id"]
    world.service.export_pending(world.ctx())
    assert len(world.qbo_bills()) == 1


@pytest.mark.parametrize("warn", [True, False])
def test_duplicate_typed_into_qbo_by_the_accountant_is_not_created(
    make_world: Any, warn: bool
) -> None:
    world = make_world(warn_duplicate_bill_number=warn)
    vendor = world.id_of("Vendor", "Norton Lumber and Building Materials")
    typed = world.sandbox.create_object(world.realm, "Bill", {
        "VendorRef": {"value": vendor}, "DocNumber": "INV-55", "TxnDate": "2025-09-30",
        "Line": [{"Amount": 99.0, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": world.id_of("Account", "Advertising")}}}],
    })
    world.service.submit(world.entity, world.invoice("ap-1", "INV-55"))
    counts = world.service.export_pending(world.ctx())
    assert counts.duplicate == 1
    shown = _state(world, "ap-1")
    assert shown["state"] == "duplicate"
    assert shown["duplicate_of"]["qbo_bill_id"] == typed["Id"]
    assert shown["duplicate_of"]["source"] == "quickbooks"
    assert "Norton Lumber" in shown["duplicate_of"]["message"]
    assert len(world.qbo_bills()) == 1


def test_accountant_race_is_caught_by_qbo_6140(make_world: Any) -> None:
    """The bill is typed in between our look-up and our create: QBO's 6140 decides."""
    world = make_world(warn_duplicate_bill_number=True)
    vendor = world.id_of("Vendor", "Norton Lumber and Building Materials")
    world.service.submit(world.entity, world.invoice("ap-1", "INV-9"))
    ctx = world.ctx()
    real_lookup = world.service.spec.lookup

    def lookup_then_typed(client: Any, invoices: Any) -> Any:
        found = real_lookup(client, invoices)
        world.sandbox.create_object(world.realm, "Bill", {
            "VendorRef": {"value": vendor}, "DocNumber": "INV-9",
            "Line": [{"Amount": 5.0, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {
                          "AccountRef": {"value": world.id_of("Account", "Advertising")}}}]})
        return found

    world.service.spec.lookup = lookup_then_typed  # type: ignore[method-assign]
    world.service.export_pending(ctx)
    assert _state(world, "ap-1")["state"] == "duplicate"
    assert len(world.qbo_bills()) == 1


@pytest.mark.parametrize("warn", [True, False])
def test_same_number_for_a_different_vendor_is_exported(make_world: Any, warn: bool) -> None:
    world = make_world(warn_duplicate_bill_number=warn)
    world.service.submit(world.entity, world.invoice("ap-1", "INV-100"))
    world.service.export_pending(world.ctx())
    world.service.submit(world.entity, world.invoice("ap-2", "INV-100", vendor="Hicks Hardware"))
    counts = world.service.export_pending(world.ctx())
    assert counts.exported == 1
    assert _state(world, "ap-2")["state"] == "exported"
    vendors = sorted(b["VendorRef"]["value"] for b in world.qbo_bills())
    assert vendors == sorted([world.id_of("Vendor", "Norton Lumber and Building Materials"),
                              world.id_of("Vendor", "Hicks Hardware")])


def test_unknown_and_inactive_references_are_refused_with_their_names(make_world: Any) -> None:
    world = make_world()
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, {**world.invoice("ap-1", "X1"), "vendor_id": "99999"})
    assert caught.value.field == "vendor_id" and "99999" in caught.value.message
    inactive = world.id_of("Vendor", "Gardening Supply Wholesale (deleted)")
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, {**world.invoice("ap-1", "X1"), "vendor_id": inactive})
    assert "Gardening Supply Wholesale" in caught.value.message
    assert "inactive" in caught.value.message
    body = world.invoice("ap-1", "X1")
    body["lines"][0]["class_id"] = "424242"
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, body)
    assert caught.value.field == "lines[0].class_id"
    assert world.service.store.get(world.org_id, world.le_id, "ap-1") is None


def test_a_vendor_made_inactive_in_qbo_fails_the_bill_naming_it(make_world: Any) -> None:
    world = make_world()
    world.service.submit(world.entity, world.invoice("ap-1", "INV-3"))
    # Deactivated in QBO after our last import: Intuit answers 610 "made inactive".
    vendor = world.id_of("Vendor", "Norton Lumber and Building Materials")
    world.sandbox.delete_object(world.realm, "Vendor", vendor)
    world.service.export_pending(world.ctx())
    shown = _state(world, "ap-1")
    assert shown["state"] == "failed", shown
    assert shown["failure"]["code"] == "inactive_reference", shown
    assert shown["failure"]["qbo_error"]["code"] == "610", shown
    assert "made inactive" in shown["failure"]["message"]
    assert "vendor_id: vendor 'Norton Lumber" in shown["failure"]["message"]
    assert world.qbo_bills() == []


def test_a_record_gone_from_qbo_fails_the_bill_naming_record_and_field(
    make_world: Any,
) -> None:
    world = make_world()
    body = world.invoice("ap-1", "INV-4")
    world.service.submit(world.entity, body)
    # Gone from QBO (merged away) after our last import: Intuit answers 2500 with
    # "Accounts element id N not found".
    account = body["lines"][0]["account_id"]
    world.sandbox.store.company(world.realm).objects["Account"].pop(account)
    world.service.export_pending(world.ctx())
    shown = _state(world, "ap-1")
    assert shown["state"] == "failed", shown
    assert shown["failure"]["code"] == "invalid_reference", shown
    assert shown["failure"]["qbo_error"]["code"] == "2500", shown
    message = shown["failure"]["message"]
    assert message.startswith("QuickBooks no longer has account '"), message
    assert f"({account}) (lines[0].account_id)" in message, message
    assert world.qbo_bills() == []


def test_two_workers_never_both_export_a_bill(make_world: Any) -> None:
    world = make_world()
    world.service.submit(world.entity, world.invoice("ap-1", "INV-1"))
    record = world.service.store.get(world.org_id, world.le_id, "ap-1")
    assert record is not None
    now = int(world.clock())
    assert world.service.store.acquire(record, "w1", now, 960)
    assert not world.service.store.acquire(record, "w2", now, 960)
    # w2 cannot record an outcome under w1's lease either.
    assert not world.service.store.finish(record, "w2", ExportState.EXPORTED, now,
                                          qbo_bill_id="1")
    world.clock.advance(961)
    assert world.service.store.acquire(record, "w2", int(world.clock()), 960)
    assert not world.service.store.finish(record, "w1", ExportState.FAILED, now)


def test_crash_after_qbo_answered_is_recovered_without_a_second_bill(make_world: Any) -> None:
    world = make_world(warn_duplicate_bill_number=False)

    def crash(_records: Any, _results: Any) -> None:
        raise SystemExit("worker killed after QBO answered")

    for i in range(5):
        world.service.submit(world.entity, world.invoice(f"ap-{i}", f"INV-{i}"))
    world.service.engine.after_batch = crash
    with pytest.raises(SystemExit):
        world.service.export_pending(world.ctx())
    assert len(world.qbo_bills()) == 5
    assert {_state(world, f"ap-{i}")["state"] for i in range(5)} == {"exporting"}

    world.service.engine.after_batch = None
    counts = world.service.export_pending(world.ctx())  # lease still held: nothing happens
    assert counts.recovered == 0 and len(world.qbo_bills()) == 5
    world.clock.advance(world.service.lease_seconds + 1)
    counts = world.service.export_pending(world.ctx())
    assert counts.recovered == 5
    bills = {b["DocNumber"]: b["Id"] for b in world.qbo_bills()}
    assert len(bills) == 5
    for i in range(5):
        shown = _state(world, f"ap-{i}")
        assert shown["state"] == "exported" and shown["qbo_bill_id"] == bills[f"INV-{i}"]


def test_list_filters_by_state_and_pages(make_world: Any) -> None:
    world = make_world()
    for i in range(5):
        world.service.submit(world.entity, world.invoice(f"ap-{i}", f"N-{i}"))
    world.service.submit(world.entity, world.invoice("ap-dup", "N-0"))
    page = world.service.list_page(world.entity, "queued", 2, None)
    seen = [i["ap_invoice_id"] for i in page["items"]]
    while page["next_cursor"]:
        page = world.service.list_page(world.entity, "queued", 2, page["next_cursor"])
        seen += [i["ap_invoice_id"] for i in page["items"]]
    assert sorted(seen) == [f"ap-{i}" for i in range(5)]
    dups = world.service.list_page(world.entity, "duplicate", 10, None)["items"]
    assert [d["ap_invoice_id"] for d in dups] == ["ap-dup"]


def test_partial_and_full_payments_show_after_a_sync(make_world: Any) -> None:
    world = make_world()
    for ap_id, number in (("ap-1", "P-1"), ("ap-2", "P-2"), ("ap-3", "P-3")):
        world.service.submit(world.entity, world.invoice(ap_id, number, amount="100.00"))
    world.service.export_pending(world.ctx())
    ids = {ap: _state(world, ap)["qbo_bill_id"] for ap in ("ap-1", "ap-2", "ap-3")}
    from datetime import UTC, datetime, timedelta

    since = datetime.fromtimestamp(world.sandbox.clock.now(), UTC) - timedelta(days=1)
    world.sandbox.pay_bill(world.realm, ids["ap-1"], 40.0)  # partial
    world.sandbox.pay_bill(world.realm, ids["ap-2"])  # in full
    ctx = world.ctx()
    changes = ctx.client.cdc(["Bill", "BillPayment"], since)
    world.service.apply_payment_changes(ctx, changes["Bill"], changes["BillPayment"])
    partial = _state(world, "ap-1")["payment"]
    assert partial["state"] == "partially_paid" and partial["amount_paid"] == 40.0
    assert partial["balance"] == 60.0
    paid = _state(world, "ap-2")["payment"]
    assert paid["state"] == "paid" and paid["paid_date"]
    assert _state(world, "ap-3")["payment"]["state"] == "unpaid"
