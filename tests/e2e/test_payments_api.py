"""Payment export end to end over the local stack: the real handlers invoked with the
samples in events/, moto (tables, queue, S3) and the QBO sandbox.

Every legal entity is connected through the consent flow and imports its master data
with a first SmartSync (the real importer); support turns export_payments on in its
sync profile (ops put_sync_profile). Bills are exported first (the prompt export
message, delivered by `stack.drain()`), then AP payments are queued through the
EntityApiFunction and exported by the same worker job as QBO BillPayments, checked
both through our API and directly in the sandbox's objects.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.test_bills_api import SERVICE, Entity, connected
from tests.events import api_event, load_event
from tests.flows import body_of, member_claims, ops

NORTON = "Norton Lumber and Building Materials"


class Payments:
    """One connected legal entity with export_payments on, and its payment routes."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.stack = entity.stack
        self.checking = entity.id_of("Account", "Checking")
        profile = ops(
            self.stack,
            "ops-put-sync-profile.json",
            org_id=entity.org,
            legal_entity_id=entity.le,
            profile={"export_bills": True, "export_payments": True,
                     "payment_bank_account_id": self.checking},
        )
        assert profile["ok"], profile

    def _api(self, sample: str, claims: dict[str, str] | None = None, *,
             pay_id: str | None = None, **kw: Any) -> tuple[int, Any]:
        event = api_event(sample, entity_id=self.entity.le,
                          claims=claims or {**SERVICE, "org_id": self.entity.org}, **kw)
        if pay_id is not None:
            sample_id = event["pathParameters"]["apPaymentId"]
            event["pathParameters"]["apPaymentId"] = pay_id
            event["rawPath"] = event["rawPath"].replace(f"/{sample_id}", f"/{pay_id}")
            event["requestContext"]["http"]["path"] = event["rawPath"]
        result = self.stack.invoke("EntityApiFunction", event)
        return result["statusCode"], body_of(result)

    def post(self, payment: dict[str, Any], claims: dict[str, str] | None = None
             ) -> tuple[int, Any]:
        return self._api("api-post-payment.json", claims, body=payment)

    def post_raw(self, event: dict[str, Any]) -> tuple[int, Any]:
        result = self.stack.invoke("EntityApiFunction", event)
        return result["statusCode"], body_of(result)

    def get(self, pay_id: str) -> dict[str, Any]:
        status, body = self._api("entity-api-get-payment.json", member_claims(self.entity.org),
                                 pay_id=pay_id)
        assert status == 200, body
        return dict(body)

    def list(self, **query: str) -> dict[str, Any]:
        status, body = self._api("entity-api-list-payments.json",
                                 member_claims(self.entity.org), query=query)
        assert status == 200, body
        return dict(body)

    def void(self, pay_id: str, reason: str = "Cheque returned by the bank"
             ) -> tuple[int, Any]:
        return self._api("entity-api-void-payment.json", pay_id=pay_id, body={"reason": reason})

    def exported_bill(self, ap_id: str, number: str, amount: str = "200.00",
                      vendor: str = NORTON) -> dict[str, Any]:
        status, body = self.entity.post(self.entity.invoice(ap_id, number, vendor=vendor,
                                                            amount=amount))
        assert status == 202, body
        self.stack.drain()
        shown = self.entity.get(ap_id)
        assert shown["state"] == "exported", shown
        return shown

    def payment(self, pay_id: str, bills: list[tuple[str, str]],
                credits: list[tuple[str, str]] = (), vendor: str = NORTON,  # type: ignore[assignment]
                **extra: Any) -> dict[str, Any]:
        billed = sum(float(a) for _, a in bills) - sum(float(a) for _, a in credits)
        body: dict[str, Any] = {
            "ap_payment_id": pay_id,
            "vendor_id": self.entity.id_of("Vendor", vendor),
            "payment_date": "2025-11-05",
            "amount": f"{billed:.2f}",
            "method": "check",
            "check_number": "10452",
            "memo": "November run",
            "bills": [{"ap_invoice_id": ap, "amount": a} for ap, a in bills],
        }
        if credits:
            body["vendor_credits"] = [{"vendor_credit_id": c, "amount": a} for c, a in credits]
        body.update(extra)
        return body

    def qbo_bill_payments(self, pay_id: str) -> list[dict[str, Any]]:
        marker = f"[AP payment {pay_id}]"
        return [p for p in self.entity.sandbox.list_objects(self.entity.realm, "BillPayment")
                if marker in (p.get("PrivateNote") or "")]


