"""Unit tests (no stack): invoice number identity."""

from __future__ import annotations

import random
import unicodedata
from typing import Any

import pytest

from qbo_connector.models.bill import ApInvoice, invoice_number_identity


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
