"""The error contract holds for hostile input: no 500 from any path, method, header or
body; 404/405 for what no route serves; 413 over the body limit; 400 naming the field for
every parse error. Over the local gateway with minted tokens, and through the handlers
with the sample events in events/."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests

from qbo_connector.api.http import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from tests.events import api_event
from tests.flows import admin_claims, body_of, ops, register


def assert_contract(status: int, body: Any, expected: int, field: str | None = None) -> dict:
    assert status == expected, (status, body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), error
    assert set(error) <= {"code", "message", "field", "details"}, error
    if field is not None:
        assert error.get("field") == field, error
    return dict(error)


@pytest.fixture
def admin(stack: Any, ids: dict[str, str]) -> dict[str, Any]:
    """A registered legal entity and a root System Administrator's bearer token."""
    register(stack, ids["org"], ids["le"])
    token = stack.mint_token(
        user="alice", org=ids["org"], role="SystemAdministrator", home_org_unit="root"
    )
    return {**ids, "headers": {"Authorization": f"Bearer {token}"}, "url": stack.gateway_url}


def call(admin: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**admin["headers"], **kwargs.pop("headers", {})}
    return requests.request(method, admin["url"] + path, headers=headers, timeout=30, **kwargs)


# -- paths the routes do not match: 404, not 500 ----------------------------------------------

# Characters no route parameter can hold: the resolver matches no route at all.
UNROUTABLE = ["a%00b", "%F0%9F%98%80", "le-%F0%9F%98%80", "%FF%FE", "a%0Ab", "a%22b", "%7F"]
# Characters a route can hold but an id cannot: the route's validation names the parameter.
UNNAMEABLE = ["%C3%A9t%C3%A9", "~", "a%20b", "-a", "a%3Cb%3E"]


@pytest.mark.parametrize("odd", UNROUTABLE)
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/legal-entities/{}/connection"),
        ("DELETE", "/legal-entities/{}/connection"),
        ("GET", "/legal-entities/{}/sync-schedule"),
        ("GET", "/legal-entities/{}/syncs"),
        ("GET", "/legal-entities/le-1/syncs/{}"),
        ("GET", "/legal-entities/le-1/records/{}"),
        ("GET", "/legal-entities/{}/bills"),
        ("POST", "/legal-entities/{}/syncs"),
    ],
)
def test_a_path_no_route_matches_is_404_in_the_contract(admin, method, template, odd):
    answer = call(admin, method, template.format(odd))
    assert_contract(answer.status_code, answer.json(), 404)
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("odd", UNNAMEABLE)
@pytest.mark.parametrize(
    ("method", "template", "field"),
    [
        ("GET", "/legal-entities/{}/connection", "id"),
        ("GET", "/legal-entities/le-1/syncs/{}", "syncId"),
        ("GET", "/legal-entities/le-1/records/{}", "type"),
        ("POST", "/legal-entities/{}/syncs", "id"),
    ],
)
def test_a_path_parameter_no_id_can_be_is_400_naming_it(admin, method, template, field, odd):
    answer = call(admin, method, template.format(odd))
    assert_contract(answer.status_code, answer.json(), 400, field)


def test_a_wrong_method_is_405_with_allow_in_the_contract(stack, admin):
    event = api_event(
        "entity-api-connection-status.json", entity_id=admin["le"], claims=admin_claims("o")
    )
    event["requestContext"]["http"]["method"] = "PATCH"
    event["routeKey"] = "PATCH /legal-entities/{id}/connection"
    answer = stack.invoke("EntityApiFunction", event)
    error = assert_contract(answer["statusCode"], body_of(answer), 405)
    assert error["code"] == "method_not_allowed"
    assert answer["headers"]["Allow"] == "DELETE, GET"

    event = api_event("manual-sync-one.json", entity_id=admin["le"], claims=admin_claims("o"))
    event["requestContext"]["http"]["method"] = "GET"
    answer = stack.invoke("ManualSyncFunction", event)  # its GET lives in another function
    assert_contract(answer["statusCode"], body_of(answer), 405)
    assert answer["headers"]["Allow"] == "POST"


