"""Vendor credits (credit notes) out over the moto server and the QBO sandbox (issue 15):
exported once as VendorCredits, duplicates refused, the remaining credit read back after a
payment applies it, in a credit note's words throughout."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed

NORTON = "Norton Lumber and Building Materials"


def qbo_credits(world: Any, number: str) -> list[dict[str, Any]]:
    return [c for c in world.sandbox.list_objects(world.realm, "VendorCredit")
            if c.get("DocNumber") == number]


def test_a_credit_note_is_exported_once_in_a_credits_words(make_world: Any) -> None:
    world = make_world()
    credits = world.credits()
    queued = credits.submit(world.entity, world.credit("cr-1", "CN-100", amount="40.00",
                                                       memo="Damaged pallets"))
    assert queued["state"] == "queued"
    assert queued["ap_credit_id"] == "cr-1" and queued["credit_number"] == "CN-100"
    assert "ap_invoice_id" not in queued and "invoice_number" not in queued
    assert credits.submit(world.entity, world.credit("cr-1", "CN-100", amount="40.00",
                                                     memo="Damaged pallets")) == queued
    ctx = world.ctx()
    counts = credits.export_pending(ctx)
    assert counts.exported == 1
    assert ctx.run.counts["VendorCredit"]["method"] == "export"
    view = credits.show(world.entity, "cr-1")
    assert view["state"] == "exported", view
    assert view["qbo_link"].endswith(f"/app/vendorcredit?txnId={view['qbo_vendor_credit_id']}")
    assert view["credit"] == {"state": "open", "total": 40.0, "remaining": 40.0}
    (qbo,) = qbo_credits(world, "CN-100")
    assert qbo["Id"] == view["qbo_vendor_credit_id"]
    assert qbo["TotalAmt"] == 40.0 and qbo["PrivateNote"] == "Damaged pallets"
    assert "DueDate" not in qbo and "SalesTermRef" not in qbo
    # Again: nothing sent.
    again = world.ctx()
    credits.export_pending(again)
    assert again.counter.get("batch") == 0 and len(qbo_credits(world, "CN-100")) == 1
    # A changed credit after export is refused in a credit's words.
    with pytest.raises(Conflict) as refused:
        credits.submit(world.entity, world.credit("cr-1", "CN-100", amount="41.00"))
    assert "AP credit cr-1" in refused.value.message
    assert "invoice" not in refused.value.message and "bill" not in refused.value.message


def test_a_credit_note_and_a_bill_may_share_a_number(make_world: Any) -> None:
    world = make_world()
    credits = world.credits()
    bill = world.exported_bill("inv-1", "SAME-7", amount="90.00")
    credits.submit(world.entity, world.credit("cr-1", "SAME-7"))
    credits.export_pending(world.ctx())
    assert credits.show(world.entity, "cr-1")["state"] == "exported"
    assert world.service.show(world.entity, "inv-1")["qbo_bill_id"] == bill["qbo_bill_id"]


def test_duplicates_are_refused_by_vendor_and_number(make_world: Any) -> None:
    world = make_world()
    credits = world.credits()
    credits.submit(world.entity, world.credit("cr-1", "CN-200"))
    # A second AP credit with the same vendor and number (another spelling): a duplicate.
    second = credits.submit(world.entity, world.credit("cr-2", "cn-200"))
    assert second["state"] == "duplicate"
    assert second["duplicate_of"]["ap_credit_id"] == "cr-1"
    assert "credit number" in second["duplicate_of"]["message"]
    # The accountant typed a credit note into QuickBooks: found, not created again.
    vendor = world.id_of("Vendor", NORTON)
    typed = world.sandbox.create_object(world.realm, "VendorCredit", {
        "VendorRef": {"value": vendor}, "DocNumber": "CN-300", "TxnDate": "2025-10-14",
        "Line": [{"Amount": 12.0, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": world.id_of("Account", "Advertising")}}}]})
    credits.submit(world.entity, world.credit("cr-3", "CN-300", amount="12.00"))
    credits.export_pending(world.ctx())
    assert credits.show(world.entity, "cr-1")["state"] == "exported"
    third = credits.show(world.entity, "cr-3")
    assert third["state"] == "duplicate"
    assert third["duplicate_of"]["qbo_vendor_credit_id"] == typed["Id"]
    assert third["duplicate_of"]["qbo_link"].endswith(f"vendorcredit?txnId={typed['Id']}")
    assert len(qbo_credits(world, "CN-200")) == 1 and len(qbo_credits(world, "CN-300")) == 1
    # The ops mark: the accountant's credit *is* cr-3's; recorded as its export.
    with pytest.raises(Conflict) as not_dup:
        credits.mark_exported(world.org_id, world.le_id, "cr-1", None, "jane")
    assert not_dup.value.code == "not_a_duplicate" and "AP credit cr-1" in not_dup.value.message
    marked = credits.mark_exported(world.org_id, world.le_id, "cr-3", None, "jane")
    assert marked["state"] == "exported" and marked["qbo_vendor_credit_id"] == typed["Id"]
    assert marked["marked_by"]["operator"] == "jane"
    with pytest.raises(Conflict) as taken:  # one QBO credit stands for one AP credit
        credits.mark_exported(world.org_id, world.le_id, "cr-2", str(typed["Id"]), "jane")
    assert "AP credit cr-3" in taken.value.message


def test_errors_name_the_credits_fields(make_world: Any) -> None:
    world = make_world()
    credits = world.credits()
    with pytest.raises(InvalidInput) as caught:
        credits.submit(world.entity, world.credit("cr-1", ""))
    assert caught.value.field == "credit_number" and "credit number" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        credits.submit(world.entity, world.credit("cr-1", "CN-1", credit_date="2025-13-01"))
    assert caught.value.field == "credit_date"
    with pytest.raises(InvalidInput) as caught:
        credits.submit(world.entity, world.credit("cr-1", "CN-1", vendor_id="99999"))
    assert caught.value.field == "vendor_id" and "invoice" not in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        credits.submit(world.entity, world.credit(
            "cr-1", "CN-1", pdf={"bucket": "ap-platform-invoices", "key": "other-org/x.pdf"}))
    assert caught.value.field == "pdf.key"
    world.entity.sync_profile = {**world.entity.sync_profile, "export_vendor_credits": False}
    with pytest.raises(PreconditionFailed) as off:
        credits.submit(world.entity, world.credit("cr-1", "CN-1"))
    assert off.value.code == "vendor_credits_not_enabled"


def test_a_credit_applied_in_a_payment_by_its_ap_id_and_its_remaining_read_back(
    make_world: Any,
) -> None:
    world = make_world()
    credits = world.credits()
    payments = world.payments()
    credits.submit(world.entity, world.credit("cr-1", "CN-400", amount="30.00"))
    with pytest.raises(Conflict) as early:  # not exported yet
        world.exported_bill("inv-0", "EARLY-0", amount="10.00")
        payments.submit(world.entity, world.payment(
            "pay-early", [("inv-0", "10.00")],
            vendor_credits=[{"ap_credit_id": "cr-1", "amount": "5.00"}]))
    assert early.value.code == "credit_not_exported"
    credits.export_pending(world.ctx())
    bill = world.exported_bill("inv-1", "APPLY-1", amount="100.00")
    with pytest.raises(Conflict) as above:
        payments.submit(world.entity, world.payment(
            "pay-above", [("inv-1", "100.00")],
            vendor_credits=[{"ap_credit_id": "cr-1", "amount": "31.00"}]))
    assert above.value.field == "vendor_credits[0].amount"
    view = payments.submit(world.entity, world.payment(
        "pay-1", [("inv-1", "100.00")],
        vendor_credits=[{"ap_credit_id": "cr-1", "amount": "20.00"}]))
    assert view["amount"] == "80.00"
    payments.export_pending(world.ctx())
    assert payments.show(world.entity, "pay-1")["state"] == "exported"
    qbo_credit = credits.show(world.entity, "cr-1")["qbo_vendor_credit_id"]
    assert world.sandbox.get_object(world.realm, "VendorCredit", qbo_credit)["Balance"] == 10.0
    assert Decimal(str(world.sandbox.get_object(world.realm, "Bill", bill["qbo_bill_id"])[
        "Balance"])) == 0
    remaining = credits.show(world.entity, "cr-1")["credit"]
    assert remaining == {"state": "partially_applied", "total": 30.0, "remaining": 10.0,
                         "applied": 20.0}


def test_a_credit_note_pdf_is_attached_to_the_vendor_credit(make_world: Any) -> None:
    from qbo_connector.adapters import aws

    world = make_world()
    credits = world.credits()
    key = f"{world.org_id}/{world.le_id}/cn-500.pdf"
    aws.client("s3").put_object(Bucket="ap-platform-invoices", Key=key, Body=b"%PDF-1.4 credit")
    credits.submit(world.entity, world.credit(
        "cr-1", "CN-500", pdf={"bucket": "ap-platform-invoices", "key": key}))
    credits.export_pending(world.ctx())
    view = credits.show(world.entity, "cr-1")
    assert view["attachment"]["state"] == "attached", view
    attachable = world.sandbox.get_object(world.realm, "Attachable",
                                          view["attachment"]["attachable_id"])
    refs = attachable["AttachableRef"]
    assert refs[0]["EntityRef"] == {"type": "VendorCredit",
                                    "value": view["qbo_vendor_credit_id"]}
