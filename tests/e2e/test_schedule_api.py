"""Sync Schedule over the local stack: routes, EventBridge rules in moto, the
scheduled-sync handler (skips, coalescing) and the local stack firing rules."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.events import api_event, load_event
from tests.flows import admin_claims, body_of, connect, member_claims, ops, qbo_admin, register

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]


def put(stack: Any, org: str, le: str, body: Any, claims: dict[str, str] | None = None) -> Any:
    event = api_event(
        "entity-api-put-sync-schedule.json",
        entity_id=le,
        claims=claims or admin_claims(org),
        body=body,
    )
    return stack.invoke("EntityApiFunction", event)


def get(stack: Any, org: str, le: str) -> Any:
    event = api_event("entity-api-get-sync-schedule.json", entity_id=le, claims=member_claims(org))
    return stack.invoke("EntityApiFunction", event)


def rules_of(stack: Any, le: str) -> list[dict[str, Any]]:
    events = stack.client("events")
    found = []
    for rule in events.list_rules(NamePrefix="qbo-connector-sched-")["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        if any(json.loads(t["Input"])["legal_entity_id"] == le for t in targets):
            found.append({**rule, "Targets": targets})
    return found


def scheduled(stack: Any, org: str, le: str) -> Any:
    event = {**load_event("scheduled-sync.json"), "org_id": org, "legal_entity_id": le}
    return stack.invoke("ScheduledSyncFunction", event)


@pytest.fixture
def connected(stack: Any, ids: dict[str, str]) -> dict[str, str]:
    register(stack, ids["org"], ids["le"])
    user = f"sched-{ids['le']}"
    qbo_admin(stack, user, ids["realm"], "Schedule Co")
    page = connect(stack, ids["org"], ids["le"], user, ids["realm"])
    assert page["statusCode"] == 200
    return ids


def test_weekly_schedule_becomes_rules_targeting_the_scheduled_function(stack, connected):
    body = {
        "kind": "weekly",
        "days": WEEKDAYS,
        "times": ["07:00", "13:00"],
        "timezone": "America/Vancouver",
    }
    result = put(stack, connected["org"], connected["le"], body)
    assert result["statusCode"] == 200, result
    shown = body_of(result)
    assert shown["active"] is True
    assert len(shown["next_runs"]) == 5
    assert shown["next_runs"][0]["local"].endswith(("-08:00", "-07:00"))

    rules = rules_of(stack, connected["le"])
    assert rules and all(r["State"] == "ENABLED" for r in rules)
    sync_rules = [r for r in rules if json.loads(r["Targets"][0]["Input"])["source"] == "schedule"]
    assert sync_rules
    for rule in rules:
        assert rule["Name"].startswith("qbo-connector-sched-")
        target = rule["Targets"][0]
        assert (
            target["Arn"] == stack.function_env("EntityApiFunction")["SCHEDULED_SYNC_FUNCTION_ARN"]
        )
        assert json.loads(target["Input"])["org_id"] == connected["org"]
    expressions = {r["ScheduleExpression"] for r in sync_rules}
    # 07:00 and 13:00 in Vancouver: 15:00/21:00 UTC in winter, 14:00/20:00 in summer.
    assert expressions <= {"cron(0 15,21 ? * MON-FRI *)", "cron(0 14,20 ? * MON-FRI *)"}

    assert body_of(get(stack, connected["org"], connected["le"]))["schedule"]["times"] == [
        "07:00",
        "13:00",
    ]

    replaced = put(
        stack,
        connected["org"],
        connected["le"],
        {"kind": "interval", "every_hours": 6, "timezone": "UTC"},
    )
    assert replaced["statusCode"] == 200
    after = rules_of(stack, connected["le"])
    assert [r["ScheduleExpression"] for r in after] == ["cron(0 0,6,12,18 * * ? *)"]

    deleted = stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-delete-sync-schedule.json",
            entity_id=connected["le"],
            claims=admin_claims(connected["org"]),
        ),
    )
    assert deleted["statusCode"] == 200
    assert rules_of(stack, connected["le"]) == []
    assert get(stack, connected["org"], connected["le"])["statusCode"] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"kind": "weekly", "days": ["MON"], "times": ["07:00"], "timezone": "Mars/Base"},
            "timezone",
        ),
        ({"kind": "weekly", "days": ["MON"], "times": ["25:00"], "timezone": "UTC"}, "times[0]"),
        (
            {
                "kind": "weekly",
                "days": ["MON"],
                "timezone": "UTC",
                "times": [f"{h:02d}:00" for h in range(10)],
            },
            "times",
        ),
    ],
)
def test_bad_schedules_get_a_400_naming_the_field(stack, connected, body, field):
    result = put(stack, connected["org"], connected["le"], body)
    assert result["statusCode"] == 400
    error = body_of(result)["error"]
    assert error["field"] == field
    assert rules_of(stack, connected["le"]) == []


NOT_TIME_ZONES = [
    "America",  # a directory of the tz database
    "America/",
    "Etc/../UTC",  # a path
    "../../../../etc/passwd",
    "/etc/localtime",
    "localtime",  # the host's zone file, not a zone
    "posixrules",
    "right/UTC",  # leap-second variant files
    "posix/Europe/London",
    "Factory",
    "UTC\x00",
    "utc",
    " UTC",
    "Europe/London" + "x" * 300,
    "A" * 300,
    "Mars/Base",
]


@pytest.mark.parametrize("name", NOT_TIME_ZONES)
def test_a_time_zone_that_is_no_iana_name_is_400_naming_timezone(stack, ids, name):
    register(stack, ids["org"], ids["le"])
    for body in (
        {"kind": "interval", "every_hours": 4, "timezone": name},
        {"kind": "weekly", "days": ["MON"], "times": ["07:00"], "timezone": name},
    ):
        result = put(stack, ids["org"], ids["le"], body)
        assert result["statusCode"] == 400, result
        error = body_of(result)["error"]
        assert error["field"] == "timezone"
        assert len(error["message"]) < 300  # an over-long name is cut, not echoed whole
    assert get(stack, ids["org"], ids["le"])["statusCode"] == 404  # nothing was stored


def test_only_root_administrators_change_the_schedule(stack, connected):
    body = {"kind": "interval", "every_hours": 4, "timezone": "UTC"}
    result = put(stack, connected["org"], connected["le"], body, member_claims(connected["org"]))
    assert result["statusCode"] == 403
    other = put(stack, connected["org"], connected["le"], body, admin_claims("org-elsewhere"))
    assert other["statusCode"] == 404


def test_disconnect_pauses_the_rules_and_reconnect_restores_them(stack, connected):
    put(
        stack,
        connected["org"],
        connected["le"],
        {"kind": "interval", "every_hours": 12, "timezone": "UTC"},
    )
    stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-disconnect.json",
            entity_id=connected["le"],
            claims=admin_claims(connected["org"]),
        ),
    )
    assert {r["State"] for r in rules_of(stack, connected["le"])} == {"DISABLED"}
    assert body_of(get(stack, connected["org"], connected["le"]))["active"] is False

    connect(
        stack, connected["org"], connected["le"], f"sched-{connected['le']}", connected["realm"]
    )
    assert {r["State"] for r in rules_of(stack, connected["le"])} == {"ENABLED"}


def test_scheduled_sync_skips_with_reasons_and_coalesces(stack, ids):
    register(stack, ids["org"], ids["le"])
    not_connected = scheduled(stack, ids["org"], ids["le"])
    assert not_connected["outcome"] == "skipped"
    assert not_connected["reason"] == "not_connected"

    user = f"sched-{ids['le']}"
    qbo_admin(stack, user, ids["realm"], "Skip Co")
    connect(stack, ids["org"], ids["le"], user, ids["realm"])
    no_profile = scheduled(stack, ids["org"], ids["le"])
    assert no_profile["reason"] == "sync_profile_missing"

    profile = ops(stack, "ops-put-sync-profile.json", org_id=ids["org"], legal_entity_id=ids["le"])
    assert profile["ok"], profile
    queued = scheduled(stack, ids["org"], ids["le"])
    assert queued["outcome"] == "queued"
    assert queued["trigger"] == "schedule"
    assert queued["mode"] == "incremental"

    coalesced = scheduled(stack, ids["org"], ids["le"])
    assert coalesced["outcome"] == "skipped"
    assert coalesced["running_sync_id"] == queued["sync_id"]

    history = stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-list-syncs.json", entity_id=ids["le"], claims=member_claims(ids["org"])
        ),
    )
    runs = body_of(history)["items"]
    statuses = [(r["trigger"], r["status"]) for r in runs]
    assert statuses.count(("schedule", "skipped")) == 3
    assert ("schedule", "queued") in statuses
    assert any("API Sync Profile" in (r.get("summary") or "") for r in runs)


def test_the_local_stack_fires_due_rules(stack, ids):
    register(stack, ids["org"], ids["le"])
    user = f"fire-{ids['le']}"
    qbo_admin(stack, user, ids["realm"], "Fire Co")
    connect(stack, ids["org"], ids["le"], user, ids["realm"])
    ops(stack, "ops-put-sync-profile.json", org_id=ids["org"], legal_entity_id=ids["le"])
    shown = body_of(
        put(
            stack,
            ids["org"],
            ids["le"],
            {
                "kind": "weekly",
                "days": [*WEEKDAYS, "SAT", "SUN"],
                "times": ["06:00"],
                "timezone": "America/Vancouver",
            },
        )
    )
    first = datetime.fromisoformat(shown["next_runs"][0]["utc"].replace("Z", "+00:00"))
    firer = stack.rule_firer
    firer.last_checked = first - timedelta(minutes=1)
    firings = firer.fire_due(first)
    mine = [f for f in firings if f.payload.get("legal_entity_id") == ids["le"]]
    assert len(mine) == 1 and mine[0].error is None, firings
    history = stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-list-syncs.json", entity_id=ids["le"], claims=member_claims(ids["org"])
        ),
    )
    assert any(r["trigger"] == "schedule" for r in body_of(history)["items"])
