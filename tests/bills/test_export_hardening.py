"""Hardening over moto and the QBO sandbox: PDFs only from the submitting entity's prefix,
one identity for invoice numbers (export log, QBO look-up, recovery), strict input."""

from __future__ import annotations

import os
from typing import Any

import pytest

from qbo_connector.adapters import aws
from qbo_connector.models.bill import pdf_unreadable_reason
from qbo_connector.models.errors import InvalidInput
from tests.bills.conftest import PDF_BUCKET

NORTON = "Norton Lumber and Building Materials"
PDF = b"%PDF-1.4 invoice\n%%EOF\n"


class RecordingDocuments:
    """The real documents adapter, recording what the export engine asks it to read."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.invoice_bucket = inner.invoice_bucket
        self.calls: list[tuple[str, str, str, str]] = []

    def fetch(self, org_id: str, legal_entity_id: str, bucket: str, key: str) -> bytes:
        self.calls.append((org_id, legal_entity_id, bucket, key))
        return bytes(self.inner.fetch(org_id, legal_entity_id, bucket, key))


def _typed(world: Any, number: str, txn_date: str, vendor: str = NORTON,
           amount: float = 125.5) -> dict[str, Any]:
    """A bill the accountant typed into QBO (sandbox control, not the API)."""
    return dict(world.sandbox.create_object(world.realm, "Bill", {
        "VendorRef": {"value": world.id_of("Vendor", vendor)}, "DocNumber": number,
        "TxnDate": txn_date,
        "Line": [{"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": world.id_of("Account", "Advertising")}}}],
    }))


def _other_vendor(world: Any) -> str:
    return next(n for n in sorted(world.names["Vendor"]) if n != NORTON and "(deleted)" not in n)


# -- PDFs -------------------------------------------------------------------------------


def test_a_pdf_outside_the_entity_prefix_is_refused_before_anything_is_stored(
    make_world: Any,
) -> None:
    world = make_world()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="another-orgs-bucket")
    # Objects that really exist: another organization's invoice, another legal entity's of
    # the same organization, and a file in a bucket that is not the invoice bucket.
    victim = "org-victim/le-victim/INV-77.pdf"
    sibling = f"{world.org_id}/le-sibling/INV-77.pdf"
    for bucket, key in ((PDF_BUCKET, victim), (PDF_BUCKET, sibling),
                        ("another-orgs-bucket", f"{world.org_id}/{world.le_id}/x.pdf")):
        s3.put_object(Bucket=bucket, Key=key, Body=PDF)
    documents = RecordingDocuments(world.service.attachments.documents)
    world.service.attachments.documents = documents

    cases = [
        ({"bucket": PDF_BUCKET, "key": victim}, "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": "org-victim/le-victim/never-uploaded.pdf"}, "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": sibling}, "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": f"{world.org_id}/{world.le_id}/../../{victim}"},
         "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": f"/{world.org_id}/{world.le_id}/x.pdf"}, "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": f"{world.org_id}//{world.le_id}/x.pdf"}, "pdf.key"),
        ({"bucket": PDF_BUCKET, "key": f"{world.org_id}/{world.le_id}/x\x00.pdf"}, "pdf.key"),
        ({"bucket": "another-orgs-bucket", "key": f"{world.org_id}/{world.le_id}/x.pdf"},
         "pdf.bucket"),
    ]
    messages: dict[str, set[str]] = {}
    for i, (pdf, field) in enumerate(cases):
        with pytest.raises(InvalidInput) as caught:
            world.service.submit(world.entity, world.invoice(
                f"ap-{i}", f"INV-{i}", pdf={**pdf, "file_name": "INV.pdf"}))
        assert caught.value.field == field, (pdf, caught.value.message)
        messages.setdefault(field, set()).add(caught.value.message)
    # Whether the other organization's object exists makes no difference to the answer.
    existing, missing = (
        _message(world, "ap-x", {"bucket": PDF_BUCKET, "key": victim}),
        _message(world, "ap-y", {"bucket": PDF_BUCKET,
                                 "key": "org-victim/le-victim/never-uploaded.pdf"}),
    )
    assert existing == missing
    assert "org-victim" not in existing
    assert f"{world.org_id}/{world.le_id}/" in existing  # says where to put it instead

    # Nothing stored, nothing queued, nothing read, nothing created.
    assert world.service.list_page(world.entity, None, 50, None)["items"] == []
    assert world.service.store.pending_ids(world.org_id, world.le_id) == []
    world.service.export_pending(world.ctx())
    assert documents.calls == []
    assert world.qbo_bills() == []


def _message(world: Any, ap_id: str, pdf: dict[str, str]) -> str:
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, world.invoice(ap_id, ap_id.upper(), pdf=pdf))
    return caught.value.message


def test_own_prefix_pdf_is_attached(make_world: Any) -> None:
    world = make_world()
    key = f"{world.org_id}/{world.le_id}/2025/10/INV-1.pdf"
    aws.client("s3").put_object(Bucket=PDF_BUCKET, Key=key, Body=PDF)
    world.service.submit(world.entity, world.invoice(
        "ap-1", "INV-1", pdf={"bucket": PDF_BUCKET, "key": key, "file_name": "INV-1.pdf"}))
    counts = world.service.export_pending(world.ctx())
    assert counts.exported == 1 and counts.attachments == 1
    shown = world.service.show(world.entity, "ap-1")
    assert shown["attachment"]["state"] == "attached"
    assert world.sandbox.company(world.realm).attachments[
        shown["attachment"]["attachable_id"]] == PDF


def test_worker_rechecks_the_prefix_and_gives_one_neutral_reason(make_world: Any) -> None:
    """Defence in depth: a stored bill whose PDF points elsewhere (as if the submission
    check had been bypassed) is never read; its reason equals a missing PDF's."""
    world = make_world()
    s3 = aws.client("s3")
    victim = "org-victim/le-victim/INV-77.pdf"
    s3.put_object(Bucket=PDF_BUCKET, Key=victim, Body=b"%PDF-1.4 someone else's\n")
    own = f"{world.org_id}/{world.le_id}"
    world.service.submit(world.entity, world.invoice(
        "ap-tampered", "INV-T", pdf={"bucket": PDF_BUCKET, "key": f"{own}/t.pdf"}))
    world.service.submit(world.entity, world.invoice(
        "ap-missing", "INV-M", pdf={"bucket": PDF_BUCKET, "key": f"{own}/never-uploaded.pdf"}))
    table = aws.resource("dynamodb").Table(os.environ["BILL_EXPORTS_TABLE"])
    table.update_item(
        Key={"pk": f"{world.org_id}#{world.le_id}", "sk": "ap-tampered"},
        UpdateExpression="SET #inv.#pdf.#key = :key",
        ExpressionAttributeNames={"#inv": "invoice", "#pdf": "pdf", "#key": "key"},
        ExpressionAttributeValues={":key": victim},
    )
    assert world.service.store.get(world.org_id, world.le_id, "ap-tampered").invoice[
        "pdf"]["key"] == victim  # type: ignore[union-attr]
    documents = RecordingDocuments(world.service.attachments.documents)
    world.service.attachments.documents = documents
    for _ in range(3):  # the missing PDF is tried three times, then given up
        world.service.export_pending(world.ctx())
    tampered = world.service.show(world.entity, "ap-tampered")
    missing = world.service.show(world.entity, "ap-missing")
    assert tampered["state"] == missing["state"] == "exported"
    assert tampered["attachment"]["state"] == missing["attachment"]["state"] == "failed"
    assert tampered["attachment"]["message"] == missing["attachment"]["message"]
    assert tampered["attachment"]["message"].startswith(
        pdf_unreadable_reason(world.org_id, world.le_id))
    assert "victim" not in tampered["attachment"]["message"]
    assert all(call[3] != victim for call in documents.calls)
    assert documents.calls  # the own-prefix PDF was really looked for
    # And the adapter itself refuses the foreign key with the same sentence.
    from qbo_connector.adapters.invoice_documents import DocumentUnavailable

    with pytest.raises(DocumentUnavailable) as caught:
        documents.inner.fetch(world.org_id, world.le_id, PDF_BUCKET, victim)
    assert str(caught.value) == pdf_unreadable_reason(world.org_id, world.le_id)
    with pytest.raises(DocumentUnavailable) as caught:
        documents.inner.fetch(world.org_id, world.le_id, PDF_BUCKET, f"{own}/never-uploaded.pdf")
    assert str(caught.value) == pdf_unreadable_reason(world.org_id, world.le_id)


