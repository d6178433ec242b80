"""Operator reset (switching company) and the daily token upkeep, over the local stack."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.events import api_event
from tests.flows import (
    admin_claims,
    body_of,
    connect,
    member_claims,
    ops,
    qbo_admin,
    register,
    status,
)


def first_sync(stack: Any, org: str, le: str) -> None:
    assert ops(stack, "ops-put-sync-profile.json", org_id=org, legal_entity_id=le)["ok"]
    started = stack.invoke(
        "ManualSyncFunction",
        api_event("manual-sync-full.json", entity_id=le, claims=admin_claims(org)),
    )
    assert started["statusCode"] == 202, started
    stack.drain()


def records(stack: Any, org: str, le: str, kind: str = "Vendor") -> list[dict[str, Any]]:
    listed = stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-list-records.json",
            entity_id=le,
            claims=member_claims(org),
            extra_path={"type": kind},
        ),
    )
    return body_of(listed)["items"]


def secret_of(stack: Any, org: str, le: str) -> tuple[Any, str, dict[str, Any]]:
    sm = stack.client("secretsmanager")
    name = f"qbo-connector/tokens/{org}/{le}"
    return sm, name, json.loads(sm.get_secret_value(SecretId=name)["SecretString"])


def test_switching_company_after_a_sync_needs_disconnect_and_reset(stack, ids):
    org, le, realm = ids["org"], ids["le"], ids["realm"]
    user = f"reset-{le}"
    register(stack, org, le)
    qbo_admin(stack, user, realm, "First Co")
    connect(stack, org, le, user, realm)
    first_sync(stack, org, le)
    assert records(stack, org, le)

    other = str(int(realm) + 11)
    qbo_admin(stack, user, other, "Second Co")
    refused = connect(stack, org, le, user, other)
    assert refused["statusCode"] == 409 and "reset" in refused["body"]

    still = ops(stack, "ops-reset-legal-entity.json", org_id=org, legal_entity_id=le)
    assert still["error"]["code"] == "still_connected"
    stack.invoke(
        "EntityApiFunction",
        api_event("entity-api-disconnect.json", entity_id=le, claims=admin_claims(org)),
    )
    reset = ops(stack, "ops-reset-legal-entity.json", org_id=org, legal_entity_id=le)
    assert reset["ok"] and reset["result"]["records_deleted"] > 0
    assert records(stack, org, le) == []

    page = connect(stack, org, le, user, other)
    assert page["statusCode"] == 200
    assert body_of(status(stack, org, le))["company_name"] == "Second Co"


def test_idle_tokens_are_refreshed_and_dead_ones_flag_reconnect(stack, ids):
    org, le, realm = ids["org"], ids["le"], ids["realm"]
    user = f"upkeep-{le}"
    register(stack, org, le)
    qbo_admin(stack, user, realm, "Idle Co")
    connect(stack, org, le, user, realm)
    dead_le = f"{le}-dead"
    register(stack, org, dead_le)
    qbo_admin(stack, user, str(int(realm) + 3), "Dead Co")
    connect(stack, org, dead_le, user, str(int(realm) + 3))

    # The first entity has not refreshed for 90 days: 10 days of its window are left.
    sm, name, tokens = secret_of(stack, org, le)
    tokens["refresh_expires_at"] = time.time() + 10 * 86400
    sm.put_secret_value(SecretId=name, SecretString=json.dumps(tokens))
    # The second one's refresh token is no longer accepted by Intuit.
    sm, dead_name, dead = secret_of(stack, org, dead_le)
    dead["refresh_token"] = "RT1-not-a-token"
    dead["refresh_expires_at"] = time.time() + 86400
    sm.put_secret_value(SecretId=dead_name, SecretString=json.dumps(dead))

    result = ops(stack, "ops-keep-tokens-alive.json")
    assert result["ok"], result
    assert f"{org}/{le}" in result["result"]["refreshed"]
    assert f"{org}/{dead_le}" in result["result"]["reconnect_required"]

    _, _, after = secret_of(stack, org, le)
    assert after["refresh_expires_at"] > time.time() + 90 * 86400
    shown = body_of(status(stack, org, dead_le))
    assert shown["state"] == "reconnect_required"
    assert shown["reconnect_reason"]
    assert body_of(status(stack, org, le))["state"] == "connected"


def test_deleting_an_entity_removes_its_connection_rules_and_records(stack, ids):
    org, le, realm = ids["org"], ids["le"], ids["realm"]
    user = f"delete-{le}"
    register(stack, org, le)
    qbo_admin(stack, user, realm, "Gone Co")
    connect(stack, org, le, user, realm)
    first_sync(stack, org, le)
    schedule = api_event(
        "entity-api-put-sync-schedule.json",
        entity_id=le,
        claims=admin_claims(org),
        body={"kind": "interval", "every_hours": 8, "timezone": "UTC"},
    )
    assert stack.invoke("EntityApiFunction", schedule)["statusCode"] == 200
    scheduler = stack.client("scheduler")

    def rules() -> list[str]:
        """The entity's EventBridge Scheduler schedules."""
        found = scheduler.list_schedules(NamePrefix="qbo-connector-sched-")["Schedules"]
        return [
            s["Name"]
            for s in found
            if json.loads(
                scheduler.get_schedule(GroupName=s["GroupName"], Name=s["Name"])["Target"]["Input"]
            )["legal_entity_id"]
            == le
        ]

    assert rules()
    bad = ops(stack, "ops-delete-legal-entity.json", org_id=org, legal_entity_id=le, operator="")
    assert bad["error"]["field"] == "operator"
    deleted = ops(stack, "ops-delete-legal-entity.json", org_id=org, legal_entity_id=le)
    assert deleted["ok"], deleted
    assert deleted["result"]["revoked_at_intuit"] is True
    assert deleted["result"]["records_deleted"] > 0
    assert rules() == []
    assert status(stack, org, le)["statusCode"] == 404
    sm = stack.client("secretsmanager")
    assert not sm.list_secrets(
        Filters=[{"Key": "name", "Values": [f"qbo-connector/tokens/{org}/{le}"]}]
    )["SecretList"]
    # The company is free again for another entity.
    register(stack, org, f"{le}-new")
    assert connect(stack, org, f"{le}-new", user, realm)["statusCode"] == 200