def test_a_path_unknown_to_a_function_is_404_not_500(stack, admin):
    event = api_event("entity-api-connection-status.json", entity_id=admin["le"])
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/no/such/route"
    answer = stack.invoke("EntityApiFunction", event)
    assert_contract(answer["statusCode"], body_of(answer), 404)


def test_the_gateway_itself_answers_404_for_a_method_no_route_has(admin):
    # API Gateway matches method and path together: no route, its own 404.
    answer = call(admin, "PATCH", f"/legal-entities/{admin['le']}/connection")
    assert answer.status_code == 404
    assert answer.json() == {"message": "Not Found"}


# -- bodies: size, encoding, nesting ----------------------------------------------------------


def test_a_9_mb_bill_body_is_413(admin):
    body = json.dumps({"ap_invoice_id": "inv-1", "memo": "x" * 9_000_000}).encode()
    answer = call(
        admin,
        "POST",
        f"/legal-entities/{admin['le']}/bills",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    error = assert_contract(answer.status_code, answer.json(), 413, "body")
    assert error["code"] == "payload_too_large"


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream"])
def test_the_limit_counts_the_bytes_sent_text_or_base64(admin, content_type):
    path = f"/legal-entities/{admin['le']}/sync-schedule"
    headers = {"Content-Type": content_type}
    over = b'{"kind": "' + b"x" * MAX_BODY_BYTES + b'"}'
    answer = call(admin, "PUT", path, data=over, headers=headers)
    assert_contract(answer.status_code, answer.json(), 413, "body")
    # Just under the limit is read (and refused for what it says, not for its size).
    under = b'{"kind": "' + b"x" * (MAX_BODY_BYTES - 100) + b'"}'
    answer = call(admin, "PUT", path, data=under, headers=headers)
    assert answer.status_code in (400, 415), answer.text
    assert answer.json()["error"]["code"] != "payload_too_large"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/legal-entities/{le}/sync-schedule"),
        ("POST", "/legal-entities/{le}/syncs"),
        ("POST", "/syncs"),
        ("POST", "/legal-entities/{le}/bills"),
        ("POST", "/webhooks/intuit"),
    ],
)
@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"kind": "\xc3"}', b'{"mode": "full\xed\xa0\x80"}'],
    ids=["bom-bytes", "truncated", "surrogate"],
)
def test_a_body_that_is_not_utf8_is_400_naming_the_body(admin, method, path, body):
    answer = call(
        admin,
        method,
        path.format(le=admin["le"]),
        data=body,
        headers={"Content-Type": "application/json", "intuit-signature": "x"},
    )
    assert_contract(answer.status_code, answer.json(), 400, "body")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/legal-entities/{le}/sync-schedule"),
        ("POST", "/legal-entities/{le}/syncs"),
        ("POST", "/legal-entities/{le}/bills"),
        ("POST", "/webhooks/intuit"),
    ],
)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_deeper_than_the_limit_is_400(admin, method, path, depth):
    body = '{"kind": ' + "[" * depth + "]" * depth + "}"
    answer = call(
        admin,
        method,
        path.format(le=admin["le"]),
        data=body,
        headers={"Content-Type": "application/json", "intuit-signature": "x"},
    )
    error = assert_contract(answer.status_code, answer.json(), 400, "body")
    assert str(MAX_JSON_DEPTH) in error["message"]


def test_nesting_within_the_limit_is_read_as_usual(admin):
    depth = MAX_JSON_DEPTH - 1
    body = '{"kind": "interval", "timezone": "UTC", "every_hours": ' + "[" * depth + "]" * depth
    answer = call(admin, "PUT", f"/legal-entities/{admin['le']}/sync-schedule", data=body + "}")
    assert_contract(answer.status_code, answer.json(), 400, "every_hours")


def test_json_depth_skips_strings_and_stops_early():
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": []}]}') == 4
    assert json_depth('"\\"[[[["') == 0
    assert json_depth("]]]][[") == 2
    assert json_depth("[" * 10_000, limit=5) == 6