# -- identity ---------------------------------------------------------------------------


def test_spellings_typed_in_qbo_are_duplicates_with_the_warning_off(make_world: Any) -> None:
    world = make_world(warn_duplicate_bill_number=False)
    typed = {
        "INV-MIXED-1": _typed(world, "Inv-Mixed-1", "2025-09-30"),
        "INV DOUBLE 2": _typed(world, "inv  double 2", "2025-10-20"),
        # Full-width, as an input method may type it; dated weeks before the invoice.
        "INV-WIDE-3": _typed(world, "\uff29\uff4e\uff56\uff0d\uff37\uff29\uff24\uff25\uff0d3",
                             "2025-09-05"),
        "ZW-4": _typed(world, "zw\u200b-4", "2025-10-01"),  # a pasted zero-width space
        # Exact spelling, years away from the invoice date: still found.
        "FAR-5": _typed(world, "FAR-5", "2019-01-01"),
    }
    for i, number in enumerate(typed):
        world.service.submit(world.entity, world.invoice(f"ap-{i}", number))
    # The same number for another vendor is another invoice.
    other = _other_vendor(world)
    world.service.submit(world.entity, world.invoice("ap-other", "INV-MIXED-1", vendor=other))
    before = len(world.qbo_bills())

    counts = world.service.export_pending(world.ctx())
    assert counts.duplicate == len(typed), counts
    for i, (number, bill) in enumerate(typed.items()):
        shown = world.service.show(world.entity, f"ap-{i}")
        assert shown["state"] == "duplicate", (number, shown)
        assert shown["duplicate_of"]["qbo_bill_id"] == bill["Id"], number
        assert shown["duplicate_of"]["source"] == "quickbooks"
        assert shown["duplicate_of"]["doc_number"] == bill["DocNumber"]
    assert world.service.show(world.entity, "ap-other")["state"] == "exported"
    assert len(world.qbo_bills()) == before + 1  # only the other vendor's bill


