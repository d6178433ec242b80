"""The HTTP error contract (api/http.py), on a resolver with test routes: no AWS at all.

Every error is `{"error": {"code", "message", "field"?, "details"?}}` with the domain
error's status; QuickBooks throttling and outages are 429/503, anything else 500 with a
correlation id and no internals; bodies are checked (size, UTF-8, JSON depth) before any
route reads them. The last section runs the real bills route on fakes (api permission).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from qbo_connector.api.http import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    BodyRefused,
    build_resolver,
    check_body,
    current_caller,
    json_depth,
    json_response,
    raw_body,
)
from qbo_connector.models.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
)
from qbo_connector.models.faults import IntuitUnavailable, QboThrottledError, QboUnavailableError

CLAIMS = {
    "sub": "u-1",
    "org_id": "org-1",
    "role": "SystemAdministrator",
    "home_org_unit": "ou-root",
    "home_org_unit_is_root": "true",
}


def event(
    method: str,
    path: str,
    body: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    base64_encoded: bool = False,
    query: str = "",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event as API Gateway sends it after its JWT authorizer."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&") if p) or None,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "x"},
            "requestId": "r-1",
            "routeKey": "$default",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": CLAIMS if claims is None else claims}},
        },
        "isBase64Encoded": base64_encoded,
        "body": body,
    }


SECRET_DETAIL = "db-password-hunter2"
ERRORS: dict[str, Exception] = {
    "invalid": InvalidInput("amount is wrong.", field="lines[0].amount"),
    "forbidden": Forbidden("Not you.", code="role_required"),
    "missing": NotFound("No such legal entity.", code="legal_entity_not_found"),
    "conflict": Conflict("Running.", code="sync_already_running", details={"running_sync_id": "s"}),
    "precondition": PreconditionFailed("Connect first.", code="not_connected"),
    "throttled": QboThrottledError("slow down", http_status=429),
    "qbo_down": QboUnavailableError("timeout"),
    "intuit_down": IntuitUnavailable("oauth down"),
    "bug": RuntimeError(f"KeyError somewhere {SECRET_DETAIL}"),
}

router = Router()


@router.get("/fail/<kind>")
def fail(kind: str) -> Any:
    raise ERRORS[kind]


@router.get("/whoami")
def whoami() -> Any:
    return json_response(200, {"user_id": current_caller(router).user_id})


@router.get("/things")
def things(limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    return json_response(200, {"limit": limit})


@router.post("/things")
def make_thing(thing: Annotated[dict[str, Any], Body()]) -> Any:
    return json_response(201, {"keys": sorted(thing)})


@pytest.fixture(scope="module")
def app() -> Any:
    return build_resolver(router)


def call(app: Any, ev: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    answer = app.resolve(ev, None)
    return answer["statusCode"], json.loads(answer["body"]), answer.get("headers") or {}


# -- domain errors map to their status and body -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        (
            "invalid",
            400,
            {"code": "invalid_input", "message": "amount is wrong.", "field": "lines[0].amount"},
        ),
        ("forbidden", 403, {"code": "role_required", "message": "Not you."}),
        ("missing", 404, {"code": "legal_entity_not_found", "message": "No such legal entity."}),
        (
            "conflict",
            409,
            {
                "code": "sync_already_running",
                "message": "Running.",
                "details": {"running_sync_id": "s"},
            },
        ),
        ("precondition", 412, {"code": "not_connected", "message": "Connect first."}),
    ],
)
def test_a_domain_error_is_its_status_and_body(
    app: Any, kind: str, status: int, error: dict[str, Any]
) -> None:
    code, body, headers = call(app, event("GET", f"/fail/{kind}"))
    assert code == status
    assert body == {"error": error}
    assert headers.get("Content-Type") == "application/json"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttled", 429, "quickbooks_throttled"),
        ("qbo_down", 503, "quickbooks_unavailable"),
        ("intuit_down", 503, "quickbooks_unavailable"),
    ],
)
def test_quickbooks_trouble_is_429_or_503_never_500(
    app: Any, kind: str, status: int, code: str
) -> None:
    answer_status, body, _ = call(app, event("GET", f"/fail/{kind}"))
    assert answer_status == status
    assert body["error"]["code"] == code


def test_a_bug_is_500_with_a_correlation_id_and_no_internals(app: Any) -> None:
    status, body, _ = call(app, event("GET", "/fail/bug"))
    assert status == 500
    assert body["error"]["code"] == "internal_error"
    assert "logged with id" in body["error"]["message"]
    text = json.dumps(body)
    assert SECRET_DETAIL not in text and "KeyError" not in text and "Traceback" not in text


def test_the_caller_comes_from_the_authorizer(app: Any) -> None:
    assert call(app, event("GET", "/whoami"))[1] == {"user_id": "u-1"}


def test_a_token_without_identity_is_401(app: Any) -> None:
    status, body, _ = call(app, event("GET", "/whoami", claims={"role": "SystemAdministrator"}))
    assert status == 401
    assert body["error"]["code"] == "missing_identity"


def test_the_domain_error_body_omits_empty_field_and_details() -> None:
    assert DomainError("x").to_body() == {"error": {"code": "internal_error", "message": "x"}}
    assert InvalidInput("x", details={}).to_body() == {
        "error": {"code": "invalid_input", "message": "x"}
    }


# -- routing: 404 and 405 -----------------------------------------------------------------------


def test_an_unknown_path_is_404(app: Any) -> None:
    status, body, _ = call(app, event("GET", "/nowhere"))
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_a_known_path_with_another_method_is_405_with_allow(app: Any) -> None:
    status, body, headers = call(app, event("DELETE", "/things"))
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET, POST"


def test_a_path_parameter_matches_one_segment_only(app: Any) -> None:
    status, _, _ = call(app, event("GET", "/fail/a/b"))
    assert status == 404


# -- validation by the resolver --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=ten"])
def test_a_query_parameter_out_of_bounds_is_400_naming_it(app: Any, query: str) -> None:
    status, body, _ = call(app, event("GET", "/things", query=query))
    assert status == 400
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["field"] == "limit"


def test_a_valid_query_parameter_reaches_the_route(app: Any) -> None:
    assert call(app, event("GET", "/things", query="limit=7"))[1] == {"limit": 7}


def test_a_body_that_is_not_json_is_400_naming_body(app: Any) -> None:
    status, body, _ = call(app, event("POST", "/things", "{not json"))
    assert status == 400
    assert body["error"]["field"] == "body"


def test_a_json_body_reaches_the_route(app: Any) -> None:
    status, body, _ = call(app, event("POST", "/things", json.dumps({"b": 1, "a": 2})))
    assert (status, body) == (201, {"keys": ["a", "b"]})


# -- the body, before any route reads it -----------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_body_over_the_limit_is_413(app: Any) -> None:
    too_big = json.dumps({"a": "x" * MAX_BODY_BYTES})
    status, body, _ = call(app, event("POST", "/things", too_big))
    assert status == 413
    assert body["error"] == {
        "code": "payload_too_large",
        "message": body["error"]["message"],
        "field": "body",
    }


def test_a_base64_body_over_the_limit_is_413_before_decoding() -> None:
    encoded = base64.b64encode(b"x" * (MAX_BODY_BYTES + 3)).decode()
    with pytest.raises(BodyRefused) as raised:
        raw_body({"body": encoded, "isBase64Encoded": True})
    assert raised.value.status == 413


def test_a_body_just_at_the_limit_passes() -> None:
    assert len(raw_body({"body": "x" * MAX_BODY_BYTES})) == MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("ev", "status"),
    [
        ({"body": "!!!not base64", "isBase64Encoded": True}, 400),
        ({"body": base64.b64encode(b"\xff\xfe{}").decode(), "isBase64Encoded": True}, 400),
        ({"body": "\ud800"}, 400),  # a lone surrogate cannot be UTF-8
        ({"body": 12}, 400),
        ({"body": nested(MAX_JSON_DEPTH + 1)}, 400),
    ],
)
def test_bodies_refused_before_any_route(ev: dict[str, Any], status: int) -> None:
    with pytest.raises(BodyRefused) as raised:
        check_body(ev)
    assert raised.value.status == status
    assert raised.value.field == "body"


@pytest.mark.parametrize(
    "ev",
    [
        {"body": None},
        {"body": ""},
        {"body": nested(MAX_JSON_DEPTH)},
        {"body": base64.b64encode(b'{"a": 1}').decode(), "isBase64Encoded": True},
        # A form is not JSON: its brackets are not nesting.
        {
            "body": "a=" + "[" * 100,
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        # Brackets inside strings do not nest.
        {"body": json.dumps({"memo": "[" * 100 + "{" * 100})},
    ],
)
def test_bodies_let_through(ev: dict[str, Any]) -> None:
    check_body(ev)


def test_a_deep_body_is_refused_by_the_resolver_as_400(app: Any) -> None:
    status, body, _ = call(app, event("POST", "/things", nested(MAX_JSON_DEPTH + 1)))
    assert status == 400
    assert body["error"]["field"] == "body"


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[", "b": ["]]]"]}', 2),  # brackets in strings are skipped
        ('["\\"[["]', 1),  # an escaped quote does not end the string
        ("]]][[", 2),  # not JSON: counted anyway, never negative
        (nested(10_000), MAX_JSON_DEPTH + 1),  # stops just past the limit
    ],
)
def test_json_depth(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_json_depth_has_no_recursion_limit() -> None:
    assert json_depth(nested(200_000), limit=10**9) == 200_000


# -- the bills route on fakes: the one permission the api layer applies ---------------------------


def _bill_app(monkeypatch: pytest.MonkeyPatch) -> Any:
    from qbo_connector import wiring
    from qbo_connector.api.routes import bills
    from qbo_connector.logic.connection import ConnectionService
    from tests.unit.fakes import (
        Attempts,
        Companies,
        Entities,
        MasterData,
        OAuth,
        ScheduleRules,
        Vault,
        bill_service,
        entity,
    )

    master = MasterData()
    master.add("Vendor", "56")
    master.add("Account", "7")
    connections = ConnectionService(
        Entities(entity()), Attempts(), Vault(), OAuth, Companies(), ScheduleRules(), 600
    )
    service = bill_service(master=master)
    monkeypatch.setattr(wiring, "connection_service", lambda: connections)
    monkeypatch.setattr(wiring, "bill_export_service", lambda: service)
    return build_resolver(bills.router)


BILL = {
    "ap_invoice_id": "ap-1",
    "vendor_id": "56",
    "invoice_number": "INV-1",
    "invoice_date": "2026-02-20",
    "lines": [{"amount": "10.00", "account_id": "7"}],
}


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"role": "Service", "home_org_unit_is_root": "false"}, 202, None),
        ({"role": "SystemAdministrator"}, 403, "service_identity_required"),
        ({"role": "APClerk"}, 403, "service_identity_required"),
        ({"role": "Service", "org_id": "org-2"}, 404, "legal_entity_not_found"),
    ],
)
def test_only_the_service_identity_submits_bills(
    monkeypatch: pytest.MonkeyPatch, claims: dict[str, str], status: int, code: str | None
) -> None:
    app = _bill_app(monkeypatch)
    ev = event("POST", "/legal-entities/le-1/bills", json.dumps(BILL), claims={**CLAIMS, **claims})
    answer_status, body, _ = call(app, ev)
    assert answer_status == status
    if code is None:
        assert body["state"] == "queued"
    else:
        assert body["error"]["code"] == code


def test_everyone_in_the_organization_reads_bills(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _bill_app(monkeypatch)
    clerk = {**CLAIMS, "role": "APClerk", "home_org_unit_is_root": "false"}
    status, body, _ = call(app, event("GET", "/legal-entities/le-1/bills", claims=clerk))
    assert (status, body) == (200, {"items": [], "next_cursor": None})
    status, body, _ = call(app, event("GET", "/legal-entities/le-1/bills/ap-9", claims=clerk))
    assert (status, body["error"]["code"]) == (404, "bill_not_found")


def test_a_refused_bill_names_the_field_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _bill_app(monkeypatch)
    bad = {**BILL, "invoice_date": "2026-02-30"}
    service = {**CLAIMS, "role": "Service"}
    status, body, _ = call(
        app, event("POST", "/legal-entities/le-1/bills", json.dumps(bad), claims=service)
    )
    assert status == 400
    assert body["error"]["field"] == "invoice_date"
