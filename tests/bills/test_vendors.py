"""Vendors out over the moto server and the QBO sandbox: AP suppliers become QBO Vendors
exactly once (issue 15), are matched or refused when QBO has the name, updated without
overwriting the accountant, deactivated as QBO does it.

Each test reads QBO (the sandbox) back; validation errors name the field.
"""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.adapters.record_store import RecordStore
from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed
from qbo_connector.models.vendor import name_identity

HICKS = "Hicks Hardware"
NORTON = "Norton Lumber and Building Materials"


def supplier(ap_id: str, name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ap_supplier_id": ap_id, "display_name": name,
                            "company_name": f"{name} LLC", "email": f"{ap_id}@example.com"}
    body.update(extra)
    return body


def vendors_named(world: Any, name: str) -> list[dict[str, Any]]:
    wanted = name_identity(name)
    return [v for v in world.sandbox.list_objects(world.realm, "Vendor")
            if name_identity(v["DisplayName"]) == wanted]


def qbo_vendor(world: Any, vendor_id: str) -> dict[str, Any]:
    return dict(world.sandbox.get_object(world.realm, "Vendor", vendor_id))


def test_suppliers_are_created_once_in_one_batch_and_a_resubmit_is_the_same_answer(
    make_world: Any,
) -> None:
    world = make_world()
    vendors = world.vendors()
    bodies = [supplier(f"sup-{i}", f"New Supplier {i}", phone="+1 415 555 010" + str(i),
                       billing_address={"line1": f"{i} Market St", "city": "San Francisco",
                                        "region": "CA", "postal_code": "94105"})
              for i in range(3)]
    for body in bodies:
        assert vendors.submit(world.entity, body)["state"] == "queued"
    ctx = world.ctx()
    counts = vendors.export_pending(ctx)
    assert counts.exported == 3 and counts.failed == 0 and counts.duplicate == 0
    assert ctx.counter.get("batch") == 1  # the three in one batch request
    assert ctx.run.counts["Vendor"]["exported"] == 3
    for i, body in enumerate(bodies):
        view = vendors.show(world.entity, body["ap_supplier_id"])
        assert view["state"] == "exported" and not view.get("matched")
        qbo = qbo_vendor(world, view["qbo_vendor_id"])
        assert qbo["DisplayName"] == f"New Supplier {i}"
        assert qbo["CompanyName"] == f"New Supplier {i} LLC"
        assert qbo["PrimaryEmailAddr"]["Address"] == body["email"]
        assert qbo["BillAddr"]["City"] == "San Francisco"
        assert len(vendors_named(world, body["display_name"])) == 1
        # The same payload again: the same answer, nothing queued.
        assert vendors.submit(world.entity, body) == view
    assert vendors.export_pending(world.ctx()).exported == 0
    with pytest.raises(Conflict) as changed:
        vendors.submit(world.entity, {**bodies[0], "company_name": "Changed"})
    assert changed.value.code == "supplier_already_exported" and "PUT" in changed.value.message


def test_a_new_vendor_is_in_the_master_data_at_once_and_a_bill_for_it_exports(
    make_world: Any,
) -> None:
    world = make_world()
    vendors = world.vendors()
    vendors.submit(world.entity, supplier("sup-new", "Fresh Fields Catering"))
    vendors.export_pending(world.ctx())
    vendor_id = vendors.show(world.entity, "sup-new")["qbo_vendor_id"]
    found = RecordStore().lookup(world.org_id, world.le_id, [("Vendor", vendor_id)],
                                 with_body=True)
    record = found[("Vendor", vendor_id)]
    assert record.name == "Fresh Fields Catering" and record.active and not record.deleted
    assert record.data is not None and record.data["Id"] == vendor_id
    # No sync in between: the bill names the new vendor's QBO id and is exported.
    world.service.submit(world.entity, world.invoice("inv-new", "FF-1", vendor_id=vendor_id))
    world.service.export_pending(world.ctx())
    bill = world.service.show(world.entity, "inv-new")
    assert bill["state"] == "exported", bill
    qbo_bill = world.sandbox.get_object(world.realm, "Bill", bill["qbo_bill_id"])
    assert qbo_bill["VendorRef"]["value"] == vendor_id


