"""The profile options of vendors and purchase orders: validated, each problem named."""

from __future__ import annotations

import pytest

from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.sync_profile import DEFAULT_OBJECT_TYPES, SyncProfile, parse_profile


def test_purchase_orders_are_supported_but_not_a_default() -> None:
    assert "PurchaseOrder" not in DEFAULT_OBJECT_TYPES
    profile = parse_profile({"object_types": ["PurchaseOrder", "Vendor", "Item"]})
    # Import order, whatever order was given: the lists a PO refers to come first.
    assert profile.object_types == ("Vendor", "Item", "PurchaseOrder")


@pytest.mark.parametrize("value", ["0", "2.5", 10, 100, "99.99"])
def test_a_po_tolerance_is_a_percentage(value: object) -> None:
    profile = parse_profile({"po_tolerance_percent": value})
    assert profile.po_tolerance_percent == str(value)
    assert SyncProfile.from_dict(profile.to_dict()).po_tolerance_percent == str(value)


@pytest.mark.parametrize("value", ["-1", "101", "abc", True, "1e2", "2.555", None])
def test_a_wrong_po_tolerance_is_named(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_profile({"po_tolerance_percent": value})
    assert refused.value.field == "profile.po_tolerance_percent"
    assert "percentage from 0 to 100" in refused.value.message


def test_vendor_options_round_trip_and_refuse_an_unknown_policy() -> None:
    profile = parse_profile({"export_vendors": True, "existing_vendor": "refuse"})
    again = SyncProfile.from_dict(profile.to_dict())
    assert (again.export_vendors, again.existing_vendor) == (True, "refuse")
    with pytest.raises(InvalidInput) as refused:
        parse_profile({"existing_vendor": "merge"})
    assert refused.value.field == "profile.existing_vendor"
