"""Intuit webhooks over the local stack: signature, realm → entity, coalescing."""

from __future__ import annotations

import json
from typing import Any

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
    assert body_of(first) == {"received": 1, "queued": 1}

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
    assert body_of(second) == {"received": 1, "queued": 0}

    stack.drain()
    third = notify(stack, cloud)
    assert body_of(third) == {"received": 1, "queued": 1}


def test_bad_signature_is_refused_and_unknown_realms_are_ignored(stack):
    refused = notify(stack, legacy("123"), signature="bm90IGl0")
    assert refused["statusCode"] == 401
    assert body_of(refused)["error"]["code"] == "bad_signature"
    ignored = notify(stack, legacy("999999999"))
    assert body_of(ignored) == {"received": 1, "queued": 0}
    garbage = notify(stack, {"hello": "world"})
    assert garbage["statusCode"] == 400
