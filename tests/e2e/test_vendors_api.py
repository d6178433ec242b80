"""Vendors end to end over the local stack: the real EntityApiFunction invoked with the
samples in events/, the sync worker's export job (`stack.drain()`), moto and the QBO
sandbox. A brand-new supplier and its first bill and credit note go out in one flow; a
name collision is matched or refused; an update meets the accountant's edit; a vendor is
deactivated."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.test_bills_api import SERVICE, Entity, connected
from tests.events import api_event, load_event
from tests.flows import body_of, member_claims, ops

SAMPLE = json.loads(load_event("api-post-vendor.json")["body"])


class Vendors:
    """One connected legal entity exporting vendors, bills and credits, and its routes."""

    def __init__(self, entity: Entity, **profile: Any) -> None:
        self.entity = entity
        self.stack = entity.stack
        wanted = {"export_bills": True, "export_vendor_credits": True, "export_vendors": True,
                  **profile}
        assert ops(self.stack, "ops-put-sync-profile.json", org_id=entity.org,
                   legal_entity_id=entity.le, profile=wanted)["ok"]

    def _api(self, sample: str, claims: dict[str, str] | None = None, *,
             supplier_id: str | None = None, **kw: Any) -> tuple[int, Any]:
        event = api_event(sample, entity_id=self.entity.le,
                          claims=claims or {**SERVICE, "org_id": self.entity.org}, **kw)
        if supplier_id is not None:
            sample_id = event["pathParameters"]["apSupplierId"]
            event["pathParameters"]["apSupplierId"] = supplier_id
            event["rawPath"] = event["rawPath"].replace(f"/{sample_id}", f"/{supplier_id}")
            event["requestContext"]["http"]["path"] = event["rawPath"]
        result = self.stack.invoke("EntityApiFunction", event)
        return result["statusCode"], body_of(result)

    def post(self, body: dict[str, Any], claims: dict[str, str] | None = None
             ) -> tuple[int, Any]:
        return self._api("api-post-vendor.json", claims, body=body)

    def put(self, supplier_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self._api("entity-api-put-vendor.json", supplier_id=supplier_id, body=body)

    def deactivate(self, supplier_id: str) -> tuple[int, Any]:
        return self._api("entity-api-deactivate-vendor.json", supplier_id=supplier_id,
                         body={"reason": "Supplier closed"})

    def get(self, supplier_id: str) -> dict[str, Any]:
        status, body = self._api("entity-api-get-vendor.json", member_claims(self.entity.org),
                                 supplier_id=supplier_id)
        assert status == 200, body
        return dict(body)

    def list(self, **query: str) -> dict[str, Any]:
        status, body = self._api("entity-api-list-vendors.json", member_claims(self.entity.org),
                                 query=query)
        assert status == 200, body
        return dict(body)

    def qbo(self, vendor_id: str) -> dict[str, Any]:
        return dict(self.entity.sandbox.get_object(self.entity.realm, "Vendor", vendor_id))


def test_a_new_supplier_its_first_bill_and_a_credit_note_in_one_flow(
    stack: Any, ids: dict[str, str]
) -> None:
    vendors = Vendors(connected(stack, ids))
    entity = vendors.entity
    status, queued = vendors.post(SAMPLE)
    assert status == 202 and queued["state"] == "queued", queued
    # The bill and the credit note name the supplier: no vendor id exists yet.
    bill = {**entity.invoice("ap-cps-1", "CPS-1001", amount="410.00"),
            "ap_supplier_id": SAMPLE["ap_supplier_id"]}
    del bill["vendor_id"]
    status, waiting = entity.post(bill)
    assert status == 202 and waiting["state"] == "waiting_for_vendor", waiting
    credit = json.loads(load_event("api-post-vendor-credit.json")["body"])
    credit.pop("vendor_id")
    credit.pop("pdf")
    credit["ap_supplier_id"] = SAMPLE["ap_supplier_id"]
    credit["lines"][0]["account_id"] = entity.id_of("Account", "Advertising")
    event = api_event("api-post-vendor-credit.json", entity_id=entity.le,
                      claims={**SERVICE, "org_id": entity.org}, body=credit)
    result = stack.invoke("EntityApiFunction", event)
    assert result["statusCode"] == 202, result
    assert body_of(result)["state"] == "waiting_for_vendor"

    stack.drain()  # the export job: the vendor, then the bill and the credit

    vendor = vendors.get(SAMPLE["ap_supplier_id"])
    assert vendor["state"] == "exported", vendor
    qbo = vendors.qbo(vendor["qbo_vendor_id"])
    assert qbo["DisplayName"] == SAMPLE["display_name"]
    assert qbo["PrimaryEmailAddr"]["Address"] == SAMPLE["email"]
    assert qbo["BillAddr"]["PostalCode"] == SAMPLE["billing_address"]["postal_code"]
    assert qbo["AcctNum"] == SAMPLE["account_number"]
    exported = entity.get("ap-cps-1")
    assert exported["state"] == "exported" and exported["vendor_id"] == vendor["qbo_vendor_id"]
    qbo_bill = entity.sandbox.get_object(entity.realm, "Bill", exported["qbo_bill_id"])
    assert qbo_bill["VendorRef"]["value"] == vendor["qbo_vendor_id"]
    status, shown = stack_get_credit(stack, entity, credit["ap_credit_id"])
    assert status == 200 and shown["state"] == "exported", shown
    assert shown["vendor_id"] == vendor["qbo_vendor_id"]
    assert vendors.list(state="exported")["items"][0]["ap_supplier_id"] == SAMPLE["ap_supplier_id"]
    # The new vendor is in the imported records at once (GET .../records/vendors), no sync.
    event = api_event("entity-api-list-records.json", entity_id=entity.le,
                      claims=member_claims(entity.org), query={"limit": "500"})
    result = stack.invoke("EntityApiFunction", event)
    assert result["statusCode"] == 200, result
    records = {r["id"]: r for r in body_of(result)["items"]}
    assert records[vendor["qbo_vendor_id"]]["name"] == SAMPLE["display_name"]
    # Everything again: nothing new in QBO.
    assert vendors.post(SAMPLE)[0] == 202
    assert entity.post(bill)[1]["qbo_bill_id"] == exported["qbo_bill_id"]
    stack.drain()
    named = [v for v in entity.sandbox.list_objects(entity.realm, "Vendor")
             if v["DisplayName"] == SAMPLE["display_name"]]
    assert len(named) == 1


def stack_get_credit(stack: Any, entity: Entity, credit_id: str) -> tuple[int, Any]:
    event = api_event("entity-api-get-vendor-credit.json", entity_id=entity.le,
                      claims=member_claims(entity.org))
    sample_id = event["pathParameters"]["apCreditId"]
    event["pathParameters"]["apCreditId"] = credit_id
    event["rawPath"] = event["rawPath"].replace(f"/{sample_id}", f"/{credit_id}")
    event["requestContext"]["http"]["path"] = event["rawPath"]
    result = stack.invoke("EntityApiFunction", event)
    return result["statusCode"], body_of(result)


def test_name_collisions_with_a_vendor_and_with_a_customer(stack: Any, ids: dict[str, str]
                                                            ) -> None:
    vendors = Vendors(connected(stack, ids), existing_vendor="refuse")
    entity = vendors.entity
    hicks = entity.id_of("Vendor", "Hicks Hardware")
    assert vendors.post({"ap_supplier_id": "sup-h", "display_name": "hicks  HARDWARE"})[0] == 202
    customer = next(iter(entity.names["Customer"]))
    assert vendors.post({"ap_supplier_id": "sup-c", "display_name": customer})[0] == 202
    stack.drain()
    duplicate = vendors.get("sup-h")
    assert duplicate["state"] == "duplicate", duplicate
    assert duplicate["duplicate_of"]["qbo_vendor_id"] == hicks
    failed = vendors.get("sup-c")
    assert failed["state"] == "failed" and failed["failure"]["code"] == "name_used_by_customer"
    assert failed["failure"]["field"] == "display_name"
    # The match policy: the same supplier is matched to the existing vendor.
    assert ops(stack, "ops-put-sync-profile.json", org_id=entity.org, legal_entity_id=entity.le,
               profile={"existing_vendor": "match"})["ok"]
    assert vendors.post({"ap_supplier_id": "sup-h2", "display_name": "Hicks Hardware"})[0] == 202
    stack.drain()
    matched = vendors.get("sup-h2")
    assert matched["state"] == "exported" and matched["matched"] is True
    assert matched["qbo_vendor_id"] == hicks
    named = [v for v in entity.sandbox.list_objects(entity.realm, "Vendor")
             if v["DisplayName"].lower() == "hicks hardware"]
    assert len(named) == 1


def test_an_update_meets_the_accountants_edit_and_a_deactivation(
    stack: Any, ids: dict[str, str]
) -> None:
    vendors = Vendors(connected(stack, ids))
    entity = vendors.entity
    vendors.post(SAMPLE)
    stack.drain()
    vendor_id = vendors.get(SAMPLE["ap_supplier_id"])["qbo_vendor_id"]
    # The accountant changes the phone in QuickBooks.
    entity.sandbox.update_object(entity.realm, "Vendor", vendor_id,
                                 {"PrimaryPhone": {"FreeFormNumber": "+1 503 555 0000"}})
    put = json.loads(load_event("entity-api-put-vendor.json")["body"])
    status, answer = vendors.put(SAMPLE["ap_supplier_id"], put)
    assert status == 202 and answer["update"]["state"] == "requested", answer
    stack.drain()
    after = vendors.get(SAMPLE["ap_supplier_id"])
    update = after["update"]
    assert update["state"] == "done", after
    assert update["conflicts"] == [{"field": "phone", "ours_before": SAMPLE["phone"],
                                    "quickbooks_now": "+1 503 555 0000",
                                    "wanted": put["phone"]}]
    qbo = vendors.qbo(vendor_id)
    assert qbo["PrimaryEmailAddr"]["Address"] == put["email"]  # ours, sent
    assert qbo["PrimaryPhone"]["FreeFormNumber"] == "+1 503 555 0000"  # theirs, kept
    status, answer = vendors.deactivate(SAMPLE["ap_supplier_id"])
    assert status == 202, answer
    stack.drain()
    assert vendors.get(SAMPLE["ap_supplier_id"])["active"] is False
    assert vendors.qbo(vendor_id)["Active"] is False


def test_permissions_and_field_errors(stack: Any, ids: dict[str, str]) -> None:
    vendors = Vendors(connected(stack, ids))
    status, body = vendors.post(SAMPLE, member_claims(vendors.entity.org))
    assert status == 403, body
    status, body = vendors.post({**SAMPLE, "email": "not an address"})
    assert status == 400 and body["error"]["field"] == "email", body
    status, body = vendors.post({**SAMPLE, "display_name": "Bad: name"})
    assert status == 400 and body["error"]["field"] == "display_name", body
    status, body = vendors.post({**SAMPLE, "fax": "1"})
    assert status == 400 and body["error"]["field"] == "fax", body
    status, body = vendors.put("sup-none", {"display_name": "X"})
    assert status == 404 and body["error"]["code"] == "supplier_not_found", body
    assert ops(vendors.stack, "ops-put-sync-profile.json", org_id=vendors.entity.org,
               legal_entity_id=vendors.entity.le, profile={"export_vendors": False})["ok"]
    status, body = vendors.post(SAMPLE)
    assert status == 412 and body["error"]["code"] == "vendors_not_enabled", body
