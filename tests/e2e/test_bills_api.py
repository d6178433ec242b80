"""Bill export end to end over the local stack: the real handlers invoked with the samples
in events/, moto (tables, queue, S3) and the QBO sandbox.

Every legal entity is connected through the consent flow and imports its master data
with a first SmartSync (the real importer), so bill references are validated against
what QuickBooks really holds. Bills are then queued through the EntityApiFunction,
exported by the sync worker (the prompt export message, delivered by `stack.drain()`),
and checked both through our API and directly in the sandbox's objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.events import api_event
from tests.flows import body_of, connected_tenant, member_claims, ops, sync

INVOICE_BUCKET = "ap-platform-invoices"
SERVICE = {"sub": "svc-ap-platform", "role": "Service", "name": "AP platform"}


@dataclass
class Entity:
    stack: Any
    org: str
    le: str
    realm: str
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def sandbox(self) -> Any:
        return self.stack.sandbox.sandbox

    def _api(self, sample: str, claims: dict[str, str] | None = None, *,
             le: str | None = None, ap_id: str | None = None, **kw: Any) -> tuple[int, Any]:
        entity_id = le or self.le
        event = api_event(sample, entity_id=entity_id,
                          claims=claims or {**SERVICE, "org_id": self.org}, **kw)
        if ap_id is not None:
            sample_id = event["pathParameters"]["apInvoiceId"]
            event["pathParameters"]["apInvoiceId"] = ap_id
            event["rawPath"] = event["rawPath"].replace(f"/{sample_id}", f"/{ap_id}")
            event["requestContext"]["http"]["path"] = event["rawPath"]
        result = self.stack.invoke("EntityApiFunction", event)
        return result["statusCode"], body_of(result)

    def post(self, invoice: dict[str, Any], claims: dict[str, str] | None = None,
             le: str | None = None) -> tuple[int, Any]:
        return self._api("api-post-bill.json", claims, le=le, body=invoice)

    def get(self, ap_id: str, claims: dict[str, str] | None = None) -> dict[str, Any]:
        status, body = self._api("entity-api-get-bill.json", claims or member_claims(self.org),
                                 ap_id=ap_id)
        assert status == 200, body
        return dict(body)

    def list(self, **query: str) -> dict[str, Any]:
        status, body = self._api("entity-api-list-bills.json", member_claims(self.org),
                                 query=query)
        assert status == 200, body
        return dict(body)

    def sync(self) -> dict[str, Any]:
        """POST /legal-entities/{id}/syncs (an incremental SmartSync) and run it."""
        return sync(self.stack, self.org, self.le)

    def id_of(self, kind: str, name: str) -> str:
        return self.names[kind][name]

    def invoice(self, ap_id: str, number: str, vendor: str = "Norton Lumber and Building "
                "Materials", amount: str = "125.50", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ap_invoice_id": ap_id,
            "vendor_id": self.id_of("Vendor", vendor),
            "invoice_number": number,
            "invoice_date": "2025-10-01",
            "lines": [{"amount": amount, "account_id": self.id_of("Account", "Advertising"),
                       "description": "Flyers"}],
        }
        body.update(extra)
        return body

    def qbo_bills(self, vendor_id: str, number: str) -> list[dict[str, Any]]:
        return [b for b in self.sandbox.list_objects(self.realm, "Bill")
                if b["VendorRef"]["value"] == vendor_id and b.get("DocNumber") == number]


def connected(stack: Any, ids: dict[str, str], **company_opts: Any) -> Entity:
    """Registered, connected through the consent page, profile set, first sync done."""
    org, le, realm = ids["org"], ids["le"], ids["realm"]
    connected_tenant(stack, org, le, realm, company="Bills Co", **company_opts)
    entity = Entity(stack, org, le, realm)
    for kind in ("Vendor", "Account", "Class", "Department", "Item", "Customer", "Term"):
        for obj in entity.sandbox.list_objects(realm, kind):
            name = obj.get("DisplayName") or obj.get("Name")
            entity.names.setdefault(kind, {})[str(name)] = str(obj["Id"])
    return entity


def test_bill_with_pdf_exported_promptly_and_field_by_field(stack: Any, ids: dict[str, str]
                                                            ) -> None:
    entity = connected(stack, ids, warn_duplicate_bill_number=True)
    s3 = stack.client("s3")
    s3.create_bucket(Bucket=INVOICE_BUCKET)
    key = f"{entity.org}/{entity.le}/ap-1.pdf"  # <org_id>/<legal_entity_id>/<file>
    pdf = b"%PDF-1.4 invoice INV-1001\n%%EOF\n"
    s3.put_object(Bucket=INVOICE_BUCKET, Key=key, Body=pdf, ContentType="application/pdf")
    item_id = next(iter(entity.names["Item"].values()))
    invoice = entity.invoice(
        "ap-1", "INV-1001", due_date="2025-10-31", terms_id=entity.id_of("Term", "Net 30"),
        department_id=entity.id_of("Department", "North County"), memo="October flyers",
        currency="USD",
        lines=[
            {"amount": "100.00", "account_id": entity.id_of("Account", "Advertising"),
             "class_id": entity.id_of("Class", "Design"), "description": "Flyers",
             "customer_id": entity.id_of("Customer", "Amy's Bird Sanctuary"), "billable": True},
            {"amount": "25.50", "item_id": item_id, "qty": "3", "unit_price": "8.50"},
        ],
        pdf={"bucket": INVOICE_BUCKET, "key": key, "file_name": "INV-1001.pdf"},
    )
    status, queued = entity.post(invoice)
    assert status == 202, queued
    assert queued["state"] == "queued"
    # The same payload again: the same answer.
    assert entity.post(json.loads(json.dumps(invoice))) == (202, queued)

    entity.stack.drain()  # the prompt export message the submission queued
    shown = entity.get("ap-1")
    assert shown["state"] == "exported", shown
    bill_id = shown["qbo_bill_id"]
    assert shown["qbo_link"].endswith(f"txnId={bill_id}")
    assert shown["payment"]["state"] == "unpaid"
    assert shown["attachment"]["state"] == "attached", shown

    bill = entity.sandbox.get_object(entity.realm, "Bill", bill_id)
    assert bill["VendorRef"]["value"] == invoice["vendor_id"]
    assert bill["DocNumber"] == "INV-1001"
    assert bill["TxnDate"] == "2025-10-01"
    assert bill["DueDate"] == "2025-10-31"
    assert bill["SalesTermRef"]["value"] == invoice["terms_id"]
    assert bill["DepartmentRef"]["value"] == invoice["department_id"]
    assert bill["CurrencyRef"]["value"] == "USD"
    assert bill["PrivateNote"] == "October flyers"
    assert bill["TotalAmt"] == 125.5
    first, second = bill["Line"]
    detail = first["AccountBasedExpenseLineDetail"]
    assert (first["Amount"], first["Description"]) == (100.0, "Flyers")
    assert detail["AccountRef"]["value"] == invoice["lines"][0]["account_id"]
    assert detail["ClassRef"]["value"] == invoice["lines"][0]["class_id"]
    assert detail["CustomerRef"]["value"] == invoice["lines"][0]["customer_id"]
    assert detail["BillableStatus"] == "Billable"
    item = second["ItemBasedExpenseLineDetail"]
    assert second["Amount"] == 25.5
    assert item["ItemRef"]["value"] == item_id
    assert (item["Qty"], item["UnitPrice"]) == (3, 8.5)

    attachables = [a for a in entity.sandbox.list_objects(entity.realm, "Attachable")
                   if any(r["EntityRef"] == {"type": "Bill", "value": bill_id}
                          for r in a.get("AttachableRef", []))]
    assert len(attachables) == 1
    assert attachables[0]["FileName"] == "INV-1001.pdf"
    assert shown["attachment"]["attachable_id"] == attachables[0]["Id"]

    # A different payload for an exported invoice: 409, nothing changes in QBO.
    status, conflict = entity.post({**invoice, "memo": "changed"})
    assert status == 409 and conflict["error"]["code"] == "bill_already_exported"
    assert len(entity.qbo_bills(invoice["vendor_id"], "INV-1001")) == 1


def test_duplicates_never_created_and_ops_marks_one_exported(stack: Any, ids: dict[str, str]
                                                             ) -> None:
    entity = connected(stack, ids, warn_duplicate_bill_number=True)
    norton = entity.id_of("Vendor", "Norton Lumber and Building Materials")
    other_name = next(n for n, i in entity.names["Vendor"].items()
                      if i != norton and "(deleted)" not in n and
                      entity.sandbox.get_object(entity.realm, "Vendor", i).get("Active", True))
    other = entity.id_of("Vendor", other_name)

    # Exported by us, then submitted again under another AP invoice id.
    assert entity.post(entity.invoice("ap-1", "INV-7"))[0] == 202
    entity.stack.drain()
    first = entity.get("ap-1")
    assert first["state"] == "exported"
    status, again = entity.post(entity.invoice("ap-2", " inv-7 "))
    assert status == 202
    assert again["state"] == "duplicate"
    assert again["duplicate_of"]["ap_invoice_id"] == "ap-1"
    assert again["duplicate_of"]["qbo_bill_id"] == first["qbo_bill_id"]

    # Typed into QBO by the accountant.
    typed = entity.sandbox.create_object(entity.realm, "Bill", {
        "VendorRef": {"value": norton}, "DocNumber": "TYPED-1", "TxnDate": "2025-09-30",
        "Line": [{"Amount": 125.5, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": entity.id_of("Account", "Advertising")}}}],
    })
    assert entity.post(entity.invoice("ap-3", "TYPED-1"))[1]["state"] == "queued"
    # The same number for another vendor is another invoice.
    assert entity.post(entity.invoice("ap-4", "INV-7", vendor=other_name))[0] == 202
    entity.stack.drain()
    dup = entity.get("ap-3")
    assert dup["state"] == "duplicate", dup
    assert dup["duplicate_of"]["qbo_bill_id"] == typed["Id"]
    assert dup["duplicate_of"]["source"] == "quickbooks"
    assert "Norton Lumber" in dup["duplicate_of"]["message"]
    assert entity.get("ap-4")["state"] == "exported"
    assert len(entity.qbo_bills(norton, "INV-7")) == 1
    assert len(entity.qbo_bills(norton, "TYPED-1")) == 1
    assert len(entity.qbo_bills(other, "INV-7")) == 1

    # A later sync does not create them either.
    entity.sync()
    assert len(entity.qbo_bills(norton, "TYPED-1")) == 1
    assert len(entity.qbo_bills(norton, "INV-7")) == 1

    # Filtered list.
    exported = entity.list(state="exported")["items"]
    assert {b["ap_invoice_id"] for b in exported} == {"ap-1", "ap-4"}
    duplicates = entity.list(state="duplicate")["items"]
    assert {b["ap_invoice_id"] for b in duplicates} == {"ap-2", "ap-3"}

    # The ops action: ap-3 *is* the bill the accountant typed.
    marked = ops(stack, "ops-mark-bill-exported.json", org_id=entity.org,
                 legal_entity_id=entity.le, ap_invoice_id="ap-3", qbo_bill_id=typed["Id"])
    assert marked["ok"], marked
    shown = entity.get("ap-3")
    assert shown["state"] == "exported"
    assert shown["qbo_bill_id"] == typed["Id"]
    assert shown["marked_by"]["operator"] == "jane.support@example.com"
    # One QBO bill stands for one AP invoice.
    refused = ops(stack, "ops-mark-bill-exported.json", org_id=entity.org,
                  legal_entity_id=entity.le, ap_invoice_id="ap-2",
                  qbo_bill_id=typed["Id"])
    assert not refused["ok"], refused


def test_unknown_or_inactive_references_get_400_naming_them(stack: Any, ids: dict[str, str]
                                                            ) -> None:
    entity = connected(stack, ids)
    status, body = entity.post(entity.invoice("ap-1", "INV-1", vendor_id="99999"))
    assert status == 400, body
    assert body["error"]["field"] == "vendor_id"
    assert "99999" in body["error"]["message"]
    inactive = next(v for v in entity.sandbox.list_objects(entity.realm, "Vendor")
                    if v.get("Active") is False)
    lines = [{"amount": "5.00", "account_id": "88888"}]
    status, body = entity.post(entity.invoice("ap-2", "INV-2", vendor_id=inactive["Id"],
                                              lines=lines))
    assert status == 400, body
    problems = {p["field"]: p["message"] for p in body["error"]["details"]["problems"]}
    assert "inactive" in problems["vendor_id"]
    assert inactive["DisplayName"].replace(" (deleted)", "") in problems["vendor_id"]
    assert "88888" in problems["lines[0].account_id"]
    assert entity.list()["items"] == []


def test_permissions_user_403_other_org_404(stack: Any, ids: dict[str, str]) -> None:
    entity = connected(stack, ids)
    status, body = entity.post(entity.invoice("ap-1", "INV-1"), claims=member_claims(entity.org))
    assert status == 403, body
    status, body = entity.post(entity.invoice("ap-1", "INV-1"),
                               claims={**SERVICE, "org_id": "org-someone-else"})
    assert status == 404, body
    assert entity.post(entity.invoice("ap-1", "INV-1"))[0] == 202
    # Anyone in the organization reads states; another organization does not see them.
    assert entity.get("ap-1")["state"] in ("queued", "exported")
    status, _ = entity._api("entity-api-get-bill.json", member_claims("org-someone-else"),
                            ap_id="ap-1")
    assert status == 404


def test_partial_and_full_payments_show_after_a_sync(stack: Any, ids: dict[str, str]) -> None:
    entity = connected(stack, ids)
    assert entity.post(entity.invoice("ap-1", "PAY-1", amount="200.00"))[0] == 202
    entity.stack.drain()
    bill_id = entity.get("ap-1")["qbo_bill_id"]

    entity.sandbox.pay_bill(entity.realm, bill_id, 50.0)
    entity.sync()
    payment = entity.get("ap-1")["payment"]
    assert payment["state"] == "partially_paid", payment
    assert payment["amount_paid"] == 50.0 and payment["balance"] == 150.0

    entity.sandbox.pay_bill(entity.realm, bill_id, 150.0)
    entity.sync()
    payment = entity.get("ap-1")["payment"]
    assert payment["state"] == "paid", payment
    assert payment["balance"] == 0 and payment["paid_date"]


def test_duplicate_warning_off_reported_and_our_check_still_refuses(
    stack: Any, ids: dict[str, str]
) -> None:
    entity = connected(stack, ids, warn_duplicate_bill_number=False)
    norton = entity.id_of("Vendor", "Norton Lumber and Building Materials")
    typed = entity.sandbox.create_object(entity.realm, "Bill", {
        "VendorRef": {"value": norton}, "DocNumber": "OFF-1", "TxnDate": "2025-09-30",
        "Line": [{"Amount": 10.0, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": entity.id_of("Account", "Advertising")}}}],
    })
    assert entity.post(entity.invoice("ap-1", "OFF-1"))[0] == 202
    entity.stack.drain()
    shown = entity.get("ap-1")
    assert shown["state"] == "duplicate"
    assert shown["duplicate_of"]["qbo_bill_id"] == typed["Id"]
    assert len(entity.qbo_bills(norton, "OFF-1")) == 1

    event = api_event("entity-api-connection-status.json", entity_id=entity.le,
                      claims=member_claims(entity.org))
    status = body_of(stack.invoke("EntityApiFunction", event))
    check = next(c for c in status["preflight"] if c["check"] == "duplicate_bill_warning")
    assert check["status"] == "warning"
    assert "still refuse duplicates" in check["message"]


def test_smartsync_exports_queued_bills_and_reports_them_in_the_run(
    stack: Any, ids: dict[str, str]
) -> None:
    entity = connected(stack, ids)
    assert entity.post(entity.invoice("ap-run-1", "RUN-1"))[0] == 202
    # Drop the prompt export message: this time the SmartSync itself exports the bill.
    stack.client("sqs").purge_queue(QueueUrl=stack.env["SYNC_QUEUE_URL"])
    assert entity.get("ap-run-1")["state"] == "queued"
    started = entity.sync()
    assert entity.get("ap-run-1")["state"] == "exported"
    run_event = api_event("entity-api-get-sync.json", entity_id=entity.le,
                          claims=member_claims(entity.org),
                          extra_path={"syncId": started["sync_id"]})
    run = body_of(stack.invoke("EntityApiFunction", run_event))
    bills = run["progress"]["Bill"]
    assert bills["status"] == "done" and bills["method"] == "export", bills
    assert bills["outcomes"]["exported"] == 1, bills
    assert run["status"] == "succeeded", run


def test_pdf_of_another_tenant_or_bucket_is_refused_at_submission(stack: Any, ids: dict[str, str]
                                                                  ) -> None:
    entity = connected(stack, ids)
    s3 = stack.client("s3")
    s3.create_bucket(Bucket=INVOICE_BUCKET)
    s3.create_bucket(Bucket="someone-elses-bucket")
    # Another organization's invoice really exists in the invoice bucket.
    victim = "org-victim/le-victim/INV-9.pdf"
    s3.put_object(Bucket=INVOICE_BUCKET, Key=victim, Body=b"%PDF-1.4 not yours\n")
    own = f"{entity.org}/{entity.le}/INV-9.pdf"
    s3.put_object(Bucket="someone-elses-bucket", Key=own, Body=b"%PDF-1.4\n")
    cases = [
        ({"bucket": INVOICE_BUCKET, "key": victim}, "pdf.key"),
        ({"bucket": INVOICE_BUCKET, "key": "org-victim/le-victim/absent.pdf"}, "pdf.key"),
        ({"bucket": INVOICE_BUCKET, "key": f"{entity.org}/le-other/INV-9.pdf"}, "pdf.key"),
        ({"bucket": INVOICE_BUCKET, "key": f"{entity.org}/{entity.le}/../../{victim}"},
         "pdf.key"),
        ({"bucket": "someone-elses-bucket", "key": own}, "pdf.bucket"),
    ]
    answers = []
    for i, (pdf, expected) in enumerate(cases):
        status, body = entity.post(entity.invoice(f"ap-{i}", f"INV-{i}", pdf=pdf))
        assert status == 400, body
        assert body["error"]["field"] == expected, body
        answers.append(body["error"]["message"])
    assert answers[0] == answers[1]  # existing or not: the same answer
    assert "victim" not in answers[0]
    stack.drain()
    assert entity.list()["items"] == []
    assert not any(b.get("DocNumber", "").startswith("INV-")
                   for b in entity.sandbox.list_objects(entity.realm, "Bill"))


def test_spelling_variants_typed_in_qbo_are_duplicates_and_invisible_numbers_400(
    stack: Any, ids: dict[str, str]
) -> None:
    entity = connected(stack, ids, warn_duplicate_bill_number=False)
    norton = entity.id_of("Vendor", "Norton Lumber and Building Materials")

    def typed(number: str) -> dict[str, Any]:
        return dict(entity.sandbox.create_object(entity.realm, "Bill", {
            "VendorRef": {"value": norton}, "DocNumber": number, "TxnDate": "2025-09-30",
            "Line": [{"Amount": 125.5, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {
                          "AccountRef": {"value": entity.id_of("Account", "Advertising")}}}],
        }))

    bills = {
        "INV-MIXED-1": typed("Inv-Mixed-1"),
        "INV DOUBLE 2": typed("inv  double 2"),
        "INV-WIDE-3": typed("\uff29\uff2e\uff36\uff0d\uff37\uff29\uff24\uff25\uff0d\uff13"),
    }
    for i, number in enumerate(bills):
        status, body = entity.post(entity.invoice(f"ap-{i}", number))
        assert status == 202 and body["state"] == "queued", body
    for j, bad in enumerate(["INV\u200b-4", "INV\u202e-5", "INV\x00-6", "INV\u2066-7\u2069"]):
        status, body = entity.post(entity.invoice(f"ap-bad-{j}", bad))
        assert status == 400, body
        assert body["error"]["field"] == "invoice_number"
    before = len(entity.sandbox.list_objects(entity.realm, "Bill"))
    stack.drain()
    for i, (number, bill) in enumerate(bills.items()):
        shown = entity.get(f"ap-{i}")
        assert shown["state"] == "duplicate", (number, shown)
        assert shown["duplicate_of"]["qbo_bill_id"] == bill["Id"]
    assert {b["ap_invoice_id"] for b in entity.list()["items"]} == {"ap-0", "ap-1", "ap-2"}
    assert len(entity.sandbox.list_objects(entity.realm, "Bill")) == before  # none created