def test_other_spellings_are_seen_within_31_days_of_the_invoice_date(make_world: Any) -> None:
    """The limit of the look-up, documented: another spelling more than 31 days from the
    invoice date is not seen; the exact spelling is seen at any date."""
    world = make_world(warn_duplicate_bill_number=False)
    edge = _typed(world, "Edge-In-1", "2025-08-31")  # invoice date 2025-10-01 - 31 days
    _typed(world, "Edge-Out-2", "2025-08-30")  # - 32 days
    after = _typed(world, "edge-after-3", "2025-11-01")  # + 31 days
    exact = _typed(world, "OLD-EXACT-4", "2024-01-05")
    for ap_id, number in (("ap-1", "EDGE-IN-1"), ("ap-2", "EDGE-OUT-2"),
                          ("ap-3", "EDGE-AFTER-3"), ("ap-4", "OLD-EXACT-4")):
        world.service.submit(world.entity, world.invoice(ap_id, number))
    world.service.export_pending(world.ctx())
    for ap_id, bill in (("ap-1", edge), ("ap-3", after), ("ap-4", exact)):
        shown = world.service.show(world.entity, ap_id)
        assert shown["state"] == "duplicate", (ap_id, shown)
        assert shown["duplicate_of"]["qbo_bill_id"] == bill["Id"]
    assert world.service.show(world.entity, "ap-2")["state"] == "exported"


def test_invoice_dates_far_apart_in_one_chunk_get_a_window_each(make_world: Any) -> None:
    world = make_world(warn_duplicate_bill_number=False)
    january = _typed(world, "jan  1", "2025-01-12")
    october = _typed(world, "Oct-2", "2025-09-28")
    world.service.submit(world.entity, world.invoice("ap-1", "JAN 1", invoice_date="2025-01-10"))
    world.service.submit(world.entity, world.invoice("ap-2", "OCT-2"))
    ctx = world.ctx()
    world.service.export_pending(ctx)
    assert world.service.show(world.entity, "ap-1")["duplicate_of"]["qbo_bill_id"] == january["Id"]
    assert world.service.show(world.entity, "ap-2")["duplicate_of"]["qbo_bill_id"] == october["Id"]
    assert ctx.counter.get("query") == 3  # one exact query, one window per date cluster


def test_the_export_log_claim_uses_the_same_identity(make_world: Any) -> None:
    world = make_world()
    world.service.submit(world.entity, world.invoice("ap-1", "INV-Mixed-1"))
    full_width = "\uff49\uff4e\uff56\uff0d\uff4d\uff49\uff58\uff45\uff44\uff0d1"
    for ap_id, spelling in (("ap-2", "inv-mixed-1"), ("ap-3", " INV-MIXED-1 "),
                            ("ap-4", full_width)):
        answer = world.service.submit(world.entity, world.invoice(ap_id, spelling))
        assert answer["state"] == "duplicate", (spelling, answer)
        assert answer["duplicate_of"]["ap_invoice_id"] == "ap-1"
    spaced = world.service.submit(world.entity, world.invoice("ap-5", "inv  double 2"))
    assert spaced["state"] == "queued"
    again = world.service.submit(world.entity, world.invoice("ap-6", "INV DOUBLE 2"))
    assert again["state"] == "duplicate" and again["duplicate_of"]["ap_invoice_id"] == "ap-5"
    world.service.export_pending(world.ctx())
    assert sorted(b["DocNumber"] for b in world.qbo_bills()) == ["INV-Mixed-1", "inv  double 2"]