def test_an_existing_vendor_is_matched_under_the_match_policy(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors(existing_vendor="match")
    vendors.submit(world.entity, supplier("sup-hicks", HICKS))
    counts = vendors.export_pending(ctx := world.ctx())
    assert ctx.counter.get("batch") == 0  # nothing created
    assert counts.recovered == 0 and ctx.run.counts["Vendor"]["matched"] == 1
    view = vendors.show(world.entity, "sup-hicks")
    assert view["state"] == "exported" and view["matched"] is True
    assert view["qbo_vendor_id"] == world.id_of("Vendor", HICKS)
    assert len(vendors_named(world, HICKS)) == 1
    # One QBO vendor stands for one AP supplier: a second one is a duplicate naming the first.
    vendors.submit(world.entity, supplier("sup-hicks-2", "HICKS hardware"))
    vendors.export_pending(world.ctx())
    second = vendors.show(world.entity, "sup-hicks-2")
    assert second["state"] == "duplicate"
    assert second["duplicate_of"]["ap_supplier_id"] == "sup-hicks"


def test_an_existing_vendor_is_a_duplicate_under_the_refuse_policy(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors(existing_vendor="refuse")
    vendors.submit(world.entity, supplier("sup-hicks", HICKS))
    counts = vendors.export_pending(world.ctx())
    assert counts.duplicate == 1
    view = vendors.show(world.entity, "sup-hicks")
    assert view["state"] == "duplicate" and "qbo_vendor_id" not in view
    dup = view["duplicate_of"]
    assert dup["qbo_vendor_id"] == world.id_of("Vendor", HICKS)
    assert HICKS in dup["message"] and "existing_vendor: refuse" in dup["message"]
    assert len(vendors_named(world, HICKS)) == 1


@pytest.mark.parametrize("variant", ["hicks hardware", "HICKS   HARDWARE", " Hicks  Hardware",
                                     "\uff28icks Hardware"])
def test_case_and_spacing_variants_of_an_existing_name_are_the_same_vendor(
    make_world: Any, variant: str,
) -> None:
    world = make_world()
    vendors = world.vendors(existing_vendor="refuse")
    vendors.submit(world.entity, supplier("sup-v", variant))
    vendors.export_pending(world.ctx())
    view = vendors.show(world.entity, "sup-v")
    assert view["state"] == "duplicate", view
    assert view["duplicate_of"]["qbo_vendor_id"] == world.id_of("Vendor", HICKS)
    assert len(vendors_named(world, HICKS)) == 1


@pytest.mark.parametrize(("name", "kind"), [("Amy's Bird Sanctuary", "customer"),
                                            ("emily platt", "employee")])
def test_a_name_held_by_a_customer_or_employee_is_refused_without_sending(
    make_world: Any, name: str, kind: str,
) -> None:
    world = make_world()
    vendors = world.vendors()
    vendors.submit(world.entity, supplier("sup-c", name))
    ctx = world.ctx()
    counts = vendors.export_pending(ctx)
    assert counts.failed == 1 and counts.duplicate == 0
    assert ctx.counter.get("batch") == 0 and ctx.counter.get("create") == 0
    view = vendors.show(world.entity, "sup-c")
    assert view["state"] == "failed"
    failure = view["failure"]
    assert failure["code"] == f"name_used_by_{kind}" and failure["field"] == "display_name"
    assert kind in failure["message"] and failure["holder"]["type"] == kind.capitalize()
    assert ctx.run.errors and ctx.run.errors[0]["code"] == f"name_used_by_{kind}"
    assert vendors_named(world, name) == []
    # Renamed, it is created.
    vendors.submit(world.entity, supplier("sup-c", f"{name} (Vendor)"))
    vendors.export_pending(world.ctx())
    assert vendors.show(world.entity, "sup-c")["state"] == "exported"


def test_an_inactive_vendor_of_the_name_is_neither_matched_nor_created_again(
    make_world: Any,
) -> None:
    world = make_world()
    vendors = world.vendors(existing_vendor="match")
    vendors.submit(world.entity, supplier("sup-g", "Gardening Supply Wholesale"))
    vendors.export_pending(world.ctx())
    view = vendors.show(world.entity, "sup-g")
    assert view["state"] == "duplicate"
    assert view["duplicate_of"]["active"] is False
    assert "Reactivate" in view["duplicate_of"]["message"]


def test_a_6240_in_the_batch_is_resolved_against_the_holder(make_world: Any) -> None:
    """The accountant types the name between our look-up and our create."""
    world = make_world()
    vendors = world.vendors(existing_vendor="refuse")
    vendors.submit(world.entity, supplier("sup-race", "Racing Stripes"))
    original = vendors.spec.lookup

    def lookup(client: Any, items: Any) -> Any:
        found = original(client, items)
        world.sandbox.create_object(world.realm, "Customer", {"DisplayName": "racing stripes"})
        return found

    vendors.spec.lookup = lookup  # type: ignore[method-assign]
    ctx = world.ctx()
    counts = vendors.export_pending(ctx)
    assert counts.failed == 1
    view = vendors.show(world.entity, "sup-race")
    assert view["state"] == "failed" and view["failure"]["code"] == "name_used_by_customer"
    assert vendors_named(world, "Racing Stripes") == []


def test_an_update_conflicting_with_the_accountants_edit_is_held_back_field_by_field(
    make_world: Any,
) -> None:
    world = make_world()
    vendors = world.vendors()
    body = supplier("sup-u", "Upland Tools", phone="+1 415 555 0100",
                    billing_address={"line1": "1 Upland Rd", "city": "Fresno"})
    vendors.submit(world.entity, body)
    vendors.export_pending(world.ctx())
    vendor_id = vendors.show(world.entity, "sup-u")["qbo_vendor_id"]
    # The accountant edits the company name and the city in QuickBooks.
    world.sandbox.update_object(world.realm, "Vendor", vendor_id, {
        "CompanyName": "Upland Tools Incorporated",
        "BillAddr": {**qbo_vendor(world, vendor_id)["BillAddr"], "City": "Clovis"}})
    # A PUT changing the company name (conflict), the phone and the street (not conflicts).
    change = {**body, "company_name": "Upland Tools Corp", "phone": "+1 415 555 0199",
              "billing_address": {"line1": "2 Upland Rd", "city": "Fresno"}}
    requested = vendors.update(world.entity, "sup-u", change)
    assert requested["update"]["state"] == "requested"
    assert vendors.update(world.entity, "sup-u", change) == requested  # the same PUT again
    vendors.export_pending(world.ctx())
    update = vendors.show(world.entity, "sup-u")["update"]
    assert update["state"] == "done"
    assert update["sent_fields"] == ["billing_address.line1", "phone"]
    assert update["conflicts"] == [{
        "field": "company_name", "ours_before": "Upland Tools LLC",
        "quickbooks_now": "Upland Tools Incorporated", "wanted": "Upland Tools Corp"}]
    qbo = qbo_vendor(world, vendor_id)
    assert qbo["CompanyName"] == "Upland Tools Incorporated"  # not overwritten
    assert qbo["PrimaryPhone"]["FreeFormNumber"] == "+1 415 555 0199"
    assert qbo["BillAddr"]["Line1"] == "2 Upland Rd"
    assert qbo["BillAddr"]["City"] == "Clovis"  # the accountant's city kept
    # The master data follows at once.
    record = RecordStore().lookup(world.org_id, world.le_id, [("Vendor", vendor_id)],
                                  with_body=True)[("Vendor", vendor_id)]
    assert record.data is not None
    assert record.data["PrimaryPhone"]["FreeFormNumber"] == "+1 415 555 0199"
    # Only the conflicting field again: nothing is sent.
    again = {**change, "company_name": "Upland Tools Company"}
    vendors.update(world.entity, "sup-u", again)
    ctx = world.ctx()
    vendors.export_pending(ctx)
    update = vendors.show(world.entity, "sup-u")["update"]
    assert update["state"] == "conflict"
    assert [c["field"] for c in update["conflicts"]] == ["company_name"]
    assert "company_name" in update["message"]
    assert ctx.counter.get("update") == 0
    assert qbo_vendor(world, vendor_id)["CompanyName"] == "Upland Tools Incorporated"
    # Accepting QuickBooks' value ends the conflict.
    vendors.update(world.entity, "sup-u", {**change, "company_name": "Upland Tools Incorporated"})
    vendors.export_pending(world.ctx())
    assert vendors.show(world.entity, "sup-u")["update"]["state"] == "done"


def test_quickbooks_refusing_a_reference_fails_naming_the_field(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors()
    vendors.submit(world.entity, supplier("sup-t", "Termless Traders", terms_id="9999"))
    counts = vendors.export_pending(ctx := world.ctx())
    assert counts.failed == 1
    failure = vendors.show(world.entity, "sup-t")["failure"]
    assert failure["code"] == "invalid_reference" and failure["field"] == "terms_id"
    assert "terms_id" in failure["message"] and failure["qbo_error"]["code"] == "2500"
    assert ctx.run.errors[0]["code"] == "invalid_reference"
    # Corrected, it is created (a new attempt: a new requestid).
    vendors.submit(world.entity, supplier("sup-t", "Termless Traders"))
    vendors.export_pending(world.ctx())
    assert vendors.show(world.entity, "sup-t")["state"] == "exported"


def test_a_put_before_export_replaces_the_queued_supplier(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors()
    vendors.submit(world.entity, supplier("sup-q", "Quarry Supplies"))
    vendors.update(world.entity, "sup-q", {"display_name": "Quarry Supply Co"})
    vendors.export_pending(world.ctx())
    view = vendors.show(world.entity, "sup-q")
    assert view["state"] == "exported"
    assert qbo_vendor(world, view["qbo_vendor_id"])["DisplayName"] == "Quarry Supply Co"
    with pytest.raises(InvalidInput) as wrong:
        vendors.update(world.entity, "sup-q", {"ap_supplier_id": "other", "display_name": "x"})
    assert wrong.value.field == "ap_supplier_id"


def test_deactivation_mirrors_quickbooks(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors()
    vendors.submit(world.entity, supplier("sup-d", "Dormant Deliveries"))
    vendors.submit(world.entity, supplier("sup-n", NORTON))  # matched: it has open bills
    vendors.export_pending(world.ctx())
    view = vendors.deactivate(world.entity, "sup-d", reason="supplier closed")
    assert view["update"]["state"] == "requested" and view["update"]["kind"] == "deactivate"
    vendors.deactivate(world.entity, "sup-n")
    vendors.export_pending(ctx := world.ctx())
    done = vendors.show(world.entity, "sup-d")
    assert done["update"]["state"] == "done" and done["active"] is False
    vendor_id = done["qbo_vendor_id"]
    qbo = qbo_vendor(world, vendor_id)
    assert qbo["Active"] is False and qbo["DisplayName"] == "Dormant Deliveries (deleted)"
    record = RecordStore().lookup(world.org_id, world.le_id, [("Vendor", vendor_id)])
    assert record[("Vendor", vendor_id)].active is False
    # A vendor with an open balance is refused in words, and stays active.
    norton = vendors.show(world.entity, "sup-n")
    assert norton["update"]["state"] == "refused" and norton["active"] is True
    assert "open balance" in norton["update"]["message"]
    assert qbo_vendor(world, norton["qbo_vendor_id"])["Active"] is True
    assert any(e["code"] == "vendor_update_refused" for e in ctx.run.errors)
    # Deactivated: a change is refused until the vendor is active again.
    with pytest.raises(Conflict) as inactive:
        vendors.update(world.entity, "sup-d", supplier("sup-d", "Dormant Deliveries 2"))
    assert inactive.value.code == "vendor_inactive"
    vendors.submit(world.entity, supplier("sup-q", "Queued Quill"))
    with pytest.raises(Conflict) as queued:
        vendors.deactivate(world.entity, "sup-q")
    assert queued.value.code == "vendor_not_exported"


def test_a_worker_killed_after_quickbooks_answered_recovers_without_a_second_vendor(
    make_world: Any,
) -> None:
    class Killed(BaseException):
        pass

    kill = {"on": True}

    def after_batch(records: Any, results: Any) -> None:
        if kill.pop("on", False):
            raise Killed()

    world = make_world()
    vendors = world.vendors(after_batch=after_batch, existing_vendor="refuse")
    vendors.submit(world.entity, supplier("sup-k", "Kestrel Couriers"))
    with pytest.raises(Killed):
        vendors.export_pending(world.ctx())
    assert vendors.show(world.entity, "sup-k")["state"] == "exporting"
    assert len(vendors_named(world, "Kestrel Couriers")) == 1
    world.clock.advance(vendors.engine.lease_seconds + 1)
    counts = vendors.export_pending(ctx := world.ctx())
    assert counts.recovered == 1 and ctx.counter.get("batch") == 0
    view = vendors.show(world.entity, "sup-k")
    assert view["state"] == "exported" and not view.get("matched")  # ours, even under refuse
    assert len(vendors_named(world, "Kestrel Couriers")) == 1
    assert view["qbo_vendor_id"] == vendors_named(world, "Kestrel Couriers")[0]["Id"]


@pytest.mark.parametrize(("change", "field"), [
    ({"ap_supplier_id": None}, "ap_supplier_id"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "Acme: East"}, "display_name"),
    ({"email": "nope"}, "email"),
    ({"billing_address": {"zip": "1"}}, "billing_address.zip"),
    ({"terms_id": "net 30"}, "terms_id"),
    ({"currency": "Dollars"}, "currency"),
    ({"vendor_1099": 1}, "vendor_1099"),
    ({"colour": "red"}, "colour"),
])
def test_every_validation_error_names_its_field(
    make_world: Any, change: dict[str, Any], field: str,
) -> None:
    world = make_world()
    vendors = world.vendors()
    with pytest.raises(InvalidInput) as err:
        vendors.submit(world.entity, {**supplier("sup-x", "Valid Name"), **change})
    assert err.value.field == field


def test_us_fields_are_refused_for_a_company_outside_the_us(make_world: Any) -> None:
    world = make_world()
    world.entity.country = "CA"
    vendors = world.vendors()
    with pytest.raises(InvalidInput) as err:
        vendors.submit(world.entity, supplier("sup-ca", "Maple Inc", vendor_1099=True))
    assert err.value.field == "vendor_1099"
    world.entity.country = "US"
    vendors.submit(world.entity, supplier("sup-us", "Eagle Inc", vendor_1099=True,
                                          tax_id="12-3456789"))
    vendors.export_pending(world.ctx())
    view = vendors.show(world.entity, "sup-us")
    assert qbo_vendor(world, view["qbo_vendor_id"])["Vendor1099"] is True


def test_listing_filters_by_state(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors(existing_vendor="refuse")
    vendors.submit(world.entity, supplier("sup-1", "Listed One"))
    vendors.submit(world.entity, supplier("sup-2", HICKS))
    vendors.export_pending(world.ctx())
    listed = vendors.list_page(world.entity, None, 50, None)["items"]
    assert {v["ap_supplier_id"]: v["state"] for v in listed} == {
        "sup-1": "exported", "sup-2": "duplicate"}
    dups = vendors.list_page(world.entity, "duplicate", 50, None)["items"]
    assert [v["ap_supplier_id"] for v in dups] == ["sup-2"]
    with pytest.raises(InvalidInput):
        vendors.list_page(world.entity, "matched", 50, None)


def test_a_legal_entity_not_exporting_vendors_refuses_suppliers(make_world: Any) -> None:
    world = make_world()
    vendors = world.vendors(enabled=lambda entity: False)
    with pytest.raises(PreconditionFailed) as off:
        vendors.submit(world.entity, supplier("sup-off", "Offline Outfitters"))
    assert off.value.code == "vendors_not_enabled"
    world.entity.realm_id = world.entity.data_realm_id = None
    with pytest.raises(PreconditionFailed) as unconnected:
        world.vendors().submit(world.entity, supplier("sup-off", "Offline Outfitters"))
    assert unconnected.value.code == "not_connected"