def test_payment_exported_shown_listed_idempotent_and_conflicting(
    stack: Any, ids: dict[str, str]
) -> None:
    pay = Payments(connected(stack, ids))
    entity = pay.entity
    bill = pay.exported_bill("ap-1", "PAY-1", amount="200.00")

    payment = pay.payment("appay-1", [("ap-1", "120.00")])
    status, queued = pay.post(payment)
    assert status == 202, queued
    assert queued["state"] == "queued", queued
    assert queued["amount"] == "120.00"
    # The same body again: the same answer.
    assert pay.post(json.loads(json.dumps(payment))) == (202, queued)

    stack.drain()  # the export_bills message: bills, then payments
    shown = pay.get("appay-1")
    assert shown["state"] == "exported", shown
    payment_id = shown["qbo_bill_payment_id"]
    assert shown["qbo_link"].endswith(f"txnId={payment_id}")
    assert shown["bills"][0]["qbo_bill_id"] == bill["qbo_bill_id"]
    assert shown["bill_balances"]["ap-1"]["balance"] == 80.0, shown

    in_qbo = entity.sandbox.get_object(entity.realm, "BillPayment", payment_id)
    assert in_qbo["VendorRef"]["value"] == payment["vendor_id"]
    assert in_qbo["PayType"] == "Check"
    assert in_qbo["TotalAmt"] == 120.0
    assert in_qbo["CheckPayment"]["BankAccountRef"]["value"] == pay.checking  # the default
    assert in_qbo["DocNumber"] == "10452"
    assert "[AP payment appay-1]" in in_qbo["PrivateNote"]
    (line,) = in_qbo["Line"]
    assert line["LinkedTxn"] == [{"TxnId": bill["qbo_bill_id"], "TxnType": "Bill"}]
    assert entity.sandbox.get_object(entity.realm, "Bill", bill["qbo_bill_id"])["Balance"] == 80.0

    # After the export, the same body is still the same (now exported) answer.
    status, again = pay.post(payment)
    assert status == 202 and again == shown, again
    # A different body for the exported payment: 409, nothing changes in QBO.
    status, conflict = pay.post({**payment, "memo": "changed"})
    assert status == 409, conflict
    assert conflict["error"]["code"] == "payment_already_exported", conflict
    stack.drain()
    assert len(pay.qbo_bill_payments("appay-1")) == 1

    # A second payment, of a bill not exported yet: it waits for it. The list, filtered.
    assert entity.post(entity.invoice("ap-2", "PAY-2", amount="50.00"))[0] == 202
    status, waiting = pay.post(pay.payment("appay-2", [("ap-2", "50.00")]))
    assert status == 202 and waiting["state"] == "waiting_for_bills", waiting
    assert "ap-2" in waiting["waiting"]["ap_invoice_ids"]
    assert {p["ap_payment_id"] for p in pay.list()["items"]} == {"appay-1", "appay-2"}
    assert [p["ap_payment_id"] for p in pay.list(state="exported")["items"]] == ["appay-1"]
    assert [p["ap_payment_id"] for p in pay.list(state="waiting_for_bills")["items"]] == [
        "appay-2"]
    assert pay.list(state="voided")["items"] == []
    stack.drain()  # the bill, then right after it its payment
    assert pay.get("appay-2")["state"] == "exported"
    assert {p["ap_payment_id"] for p in pay.list(state="exported")["items"]} == {
        "appay-1", "appay-2"}


def test_permissions_and_bodies_refused_naming_the_field(stack: Any, ids: dict[str, str]
                                                         ) -> None:
    pay = Payments(connected(stack, ids))
    pay.exported_bill("ap-1", "PAY-1", amount="200.00")
    payment = pay.payment("appay-1", [("ap-1", "100.00")])

    # Anyone may read; only the AP platform's service identity records payments.
    status, body = pay.post(payment, claims=member_claims(pay.entity.org))
    assert status == 403, body
    admin = {**member_claims(pay.entity.org), "role": "SystemAdministrator",
             "home_org_unit": "root", "home_org_unit_is_root": "true"}
    status, body = pay.post(payment, claims=admin)
    assert status == 403, body  # even a root administrator: payments come from the AP platform
    status, body = pay._api("entity-api-void-payment.json", member_claims(pay.entity.org),
                            pay_id="appay-1", body={"reason": "no"})
    assert status == 403, body

    status, body = pay.post({**payment, "discount": "5.00"})
    assert (status, body["error"]["field"]) == (400, "discount"), body
    assert "is not a field of a payment; remove it" in body["error"]["message"]
    status, body = pay.post({**payment, "bills": [{"ap_invoice_id": "ap-1", "amount": "100.00",
                                                   "discount": "1.00"}]})
    assert (status, body["error"]["field"]) == (400, "bills[0].discount"), body

    status, body = pay.post(pay.payment("appay-2", [("ap-never", "10.00")]))
    assert status == 400, body
    assert body["error"]["field"] == "bills[0].ap_invoice_id", body
    assert "ap-never" in body["error"]["message"]

    stack.drain()
    assert pay.list()["items"] == []
    assert pay.qbo_bill_payments("appay-1") == []