# -- parse errors name the field --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/legal-entities/{le}/syncs?limit=abc", "limit"),
        ("/legal-entities/{le}/syncs?limit=0", "limit"),
        ("/legal-entities/{le}/syncs?limit=1e400", "limit"),
        ("/legal-entities/{le}/syncs?cursor=%00%FF", "cursor"),
        ("/legal-entities/{le}/syncs?cursor=" + "A" * 2000, "cursor"),
        ("/legal-entities/{le}/syncs?cursor=eyJway", "cursor"),
        ("/legal-entities/{le}/syncs/not-a-sync-id", "syncId"),
        ("/legal-entities/{le}/records/Vendor?limit=-1", "limit"),
        ("/legal-entities/{le}/records/Vendor?include_inactive=maybe", "include_inactive"),
        ("/legal-entities/{le}/records/Vendor?cursor=%E2%98%83", "cursor"),
        ("/legal-entities/{le}/records/Vendor?cursor=bm90IGpzb24", "cursor"),
        ("/legal-entities/{le}/bills?limit=x", "limit"),
        ("/legal-entities/" + "a" * 65 + "/connection", "id"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(admin, path, field):
    answer = call(admin, "GET", path.format(le=admin["le"]))
    assert_contract(answer.status_code, answer.json(), 400, field)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/legal-entities/{le}/sync-schedule", "{"),
        ("PUT", "/legal-entities/{le}/sync-schedule", '{"kind": "interval",}'),
        ("PUT", "/legal-entities/{le}/sync-schedule", ""),
        ("PUT", "/legal-entities/{le}/sync-schedule", "[]"),
        ("PUT", "/legal-entities/{le}/sync-schedule", '"weekly"'),
        ("POST", "/legal-entities/{le}/syncs", "{"),
        ("POST", "/legal-entities/{le}/syncs", "NaN"),
        ("POST", "/syncs", "[1,"),
    ],
)
def test_a_body_that_does_not_parse_is_400_naming_the_body(admin, method, path, body):
    answer = call(admin, method, path.format(le=admin["le"]), data=body)
    assert_contract(answer.status_code, answer.json(), 400)
    assert answer.json()["error"].get("field") in ("body", "schedule"), answer.json()


def test_a_content_type_the_route_does_not_read_is_415(admin):
    answer = call(
        admin,
        "PUT",
        f"/legal-entities/{admin['le']}/sync-schedule",
        data=b'{"kind": "interval"}',
        headers={"Content-Type": "application/octet-stream"},
    )
    error = assert_contract(answer.status_code, answer.json(), 415)
    assert error["code"] == "unsupported_media_type"


def test_the_sample_events_still_answer_as_before(stack, admin):
    # The limits change nothing for the requests the API is for.
    event = api_event(
        "entity-api-list-syncs.json", entity_id=admin["le"], claims=admin_claims(admin["org"])
    )
    answer = stack.invoke("EntityApiFunction", copy.deepcopy(event))
    assert answer["statusCode"] == 200, answer


# -- grammars end where the string ends ------------------------------------------------------
# Python's `$` also matches before a trailing newline; every id and time grammar uses `\Z`.


def test_a_schedule_time_with_a_trailing_newline_is_400_naming_it(admin):
    schedule = {"kind": "weekly", "days": ["MON"], "times": ["07:00\n"], "timezone": "UTC"}
    answer = call(admin, "PUT", f"/legal-entities/{admin['le']}/sync-schedule", json=schedule)
    assert_contract(answer.status_code, answer.json(), 400, "times[0]")


@pytest.mark.parametrize("legal_entity_id", ["le-newline\n", "le-crlf\r\n"])
def test_a_legal_entity_id_with_a_trailing_newline_is_refused(stack, ids, legal_entity_id):
    answer = ops(
        stack,
        "ops-register-legal-entity.json",
        org_id=ids["org"],
        legal_entity_id=legal_entity_id,
        name="Newline Inc.",
    )
    assert answer["ok"] is False
    assert answer["error"]["field"] == "legal_entity_id"


def test_tokens_and_realms_with_a_trailing_newline_are_not_tokens_or_realms():
    from qbo_connector.logic import connection, webhooks

    token = "A" * 40
    assert connection._TOKEN.match(token)
    assert not connection._TOKEN.match(token + "\n")
    assert not connection._REALM.match("9130350000000000\n")
    assert not webhooks.REALM_ID.match("9130350000000000\n")
