"""Intuit webhooks over the local stack: signature, realm → entity, coalescing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from local_stack.stack import DEFAULT_VERIFIER_TOKEN
from qbo_connector.logic.webhooks import signature_of
from tests.events import load_event
from tests.flows import body_of, connect, ops, qbo_admin, register


def notify(stack: Any, payload: Any, signature: str | None = None) -> dict[str, Any]:
    event = load_event("intuit-webhook.json")
    event["body"] = json.dumps(payload)
    event["headers"]["intuit-signature"] = signature or signature_of(
        event["body"].encode(), DEFAULT_VERIFIER_TOKEN
    )
    result: dict[str, Any] = stack.invoke("IntuitWebhookFunction", event)
    return result


def notify_raw(stack: Any, body: bytes, signature: str | None = None) -> dict[str, Any]:
    """Deliver exactly these bytes (base64 in the event, as API Gateway passes non-text)."""
    event = load_event("intuit-webhook.json")
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    event["headers"]["intuit-signature"] = (
        signature if signature is not None else signature_of(body, DEFAULT_VERIFIER_TOKEN)
    )
    result: dict[str, Any] = stack.invoke("IntuitWebhookFunction", event)
    return result


def legacy(realm: str) -> dict[str, Any]:
    return {
        "eventNotifications": [
            {
                "realmId": realm,
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Vendor",
                            "id": "56",
                            "operation": "Update",
                            "lastUpdated": "2026-11-25T10:00:00.000Z",
                        }
                    ]
                },
            }
        ]
    }


def test_signed_notifications_queue_one_incremental_sync(stack, ids):
    register(stack, ids["org"], ids["le"])
    user = f"hook-{ids['le']}"
    qbo_admin(stack, user, ids["realm"], "Hook Co")
    connect(stack, ids["org"], ids["le"], user, ids["realm"])
    ops(stack, "ops-put-sync-profile.json", org_id=ids["org"], legal_entity_id=ids["le"])

    first = notify(stack, legacy(ids["realm"]))
    assert first["statusCode"] == 200
    assert body_of(first) == {"received": 1, "queued": 1, "ignored": 0}

    cloud = [
        {
            "specversion": "1.0",
            "id": "e1",
            "source": "intuit",
            "type": "qbo.vendor.updated.v1",
            "time": "2026-11-25T10:00:00Z",
            "intuitentityid": "56",
            "intuitaccountid": ids["realm"],
            "data": {},
        }
    ]
    second = notify(stack, cloud)  # a sync is queued already: absorbed, not doubled
    assert body_of(second) == {"received": 1, "queued": 0, "ignored": 0}

    stack.drain()
    third = notify(stack, cloud)
    assert body_of(third) == {"received": 1, "queued": 1, "ignored": 0}


def test_bad_signature_is_refused_and_unknown_realms_are_ignored(stack):
    refused = notify(stack, legacy("123"), signature="bm90IGl0")
    assert refused["statusCode"] == 401
    assert body_of(refused)["error"]["code"] == "bad_signature"
    ignored = notify(stack, legacy("999999999"))
    assert body_of(ignored) == {"received": 1, "queued": 0, "ignored": 0}
    garbage = notify(stack, {"hello": "world"})
    assert garbage["statusCode"] == 400


@pytest.mark.parametrize(
    "header",
    [
        "é" * 44,  # non-ASCII (API Gateway passes header bytes through as Latin-1 text)
        "not base64 at all!",
        "bm90IGl0",  # base64, but of the wrong length for a SHA-256 digest
        "",
        "  ",
    ],
    ids=["non-ascii", "not-base64", "short-digest", "empty", "blank"],
)
def test_a_signature_header_that_cannot_match_is_401_never_500(stack, header):
    refused = notify(stack, legacy("123"), signature=header or " ")
    assert refused["statusCode"] == 401, refused
    assert body_of(refused)["error"]["code"] == "bad_signature"


def test_a_non_ascii_signature_over_http_is_401(stack):
    body = json.dumps(legacy("123")).encode()
    answer = requests.post(
        f"{stack.gateway_url}/webhooks/intuit",
        data=body,
        headers={"Content-Type": "application/json", "intuit-signature": b"\xe9\xff"},
        timeout=10,
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "bad_signature"


def test_the_signature_is_checked_on_the_bytes_sent(stack):
    body = json.dumps(legacy("999999999")).encode()
    assert body_of(notify_raw(stack, body))["received"] == 1
    # The same JSON with other bytes (a space) is another body: its signature does not fit.
    other = body.replace(b'{"', b'{ "', 1)
    assert notify_raw(stack, other, signature_of(body, DEFAULT_VERIFIER_TOKEN))["statusCode"] == 401


def test_notifications_naming_no_usable_realm_are_skipped_and_counted(stack):
    unusable: list[Any] = [5, 9.5, True, None, {}, {"id": "1"}, [], ["1"], "", "12a", "1" * 33]
    payload = {
        "eventNotifications": [
            *({"realmId": value} for value in unusable),
            {"dataChangeEvent": {}},  # no realmId at all
            "not an object",
            7,
            None,
            {"realmId": "999999999", "dataChangeEvent": "not an object either"},
        ]
    }
    answer = notify(stack, payload)
    assert answer["statusCode"] == 200, answer
    assert body_of(answer) == {"received": 1, "queued": 0, "ignored": len(unusable) + 4}

    cloud = [
        {"intuitaccountid": 9341450000000001},  # a number, not Intuit's string
        {"intuitaccountid": {"nested": True}},
        {"type": "qbo.vendor.updated.v1"},
        [],
        "x",
        {"intuitaccountid": "999999999"},
    ]
    assert body_of(notify(stack, cloud)) == {"received": 1, "queued": 0, "ignored": 5}
    assert body_of(notify(stack, [])) == {"received": 0, "queued": 0, "ignored": 0}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'"a string"',
        b"42",
        b"null",
        b"true",
        b"{}",
        b'{"eventNotifications": "not a list"}',
        b'{"eventNotifications": {"realmId": "1"}}',
        b"\xff\xfe{}",  # not UTF-8
        b"{" * 5000,  # nesting no parser should recurse into
    ],
    ids=[
        "not-json",
        "string",
        "number",
        "null",
        "bool",
        "empty-object",
        "list-is-a-string",
        "list-is-an-object",
        "not-utf8",
        "deep",
    ],
)
def test_a_signed_body_that_is_no_notification_payload_is_400_naming_the_body(stack, body):
    answer = notify_raw(stack, body)
    assert answer["statusCode"] == 400, answer
    error = body_of(answer)["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == "body"
