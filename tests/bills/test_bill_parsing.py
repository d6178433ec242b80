"""Unit tests (no stack): invoice number identity, strict grammars of ApInvoice.parse,
nasty JSON values, PDF locations and the IAM scope of the PDF reads."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from qbo_connector.adapters import invoice_documents
from qbo_connector.adapters.invoice_documents import DocumentUnavailable, InvoiceDocuments
from qbo_connector.models.bill import (
    ApInvoice,
    check_pdf_location,
    invoice_number_identity,
    pdf_location_allowed,
    pdf_unreadable_reason,
)
from qbo_connector.models.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "ap-platform-invoices"


def body(**extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ap_invoice_id": "ap-1",
        "vendor_id": "56",
        "invoice_number": "INV-1",
        "invoice_date": "2025-10-01",
        "lines": [{"amount": "125.50", "account_id": "7"}],
    }
    out.update(extra)
    return out


def line(**fields: Any) -> dict[str, Any]:
    return body(lines=[fields])


def _id(value: Any) -> str:
    """A test id for any value (repr of a 5000-digit int raises)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
        return "huge-int"
    return repr(value)[:40]


def refused(payload: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        ApInvoice.parse(payload)
    return caught.value


# -- identity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "submitted"),
    [
        ("Inv-Mixed-1", "INV-MIXED-1"),
        ("inv  double 2", "INV DOUBLE 2"),
        ("  inv\tdouble\n2 ", "INV DOUBLE 2"),
        # full-width
        ("\uff29\uff2e\uff36\uff0d\uff37\uff29\uff24\uff25\uff0d\uff13", "INV-WIDE-3"),
        ("INV\u00a0NBSP\u30004", "inv nbsp 4"),  # no-break and ideographic spaces
        ("STRASSE-5", "Straße-5"),  # casefold, not just lower()
        ("\ufb01le-6", "FILE-6"),  # the "fi" ligature
        ("ZW\u200b-7", "zw-7"),  # a zero-width space pasted into QBO
        ("\ufeffBOM-8", "bom-8"),
        ("e\u0301-9", "\u00e9-9"),  # decomposed and precomposed é
    ],
)
def test_spellings_of_one_number_share_an_identity(typed: str, submitted: str) -> None:
    assert invoice_number_identity(typed) == invoice_number_identity(submitted)


@pytest.mark.parametrize(
    ("one", "other"),
    [("INV-1", "INV-2"), ("INV-1", "INV1"), ("INV 1", "INV1"), ("INV-1", "INV-1-A"),
     ("0012", "12"), ("INV-O1", "INV-01")],
)
def test_different_numbers_stay_different(one: str, other: str) -> None:
    assert invoice_number_identity(one) != invoice_number_identity(other)


def test_identity_is_idempotent_and_normalized() -> None:
    rng = random.Random(3)
    alphabet = "aAbB1 -\u00df\u0130\u00a0\u3000\uff21\uff41\u0301\ufb01\u200b\u2126x"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        key = invoice_number_identity(text)
        assert invoice_number_identity(key) == key, repr(text)
        assert key == key.strip() and "  " not in key
        assert unicodedata.normalize("NFKC", key) == key


def test_the_parsed_invoice_uses_that_identity_and_keeps_its_spelling() -> None:
    invoice = ApInvoice.parse(body(invoice_number="  Inv  Mixed-1 "))
    assert invoice.invoice_number == "Inv  Mixed-1"  # sent to QBO as the vendor wrote it
    assert invoice.number_identity == "inv mixed-1"


