"""The gateway builds API Gateway HTTP API 2.0 events and enforces the JWT authorizer."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from local_stack.stack import LocalStack
from local_stack.tokens import TokenIssuer


def _echo(stack: LocalStack, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.request(method, stack.gateway_url + path, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_authorized_request_becomes_a_2_0_event_with_string_claims(
    fixture_stack: LocalStack,
) -> None:
    token = fixture_stack.mint_token(
        user="alice",
        org="acme",
        role="APClerk",
        home_org_unit="ou-7",
        home_org_unit_is_root=False,
        groups=["a", "b"],
    )
    body = _echo(
        fixture_stack,
        "GET",
        "/items/42?x=1&x=2&y=",
        headers={**_auth(token), "X-Custom": "v", "Cookie": "s=1; t=2", "User-Agent": "ua/1"},
    )
    event = body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["headers"]["x-custom"] == "v"
    assert "cookie" not in event["headers"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "GET /items/{id}"
    assert ctx["stage"] == "$default"
    assert ctx["accountId"] == "123456789012"
    assert ctx["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ua/1",
    }
    assert isinstance(ctx["timeEpoch"], int)
    claims = ctx["authorizer"]["jwt"]["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["sub"] == "alice"
    assert claims["org_id"] == "acme"
    assert claims["role"] == "APClerk"
    assert claims["home_org_unit"] == "ou-7"
    assert claims["home_org_unit_is_root"] == "false"
    assert claims["groups"] == "[a b]"
    assert int(claims["exp"]) > int(claims["iat"])
    assert claims["aud"] == "qbo-connector-local"


def test_post_body_and_binary_body(fixture_stack: LocalStack) -> None:
    token = fixture_stack.mint_token()
    event = _echo(
        fixture_stack,
        "POST",
        "/items",
        headers=_auth(token),
        json={"name": "n"},
    )["event"]
    assert json.loads(event["body"]) == {"name": "n"}
    assert event["isBase64Encoded"] is False
    assert "pathParameters" not in event
    event = _echo(
        fixture_stack,
        "POST",
        "/items",
        headers={**_auth(token), "Content-Type": "application/octet-stream"},
        data=b"\xff\x00",
    )["event"]
    assert event["isBase64Encoded"] is True
    assert event["body"] == "/wA="


def test_literal_route_wins_over_parameter(fixture_stack: LocalStack) -> None:
    token = fixture_stack.mint_token()
    event = _echo(fixture_stack, "GET", "/items/special", headers=_auth(token))["event"]
    assert event["routeKey"] == "GET /items/special"
    assert "pathParameters" not in event


def test_public_route_needs_no_token_and_has_no_authorizer(fixture_stack: LocalStack) -> None:
    event = _echo(fixture_stack, "GET", "/public")["event"]
    assert "authorizer" not in event["requestContext"]


def test_tokens_rejected_like_the_jwt_authorizer(fixture_stack: LocalStack) -> None:
    issuer = fixture_stack.issuer
    assert issuer is not None
    other_key = TokenIssuer.generate()
    expired = issuer.mint(ttl_seconds=-60, now=time.time())
    wrong_audience = issuer.mint(aud="someone-else")
    wrong_issuer = issuer.mint(iss="https://evil.example/")
    not_yet = issuer.mint(nbf=int(time.time()) + 3600)
    cases = {
        "missing": {},
        "empty bearer": {"Authorization": "Bearer "},
        "garbage": _auth("not-a-jwt"),
        "expired": _auth(expired),
        "wrong audience": _auth(wrong_audience),
        "wrong issuer": _auth(wrong_issuer),
        "not yet valid": _auth(not_yet),
        "wrongly signed": _auth(other_key.mint()),
    }
    before = len(fixture_stack.runtime.invocations) if fixture_stack.runtime else 0
    for label, headers in cases.items():
        r = requests.get(f"{fixture_stack.gateway_url}/items/1", headers=headers, timeout=10)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"}), label
    assert fixture_stack.runtime is not None
    assert len(fixture_stack.runtime.invocations) == before  # handler never called


def test_token_without_bearer_prefix_is_accepted(fixture_stack: LocalStack) -> None:
    token = fixture_stack.mint_token()
    r = requests.get(
        f"{fixture_stack.gateway_url}/items/1", headers={"Authorization": token}, timeout=10
    )
    assert r.status_code == 200


def test_response_shapes(fixture_stack: LocalStack) -> None:
    base = fixture_stack.gateway_url
    r = requests.get(f"{base}/shapes/bare", timeout=10)
    assert (r.status_code, r.json(), r.headers["content-type"]) == (
        200,
        {"hello": "world"},
        "application/json",
    )
    r = requests.get(f"{base}/shapes/string", timeout=10)
    assert (r.status_code, r.text) == (200, "just text")
    r = requests.get(f"{base}/shapes/binary", timeout=10)
    assert (r.status_code, r.content) == (201, b"\x00\x01")
    assert r.headers["x-one"] == "1"
    assert r.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    for failing in ("boom", "decimal"):  # raises / returns what Lambda cannot serialize
        r = requests.get(f"{base}/shapes/{failing}", timeout=10)
        assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error"})


def test_unknown_route_and_method(fixture_stack: LocalStack) -> None:
    r = requests.get(f"{fixture_stack.gateway_url}/nothing/here", timeout=10)
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})
    r = requests.delete(f"{fixture_stack.gateway_url}/public", timeout=10)
    assert r.status_code == 404


def test_cors_preflight_and_response_headers(fixture_stack: LocalStack) -> None:
    url = f"{fixture_stack.gateway_url}/items/1"
    ok = requests.options(
        url,
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert ok.headers["access-control-allow-methods"] == "GET,POST"
    assert ok.headers["access-control-allow-headers"] == "authorization,content-type"
    assert ok.headers["access-control-max-age"] == "300"
    other = requests.options(
        url,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in other.headers
    r = requests.get(
        f"{fixture_stack.gateway_url}/public",
        headers={"Origin": "http://localhost:3000"},
        timeout=10,
    )
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_jwks_and_pluggable_openapi(fixture_stack: LocalStack) -> None:
    import local_stack

    jwks = requests.get(f"{fixture_stack.gateway_url}/.well-known/jwks.json", timeout=10).json()
    assert jwks["keys"][0]["kty"] == "RSA"
    default = local_stack.openapi_provider
    try:
        local_stack.openapi_provider = None
        missing = requests.get(f"{fixture_stack.gateway_url}/openapi.json", timeout=10)
        local_stack.openapi_provider = lambda: {"openapi": "3.1.0", "paths": {}}
        doc = requests.get(f"{fixture_stack.gateway_url}/openapi.json", timeout=10).json()
    finally:
        local_stack.openapi_provider = default
    assert missing.status_code == 404
    assert doc == {"openapi": "3.1.0", "paths": {}}


def test_gateway_and_direct_invoke_see_the_same_handler(fixture_stack: LocalStack) -> None:
    token = fixture_stack.mint_token()
    via_gateway = _echo(fixture_stack, "GET", "/items/7", headers=_auth(token))
    direct = fixture_stack.invoke("EchoFunction", via_gateway["event"])
    assert json.loads(direct["body"])["event"] == via_gateway["event"]
