"""A bill (or credit note) naming the AP supplier of a vendor still being created waits for
it, then is exported with the new vendor's id (logic.vendor_wait), over the moto server
and the QBO sandbox: exactly once, the duplicate rules kept, and a vendor that will not be
created ends the bill in `failed` with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.adapters.bill_export_store import BillExportStore
from qbo_connector.adapters.invoice_documents import InvoiceDocuments
from qbo_connector.adapters.record_store import RecordStore
from qbo_connector.adapters.vendor_store import VendorStore
from qbo_connector.logic.bill_export import BillExportService
from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed
from tests.bills.test_vendors import HICKS, supplier


def bills(world: Any, enabled: bool = True) -> BillExportService:
    """The world's bill export, able to wait for suppliers (as wiring builds it)."""
    return BillExportService(BillExportStore(), RecordStore(), InvoiceDocuments(),
                             clock=world.clock, suppliers=VendorStore(),
                             vendors_enabled=lambda entity: enabled)


def by_supplier(world: Any, ap_id: str, number: str, supplier_id: str, **extra: Any
                ) -> dict[str, Any]:
    body = world.invoice(ap_id, number, **extra)
    del body["vendor_id"]
    return {**body, "ap_supplier_id": supplier_id}


def qbo_bills_of(world: Any, vendor_id: str) -> list[dict[str, Any]]:
    return [b for b in world.sandbox.list_objects(world.realm, "Bill")
            if b["VendorRef"]["value"] == vendor_id]


def test_a_bill_for_a_brand_new_supplier_waits_then_exports_in_the_same_run(
    make_world: Any,
) -> None:
    world = make_world()
    vendors, service = world.vendors(), bills(world)
    vendors.submit(world.entity, supplier("sup-new", "Fresh Fields Catering"))
    body = by_supplier(world, "inv-ff-1", "FF-1", "sup-new")
    waiting = service.submit(world.entity, body)
    assert waiting["state"] == "waiting_for_vendor" and waiting["vendor_id"] is None
    assert waiting["ap_supplier_id"] == "sup-new"
    assert "Fresh Fields Catering" in waiting["waiting"]["reason"]
    assert service.submit(world.entity, body) == waiting  # the same body, the same answer
    listed = service.list_page(world.entity, "waiting_for_vendor", 50, None)["items"]
    assert [b["ap_invoice_id"] for b in listed] == ["inv-ff-1"]
    # A run before the vendor exists sends nothing for the bill.
    assert service.export_pending(world.ctx()).exported == 0
    assert service.show(world.entity, "inv-ff-1")["state"] == "waiting_for_vendor"

    ctx = world.ctx()  # one sync run: the vendor step, then the bill step
    vendors.export_pending(ctx)
    counts = service.export_pending(ctx)
    vendor_id = vendors.show(world.entity, "sup-new")["qbo_vendor_id"]
    assert counts.exported == 1 and ctx.run.counts["Bill"]["released"] == 1
    bill = service.show(world.entity, "inv-ff-1")
    assert bill["state"] == "exported" and bill["vendor_id"] == vendor_id
    assert [b["Id"] for b in qbo_bills_of(world, vendor_id)] == [bill["qbo_bill_id"]]
    # The original body again: it now resolves to the vendor, and is the exported bill.
    again = service.submit(world.entity, body)
    assert again["state"] == "exported" and again["qbo_bill_id"] == bill["qbo_bill_id"]
    assert service.export_pending(world.ctx()).exported == 0
    assert len(qbo_bills_of(world, vendor_id)) == 1


def test_a_bill_for_an_exported_supplier_takes_its_vendor_at_once(make_world: Any) -> None:
    world = make_world()
    vendors, service = world.vendors(), bills(world)
    vendors.submit(world.entity, supplier("sup-x", "Xylo Instruments"))
    vendors.export_pending(world.ctx())
    vendor_id = vendors.show(world.entity, "sup-x")["qbo_vendor_id"]
    queued = service.submit(world.entity, by_supplier(world, "inv-x", "X-1", "sup-x"))
    assert queued["state"] == "queued" and queued["vendor_id"] == vendor_id
    assert queued["ap_supplier_id"] == "sup-x"
    service.export_pending(world.ctx())
    assert service.show(world.entity, "inv-x")["state"] == "exported"


def test_two_waiting_bills_with_one_number_become_one_bill_and_a_duplicate(
    make_world: Any,
) -> None:
    world = make_world()
    vendors, service = world.vendors(), bills(world)
    vendors.submit(world.entity, supplier("sup-d", "Dunes Surf Shop"))
    service.submit(world.entity, by_supplier(world, "inv-d1", "D-100", "sup-d"))
    service.submit(world.entity, by_supplier(world, "inv-d2", "d-100", "sup-d"))
    ctx = world.ctx()
    vendors.export_pending(ctx)
    counts = service.export_pending(ctx)
    assert counts.exported == 1
    states = {i: service.show(world.entity, i)["state"] for i in ("inv-d1", "inv-d2")}
    assert states == {"inv-d1": "exported", "inv-d2": "duplicate"}
    vendor_id = vendors.show(world.entity, "sup-d")["qbo_vendor_id"]
    assert len(qbo_bills_of(world, vendor_id)) == 1


