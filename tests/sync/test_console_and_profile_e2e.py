"""Operators' console events: the sync profile (ops function) and a console sync."""

from __future__ import annotations

from collections.abc import Callable

from tests.events import load_event
from tests.sync.conftest import Entity


def test_profile_put_show_and_field_errors(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity(with_profile=False)
    shown = entity.ops("ops-show-sync-profile.json")
    assert shown["ok"] and shown["result"]["sync_profile"] is None
    assert "refused" in shown["result"]["message"]

    created = entity.ops("ops-put-sync-profile.json")  # the sample as an operator sends it
    assert created["ok"], created
    assert created["result"]["created"] is True
    assert created["result"]["sync_profile"]["export_bills"] is True

    bad = entity.ops(
        "ops-put-sync-profile.json",
        profile={"object_types": ["Vendor", "Invoice"], "include_inactive": "yes"},
    )
    assert bad["ok"] is False
    assert bad["error"]["field"] == "profile.object_types[1]"
    fields = [p["field"] for p in bad["error"]["details"]["problems"]]
    assert fields == ["object_types[1]", "include_inactive"]

    updated = entity.ops(
        "ops-put-sync-profile.json",
        profile={"object_types": ["Account", "Vendor"], "account_types": ["Expense"]},
    )
    assert updated["ok"], updated
    profile = updated["result"]["sync_profile"]
    assert profile["object_types"] == ["Vendor", "Account"]  # import order kept
    assert profile["export_bills"] is True  # not given: kept from before


def test_console_sync_event_starts_a_sync(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity(profile={"object_types": ["Account"], "account_types": ["Expense"]})
    event = {
        **load_event("console-manual-sync.json"),
        "org_id": entity.org_id,
        "legal_entity_id": entity.le_id,
    }
    answer = entity.stack.invoke("ManualSyncFunction", event)
    assert answer["ok"], answer
    sync_id = answer["result"]["sync_id"]
    entity.stack.drain()
    run = entity.run(sync_id)
    assert run["trigger"] == "console"
    assert run["requested_by"]["name"] == "jane.support@example.com"
    assert run["status"] == "succeeded"
    expense = {
        a["Id"]
        for a in entity.sandbox.list_objects(entity.realm, "Account")
        if a["AccountType"] == "Expense"
    }
    assert {r["id"] for r in entity.records("accounts")} == expense

    again = entity.stack.invoke("ManualSyncFunction", {**event, "operator": ""})
    assert again["ok"] is False and again["error"]["field"] == "operator"


def test_sync_all_reports_each_entity(make_entity: Callable[..., Entity]) -> None:
    ready = make_entity()
    # A second entity of the same organization: registered, but not connected.
    other = ready.ops(
        "ops-register-legal-entity.json", legal_entity_id=f"{ready.le_id}-b", name="Unconnected"
    )
    assert other["ok"]
    status, body = ready.api("ManualSyncFunction", "manual-sync-all.json")
    assert status == 202
    outcomes = {i["legal_entity_id"]: (i["outcome"], i["status"]) for i in body["items"]}
    assert outcomes == {ready.le_id: ("started", 202), f"{ready.le_id}-b": ("not_ready", 412)}
    ready.stack.drain()