def test_void_of_an_exported_payment_reopens_the_bill(stack: Any, ids: dict[str, str]) -> None:
    pay = Payments(connected(stack, ids))
    entity = pay.entity
    bill = pay.exported_bill("ap-1", "PAY-1", amount="200.00")
    qbo_bill_id = bill["qbo_bill_id"]
    assert pay.post(pay.payment("appay-1", [("ap-1", "200.00")]))[0] == 202
    stack.drain()
    exported = pay.get("appay-1")
    assert exported["state"] == "exported", exported
    assert entity.sandbox.get_object(entity.realm, "Bill", qbo_bill_id)["Balance"] == 0

    status, requested = pay.void("appay-1")
    assert status == 202, requested
    assert requested["state"] == "exported"
    assert requested["void"]["state"] == "requested", requested
    assert requested["void"]["reason"] == "Cheque returned by the bank"
    assert pay.void("appay-1") == (202, requested)  # asked twice: voided once

    stack.drain()  # the export job the void queued: the worker voids it in QBO
    voided = pay.get("appay-1")
    assert voided["state"] == "voided", voided
    assert voided["void"]["state"] == "voided"
    in_qbo = entity.sandbox.get_object(entity.realm, "BillPayment",
                                       exported["qbo_bill_payment_id"])
    assert in_qbo["TotalAmt"] == 0
    qbo_bill = entity.sandbox.get_object(entity.realm, "Bill", qbo_bill_id)
    assert qbo_bill["Balance"] == qbo_bill["TotalAmt"] == 200.0
    ours = entity.get("ap-1")["payment"]  # the bill's payment state, read back after the void
    assert (ours["state"], ours["balance"]) == ("unpaid", 200), ours
    assert [p["ap_payment_id"] for p in pay.list(state="voided")["items"]] == ["appay-1"]
    # Voided: a void again is the same answer, nothing more in QBO.
    assert pay.void("appay-1") == (202, voided)


def test_queued_payment_voided_at_once_never_sent(stack: Any, ids: dict[str, str]) -> None:
    pay = Payments(connected(stack, ids))
    pay.exported_bill("ap-1", "PAY-1", amount="200.00")
    assert pay.post(pay.payment("appay-1", [("ap-1", "60.00")]))[0] == 202
    status, voided = pay.void("appay-1")
    assert status == 202, voided
    assert voided["state"] == "voided", voided
    stack.drain()
    assert pay.get("appay-1")["state"] == "voided"
    assert pay.qbo_bill_payments("appay-1") == []


def test_payment_with_a_vendor_credit_applied(stack: Any, ids: dict[str, str]) -> None:
    pay = Payments(connected(stack, ids))
    entity = pay.entity
    bill = pay.exported_bill("ap-1", "PAY-1", amount="200.00")
    credit = next(c for c in entity.sandbox.list_objects(entity.realm, "VendorCredit")
                  if c.get("DocNumber") == "RMA-881")
    payment = pay.payment("appay-1", [("ap-1", "200.00")], [(credit["Id"], "25.00")])
    assert payment["amount"] == "175.00"
    status, queued = pay.post(payment)
    assert status == 202, queued
    stack.drain()
    shown = pay.get("appay-1")
    assert shown["state"] == "exported", shown
    in_qbo = entity.sandbox.get_object(entity.realm, "BillPayment", shown["qbo_bill_payment_id"])
    assert in_qbo["TotalAmt"] == 175.0
    assert entity.sandbox.get_object(entity.realm, "Bill", bill["qbo_bill_id"])["Balance"] == 0
    assert entity.sandbox.get_object(entity.realm, "VendorCredit", credit["Id"])["Balance"] == 0


def test_the_sample_event_is_valid_against_the_route(stack: Any, ids: dict[str, str]) -> None:
    """events/api-post-payment.json as it is, only its QBO ids replaced by this world's: its
    vendor, bank account and vendor credit (a 100.00 credit of that vendor, made here)."""
    pay = Payments(connected(stack, ids))
    entity = pay.entity
    sample = json.loads(load_event("api-post-payment.json")["body"])
    norton = entity.id_of("Vendor", NORTON)
    (paid,) = sample["bills"]
    (applied,) = sample["vendor_credits"]
    credit = entity.sandbox.create_object(entity.realm, "VendorCredit", {
        "VendorRef": {"value": norton}, "DocNumber": "RMA-SAMPLE", "TxnDate": "2025-10-15",
        "Line": [{"Amount": float(applied["amount"]),
                  "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": entity.id_of("Account", "Advertising")}}}],
    })
    pay.exported_bill(paid["ap_invoice_id"], "SAMPLE-1", amount=paid["amount"])
    ids_here = {
        "vendor_id": norton,
        "bank_account_id": pay.checking,
        "vendor_credits": [{**applied, "vendor_credit_id": credit["Id"]}],
    }
    event = api_event("api-post-payment.json", entity_id=entity.le,
                      claims={"org_id": entity.org}, body={**sample, **ids_here})
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["role"] == "Service"
    status, queued = pay.post_raw(event)
    assert status == 202, queued
    assert queued["ap_payment_id"] == sample["ap_payment_id"]
    assert queued["amount"] == sample["amount"]
    stack.drain()
    shown = pay.get(sample["ap_payment_id"])
    assert shown["state"] == "exported", shown
    in_qbo = entity.sandbox.get_object(entity.realm, "BillPayment", shown["qbo_bill_payment_id"])
    assert in_qbo["TotalAmt"] == float(sample["amount"])
    assert in_qbo["DocNumber"] == sample["check_number"]
    assert entity.sandbox.get_object(entity.realm, "VendorCredit", credit["Id"])["Balance"] == 0
