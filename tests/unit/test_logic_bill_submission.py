"""Bill submission rules (logic/bill_submission.py, models/bill.py), on an in-memory log.

What a submission must refuse (400 naming the field), what it must treat as the same
invoice (idempotency) or the same number (duplicates, by identity not spelling), and
which PDFs an organization may name. Each test submits through the service the API
calls and looks at the answer and at what the log holds afterwards.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest

from qbo_connector.logic.bill_submission import CLAIM_GRACE_SECONDS
from qbo_connector.models.bill import Claim, ExportState, invoice_number_identity
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.legal_entity import ConnectionState
from tests.unit.fakes import (
    BUCKET,
    LE,
    ORG,
    BillStore,
    Clock,
    MasterData,
    SyncQueue,
    bill_service,
    entity,
)


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ap_invoice_id": "ap-1",
        "vendor_id": "56",
        "invoice_number": "INV-1",
        "invoice_date": "2026-02-20",
        "lines": [{"amount": "125.50", "account_id": "7"}],
    }
    base.update(fields)
    return base


def line(**fields: Any) -> dict[str, Any]:
    return {"amount": "10.00", "account_id": "7", **fields}


def item_line(**fields: Any) -> dict[str, Any]:
    return {"item_id": "11", **fields}


class Setup:
    def __init__(self, **entity_fields: Any) -> None:
        self.store = BillStore()
        self.master = MasterData()
        for kind, qbo_id in [
            ("Vendor", "56"),
            ("Vendor", "57"),
            ("Account", "7"),
            ("Item", "11"),
            ("Customer", "21"),
            ("Class", "31"),
            ("Term", "3"),
        ]:
            self.master.add(kind, qbo_id)
        self.queue = SyncQueue()
        self.clock = Clock()
        self.service = bill_service(self.store, self.master, self.queue, self.clock)
        self.entity = entity(**entity_fields)

    def submit(self, payload: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.service.submit(self.entity, payload)
        return answer

    def refused(self, payload: Any) -> InvalidInput:
        with pytest.raises(InvalidInput) as raised:
            self.submit(payload)
        return raised.value


@pytest.fixture
def s() -> Setup:
    return Setup()


# -- a first submission -------------------------------------------------------------------------


def test_a_valid_invoice_is_queued_claimed_marked_and_announced(s: Setup) -> None:
    answer = s.submit(body())
    assert answer["state"] == "queued"
    assert answer["ap_invoice_id"] == "ap-1"
    assert answer["invoice_number"] == "INV-1"
    stored = s.store.one("ap-1")
    assert stored is not None and stored.state == ExportState.QUEUED
    assert stored.generation == 1
    assert s.store.holder("56", invoice_number_identity("INV-1")) == "ap-1"
    assert (ORG, LE, "ap-1") in s.store.pending  # the outbox marker the export finds it by
    assert s.queue.messages == [{"kind": "export_bills", "org_id": ORG, "legal_entity_id": LE}]


def test_no_export_job_when_the_profile_does_not_export_bills() -> None:
    s = Setup(sync_profile={"export_bills": False})
    assert s.submit(body())["state"] == "queued"
    assert s.queue.messages == []


def test_a_queue_outage_does_not_fail_the_submission(s: Setup) -> None:
    s.queue.fail = True
    assert s.submit(body())["state"] == "queued"
    assert (ORG, LE, "ap-1") in s.store.pending  # SmartSync exports it later


@pytest.mark.parametrize(
    "fields",
    [
        {
            "connection_state": ConnectionState.NOT_CONNECTED,
            "realm_id": None,
            "data_realm_id": None,
        },
    ],
)
def test_a_never_connected_entity_takes_no_bills(fields: dict[str, Any]) -> None:
    s = Setup(**fields)
    with pytest.raises(PreconditionFailed) as raised:
        s.submit(body())
    assert raised.value.status == 412
    assert raised.value.code == "not_connected"
    assert s.store.records == {}


def test_an_entity_holding_data_of_a_realm_takes_bills_while_disconnected() -> None:
    # Disconnected but its data realm kept: bills queue and wait for the reconnect.
    s = Setup(connection_state=ConnectionState.NOT_CONNECTED, realm_id=None)
    assert s.submit(body())["state"] == "queued"


# -- idempotency on ap_invoice_id ---------------------------------------------------------------


def test_the_same_invoice_again_is_the_same_answer(s: Setup) -> None:
    first = s.submit(body())
    s.clock.advance(60)
    assert s.submit(body()) == first
    assert s.store.one("ap-1").generation == 1
    assert len(s.queue.messages) == 1


@pytest.mark.parametrize(
    "respelt",
    [
        # Key order, number spelling (JSON number, fewer decimals): the same payload.
        {"lines": [{"account_id": "7", "amount": 125.5}], "invoice_number": "INV-1"},
        {"lines": [{"amount": "125.5", "account_id": "7"}]},
        {"vendor_id": 56},
    ],
)
def test_the_same_invoice_spelt_differently_is_the_same_answer(
    s: Setup, respelt: dict[str, Any]
) -> None:
    first = s.submit(body())
    assert s.submit(body(**respelt)) == first
    assert s.store.one("ap-1").generation == 1


def test_a_changed_invoice_before_export_replaces_the_queued_one(s: Setup) -> None:
    s.submit(body())
    answer = s.submit(body(lines=[line(amount="99.00")]))
    assert answer["state"] == "queued"
    stored = s.store.one("ap-1")
    assert stored.generation == 2
    assert stored.invoice["lines"][0]["amount"] == "99.00"


def test_resending_a_failed_invoice_unchanged_retries_it(s: Setup) -> None:
    s.submit(body())
    s.store.set_state("ap-1", ExportState.FAILED, failure={"code": "period_closed"})
    answer = s.submit(body())
    assert answer["state"] == "queued"
    assert "failure" not in answer
    assert s.store.one("ap-1").generation == 2
    assert s.store.pending[(ORG, LE, "ap-1")] == 2


@pytest.mark.parametrize(
    ("state", "word"), [(ExportState.EXPORTED, "exported"), (ExportState.EXPORTING, "sent")]
)
def test_a_bill_is_never_changed_once_sent(s: Setup, state: ExportState, word: str) -> None:
    s.submit(body())
    s.store.set_state("ap-1", state, qbo_bill_id="145")
    with pytest.raises(Conflict) as raised:
        s.submit(body(memo="corrected"))
    assert raised.value.status == 409
    assert raised.value.code == "bill_already_exported"
    assert word in raised.value.message
    assert raised.value.details["qbo_bill_id"] == "145"
    assert s.store.one("ap-1").state == state


def test_an_exported_bill_resent_unchanged_is_answered_not_refused(s: Setup) -> None:
    s.submit(body())
    s.store.set_state("ap-1", ExportState.EXPORTED, qbo_bill_id="145")
    answer = s.submit(body())
    assert answer["state"] == "exported"
    assert answer["qbo_bill_id"] == "145"
    assert answer["qbo_link"].endswith("txnId=145")


# -- duplicates: the same vendor and invoice number, by identity --------------------------------


@pytest.mark.parametrize(
    "second_number",
    [
        "INV-1",
        "inv-1",
        "Inv-1",
        "\uff29\uff2e\uff36\uff0d\uff11",  # full-width letters, digits and hyphen (NFKC)
        " INV-1 ",  # surrounding spaces are not part of the number
    ],
)
def test_the_same_number_spelt_otherwise_is_a_duplicate(s: Setup, second_number: str) -> None:
    s.submit(body())
    answer = s.submit(body(ap_invoice_id="ap-2", invoice_number=second_number))
    assert answer["state"] == "duplicate"
    assert answer["duplicate_of"]["ap_invoice_id"] == "ap-1"
    assert "ap-1" in answer["duplicate_of"]["message"]
    assert (ORG, LE, "ap-2") not in s.store.pending  # a duplicate is never exported
    assert len(s.queue.messages) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [("inv  double 2", "INV DOUBLE 2"), ("Straße-9", "STRASSE-9"), ("ﬁle-3", "FILE-3")],
)
def test_identity_folds_case_width_ligatures_and_whitespace(
    s: Setup, first: str, second: str
) -> None:
    s.submit(body(invoice_number=first))
    answer = s.submit(body(ap_invoice_id="ap-2", invoice_number=second))
    assert answer["state"] == "duplicate"


@pytest.mark.parametrize(
    "second",
    [
        body(ap_invoice_id="ap-2", invoice_number="INV-2"),
        body(ap_invoice_id="ap-2", vendor_id="57"),
    ],
)
def test_another_number_or_another_vendor_is_not_a_duplicate(
    s: Setup, second: dict[str, Any]
) -> None:
    s.submit(body())
    assert s.submit(second)["state"] == "queued"


def test_a_duplicate_of_an_exported_bill_links_to_it(s: Setup) -> None:
    s.submit(body())
    s.store.set_state("ap-1", ExportState.EXPORTED, qbo_bill_id="145")
    answer = s.submit(body(ap_invoice_id="ap-2", invoice_number="inv-1"))
    assert answer["state"] == "duplicate"
    assert answer["duplicate_of"]["qbo_bill_id"] == "145"
    assert answer["duplicate_of"]["qbo_link"].endswith("txnId=145")


@pytest.mark.parametrize("holder_state", [ExportState.FAILED, ExportState.DUPLICATE])
def test_a_number_held_by_a_failed_or_duplicate_invoice_is_free_again(
    s: Setup, holder_state: ExportState
) -> None:
    s.submit(body())
    s.store.set_state("ap-1", holder_state)
    answer = s.submit(body(ap_invoice_id="ap-2"))
    assert answer["state"] == "queued"
    assert s.store.holder("56", "inv-1") == "ap-2"


def _leftover_claim(s: Setup, owner: str, age: int) -> None:
    """A claim left by a submission that crashed before writing its record."""
    s.store.claims[(ORG, LE, "56", "inv-1")] = Claim(owner, "crash", int(s.clock()) - age)


def test_a_young_leftover_claim_may_be_a_submission_in_flight(s: Setup) -> None:
    _leftover_claim(s, "ap-crashed", age=CLAIM_GRACE_SECONDS - 10)
    assert s.submit(body(ap_invoice_id="ap-2"))["state"] == "duplicate"


def test_an_old_leftover_claim_is_taken_over(s: Setup) -> None:
    _leftover_claim(s, "ap-crashed", age=CLAIM_GRACE_SECONDS + 10)
    assert s.submit(body(ap_invoice_id="ap-2"))["state"] == "queued"
    assert s.store.holder("56", "inv-1") == "ap-2"


def test_a_live_holder_keeps_its_number_however_old_its_claim(s: Setup) -> None:
    s.submit(body())
    s.clock.advance(10 * CLAIM_GRACE_SECONDS)
    assert s.submit(body(ap_invoice_id="ap-2"))["state"] == "duplicate"


def test_correcting_the_number_frees_the_old_one(s: Setup) -> None:
    s.submit(body())
    s.submit(body(invoice_number="INV-1B"))
    assert s.store.claim(ORG, LE, "56", "inv-1") is None
    assert s.submit(body(ap_invoice_id="ap-2"))["state"] == "queued"
    assert s.submit(body(ap_invoice_id="ap-3", invoice_number="inv-1b"))["state"] == "duplicate"


def test_a_duplicate_corrected_to_a_free_number_is_queued(s: Setup) -> None:
    s.submit(body())
    assert s.submit(body(ap_invoice_id="ap-2"))["state"] == "duplicate"
    answer = s.submit(body(ap_invoice_id="ap-2", invoice_number="INV-2"))
    assert answer["state"] == "queued"
    assert s.store.one("ap-2").generation == 2


# -- references to QuickBooks master data --------------------------------------------------------


def test_an_unknown_vendor_is_refused_naming_the_field(s: Setup) -> None:
    error = s.refused(body(vendor_id="999"))
    assert error.code == "unknown_reference"
    assert error.field == "vendor_id"
    assert "'999'" in error.message and "vendor" in error.message
    assert s.store.records == {}


def test_an_inactive_record_is_refused_by_name(s: Setup) -> None:
    s.master.add("Account", "8", name="Old Expenses", active=False)
    error = s.refused(body(lines=[line(account_id="8")]))
    assert error.field == "lines[0].account_id"
    assert "Old Expenses" in error.message and "inactive" in error.message


def test_a_deleted_record_is_refused_as_unknown(s: Setup) -> None:
    from qbo_connector.models.record import MasterRecord

    s.master.records[("Vendor", "58")] = MasterRecord("Gone Ltd", True, True)
    assert s.refused(body(vendor_id="58")).field == "vendor_id"


def test_a_reference_of_the_wrong_type_is_unknown(s: Setup) -> None:
    # "11" is an Item, not an Account: references are typed.
    assert s.refused(body(lines=[line(account_id="11")])).field == "lines[0].account_id"


def test_every_bad_reference_is_listed(s: Setup) -> None:
    error = s.refused(
        body(
            terms_id="404",
            lines=[
                line(),
                line(account_id="998", class_id="31"),
                item_line(amount="1", customer_id="997"),
            ],
        )
    )
    fields = [p["field"] for p in error.details["problems"]]
    assert fields == ["terms_id", "lines[1].account_id", "lines[2].customer_id"]
    assert error.field == "terms_id"
    assert "(2 more in details)" in error.message


def test_valid_references_of_every_kind_pass(s: Setup) -> None:
    answer = s.submit(
        body(
            terms_id="3",
            lines=[line(class_id="31", customer_id="21", billable=True), item_line(amount="5")],
        )
    )
    assert answer["state"] == "queued"


# -- the PDF: only in the invoice bucket, below the entity's own prefix -------------------------


def pdf(key: str, bucket: str = BUCKET, **fields: Any) -> dict[str, Any]:
    return body(pdf={"bucket": bucket, "key": key, **fields})


def test_a_pdf_below_the_entity_prefix_is_accepted(s: Setup) -> None:
    s.submit(pdf(f"{ORG}/{LE}/inv-1.pdf"))
    stored = s.store.one("ap-1")
    assert stored.invoice["pdf"]["key"] == f"{ORG}/{LE}/inv-1.pdf"
    assert stored.invoice["pdf"]["file_name"] == "inv-1.pdf"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (pdf(f"{ORG}/{LE}/a.pdf", bucket="other-bucket"), "pdf.bucket"),
        (pdf(f"org-2/{LE}/a.pdf"), "pdf.key"),  # another organization's prefix
        (pdf(f"{ORG}/le-2/a.pdf"), "pdf.key"),  # a sibling legal entity's prefix
        (pdf(f"{ORG}/{LE}-x/a.pdf"), "pdf.key"),  # a prefix that merely starts the same
        (pdf(f"{ORG}/{LE}/", file_name="a.pdf"), "pdf.key"),  # the prefix, no object
        (pdf(f"{ORG}/{LE}/../../org-2/{LE}/a.pdf"), "pdf.key"),
        (pdf(f"{ORG}/{LE}/./a.pdf"), "pdf.key"),
        (pdf(f"/{ORG}/{LE}/a.pdf"), "pdf.key"),
        (pdf(f"{ORG}//{LE}/a.pdf"), "pdf.key"),
        (pdf(f"{ORG}/{LE}\\a.pdf"), "pdf.key"),
        (pdf(f"{ORG}/{LE}/a\u200b.pdf"), "pdf.key"),  # zero-width space
        (pdf(f"{ORG}/{LE}/a.pdf", file_name="a.exe"), "pdf.file_name"),
        (pdf(f"{ORG}/{LE}/a.txt"), "pdf.file_name"),
        (pdf(""), "pdf.key"),
        (pdf(f"{ORG}/{LE}/a.pdf", bucket=""), "pdf.bucket"),
        (pdf(f"{ORG}/{LE}/a.pdf", bucket="Not_A_Bucket"), "pdf.bucket"),
        (body(pdf="s3://invoice-bucket/a.pdf"), "pdf"),
    ],
)
def test_a_pdf_elsewhere_is_refused(s: Setup, payload: dict[str, Any], field: str) -> None:
    assert s.refused(payload).field == field
    assert s.store.records == {} and s.store.claims == {}


def test_the_pdf_is_checked_before_anything_is_read_or_claimed(s: Setup) -> None:
    # An unknown vendor *and* a PDF of another tenant: the PDF is what is refused.
    error = s.refused({**pdf(f"org-2/{LE}/a.pdf"), "vendor_id": "999"})
    assert error.field == "pdf.key"


def test_no_pdf_at_all_without_an_invoice_bucket() -> None:
    service = bill_service(BillStore(), MasterData(), invoice_bucket="")
    with pytest.raises(InvalidInput) as raised:
        service.submit(entity(), pdf(f"{ORG}/{LE}/a.pdf"))
    assert raised.value.field == "pdf.bucket"


# -- the invoice's own grammar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("not an object", "body"),
        ([body()], "body"),
        (body(ap_invoice_id=None), "ap_invoice_id"),
        (body(ap_invoice_id="has space"), "ap_invoice_id"),
        (body(ap_invoice_id="-leading"), "ap_invoice_id"),
        (body(ap_invoice_id="trailing\n"), "ap_invoice_id"),
        (body(ap_invoice_id="x" * 65), "ap_invoice_id"),
        (body(ap_invoice_id=12), "ap_invoice_id"),
        (body(invoice_number=""), "invoice_number"),
        (body(invoice_number="   "), "invoice_number"),
        (body(invoice_number="X" * 22), "invoice_number"),  # QBO's DocNumber holds 21
        (body(invoice_number="INV\u200b1"), "invoice_number"),  # zero-width space
        (body(invoice_number="INV\u202e1"), "invoice_number"),  # bidi override
        (body(invoice_number="INV\n1"), "invoice_number"),
        (body(invoice_number=42), "invoice_number"),
        (body(vendor_id=None), "vendor_id"),
        (body(vendor_id="a b"), "vendor_id"),
        (body(vendor_id=True), "vendor_id"),
        (body(vendor_id=-1), "vendor_id"),
        (body(currency="usd"), "currency"),
        (body(currency="US"), "currency"),
        (body(memo="a\x00b"), "memo"),
        (body(memo="m" * 4001), "memo"),
        (body(lines=[]), "lines"),
        (body(lines="x"), "lines"),
        (body(lines=[line()] * 251), "lines"),
        (body(lines=["x"]), "lines[0]"),
        (body(lines=[{"amount": "1"}]), "lines[0]"),  # neither account nor item
        (body(lines=[line(item_id="11")]), "lines[0]"),  # both
        (body(lines=[line(), line(billable=True)]), "lines[1].customer_id"),
        (body(lines=[line(billable="yes", customer_id="21")]), "lines[0].billable"),
        (body(lines=[line(description="\x07")]), "lines[0].description"),
        (body(lines=[line(qty=2)]), "lines[0].qty"),  # qty on an expense line
    ],
)
def test_a_malformed_invoice_is_refused_naming_the_field(
    s: Setup, payload: Any, field: str
) -> None:
    error = s.refused(payload)
    assert error.status == 400
    assert error.field == field
    assert s.store.records == {}


def test_memo_and_description_keep_tabs_and_line_breaks(s: Setup) -> None:
    s.submit(body(memo="a\tb\r\nc", lines=[line(description="one\ntwo")]))
    assert s.store.one("ap-1").invoice["memo"] == "a\tb\r\nc"


# -- amounts, quantities and dates: strict ASCII grammars -----------------------------------------


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("125.50", "125.50"),
        ("125.5", "125.50"),
        ("0", "0.00"),
        ("007", "7.00"),
        (125, "125.00"),
        (125.5, "125.50"),
        (0.1, "0.10"),
        ("9999999999.99", "9999999999.99"),
    ],
)
def test_amounts_accepted_and_stored_in_exact_cents(s: Setup, amount: Any, stored: str) -> None:
    s.submit(body(lines=[line(amount=amount)]))
    assert s.store.one("ap-1").invoice["lines"][0]["amount"] == stored


@pytest.mark.parametrize(
    "amount",
    [
        "-1",
        "-0",
        -1,
        -0.0,
        "1e3",
        1e10,
        " 1",
        "1 ",
        "+1",
        "1,000.00",
        "1_000",
        "0x10",
        "\uff11\uff12",  # full-width digits
        "١٢",  # Arabic-Indic digits
        "12.345",
        12.345,
        "12.",
        ".5",
        "10000000000",
        10_000_000_000,
        float("nan"),
        float("inf"),
        "NaN",
        True,
        None,
        [],
        {"value": 1},
    ],
)
def test_amounts_outside_the_grammar_are_refused(s: Setup, amount: Any) -> None:
    assert s.refused(body(lines=[line(amount=amount)])).field == "lines[0].amount"


def test_a_negative_amount_says_credits_are_not_bills(s: Setup) -> None:
    assert "vendor credits" in s.refused(body(lines=[line(amount="-5")])).message


def test_too_many_decimals_says_round_to_cents(s: Setup) -> None:
    assert "round it to cents" in s.refused(body(lines=[line(amount="1.005")])).message


def test_the_total_must_stay_below_ten_billion(s: Setup) -> None:
    error = s.refused(body(lines=[line(amount="9999999999.99"), line(amount="0.01")]))
    assert error.field == "lines"
    assert "Split the invoice" in error.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "5", "qty": 2, "unit_price": "2.5"}, None),
        ({"amount": "0.33", "qty": "3", "unit_price": "0.11"}, None),
        ({"amount": "0.01", "qty": "0.005", "unit_price": "1"}, None),  # half up
        ({"amount": "5", "qty": 2}, None),  # no price: the amount stands
        ({"amount": "5", "qty": 2, "unit_price": "3"}, "lines[0].amount"),
        ({"amount": "5", "qty": 0, "unit_price": "0"}, "lines[0].qty"),
        ({"amount": "5", "qty": "1.12345678", "unit_price": "5"}, "lines[0].qty"),
        ({"amount": "0", "qty": "1234567890.123456", "unit_price": "0"}, "lines[0].qty"),
        ({"amount": "0", "qty": "1234567890.12345", "unit_price": "0"}, None),  # 15 digits
        ({"amount": "5", "qty": -1, "unit_price": "5"}, "lines[0].qty"),
        ({"amount": "0", "qty": 1, "unit_price": "0"}, None),  # a zero price is allowed
    ],
)
def test_item_lines_qty_times_price_is_the_amount(
    s: Setup, fields: dict[str, Any], field: str | None
) -> None:
    payload = body(lines=[item_line(**fields)])
    if field is None:
        assert s.submit(payload)["state"] == "queued"
    else:
        assert s.refused(payload).field == field


@pytest.mark.parametrize("day", ["2026-02-20", "1900-01-01", "2099-12-31", "2024-02-29"])
def test_dates_accepted(s: Setup, day: str) -> None:
    s.submit(body(invoice_date=day))
    assert s.store.one("ap-1").invoice["invoice_date"] == day


@pytest.mark.parametrize(
    "day",
    [
        "2026-2-20",
        "20260220",
        "2026/02/20",
        "2026-02-20T00:00:00",
        " 2026-02-20",
        "\uff12\uff10\uff12\uff16-02-20",
        "2026-02-30",  # not a calendar date
        "2025-02-29",  # not a leap year
        "1899-12-31",
        "2100-01-01",
        20260220,
        None,
        "",
    ],
)
def test_dates_outside_the_grammar_are_refused(s: Setup, day: Any) -> None:
    assert s.refused(body(invoice_date=day)).field == "invoice_date"


def test_a_due_date_before_the_invoice_date_is_refused(s: Setup) -> None:
    assert s.refused(body(due_date="2026-02-19")).field == "due_date"
    assert s.submit(body(due_date="2026-02-20"))["state"] == "queued"


def test_refusals_are_only_invalid_input(s: Setup) -> None:
    """Whatever a body holds, submission answers 400 or succeeds: never another error."""
    odd_values: list[Any] = [None, True, 0, -1, 1.5, "", "x" * 5000, [], {}, [None], {"a": 1}]
    template = body(due_date="2026-03-01", memo="m", terms_id="3", currency="USD")
    template["lines"] = [item_line(amount="5", qty=1, unit_price="5", class_id="31")]
    for key in list(template):
        for value in odd_values:
            payload = copy.deepcopy(template)
            payload[key] = value
            with contextlib.suppress(InvalidInput):
                s.submit(payload)
    for key in list(template["lines"][0]):
        for value in odd_values:
            payload = copy.deepcopy(template)
            payload["lines"][0][key] = value
            with contextlib.suppress(InvalidInput):
                s.submit(payload)


# -- reads and the ops mark -----------------------------------------------------------------------


def test_show_an_unknown_invoice_is_404(s: Setup) -> None:
    with pytest.raises(NotFound) as raised:
        s.service.show(s.entity, "ap-404")
    assert raised.value.code == "bill_not_found"


def test_show_answers_the_stored_state(s: Setup) -> None:
    s.submit(body())
    assert s.service.show(s.entity, "ap-1")["state"] == "queued"


@pytest.mark.parametrize(
    ("state", "limit", "field"), [("sent", 10, "state"), (None, 0, "limit"), (None, 201, "limit")]
)
def test_list_page_checks_its_parameters(
    s: Setup, state: str | None, limit: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        s.service.list_page(s.entity, state, limit, None)
    assert raised.value.field == field


def test_list_page_filters_by_state(s: Setup) -> None:
    s.submit(body())
    s.submit(body(ap_invoice_id="ap-2"))
    page = s.service.list_page(s.entity, "duplicate", 10, None)
    assert [item["ap_invoice_id"] for item in page["items"]] == ["ap-2"]


def test_only_a_duplicate_can_be_marked_exported(s: Setup) -> None:
    s.submit(body())
    with pytest.raises(Conflict) as raised:
        s.service.mark_exported(ORG, LE, "ap-1", "145", "ops-ann")
    assert raised.value.code == "not_a_duplicate"


def test_marking_a_duplicate_exported_against_its_bill(s: Setup) -> None:
    s.submit(body())
    s.submit(body(ap_invoice_id="ap-2"))
    answer = s.service.mark_exported(ORG, LE, "ap-2", "145", "ops-ann")
    assert answer["state"] == "exported"
    assert answer["qbo_bill_id"] == "145"
    assert answer["marked_by"]["operator"] == "ops-ann"


def test_a_qbo_bill_stands_for_one_ap_invoice(s: Setup) -> None:
    s.submit(body())
    s.submit(body(ap_invoice_id="ap-2"))
    s.submit(body(ap_invoice_id="ap-3"))
    s.service.mark_exported(ORG, LE, "ap-2", "145", "ops")
    with pytest.raises(Conflict) as raised:
        s.service.mark_exported(ORG, LE, "ap-3", "145", "ops")
    assert raised.value.code == "qbo_bill_taken"


def test_marking_needs_a_bill_id_when_the_duplicate_names_none(s: Setup) -> None:
    s.submit(body())
    s.submit(body(ap_invoice_id="ap-2"))
    with pytest.raises(InvalidInput) as raised:
        s.service.mark_exported(ORG, LE, "ap-2", None, "ops")
    assert raised.value.field == "qbo_bill_id"