def test_recovery_finds_its_own_bill_by_identity(make_world: Any) -> None:
    """A worker dies after QBO created the bill; meanwhile the accountant retyped the
    number's spacing and case in QBO. Recovery still recognises the bill as ours."""
    world = make_world(warn_duplicate_bill_number=False)

    def crash(_records: Any, _results: Any) -> None:
        raise SystemExit("worker killed after QBO answered")

    world.service.submit(world.entity, world.invoice("ap-1", "REC 1"))
    world.service.engine.after_batch = crash
    with pytest.raises(SystemExit):
        world.service.export_pending(world.ctx())
    world.service.engine.after_batch = None
    (created,) = world.qbo_bills()
    world.sandbox.update_object(world.realm, "Bill", created["Id"], {"DocNumber": "rec  1"})
    world.clock.advance(world.service.lease_seconds + 1)
    counts = world.service.export_pending(world.ctx())
    assert counts.recovered == 1, counts
    shown = world.service.show(world.entity, "ap-1")
    assert shown["state"] == "exported" and shown["qbo_bill_id"] == created["Id"]
    assert len(world.qbo_bills()) == 1


def test_the_look_up_stays_frugal(make_world: Any) -> None:
    """30 bills (one chunk, one date): two queries and one batch."""
    world = make_world()
    vendors = [n for n in sorted(world.names["Vendor"]) if "(deleted)" not in n]
    for i in range(30):
        world.service.submit(world.entity, world.invoice(f"ap-{i:02d}", f"FRUGAL-{i:02d}",
                                                         vendor=vendors[i % len(vendors)]))
    ctx = world.ctx()
    counts = world.service.export_pending(ctx)
    assert counts.exported == 30
    assert ctx.counter.get("query") == 2, ctx.counter.as_dict()
    assert ctx.counter.get("batch") == 1


# -- strict input at submission ---------------------------------------------------------


@pytest.mark.parametrize("number", ["INV\u200b-1", "INV\u202e-1", "INV\x00-1", "INV\n1",
                                    "\ufeffINV-1", "INV\u2066-1\u2069"])
def test_invisible_characters_in_invoice_numbers_are_refused_and_nothing_is_stored(
    make_world: Any, number: str
) -> None:
    world = make_world()
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, world.invoice("ap-1", number))
    assert caught.value.field == "invoice_number"
    assert world.service.store.get(world.org_id, world.le_id, "ap-1") is None


@pytest.mark.parametrize(("field", "value"), [
    ("amount", "1_000"), ("amount", "\u0661\u0660\u0660"), ("amount", "-0"),
    ("amount", "1" * 28), ("amount", 1e308), ("invoice_date", "2025-W40-3"),
    ("invoice_date", "9999-12-31"),
])
def test_lenient_values_are_refused(make_world: Any, field: str, value: Any) -> None:
    world = make_world()
    body = world.invoice("ap-1", "INV-1")
    if field == "amount":
        body["lines"][0]["amount"] = value
    else:
        body[field] = value
    with pytest.raises(InvalidInput) as caught:
        world.service.submit(world.entity, body)
    assert caught.value.field == ("lines[0].amount" if field == "amount" else field)
    assert world.service.store.get(world.org_id, world.le_id, "ap-1") is None


def test_if_qbo_refused_vendorref_as_a_filter_the_date_window_alone_still_finds_it(
    make_world: Any,
) -> None:
    from qbo_connector.adapters.qbo_faults import QboValidationError

    world = make_world(warn_duplicate_bill_number=False)
    typed = _typed(world, "Inv-Mixed-1", "2025-09-30")
    world.service.submit(world.entity, world.invoice("ap-1", "INV-MIXED-1"))
    ctx = world.ctx()
    real = ctx.client.query_all
    refused_wheres: list[str] = []

    def query_all(entity: str, where: str | None = None, **kw: Any) -> Any:
        if where and "VendorRef" in where:
            refused_wheres.append(where)
            raise QboValidationError("Invalid query", code="4001")
        return real(entity, where=where, **kw)

    ctx.client.query_all = query_all  # type: ignore[method-assign]
    world.service.export_pending(ctx)
    assert refused_wheres  # the vendor filter was tried...
    shown = world.service.show(world.entity, "ap-1")
    assert shown["state"] == "duplicate", shown  # ...and the window alone found the bill
    assert shown["duplicate_of"]["qbo_bill_id"] == typed["Id"]
