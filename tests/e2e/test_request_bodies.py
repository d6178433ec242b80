"""Request bodies and console events checked against their models (models/inputs.py) on
the local stack: the real handlers invoked with the samples in events/, and the gateway
serving the code-generated OpenAPI document.

A body that breaks its model is answered 400 `invalid_input` naming the field and what
to send, before any route code runs; the same sample, well typed, gets past the model to
the service (here: 412, the entity is not connected yet).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import requests

from tests.events import api_event, load_event
from tests.flows import admin_claims, body_of, ops, register

SERVICE = {"sub": "svc-ap-platform", "role": "Service", "name": "AP platform"}


def post_bill(stack: Any, ids: dict[str, str], invoice: Any) -> tuple[int, Any]:
    event = api_event(
        "api-post-bill.json",
        entity_id=ids["le"],
        claims={**SERVICE, "org_id": ids["org"]},
        body=invoice,
    )
    result = stack.invoke("EntityApiFunction", event)
    return result["statusCode"], body_of(result)


def test_a_wrong_typed_bill_field_is_400_with_the_field_and_what_to_send(stack, ids):
    register(stack, ids["org"], ids["le"])
    sample = json.loads(load_event("api-post-bill.json")["body"])
    wrong = copy.deepcopy(sample)
    wrong["lines"][0]["amount"] = {"value": "1200.00"}  # an object where a number goes
    status, body = post_bill(stack, ids, wrong)
    assert status == 400, body
    assert body == {
        "error": {
            "code": "invalid_input",
            "field": "lines[0].amount",
            "message": "lines[0].amount must be a number or a string of digits, not an object; "
            "send the line's amount such as 125.50: a JSON number or a string of ASCII digits, "
            "at most 2 decimals, 0 to 9,999,999,999.99.",
        }
    }
    # A misspelt optional field would otherwise be dropped from an exactly-once export.
    status, body = post_bill(stack, ids, {**sample, "due_dat": "2025-10-31"})
    assert (status, body["error"]["field"]) == (400, "due_dat")
    assert "is not a field of a bill; remove it" in body["error"]["message"]
    # The sample itself passes the model and reaches the service.
    status, body = post_bill(stack, ids, sample)
    assert (status, body["error"]["code"]) == (412, "not_connected")


def test_schedule_and_sync_bodies_name_the_field(stack, ids):
    register(stack, ids["org"], ids["le"])
    claims = admin_claims(ids["org"])
    schedule = {"kind": "interval", "every_hours": "6", "timezone": "UTC"}
    event = api_event(
        "entity-api-put-sync-schedule.json", entity_id=ids["le"], claims=claims, body=schedule
    )
    result = stack.invoke("EntityApiFunction", event)
    error = body_of(result)["error"]
    assert (result["statusCode"], error["field"]) == (400, "every_hours")
    assert error["message"].startswith('every_hours must be a whole number, not "6"; send ')

    event = api_event(
        "manual-sync-partial.json",
        entity_id=ids["le"],
        claims=claims,
        body={"mode": "full", "x": 1},
    )
    result = stack.invoke("ManualSyncFunction", event)
    error = body_of(result)["error"]
    assert (result["statusCode"], error["field"]) == (400, "x")


def test_an_ops_event_with_a_wrong_typed_field_names_it(stack, ids):
    answer = ops(
        stack,
        "ops-register-legal-entity.json",
        org_id=ids["org"],
        legal_entity_id=ids["le"],
        name=["Acme"],
    )
    assert answer["ok"] is False
    assert answer["error"]["field"] == "name"
    assert answer["error"]["message"] == (
        "name must be text (a JSON string), not a list; send the legal entity's name, "
        "1-200 characters."
    )
    console = {**load_event("console-manual-sync.json"), "org_id": ids["org"], "mode": 1}
    answer = stack.invoke("ManualSyncFunction", console)
    assert (answer["ok"], answer["error"]["field"]) == (False, "mode")


def test_the_served_openapi_document_holds_the_body_schemas(stack):
    document = requests.get(f"{stack.gateway_url}/openapi.json", timeout=30).json()
    schemas = document["components"]["schemas"]
    for name in (
        "BillBody",
        "BillLineBody",
        "PdfBody",
        "WeeklyScheduleBody",
        "IntervalScheduleBody",
        "SyncStartBody",
    ):
        assert schemas[name]["type"] == "object" and schemas[name]["properties"], name
        assert schemas[name]["additionalProperties"] is False, name
    paths = document["paths"]
    bill = paths["/legal-entities/{id}/bills"]["post"]["requestBody"]["content"]
    assert bill["application/json"]["schema"]["$ref"] == "#/components/schemas/BillBody"
    schedule = paths["/legal-entities/{id}/sync-schedule"]["put"]["requestBody"]["content"]
    assert schedule["application/json"]["schema"]["discriminator"]["propertyName"] == "kind"
    sync = paths["/legal-entities/{id}/syncs"]["post"]["requestBody"]["content"]
    assert {"$ref": "#/components/schemas/SyncStartBody"} in sync["application/json"]["schema"][
        "anyOf"
    ]