# -- invoice numbers and text --------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "INV\x001", "INV\r\n1", "INV\t1", "INV\x7f1", "INV\x851",  # C0, C1 controls
        "INV\u200b1", "INV\u200c1", "INV\u200d1", "INV\u2060-1", "\ufeffINV1",  # invisible
        "INV\u202e1", "INV\u202a1", "INV\u2066-1\u2069", "INV\u200f1", "INV\u061c1",  # bidi
        "INV\u20281", "INV\u20291", "INV\ue0001", "INV\ud8001", "INV\U000e0041",
    ],
)
def test_invisible_or_control_characters_in_an_invoice_number_are_refused(number: str) -> None:
    error = refused(body(invoice_number=number))
    assert error.field == "invoice_number"
    assert "U+" in error.message and "without it" in error.message


@pytest.mark.parametrize("number", ["", "   ", "\u3000\u00a0", None])
def test_blank_invoice_numbers_are_refused(number: Any) -> None:
    assert refused(body(invoice_number=number)).field == "invoice_number"


def test_invoice_number_length_is_qbo_s() -> None:
    assert ApInvoice.parse(body(invoice_number="X" * 21)).invoice_number == "X" * 21
    assert "21" in refused(body(invoice_number="X" * 22)).message


def test_memo_and_description_keep_line_breaks_and_tabs_but_no_other_controls() -> None:
    text = "Line one\r\nline two\tcolumn\u200d\U0001f9fe \u05e9\u05dc\u05d5\u05dd"
    invoice = ApInvoice.parse(body(memo=text, lines=[
        {"amount": "1.00", "account_id": "7", "description": text}]))
    assert invoice.memo == text and invoice.lines[0].description == text
    for bad in ("bell\x07", "nul\x00", "esc\x1b[0m", "c1\x9b", "lone \udc00 surrogate"):
        assert refused(body(memo=bad)).field == "memo"
        where = refused(body(lines=[{"amount": "1", "account_id": "7", "description": bad}]))
        assert where.field == "lines[0].description"


# -- amounts and quantities -------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "stored"),
    [("125.50", "125.50"), ("0", "0.00"), ("7", "7.00"), ("0.5", "0.50"), (125.5, "125.50"),
     (42, "42.00"), (0.1, "0.10"), ("9999999999.99", "9999999999.99"),
     (9999999999.99, "9999999999.99")],
)
def test_amounts_accepted(amount: Any, stored: str) -> None:
    assert ApInvoice.parse(line(amount=amount, account_id="7")).lines[0].amount == stored


@pytest.mark.parametrize(
    "amount",
    [
        "1_000", "1,000.00", "1 000", " 12.00", "12.00 ", "+12", "-12", "-0", "-0.00", "0x10",
        "1e3", "1E3", "NaN", "nan", "Infinity", "inf", "", ".5", "5.", "12.345",
        "\u0661\u0660\u0660",  # Arabic-Indic digits
        "\u0967\u0966",  # Devanagari digits
        "\uff11\uff10",  # full-width digits
        "10000000000", "1" * 28, "1" * 40 + ".00", "0." + "1" * 30,
        -1, -0.0, -12.5, 1e308, float("inf"), float("-inf"), float("nan"), 10**10, 10**5000,
        12.345, 1e-7, 5e-324, True, False, None, [], [1], {}, {"value": 1}, ["12.00"],
    ],
    ids=_id,
)
def test_amounts_refused_with_400_naming_the_field(amount: Any) -> None:
    error = refused(line(amount=amount, account_id="7"))
    assert error.field == "lines[0].amount", (amount, error.field)
    assert error.status == 400


def test_the_total_stays_within_bounds() -> None:
    lines = [{"amount": "9999999999.99", "account_id": "7"}] * 2
    error = refused(body(lines=lines))
    assert error.field == "lines" and "10,000,000,000" in error.message