def test_a_waiting_bill_fails_naming_why_when_its_vendor_is_not_created(
    make_world: Any,
) -> None:
    world = make_world()
    vendors, service = world.vendors(existing_vendor="refuse"), bills(world)
    vendors.submit(world.entity, supplier("sup-h", HICKS))
    service.submit(world.entity, by_supplier(world, "inv-h", "H-1", "sup-h"))
    ctx = world.ctx()
    vendors.export_pending(ctx)
    counts = service.export_pending(ctx)
    assert counts.exported == 0
    failed = service.show(world.entity, "inv-h")
    hicks = world.id_of("Vendor", HICKS)
    assert failed["state"] == "failed" and failed["ap_supplier_id"] == "sup-h"
    assert failed["failure"]["code"] == "supplier_not_created"
    assert failed["failure"]["field"] == "ap_supplier_id"
    assert f"vendor_id {hicks}" in failed["failure"]["message"]
    assert all(b.get("DocNumber") != "H-1"
               for b in world.sandbox.list_objects(world.realm, "Bill"))
    # A new bill for the same supplier is refused at once, naming the existing vendor.
    with pytest.raises(Conflict) as refused:
        service.submit(world.entity, by_supplier(world, "inv-h2", "H-2", "sup-h"))
    assert refused.value.code == "supplier_not_created"
    assert refused.value.details == {"qbo_vendor_id": hicks}
    # The person's fix: the bill for the existing vendor, resubmitted by its vendor_id.
    service.submit(world.entity, world.invoice("inv-h", "H-1", vendor=HICKS))
    service.export_pending(world.ctx())
    assert service.show(world.entity, "inv-h")["state"] == "exported"


def test_submissions_naming_a_supplier_are_refused_with_the_reason(make_world: Any) -> None:
    world = make_world()
    vendors, service = world.vendors(), bills(world)
    with pytest.raises(InvalidInput) as unknown:
        service.submit(world.entity, by_supplier(world, "inv-u", "U-1", "sup-nobody"))
    assert (unknown.value.code, unknown.value.field) == ("unknown_supplier", "ap_supplier_id")
    both = {**world.invoice("inv-b", "B-1"), "ap_supplier_id": "sup-nobody"}
    with pytest.raises(InvalidInput) as twice:
        service.submit(world.entity, both)
    assert twice.value.field == "ap_supplier_id" and "not both" in twice.value.message
    # A supplier QBO refused: the bill is refused with the supplier's reason.
    vendors.submit(world.entity, supplier("sup-amy", "Amy's Bird Sanctuary"))
    vendors.export_pending(world.ctx())
    with pytest.raises(Conflict) as failed:
        service.submit(world.entity, by_supplier(world, "inv-a", "A-1", "sup-amy"))
    assert failed.value.code == "supplier_failed" and "customer" in failed.value.message
    # A legal entity that does not export vendors.
    with pytest.raises(PreconditionFailed) as off:
        bills(world, enabled=False).submit(
            world.entity, by_supplier(world, "inv-o", "O-1", "sup-amy"))
    assert off.value.code == "vendors_not_enabled" and off.value.field == "ap_supplier_id"
    # Every other field is checked at submission, not when the vendor exists.
    vendors.submit(world.entity, supplier("sup-w", "Willow Wicker"))
    with pytest.raises(InvalidInput) as account:
        service.submit(world.entity, by_supplier(
            world, "inv-w", "W-1", "sup-w",
            lines=[{"amount": "5.00", "account_id": "999999", "description": "x"}]))
    assert account.value.field == "lines[0].account_id"


def test_a_credit_note_for_a_new_supplier_waits_for_its_vendor_too(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors()
    credits = world.credits(suppliers=VendorStore(), vendors_enabled=lambda entity: True)
    vendors.submit(world.entity, supplier("sup-c", "Cobalt Cleaning"))
    body = world.credit("cr-1", "CN-1")
    del body["vendor_id"]
    waiting = credits.submit(world.entity, {**body, "ap_supplier_id": "sup-c"})
    assert waiting["state"] == "waiting_for_vendor" and waiting["ap_credit_id"] == "cr-1"
    ctx = world.ctx()
    vendors.export_pending(ctx)
    credits.export_pending(ctx)
    credit = credits.show(world.entity, "cr-1")
    vendor_id = vendors.show(world.entity, "sup-c")["qbo_vendor_id"]
    assert credit["state"] == "exported" and credit["vendor_id"] == vendor_id
    qbo = world.sandbox.get_object(world.realm, "VendorCredit", credit["qbo_vendor_credit_id"])
    assert qbo["VendorRef"]["value"] == vendor_id
