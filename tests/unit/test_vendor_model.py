"""models.vendor without network: the strict parser, the QBO body, the name identity."""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.vendor import (
    ApSupplier,
    VendorExport,
    name_identity,
    qbo_fields,
    same_value,
)

FULL: dict[str, Any] = {
    "ap_supplier_id": "sup-1",
    "display_name": "Acme Paper",
    "company_name": "Acme Paper LLC",
    "given_name": "Ann",
    "family_name": "Lee",
    "email": "ap@acme.example",
    "phone": "+1 415 555 0100",
    "billing_address": {
        "line1": "1 Main St",
        "line2": "Suite 2",
        "city": "Springfield",
        "region": "CA",
        "postal_code": "94105",
        "country": "USA",
    },
    "terms_id": "3",
    "currency": "USD",
    "tax_id": "12-3456789",
    "vendor_1099": True,
    "account_number": "ACC-9",
}


def refused(body: Any, country: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        ApSupplier.parse(body, country)
    return err.value


def test_every_field_maps_to_the_qbo_vendor_body() -> None:
    supplier = ApSupplier.parse(FULL, "US")
    assert supplier.to_qbo() == {
        "DisplayName": "Acme Paper",
        "CompanyName": "Acme Paper LLC",
        "GivenName": "Ann",
        "FamilyName": "Lee",
        "PrimaryEmailAddr": {"Address": "ap@acme.example"},
        "PrimaryPhone": {"FreeFormNumber": "+1 415 555 0100"},
        "BillAddr": {
            "Line1": "1 Main St",
            "Line2": "Suite 2",
            "City": "Springfield",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94105",
            "Country": "USA",
        },
        "TermRef": {"value": "3"},
        "CurrencyRef": {"value": "USD"},
        "TaxIdentifier": "12-3456789",
        "Vendor1099": True,
        "AcctNum": "ACC-9",
    }
    assert ApSupplier.from_dict(supplier.to_dict()) == supplier


def test_only_a_display_name_is_required() -> None:
    supplier = ApSupplier.parse({"ap_supplier_id": "s", "display_name": "  Solo  "})
    assert supplier.to_qbo() == {"DisplayName": "Solo"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ap_supplier_id": "-bad"}, "ap_supplier_id"),
        ({"ap_supplier_id": "x" * 65}, "ap_supplier_id"),
        ({"display_name": None}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "a" * 501}, "display_name"),
        ({"display_name": "Acme: East"}, "display_name"),
        ({"display_name": "Acme\tEast"}, "display_name"),
        ({"display_name": "Acme\nEast"}, "display_name"),
        ({"display_name": 'The "Acme"'}, "display_name"),
        ({"display_name": "Acme\u200b"}, "display_name"),
        ({"display_name": "Acme (deleted)"}, "display_name"),
        ({"company_name": "c" * 101}, "company_name"),
        ({"company_name": "A:B"}, "company_name"),
        ({"given_name": 5}, "given_name"),
        ({"family_name": "f" * 101}, "family_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"billing_address": "1 Main St"}, "billing_address"),
        ({"billing_address": {"street": "x"}}, "billing_address.street"),
        ({"billing_address": {"city": "c" * 256}}, "billing_address.city"),
        ({"billing_address": {"postal_code": 94105}}, "billing_address.postal_code"),
        ({"terms_id": "3 days"}, "terms_id"),
        ({"currency": "usd"}, "currency"),
        ({"tax_id": "12 345 678"}, "tax_id"),
        ({"vendor_1099": "yes"}, "vendor_1099"),
        ({"account_number": "a" * 101}, "account_number"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_every_problem_names_its_field(change: dict[str, Any], field: str) -> None:
    err = refused({**FULL, **change})
    assert err.field == field
    assert err.message  # a sentence saying what to do


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert refused(["x"]).field is None


@pytest.mark.parametrize("field", ["tax_id", "vendor_1099"])
def test_us_only_fields_are_refused_for_a_company_elsewhere(field: str) -> None:
    body = {"ap_supplier_id": "s", "display_name": "Maple", field: FULL[field]}
    err = refused(body, "CA")
    assert err.field == field and "US" in err.message
    ApSupplier.parse(body, "US")
    ApSupplier.parse(body)  # country not known yet: checked later (check_country)
    with pytest.raises(InvalidInput):
        ApSupplier.parse(body).check_country("GB")


def test_name_identity_folds_case_width_spacing_and_the_deleted_suffix() -> None:
    base = name_identity("Acme Paper")
    assert name_identity("ACME   paper ") == base
    assert name_identity("\uff21\uff43\uff4d\uff45 Paper") == base  # full-width
    assert name_identity("Acme Paper (deleted)") == base
    assert name_identity("Acme Papers") != base


def test_qbo_fields_reads_back_what_to_qbo_wrote() -> None:
    supplier = ApSupplier.parse(FULL)
    vendor = {**supplier.to_qbo(), "Id": "9", "BillAddr": {**supplier.to_qbo()["BillAddr"],
                                                          "Id": "77", "Lat": "INVALID"}}
    assert qbo_fields(vendor) == supplier.fields()
    assert qbo_fields({"DisplayName": "Acme Paper (deleted)"})["display_name"] == "Acme Paper"
    assert same_value(None, False) and same_value(" a", "a") and not same_value("a", "b")


def test_the_export_record_round_trips_and_its_view_hides_internals() -> None:
    supplier = ApSupplier.parse(FULL)
    record = VendorExport("o", "le", "sup-1", supplier.to_dict(), supplier.payload_hash(),
                          qbo_vendor_id="42", qbo_sync_token="0", sent={"display_name": "x"},
                          matched=True)
    again = VendorExport.from_item(record.to_item())
    assert again == record
    view = record.view()
    assert view["qbo_vendor_id"] == "42" and view["matched"] is True
    assert "sent" not in view and "qbo_sync_token" not in view and "lease_owner" not in view