@pytest.mark.parametrize(
    ("qty", "price", "amount"),
    [("3", "8.50", "25.50"), ("0.5", "0.1234567", "0.06"), (2, 12.5, "25.00"),
     ("9999999999", "0", "0.00"), ("1.25", "4", "5.00")],
)
def test_item_lines_accepted(qty: Any, price: Any, amount: str) -> None:
    parsed = ApInvoice.parse(line(amount=amount, item_id="11", qty=qty, unit_price=price))
    assert parsed.lines[0].amount == amount


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("qty", "0"), ("qty", 0), ("qty", "-1"), ("qty", "-0"), ("qty", "1_0"),
        ("qty", "\u0663"), ("qty", "1e2"), ("qty", "1.12345678"), ("qty", "1" * 28),
        ("qty", "12345678.1234567"),  # 15 digits written, 15 significant: fine below
        ("unit_price", "1" * 28), ("unit_price", "0." + "1" * 28), ("unit_price", "-0"),
        ("unit_price", 1e308), ("unit_price", float("nan")), ("unit_price", "NaN"),
        ("unit_price", 10**30), ("unit_price", [1]), ("qty", {"n": 1}), ("qty", True),
        ("unit_price", "1234567890.1234567"),  # 17 significant digits: not exact as a double
    ],
    ids=_id,
)
def test_quantities_refused_with_400_naming_the_field(field: str, value: Any) -> None:
    fields = {"amount": "1.00", "item_id": "11", "qty": "1", "unit_price": "1", field: value}
    if (field, value) == ("qty", "12345678.1234567"):
        # 15 significant digits is the limit: accepted, and it must then match the amount
        error = refused(line(**fields))
        assert error.field == "lines[0].amount"
        return
    error = refused(line(**fields))
    assert error.field == f"lines[0].{field}", (field, value, error.field, error.message)


def test_a_28_digit_product_is_a_400_not_a_500() -> None:
    # Used to overflow Decimal's 28-digit context (InvalidOperation -> 500).
    error = refused(line(amount="1.00", item_id="11", qty="9999999999.9999999",
                         unit_price="9999999.9999999"))
    assert error.field in ("lines[0].qty", "lines[0].unit_price", "lines[0].amount")


# -- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-W40-3", "2025W403", "20251001", "2025-10-1", "2025-1-01", "25-10-01",
        "2025-10-01T00:00:00", "2025-10-01 ", " 2025-10-01", "2025/10/01", "2025-13-01",
        "2025-02-30", "2025-00-10", "9999-12-31", "1899-12-31", "2100-01-01", "0001-01-01",
        "\uff12\uff10\uff12\uff15-10-01", "\u0662\u0660\u0662\u0665-10-01", "+2025-10-01",
        "2025-274", "--10-01", 20251001, 2025.10, ["2025-10-01"], {"date": "2025-10-01"}, True,
    ],
)
def test_dates_are_strict(value: Any) -> None:
    assert refused(body(invoice_date=value)).field == "invoice_date"
    assert refused(body(due_date=value)).field == "due_date"


def test_dates_accepted_within_the_range() -> None:
    for value in ("1900-01-01", "2025-10-01", "2024-02-29", "2099-12-31"):
        assert ApInvoice.parse(body(invoice_date=value)).invoice_date == value
    assert refused(body(due_date="2025-09-30")).field == "due_date"  # before invoice_date


# -- any JSON value anywhere: InvalidInput and only InvalidInput ----------------------------

