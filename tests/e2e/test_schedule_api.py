"""Sync Schedule over the local stack: routes, EventBridge Scheduler schedules in moto,
the migration of legacy EventBridge rules, the scheduled-sync handler (skips,
coalescing) and the local stack firing schedules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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


PREFIX = "qbo-connector-sched-"


def rules_of(stack: Any, le: str) -> list[dict[str, Any]]:
    """The entity's Scheduler schedules (GetSchedule's answers)."""
    scheduler = stack.client("scheduler")
    found = []
    for summary in scheduler.list_schedules(NamePrefix=PREFIX, MaxResults=100)["Schedules"]:
        schedule = scheduler.get_schedule(GroupName=summary["GroupName"], Name=summary["Name"])
        if json.loads(schedule["Target"]["Input"])["legal_entity_id"] == le:
            found.append(schedule)
    return found


def legacy_rules_of(stack: Any, le: str) -> list[dict[str, Any]]:
    events = stack.client("events")
    found = []
    for rule in events.list_rules(NamePrefix=PREFIX)["Rules"]:
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


def test_weekly_schedule_becomes_schedules_targeting_the_scheduled_function(stack, connected):
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

    env = stack.function_env("EntityApiFunction")
    (schedule,) = rules_of(stack, connected["le"])
    assert schedule["State"] == "ENABLED"
    assert schedule["Name"].startswith(PREFIX)
    assert schedule["GroupName"] == env["SCHEDULE_GROUP_NAME"] == "qbo-connector-local"
    target = schedule["Target"]
    assert target["Arn"] == env["SCHEDULED_SYNC_FUNCTION_ARN"]
    assert target["RoleArn"] == env["SCHEDULER_ROLE_ARN"]
    assert json.loads(target["Input"]) == {
        "org_id": connected["org"],
        "legal_entity_id": connected["le"],
        "source": "schedule",
    }
    # 07:00 and 13:00 in Vancouver, in Vancouver: Scheduler follows DST, no recompute.
    assert schedule["ScheduleExpression"] == "cron(0 7,13 ? * MON-FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/Vancouver"
    assert schedule["FlexibleTimeWindow"]["Mode"] == "FLEXIBLE"
    assert shown["schedules"] == [schedule["Name"]] and shown["legacy_rules"] == []
    assert legacy_rules_of(stack, connected["le"]) == []

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
    assert [(r["ScheduleExpression"], r["ScheduleExpressionTimezone"]) for r in after] == [
        ("cron(0 0,6,12,18 * * ? *)", "UTC")
    ]

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


def test_the_local_stack_fires_due_schedules_in_their_zone(stack, ids):
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
    assert mine[0].rule_name.startswith("qbo-connector-local/" + PREFIX)  # a Scheduler schedule
    history = stack.invoke(
        "EntityApiFunction",
        api_event(
            "entity-api-list-syncs.json", entity_id=ids["le"], claims=member_claims(ids["org"])
        ),
    )
    assert any(r["trigger"] == "schedule" for r in body_of(history)["items"])


def _legacy_state(stack: Any, org: str, le: str) -> list[str]:
    """What an entity saved before the move has: EventBridge rules (UTC crons and a DST
    recompute rule) and a stored schedule without the Scheduler backend."""
    from qbo_connector.logic.schedule_rules import compute_rules
    from qbo_connector.models.sync_schedule import WeeklySchedule

    env = stack.function_env("EntityApiFunction")
    schedule = WeeklySchedule(tuple(WEEKDAYS), ("06:00",), "America/Vancouver")
    ruleset = compute_rules(schedule, org, le, datetime.now(UTC), PREFIX)
    events = stack.client("events")
    for rule in ruleset.rules:
        events.put_rule(Name=rule.name, ScheduleExpression=rule.schedule_expression)
        events.put_targets(
            Rule=rule.name,
            Targets=[
                {
                    "Id": "scheduled-sync",
                    "Arn": env["SCHEDULED_SYNC_FUNCTION_ARN"],
                    "Input": json.dumps(
                        {"org_id": org, "legal_entity_id": le, "source": rule.source}
                    ),
                }
            ],
        )
    names = [r.name for r in ruleset.rules]
    stack.client("dynamodb").update_item(
        TableName=env["LEGAL_ENTITIES_TABLE"],
        Key={"pk": {"S": f"ORG#{org}"}, "sk": {"S": f"LE#{le}"}},
        UpdateExpression="SET sync_schedule = :s",
        ExpressionAttributeValues={
            ":s": {
                "M": {
                    "kind": {"S": "weekly"},
                    "days": {"L": [{"S": d} for d in WEEKDAYS]},
                    "times": {"L": [{"S": "06:00"}]},
                    "timezone": {"S": "America/Vancouver"},
                    "rules": {"L": [{"S": n} for n in names]},
                }
            }
        },
    )
    return names


def test_legacy_rules_keep_firing_until_the_ops_migration_moves_them(stack, connected):
    org, le = connected["org"], connected["le"]
    names = _legacy_state(stack, org, le)
    shown = body_of(get(stack, org, le))
    assert shown["legacy_rules"] == names and shown["schedules"] == []
    assert len(legacy_rules_of(stack, le)) == 2 and rules_of(stack, le) == []

    migrated = ops(stack, "ops-migrate-schedules.json", org_id=org)
    assert migrated["ok"], migrated
    assert migrated["result"]["migrated"] == [le]
    assert legacy_rules_of(stack, le) == []
    (schedule,) = rules_of(stack, le)
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 6 ? * MON-FRI *)",
        "America/Vancouver",
    )
    shown = body_of(get(stack, org, le))
    assert shown["schedules"] == [schedule["Name"]] and shown["legacy_rules"] == []
    again = ops(stack, "ops-migrate-schedules.json", org_id=org, legal_entity_id=le)
    assert again["result"]["already_migrated"] == 1


def test_a_legacy_recompute_rule_firing_migrates_the_entity(stack, connected):
    org, le = connected["org"], connected["le"]
    _legacy_state(stack, org, le)
    event = {"org_id": org, "legal_entity_id": le, "source": "schedule-recompute"}
    answer = stack.invoke("ScheduledSyncFunction", event)
    assert answer["outcome"] == "recomputed", answer
    assert legacy_rules_of(stack, le) == []
    assert len(rules_of(stack, le)) == 1
