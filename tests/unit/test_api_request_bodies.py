"""The routes' request models through the real resolver (api/http.py), no AWS: a body
that breaks its model is answered 400 `invalid_input` before any route code runs (no
service is wired here, so reaching one would fail), naming the field in the
`lines[0].amount` style with what to send; and the OpenAPI document shows the models.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from qbo_connector.api.http import build_resolver
from qbo_connector.api.routes import bills, sync_history, sync_schedule, syncs
from qbo_connector.api.routes.catalog import openapi_document
from tests.events import load_event
from tests.unit.test_api_http import CLAIMS, event

BILL = json.loads(load_event("api-post-bill.json")["body"])
SERVICE = {**CLAIMS, "role": "Service"}


@pytest.fixture(scope="module")
def app() -> Any:
    return build_resolver(bills.router, sync_schedule.router, syncs.router, sync_history.router)


def answer(app: Any, method: str, path: str, body: Any, **kw: Any) -> tuple[int, dict[str, Any]]:
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    result = app.resolve(event(method, path, text, **kw), None)
    return result["statusCode"], json.loads(result["body"])


def test_a_wrong_typed_bill_field_is_400_naming_it_with_what_to_send(app: Any) -> None:
    body = copy.deepcopy(BILL)
    body["lines"][1]["qty"] = [3]
    status, error = answer(app, "POST", "/legal-entities/le-1/bills", body, claims=SERVICE)
    assert status == 400
    assert error == {
        "error": {
            "code": "invalid_input",
            "field": "lines[1].qty",
            "message": "lines[1].qty must be a number or a string of digits, not a list; send "
            "an item line's quantity, more than 0, at most 7 decimals (default 1).",
        }
    }


@pytest.mark.parametrize(
    ("change", "field", "start"),
    [
        ({"vendor_id": None}, "vendor_id", "vendor_id is required: the QuickBooks id"),
        ({"memo": "m" * 5000}, "memo", "memo is 5000 characters; at most 4000 are accepted."),
        ({"lines": "all of them"}, "lines", 'lines must be a list (a JSON array), not "all of'),
        ({"pdf": []}, "pdf", "pdf must be a JSON object, not a list; send the invoice PDF"),
        ({"due": "2025-10-31"}, "due", "due is not a field of a bill; remove it"),
    ],
)
def test_a_bill_body_error_names_the_field(
    app: Any, change: dict[str, Any], field: str, start: str
) -> None:
    status, body = answer(
        app, "POST", "/legal-entities/le-1/bills", {**BILL, **change}, claims=SERVICE
    )
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_input", field)
    assert body["error"]["message"].startswith(start), body


def test_every_problem_of_a_body_is_in_details(app: Any) -> None:
    body = {**BILL, "vendor_id": True, "lines": [{**BILL["lines"][0], "billable": 1}]}
    status, error = answer(app, "POST", "/legal-entities/le-1/bills", body, claims=SERVICE)
    assert status == 400
    problems = error["error"]["details"]["problems"]
    assert [p["field"] for p in problems] == ["vendor_id", "lines[0].billable"]
    assert error["error"]["message"].endswith("(1 more problem(s) in details)")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"kind": "interval", "every_hours": 25},
            "every_hours",
            "every_hours must be at most 24, not 25; send a whole number of hours from 1 to 24 "
            "(runs at local hours 0, N, 2N and so on).",
        ),
        (
            {"kind": "hourly"},
            "kind",
            'kind must be "weekly" (days and times) or "interval" (every N hours), not "hourly".',
        ),
        (
            {"kind": "weekly", "days": "MON", "times": ["07:00"], "timezone": "UTC"},
            "days",
            'days must be a list (a JSON array), not "MON"; send the days of the week, each '
            "once: MON, TUE, WED, THU, FRI, SAT, SUN.",
        ),
        (
            "",
            "body",
            "body is required: weekly (days and times of day) or interval (every N hours), in "
            "an IANA time zone; `kind` says which.",
        ),
    ],
)
def test_a_schedule_body_error_names_the_field(
    app: Any, body: Any, field: str, message: str
) -> None:
    status, error = answer(app, "PUT", "/legal-entities/le-1/sync-schedule", body)
    assert status == 400
    assert (error["error"]["field"], error["error"]["message"]) == (field, message)


@pytest.mark.parametrize("path", ["/legal-entities/le-1/syncs", "/syncs"])
def test_a_sync_body_error_names_the_field(app: Any, path: str) -> None:
    status, error = answer(app, "POST", path, {"mode": "full", "force": True})
    assert status == 400
    assert error["error"] == {
        "code": "invalid_input",
        "field": "force",
        "message": "force is not a field of a sync request; remove it (a sync request takes: "
        "mode, since).",
    }
    status, error = answer(app, "POST", path, {"since": 20261101})
    assert (status, error["error"]["field"]) == (400, "since")


def test_a_body_that_is_not_json_still_says_so(app: Any) -> None:
    status, error = answer(app, "PUT", "/legal-entities/le-1/sync-schedule", '{"kind": ')
    assert status == 400
    assert error["error"]["field"] == "body"
    assert error["error"]["message"].startswith("The request body is not valid JSON")


def test_a_query_parameter_error_names_it_with_its_description(app: Any) -> None:
    status, error = answer(app, "GET", "/legal-entities/le-1/bills", None, query="limit=0")
    assert status == 400
    assert error["error"]["field"] == "limit"
    assert error["error"]["message"].startswith('limit must be at least 1, not "0"; send ')
    status, error = answer(app, "GET", "/legal-entities/le-1/syncs/nope", None)
    assert (status, error["error"]["field"]) == (400, "syncId")


# -- the document --------------------------------------------------------------------------------


def _body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    content = document["paths"][path][method]["requestBody"]["content"]
    return dict(content["application/json"]["schema"])


def test_the_openapi_document_holds_the_request_models() -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]

    bill = _body_schema(document, "post", "/legal-entities/{id}/bills")
    assert bill["$ref"] == "#/components/schemas/BillBody"
    model = schemas["BillBody"]
    assert model["additionalProperties"] is False
    assert set(model["required"]) == {"ap_invoice_id", "invoice_number", "invoice_date", "lines"}
    # The vendor: its QuickBooks id, or the AP supplier whose vendor is being created.
    assert model["oneOf"] == [{"required": ["vendor_id"]}, {"required": ["ap_supplier_id"]}]
    supplier = model["properties"]["ap_supplier_id"]["anyOf"][0]
    assert (supplier["type"], supplier["maxLength"]) == ("string", 64)
    assert model["properties"]["invoice_number"]["maxLength"] == 21
    assert model["properties"]["lines"]["maxItems"] == 250
    assert model["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/BillLineBody"}
    amount = schemas["BillLineBody"]["properties"]["amount"]
    assert {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"} in amount["anyOf"]
    for name in ("BillBody", "BillLineBody", "PdfBody"):
        for key, prop in schemas[name]["properties"].items():
            assert prop.get("description"), (name, key)  # what to send, for every field

    schedule = _body_schema(document, "put", "/legal-entities/{id}/sync-schedule")
    assert schedule["discriminator"]["propertyName"] == "kind"
    assert set(schedule["discriminator"]["mapping"]) == {"weekly", "interval"}
    assert schemas["WeeklyScheduleBody"]["properties"]["times"]["maxItems"] == 6
    assert schemas["IntervalScheduleBody"]["properties"]["every_hours"]["maximum"] == 24

    for path in ("/legal-entities/{id}/syncs", "/syncs"):
        sync = _body_schema(document, "post", path)
        assert {"$ref": "#/components/schemas/SyncStartBody"} in sync["anyOf"]
        assert not document["paths"][path]["post"]["requestBody"].get("required")
    assert schemas["SyncStartBody"]["properties"]["mode"]["enum"] == [
        "incremental",
        "full",
        "partial",
    ]
