"""Vendor credits (credit notes) end to end over the local stack: the real EntityApiFunction
invoked with the samples in events/, the worker's export job (`stack.drain()`), the QBO
sandbox; then the credit applied in a payment by its ap_credit_id."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.test_bills_api import SERVICE, Entity, connected
from tests.e2e.test_payments_api import Payments
from tests.events import api_event, load_event
from tests.flows import body_of, member_claims, ops

NORTON = "Norton Lumber and Building Materials"


class Credits:
    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.stack = entity.stack
        assert ops(self.stack, "ops-put-sync-profile.json", org_id=entity.org,
                   legal_entity_id=entity.le,
                   profile={"export_bills": True, "export_vendor_credits": True})["ok"]

    def _api(self, sample: str, claims: dict[str, str] | None = None, *,
             credit_id: str | None = None, **kw: Any) -> tuple[int, Any]:
        event = api_event(sample, entity_id=self.entity.le,
                          claims=claims or {**SERVICE, "org_id": self.entity.org}, **kw)
        if credit_id is not None:
            sample_id = event["pathParameters"]["apCreditId"]
            event["pathParameters"]["apCreditId"] = credit_id
            event["rawPath"] = event["rawPath"].replace(f"/{sample_id}", f"/{credit_id}")
            event["requestContext"]["http"]["path"] = event["rawPath"]
        result = self.stack.invoke("EntityApiFunction", event)
        return result["statusCode"], body_of(result)

    def post(self, credit: dict[str, Any], claims: dict[str, str] | None = None
             ) -> tuple[int, Any]:
        return self._api("api-post-vendor-credit.json", claims, body=credit)

    def get(self, credit_id: str) -> dict[str, Any]:
        status, body = self._api("entity-api-get-vendor-credit.json",
                                 member_claims(self.entity.org), credit_id=credit_id)
        assert status == 200, body
        return dict(body)

    def credit(self, ap_id: str, number: str, amount: str = "30.00") -> dict[str, Any]:
        return {
            "ap_credit_id": ap_id,
            "vendor_id": self.entity.id_of("Vendor", NORTON),
            "credit_number": number,
            "credit_date": "2025-10-15",
            "lines": [{"amount": amount, "account_id": self.entity.id_of("Account", "Advertising"),
                       "description": "Returned"}],
        }


def test_a_credit_note_exported_once_then_applied_in_a_payment(stack: Any, ids: dict[str, str]
                                                                ) -> None:
    credits = Credits(connected(stack, ids))
    entity = credits.entity
    status, queued = credits.post(credits.credit("cr-1", "CN-1"))
    assert status == 202 and queued["state"] == "queued", queued
    assert credits.post(credits.credit("cr-1", "CN-1")) == (202, queued)
    stack.drain()  # the export job the submission queued
    shown = credits.get("cr-1")
    assert shown["state"] == "exported", shown
    assert shown["credit"]["remaining"] == 30.0
    qbo = entity.sandbox.get_object(entity.realm, "VendorCredit", shown["qbo_vendor_credit_id"])
    assert qbo["DocNumber"] == "CN-1" and qbo["Balance"] == 30.0
    # The same vendor and number under another AP id: a duplicate, not a second credit.
    status, dup = credits.post(credits.credit("cr-2", "CN-1"))
    assert status == 202 and dup["state"] == "duplicate", dup
    assert dup["duplicate_of"]["ap_credit_id"] == "cr-1"
    # A changed credit after export: 409 in a credit's words.
    status, refused = credits.post(credits.credit("cr-1", "CN-1", amount="31.00"))
    assert status == 409 and "AP credit cr-1" in refused["error"]["message"], refused
    # Applied in a payment by its AP id: the remaining credit is read back.
    pay = Payments(entity)
    assert ops(stack, "ops-put-sync-profile.json", org_id=entity.org, legal_entity_id=entity.le,
               profile={"export_vendor_credits": True})["ok"]
    pay.exported_bill("ap-1", "PAYCR-1", amount="100.00")
    payment = pay.payment("appay-1", [("ap-1", "100.00")])
    payment["amount"] = "80.00"
    payment["vendor_credits"] = [{"ap_credit_id": "cr-1", "amount": "20.00"}]
    status, body = pay.post(payment)
    assert status == 202, body
    stack.drain()
    assert pay.get("appay-1")["state"] == "exported"
    after = credits.get("cr-1")
    assert after["credit"] == {"state": "partially_applied", "total": 30.0, "remaining": 10.0,
                               "applied": 20.0}, after


def test_permissions_and_field_names(stack: Any, ids: dict[str, str]) -> None:
    credits = Credits(connected(stack, ids))
    status, body = credits.post(credits.credit("cr-1", "CN-9"), member_claims(credits.entity.org))
    assert status == 403, body
    bad = {**credits.credit("cr-1", "CN-9"), "invoice_number": "X"}
    status, body = credits.post(bad)
    assert status == 400 and body["error"]["field"] == "invoice_number", body
    status, body = credits.post({**credits.credit("cr-1", "CN-9"), "credit_date": "2025-02-30"})
    assert status == 400 and body["error"]["field"] == "credit_date", body
    status, listed = credits._api("entity-api-list-vendor-credits.json",
                                  member_claims(credits.entity.org))
    assert status == 200 and listed["items"] == [], listed


def test_the_sample_event_is_valid_against_the_route(stack: Any, ids: dict[str, str]) -> None:
    credits = Credits(connected(stack, ids))
    entity = credits.entity
    stack.client("s3").create_bucket(Bucket="ap-platform-invoices")
    event = api_event("api-post-vendor-credit.json", entity_id=entity.le,
                      claims={**SERVICE, "org_id": entity.org})
    body = json.loads(load_event("api-post-vendor-credit.json")["body"])
    body["vendor_id"] = entity.id_of("Vendor", NORTON)
    body["lines"][0]["account_id"] = entity.id_of("Account", "Advertising")
    key = f"{entity.org}/{entity.le}/{body['ap_credit_id']}.pdf"
    stack.client("s3").put_object(Bucket="ap-platform-invoices", Key=key, Body=b"%PDF-1.4 cn")
    body["pdf"]["key"] = key
    event["body"] = json.dumps(body)
    result = stack.invoke("EntityApiFunction", event)
    assert result["statusCode"] == 202, result
    stack.drain()
    shown = credits.get(body["ap_credit_id"])
    assert shown["state"] == "exported", shown
    assert shown["attachment"]["state"] == "attached", shown


def test_a_duplicate_of_the_accountants_credit_is_marked_exported_by_ops(
    stack: Any, ids: dict[str, str]
) -> None:
    credits = Credits(connected(stack, ids))
    entity = credits.entity
    typed = entity.sandbox.create_object(entity.realm, "VendorCredit", {
        "VendorRef": {"value": entity.id_of("Vendor", NORTON)}, "DocNumber": "CN-TYPED",
        "TxnDate": "2025-10-14",
        "Line": [{"Amount": 30.0, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": entity.id_of("Account", "Advertising")}}}]})
    assert credits.post(credits.credit("cr-t", "CN-TYPED"))[0] == 202
    stack.drain()
    assert credits.get("cr-t")["state"] == "duplicate"
    marked = ops(stack, "ops-mark-vendor-credit-exported.json", org_id=entity.org,
                 legal_entity_id=entity.le, ap_credit_id="cr-t", qbo_vendor_credit_id=None)
    assert marked["ok"], marked
    shown = credits.get("cr-t")
    assert shown["state"] == "exported" and shown["qbo_vendor_credit_id"] == typed["Id"]
    assert shown["marked_by"]["operator"] == "jane.support@example.com"
    refused = ops(stack, "ops-mark-vendor-credit-exported.json", org_id=entity.org,
                  legal_entity_id=entity.le, ap_credit_id="cr-none")
    assert not refused["ok"] and refused["error"]["code"] == "credit_not_found", refused
