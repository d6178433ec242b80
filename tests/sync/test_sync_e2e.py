"""SmartSync end to end over the local stack: the handlers, moto and the QBO sandbox."""

from __future__ import annotations

from collections.abc import Callable

from tests.sync.conftest import Entity


def test_profile_required_then_202_and_full_import(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity(with_profile=False)
    status, body = entity.start_sync()
    assert status == 412
    assert body["error"]["code"] == "sync_profile_missing"
    assert "support must create the API Sync Profile" in body["error"]["message"]

    assert entity.ops(
        "ops-put-sync-profile.json", profile={"export_bills": False, "import_payments": False}
    )["ok"]
    status, body = entity.start_sync()
    assert status == 202, body
    sync_id = body["sync_id"]
    assert body["status"] == "queued"
    entity.stack.drain()
    run = entity.run(sync_id)
    assert run["status"] == "succeeded", run
    assert run["effective_mode"] == "full"
    vendors = entity.records("vendors")
    qbo_vendors = entity.sandbox.list_objects(entity.realm, "Vendor")
    assert {v["id"] for v in vendors} == {v["Id"] for v in qbo_vendors}
    assert any(not v["active"] for v in vendors)


TYPES = [
    "Vendor",
    "Account",
    "Class",
    "Department",
    "Item",
    "Term",
    "TaxCode",
    "TaxRate",
    "Customer",
    "Currency",
]


def _sync(entity: Entity, body: dict | None = None) -> dict:
    status, started = entity.start_sync(body)
    assert status == 202, started
    entity.stack.drain()
    return entity.run(started["sync_id"])


def test_full_import_equals_the_sandbox_for_every_type(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity()
    run = _sync(entity)
    assert run["status"] == "succeeded", run
    for object_type in TYPES:
        qbo = {
            o["Id"]: o.get("Active", True) is not False
            for o in entity.sandbox.list_objects(entity.realm, object_type)
        }
        stored = {r["id"]: r["active"] for r in entity.records(object_type)}
        assert stored == qbo, object_type
        assert run["progress"][object_type]["status"] == "done"
        assert run["progress"][object_type]["new"] == len(qbo)
    # One page per type (each has < 1000 rows), all of them and the types' counts in one
    # /batch request, and nothing else.
    assert run["api_calls"]["batch"] == 1
    assert run["api_calls"]["total"] == 1
    assert sum(p["fetched"] for p in run["progress"].values()) == sum(
        len(entity.sandbox.list_objects(entity.realm, t)) for t in TYPES
    )
    assert run["counts"]["new"] == sum(p["new"] for p in run["progress"].values())


def test_409_while_running_names_the_running_sync(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity()
    status, first = entity.start_sync()
    assert status == 202
    status, second = entity.start_sync({"mode": "full"})
    assert status == 409
    assert second["error"]["code"] == "sync_already_running"
    assert second["error"]["details"]["running_sync_id"] == first["sync_id"]
    entity.stack.drain()
    status, third = entity.start_sync()
    assert status == 202, third


def test_412_not_connected_and_reconnect_required(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity(connected=False)
    status, body = entity.start_sync()
    assert (status, body["error"]["code"]) == (412, "not_connected")

    entity = make_entity()
    entity.store().update(
        entity.org_id,
        entity.le_id,
        connection_state="reconnect_required",
        reconnect_reason="The refresh token was revoked.",
    )
    status, body = entity.start_sync()
    assert (status, body["error"]["code"]) == (412, "reconnect_required")
    assert "The refresh token was revoked." in body["error"]["message"]


def test_bad_sync_options_name_the_field(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity()
    status, body = entity.start_sync({"mode": "partial"})
    assert (status, body["error"]["field"]) == (400, "since")
    status, body = entity.start_sync({"mode": "sideways"})
    assert (status, body["error"]["field"]) == (400, "mode")


def test_incremental_sync_reflects_exactly_the_accountants_changes(
    make_entity: Callable[..., Entity],
) -> None:
    entity = make_entity()
    first = _sync(entity)
    assert first["effective_mode"] == "full"
    sandbox, realm = entity.sandbox, entity.realm
    vendors = [v for v in sandbox.list_objects(realm, "Vendor") if v.get("Active", True)]
    added = sandbox.create_object(realm, "Vendor", {"DisplayName": "Zeta Gravel Supply"})
    sandbox.update_object(realm, "Vendor", vendors[0]["Id"], {"CompanyName": "Renamed Co"})
    sandbox.delete_object(realm, "Vendor", vendors[1]["Id"])  # deactivates a name-list row

    run = _sync(entity)
    assert run["status"] == "succeeded", run
    assert run["effective_mode"] == "incremental"
    vendor = run["progress"]["Vendor"]
    assert vendor["method"] == "cdc"
    assert (vendor["new"], vendor["changed"], vendor["deactivated"]) == (1, 1, 1)
    for other in TYPES:
        if other != "Vendor":
            p = run["progress"][other]
            assert (p["new"], p["changed"], p["deactivated"], p["deleted"]) == (0, 0, 0, 0)
    # One CDC call for the eight CDC types, and TaxCode's and TaxRate's changed-since
    # queries in one batch: an incremental sync in two calls.
    assert run["api_calls"]["cdc"] == 1
    assert run["api_calls"]["batch"] == 1
    assert run["api_calls"]["total"] == 2
    stored = {r["id"]: r for r in entity.records("Vendor")}
    assert stored[added["Id"]]["name"] == "Zeta Gravel Supply"
    assert stored[vendors[0]["Id"]]["data"]["CompanyName"] == "Renamed Co"
    assert stored[vendors[1]["Id"]]["active"] is False


def test_resync_without_changes_writes_no_records(make_entity: Callable[..., Entity]) -> None:
    from boto3.dynamodb.conditions import Attr

    from qbo_connector.adapters.dynamo import table
    from qbo_connector.config import get_settings

    entity = make_entity()
    first = _sync(entity)
    run = _sync(entity, {"mode": "full"})
    assert run["status"] == "succeeded"
    assert run["counts"]["new"] == run["counts"]["changed"] == 0
    assert run["counts"]["unchanged"] == first["counts"]["new"] > 0
    # Every stored record still carries the first sync's stamp: none was written again.
    items = table(get_settings().records_table).scan(
        FilterExpression=Attr("pk").begins_with(f"{entity.org_id}#{entity.le_id}#")
    )["Items"]
    assert len(items) == first["counts"]["new"]
    assert {i["sync_id"] for i in items} == {first["sync_id"]}


def test_history_is_newest_first_and_paginated(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity()
    ids = [_sync(entity)["sync_id"] for _ in range(3)]
    page = entity.history(limit="2")
    assert [r["sync_id"] for r in page["items"]] == [ids[2], ids[1]]
    rest = entity.history(limit="2", cursor=page["next_cursor"])
    assert [r["sync_id"] for r in rest["items"]] == [ids[0]]
    assert rest["items"][0]["trigger"] == "manual"
    assert rest["items"][0]["requested_by"]["user_id"] == "user-alice"


def test_another_org_cannot_see_the_history(make_entity: Callable[..., Entity]) -> None:
    entity = make_entity()
    status, body = entity.api(
        "EntityApiFunction", "entity-api-list-syncs.json", claims={"org_id": "org-other"}
    )
    assert status == 404
    assert body["error"]["code"] == "legal_entity_not_found"
