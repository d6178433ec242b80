"""Purchase orders over the whole local stack (issue 16): imported by SmartSync with their
lines, status and what each line has been billed; incremental after the accountant edits
a linked bill and closes a PO; PO-matched bills exported with their links, the PO partly
then fully billed; every matching refusal in words.

The sandbox company (Craig's Design and Landscaping) has four POs: 1001 to Norton Lumber
(open: 10 Sod at 15.00, and 50.00 of Job Materials), 1002 to Hicks Hardware (line 1 of
100.00 billed, line 2 of 60.00 open), 1003 to Tim Philip Masonry (closed by its bill) and
1004 to Ellis Equipment Rental (closed by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qbo_connector.models.sync_profile import DEFAULT_OBJECT_TYPES
from tests.sync.conftest import Entity

SERVICE = {"sub": "svc-ap-platform", "role": "Service", "home_org_unit_is_root": "false"}
NORTON = "Norton Lumber and Building Materials"
PROFILE = {"object_types": [*DEFAULT_OBJECT_TYPES, "PurchaseOrder"], "export_bills": True}


def _sync(entity: Entity) -> dict[str, Any]:
    status, started = entity.start_sync()
    assert status == 202, started
    entity.stack.drain()
    run = entity.run(started["sync_id"])
    assert run["status"] == "succeeded", run
    return run


def _id(entity: Entity, kind: str, name: str) -> str:
    return next(str(o["Id"]) for o in entity.sandbox.list_objects(entity.realm, kind)
                if name in (o.get("DisplayName"), o.get("Name")))


def _po(entity: Entity, number: str) -> dict[str, Any]:
    return next(o for o in entity.sandbox.list_objects(entity.realm, "PurchaseOrder")
                if o.get("DocNumber") == number)


def _list(entity: Entity, **query: str) -> list[dict[str, Any]]:
    status, body = entity.api("EntityApiFunction", "entity-api-list-purchase-orders.json",
                              query=query)
    assert status == 200, body
    return list(body["items"])


def _show(entity: Entity, po_id: str) -> dict[str, Any]:
    status, body = entity.api("EntityApiFunction", "entity-api-get-purchase-order.json",
                              extra_path={"poId": po_id})
    assert status == 200, body
    return dict(body)


def _post_bill(entity: Entity, bill: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return entity.api("EntityApiFunction", "api-post-bill.json", claims=SERVICE, body=bill)


def _ready(make_entity: Callable[..., Entity]) -> Entity:
    entity = make_entity(profile=PROFILE)
    run = _sync(entity)
    assert run["progress"]["PurchaseOrder"]["new"] == 4, run["progress"]
    return entity


def test_purchase_orders_imported_with_lines_status_and_billing_then_incremental(
    make_entity: Callable[..., Entity],
) -> None:
    entity = _ready(make_entity)
    by_number = {po["doc_number"]: po for po in _list(entity, limit="50")}
    assert set(by_number) == {"1001", "1002", "1003", "1004"}
    norton = by_number["1001"]
    assert (norton["status"], norton["total"], norton["billed"], norton["open"]) == (
        "Open", "200.00", "0.00", "200.00")
    sod, materials = norton["lines"]
    assert (sod["qty"], sod["unit_price"], sod["amount"], sod["open_qty"]) == (
        "10", "15", "150.00", "10")
    assert sod["item_id"] and materials["account_id"] and materials["open_amount"] == "50.00"
    hicks = by_number["1002"]
    assert [(line["billed_amount"], line["open_amount"]) for line in hicks["lines"]] == [
        ("100.00", "0.00"), ("0.00", "60.00")]
    assert len(hicks["bills"]) == 1
    assert by_number["1003"]["status"] == "Closed" and not by_number["1003"]["manually_closed"]
    assert by_number["1004"]["status"] == "Closed" and by_number["1004"]["manually_closed"]
    # The matching screen's filters: open ones, and one vendor's.
    assert {po["doc_number"] for po in _list(entity, open_only="true")} == {"1001", "1002"}
    hicks_id = _id(entity, "Vendor", "Hicks Hardware")
    assert [po["doc_number"] for po in _list(entity, vendor_id=hicks_id)] == ["1002"]
    assert _show(entity, hicks["id"]) == hicks

    # The accountant corrects the linked bill (100.00 → 80.00): the PO itself is unchanged
    # in QBO, but what its line is billed changes.
    sandbox = entity.sandbox
    linked = sandbox.get_object(entity.realm, "Bill", hicks["bills"][0])
    keep = ("DetailType", "AccountBasedExpenseLineDetail", "LinkedTxn", "Description")
    lines = [{**{k: v for k, v in line.items() if k in keep}, "Amount": 80.0}
             for line in linked["Line"]]
    sandbox.update_object(entity.realm, "Bill", linked["Id"], {"Line": lines})
    run = _sync(entity)
    assert run["effective_mode"] == "incremental"
    assert run["progress"]["PurchaseOrder"]["method"] == "cdc"
    after = _show(entity, hicks["id"])
    assert after["lines"][0]["billed_amount"] == "80.00" and after["lines"][0]["open_amount"] == (
        "20.00")
    # ...and closes PO 1002 by hand: the next incremental sync has it closed.
    sandbox.update_object(entity.realm, "PurchaseOrder", hicks["id"], {"ManuallyClosed": True})
    run = _sync(entity)
    assert run["progress"]["PurchaseOrder"]["deactivated"] == 1, run["progress"]
    closed = _show(entity, hicks["id"])
    assert closed["status"] == "Closed" and closed["manually_closed"] is True
    assert {po["doc_number"] for po in _list(entity, open_only="true")} == {"1001"}


def _matched_bill(entity: Entity, ap_id: str, number: str, lines: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    return {"ap_invoice_id": ap_id, "vendor_id": _id(entity, "Vendor", NORTON),
            "invoice_number": number, "invoice_date": "2025-11-03", "lines": lines}


def test_a_bill_matched_to_two_po_lines_bills_the_po_partly_then_fully(
    make_entity: Callable[..., Entity],
) -> None:
    entity = _ready(make_entity)
    po = _po(entity, "1001")
    sod_line, materials_line = (str(line["Id"]) for line in po["Line"])
    sod = po["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"]
    materials = po["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"]
    first = _matched_bill(entity, "ap-po-1", "NL-PO-1", [
        {"amount": "60.00", "item_id": sod, "qty": 4, "unit_price": "15",
         "purchase_order_id": po["Id"], "purchase_order_line_id": sod_line},
        {"amount": "20.00", "account_id": materials,
         "purchase_order_id": po["Id"], "purchase_order_line_id": materials_line}])
    status, body = entity.api("EntityApiFunction", "api-post-bill-po-matched.json",
                              claims=SERVICE, body=first)
    assert status == 202 and body["state"] == "queued", body
    entity.stack.drain()
    status, shown = entity.api("EntityApiFunction", "entity-api-get-bill.json", claims=SERVICE,
                               extra_path={"apInvoiceId": "ap-po-1"})
    assert shown["state"] == "exported", shown
    qbo_bill = entity.sandbox.get_object(entity.realm, "Bill", shown["qbo_bill_id"])
    assert [line["LinkedTxn"] for line in qbo_bill["Line"]] == [
        [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": sod_line}],
        [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": materials_line}]]
    # Read again right after the export, no sync needed: partly billed.
    partly = _show(entity, po["Id"])
    assert partly["status"] == "Open" and partly["billed"] == "80.00"
    assert (partly["lines"][0]["billed_qty"], partly["lines"][0]["open_qty"]) == ("4", "6")
    assert partly["lines"][1]["open_amount"] == "30.00"
    assert partly["bills"] == [shown["qbo_bill_id"]]

    rest = _matched_bill(entity, "ap-po-2", "NL-PO-2", [
        {"amount": "90.00", "item_id": sod, "qty": 6, "unit_price": "15",
         "purchase_order_id": po["Id"], "purchase_order_line_id": sod_line},
        {"amount": "30.00", "account_id": materials,
         "purchase_order_id": po["Id"], "purchase_order_line_id": materials_line}])
    assert _post_bill(entity, rest)[0] == 202
    entity.stack.drain()
    fully = _show(entity, po["Id"])
    assert (fully["status"], fully["billed"], fully["open"]) == ("Closed", "200.00", "0.00")
    assert entity.sandbox.get_object(entity.realm, "PurchaseOrder", po["Id"])["POStatus"] == (
        "Closed")
    # The next sync agrees with what was read after the export.
    _sync(entity)
    assert _show(entity, po["Id"]) == fully


def test_each_matching_refusal_names_the_line_and_the_reason(
    make_entity: Callable[..., Entity],
) -> None:
    entity = _ready(make_entity)
    po, hicks, closed = _po(entity, "1001"), _po(entity, "1002"), _po(entity, "1003")
    sod_line, materials_line = (str(line["Id"]) for line in po["Line"])
    materials = po["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"]
    sod = po["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"]

    def refused(line: dict[str, Any], number: str) -> dict[str, Any]:
        status, body = _post_bill(entity, _matched_bill(entity, f"ap-{number}", number, [line]))
        assert status in (400, 409), body
        return dict(body["error"])

    on = {"account_id": materials, "purchase_order_id": po["Id"]}
    over = refused({**on, "amount": "50.01", "purchase_order_line_id": materials_line}, "R-1")
    assert (over["code"], over["field"]) == ("purchase_order_over_billed", "lines[0].amount")
    assert "open amount 50.00 of purchase order 1001 line" in over["message"]
    qty = refused({"amount": "165.00", "item_id": sod, "qty": 11, "unit_price": "15",
                   "purchase_order_id": po["Id"], "purchase_order_line_id": sod_line}, "R-2")
    assert qty["code"] == "purchase_order_over_billed"
    other = refused({"amount": "5.00", "account_id": materials, "purchase_order_id": hicks["Id"],
                     "purchase_order_line_id": "2"}, "R-3")
    assert other["code"] == "purchase_order_of_another_vendor" and "Hicks" in other["message"]
    shut = refused({"amount": "5.00", "account_id": materials, "purchase_order_id": closed["Id"],
                    "purchase_order_line_id": "1"}, "R-4")
    assert shut["code"] in ("purchase_order_of_another_vendor", "purchase_order_closed")
    unknown = refused({**on, "amount": "5.00", "purchase_order_id": "99999",
                       "purchase_order_line_id": "1"}, "R-5")
    assert (unknown["code"], unknown["field"]) == (
        "unknown_purchase_order", "lines[0].purchase_order_id")
    no_line = refused({**on, "amount": "5.00", "purchase_order_line_id": "9"}, "R-6")
    assert no_line["code"] == "unknown_purchase_order_line" and "its lines are" in (
        no_line["message"])
    half = refused({**on, "amount": "5.00"}, "R-7")
    assert half["field"] == "lines[0].purchase_order_line_id"
    # A bill queued here counts before it is exported: the second one is over the line.
    ok = _matched_bill(entity, "ap-Q-1", "Q-1", [
        {**on, "amount": "40.00", "purchase_order_line_id": materials_line}])
    assert _post_bill(entity, ok)[0] == 202
    second = refused({**on, "amount": "20.00", "purchase_order_line_id": materials_line}, "Q-2")
    assert second["code"] == "purchase_order_over_billed" and "queued here" in second["message"]
    entity.stack.drain()
    # The profile's tolerance: 10% of the 50.00 line lets 5.00 more through.
    assert entity.ops("ops-put-sync-profile.json", profile={"po_tolerance_percent": "10"})["ok"]
    within = _matched_bill(entity, "ap-T-1", "T-1", [
        {**on, "amount": "15.00", "purchase_order_line_id": materials_line}])
    status, body = _post_bill(entity, within)
    assert status == 202, body
    # A closed PO of the bill's own vendor.
    entity.sandbox.update_object(entity.realm, "PurchaseOrder", po["Id"], {"ManuallyClosed": True})
    _sync(entity)
    shut = refused({**on, "amount": "1.00", "purchase_order_line_id": materials_line}, "R-8")
    assert shut["code"] == "purchase_order_closed" and "closed by hand" in shut["message"]