NASTY: list[Any] = [
    None, True, False, 0, -1, 10**18, 10**30, 10**5000, -(10**5000), 1e308, -1e308, 5e-324,
    float("inf"), float("-inf"), float("nan"), -0.0, "", " ", "\x00", "\ud800", "\udfff",
    "\u202e", "\u200b", "\ufeff", "a" * 100_000, "1_000", "\u0661", "-0", "2025-W40-3",
    [], [None], [[[]]], [[1, 2], [3]], [{}], {}, {"a": {"b": {"c": []}}}, {"": None},
    {"value": "1"}, ["2025-10-01"], "../../etc/passwd", "//", "/abs", "..", "%2e%2e",
]
FIELDS = [
    ("ap_invoice_id",), ("vendor_id",), ("invoice_number",), ("invoice_date",), ("due_date",),
    ("terms_id",), ("currency",), ("department_id",), ("ap_account_id",), ("memo",),
    ("lines",), ("pdf",), ("lines", 0), ("lines", 0, "amount"), ("lines", 0, "account_id"),
    ("lines", 0, "item_id"), ("lines", 0, "qty"), ("lines", 0, "unit_price"),
    ("lines", 0, "class_id"), ("lines", 0, "customer_id"), ("lines", 0, "billable"),
    ("lines", 0, "tax_code_id"), ("lines", 0, "description"), ("pdf", "bucket"),
    ("pdf", "key"), ("pdf", "file_name"),
]


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = body(pdf={"bucket": BUCKET, "key": "org/le/inv.pdf", "file_name": "inv.pdf"})
    doc["lines"] = [{"amount": "3.00", "item_id": "11", "qty": "1", "unit_price": "3"}]
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def _storable(invoice: ApInvoice) -> None:
    """What parse accepts can be stored and sent: UTF-8 JSON, bounded numbers."""
    json.dumps(invoice.to_dict(), ensure_ascii=False).encode("utf-8")
    json.dumps(invoice.to_qbo(), allow_nan=False, ensure_ascii=False).encode("utf-8")


def test_nasty_values_anywhere_give_invalid_input_and_nothing_else() -> None:
    accepted = 0
    for path in FIELDS:
        for value in NASTY:
            try:
                invoice = ApInvoice.parse(_with(path, value))
            except InvalidInput as error:
                assert error.status == 400 and error.field, (path, value)
                continue
            # Whatever got through (an empty optional field, say) must be sound.
            _storable(invoice)
            accepted += 1
    # The harness really exercises parse: the untouched body is valid...
    _storable(ApInvoice.parse(_with(("memo",), "ok")))
    # ...and most nasty values are refused (only the optional "empty" ones get through).
    assert accepted < len(FIELDS) * len(NASTY) // 4


def test_random_json_documents_give_invalid_input_or_a_sound_invoice() -> None:
    rng = random.Random(11)

    def value(depth: int = 0) -> Any:
        kind = rng.randrange(9 if depth < 3 else 6)
        if kind == 0:
            return rng.choice(NASTY)
        if kind == 1:
            return rng.choice(["125.50", "7", "2025-10-01", "INV-1", "56", "11", "USD"])
        if kind == 2:
            return rng.randint(-(10**30), 10**30)
        if kind == 3:
            return rng.uniform(-1e300, 1e300)
        if kind == 4:
            return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randint(0, 8)))
        if kind == 5:
            return rng.choice([True, False, None])
        if kind in (6, 7):
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice([p[-1] for p in FIELDS if isinstance(p[-1], str)]): value(depth + 1)
                for _ in range(rng.randint(0, 4))}

    outcomes = {"sound": 0, "refused": 0}
    for _ in range(3000):
        doc = _with(rng.choice(FIELDS), value())
        if rng.random() < 0.5:
            doc["memo"] = value()
        try:
            _storable(ApInvoice.parse(doc))
            outcomes["sound"] += 1
        except InvalidInput:
            outcomes["refused"] += 1
    assert outcomes["sound"] > 100 and outcomes["refused"] > 1000, outcomes


# -- PDF locations ----------------------------------------------------------------------


def pdf_body(bucket: Any = BUCKET, key: Any = "org-a/le-a/inv-1.pdf", **extra: Any) -> Any:
    return body(pdf={"bucket": bucket, "key": key, **extra})


@pytest.mark.parametrize(
    "key",
    ["/org-a/le-a/x.pdf", "org-a//le-a/x.pdf", "org-a/le-a/../le-b/x.pdf", "org-a/le-a/./x.pdf",
     "..", "org-a/le-a/x.pdf\x00", "org-a/le-a/x\u202efdp.pdf", "org-a\\le-a\\x.pdf",
     "org-a/le-a/\u200bx.pdf", "org-a/le-a/" + "x" * 1100 + ".pdf", "", None, 5, ["k"]],
)
def test_unsafe_keys_are_refused_whoever_submits(key: Any) -> None:
    assert refused(pdf_body(key=key)).field == "pdf.key"


def test_pdf_must_be_in_the_invoice_bucket_under_the_entity_prefix() -> None:
    mine = ApInvoice.parse(pdf_body()).pdf
    check_pdf_location(mine, "org-a", "le-a", BUCKET)  # fine
    for org, le in (("org-b", "le-a"), ("org-a", "le-b"), ("org", "a/le-a")):
        with pytest.raises(InvalidInput) as caught:
            check_pdf_location(mine, org, le, BUCKET)
        assert caught.value.field == "pdf.key"
        assert f"{org}/{le}/" in caught.value.message
    other_bucket = ApInvoice.parse(pdf_body(bucket="someone-elses-bucket")).pdf
    with pytest.raises(InvalidInput) as caught:
        check_pdf_location(other_bucket, "org-a", "le-a", BUCKET)
    assert caught.value.field == "pdf.bucket"
    # The prefix alone (no file) and a sibling prefix sharing a stem are not the entity's.
    for key in ("org-a/le-a/", "org-a/le-ab/x.pdf", "org-ab/le-a/x.pdf", "org-a/x.pdf"):
        assert not pdf_location_allowed(BUCKET, key, "org-a", "le-a", BUCKET), key
    assert pdf_location_allowed(BUCKET, "org-a/le-a/2025/10/x.pdf", "org-a", "le-a", BUCKET)
    assert not pdf_location_allowed(BUCKET, "org-a/le-a/x.pdf", "org-a", "le-a", "")


def test_file_name_must_be_a_pdf_name_without_invisible_characters() -> None:
    assert ApInvoice.parse(pdf_body()).pdf.file_name == "inv-1.pdf"  # type: ignore[union-attr]
    for name in ("x.exe", "a/b.pdf", "evil\u202efdp.pdf", "x\x00.pdf", ["x.pdf"]):
        assert refused(pdf_body(file_name=name)).field == "pdf.file_name", name


def test_the_adapter_refuses_a_foreign_key_before_calling_s3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_s3(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("S3 must not be called for a key outside the prefix")

    monkeypatch.setattr(invoice_documents.aws, "client", no_s3)
    documents = InvoiceDocuments(invoice_bucket=BUCKET)
    for bucket, key in ((BUCKET, "org-b/le-b/inv.pdf"), (BUCKET, "org-a/le-b/inv.pdf"),
                        ("other-bucket", "org-a/le-a/inv.pdf"), (BUCKET, "org-a/le-a/../x.pdf")):
        with pytest.raises(DocumentUnavailable) as caught:
            documents.fetch("org-a", "le-a", bucket, key)
        assert str(caught.value) == pdf_unreadable_reason("org-a", "le-a")
        assert key not in str(caught.value) and bucket not in str(caught.value)


# -- IAM --------------------------------------------------------------------------------


def test_sync_worker_reads_only_objects_shaped_like_invoice_pdfs() -> None:
    from local_stack.template import Template

    worker = Template(ROOT / "template.yaml").resources["SyncWorkerFunction"]
    policies = worker["Properties"]["Policies"]
    assert not any(isinstance(p, dict) and "S3ReadPolicy" in p for p in policies)
    s3 = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])
          if any(str(a).startswith("s3:") for a in
                 ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))]
    assert len(s3) == 1
    assert s3[0]["Action"] in ("s3:GetObject", ["s3:GetObject"])
    resource = s3[0]["Resource"]
    resource = resource.get("Fn::Sub", resource) if isinstance(resource, dict) else resource
    assert resource == "arn:${AWS::Partition}:s3:::${InvoiceBucketName}/*/*/*"
