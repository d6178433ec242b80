"""The legacy EventBridge rules adapter against moto in server mode (real boto3, real HTTP):
what entities saved before the move to Scheduler still have, until they are migrated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from qbo_connector.adapters import eventbridge_rules as adapter
from qbo_connector.adapters.eventbridge_rules import (
    TAG_LEGAL_ENTITY,
    TAG_ORG,
    ScheduleQuotaExceeded,
    ScheduleRules,
)
from qbo_connector.logic.schedule_rules import RuleSet, compute_rules
from qbo_connector.models.sync_schedule import IntervalSchedule, SyncSchedule, WeeklySchedule

PREFIX = "qbo-connector-sched-"
TARGET_ARN = "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-scheduled-sync"
WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI")


def _rules(org: str, le: str, schedule: SyncSchedule, now: datetime = WINTER) -> RuleSet:
    return compute_rules(schedule, org, le, now, PREFIX)


def _all_project_rules(events: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for page in events.get_paginator("list_rules").paginate(NamePrefix=PREFIX):
        rules.extend(page["Rules"])
    return rules


def _targets(events: Any, name: str) -> list[dict[str, Any]]:
    return list(events.list_targets_by_rule(Rule=name)["Targets"])


def test_rules_and_targets_for_several_zones(events: Any) -> None:
    cases = {
        "le-van": WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver"),
        "le-kol": WeeklySchedule(("MON",), ("09:30",), "Asia/Kolkata"),
        "le-lon": WeeklySchedule(("SUN",), ("23:30",), "Europe/London"),
    }
    for le, schedule in cases.items():
        adapter.apply("org-1", le, _rules("org-1", le, schedule).rules)

    expressions = {
        le: sorted(r.schedule_expression for r in adapter.list("org-1", le)) for le in cases
    }
    assert expressions == {
        "le-van": ["cron(0 10 9 3 ? 2025)", "cron(0 14 ? * MON-FRI *)"],
        "le-kol": ["cron(0 4 ? * MON *)"],
        "le-lon": ["cron(0 1 30 3 ? 2025)", "cron(30 23 ? * SUN *)"],
    }
    for le in cases:
        for info in adapter.list("org-1", le):
            assert info.state == "ENABLED"
            assert le in info.description and "org-1" in info.description
            (target,) = _targets(events, info.name)
            assert target["Arn"] == TARGET_ARN
            payload = json.loads(target["Input"])
            source = "schedule-recompute" if info.name.endswith("-0") else "schedule"
            assert payload == {"org_id": "org-1", "legal_entity_id": le, "source": source}
            arn = events.describe_rule(Name=info.name)["Arn"]
            tags = {
                t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]
            }
            assert tags == {TAG_ORG: "org-1", TAG_LEGAL_ENTITY: le}


def test_summer_rules_for_vancouver_0600(events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", schedule, SUMMER).sync_rules)
    assert [r.schedule_expression for r in adapter.list("org-1", "le-1")] == [
        "cron(0 13 ? * MON-FRI *)"
    ]


def test_crossing_midnight_utc_rules(events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("07:00", "20:00"), "America/Vancouver")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", schedule).sync_rules)
    assert sorted(r.schedule_expression for r in adapter.list("org-1", "le-1")) == [
        "cron(0 15 ? * MON-FRI *)",
        "cron(0 4 ? * TUE-SAT *)",
    ]


def test_update_replaces_and_leaves_nothing_behind(events: Any) -> None:
    big = WeeklySchedule(WEEKDAYS, ("07:00", "20:00"), "America/Vancouver")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", big).rules)
    assert len(adapter.list("org-1", "le-1")) == 3  # two sync rules + recompute

    small = IntervalSchedule(6, 0, "UTC")
    names = adapter.apply("org-1", "le-1", _rules("org-1", "le-1", small).rules)
    listed = adapter.list("org-1", "le-1")
    assert [r.name for r in listed] == names
    assert [r.schedule_expression for r in listed] == ["cron(0 0,6,12,18 * * ? *)"]
    assert len(_all_project_rules(events)) == 1


def test_remove_deletes_rules_and_targets(events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("07:00", "20:00"), "America/Vancouver")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", schedule).rules)
    adapter.apply("org-1", "le-2", _rules("org-1", "le-2", schedule).rules)
    assert adapter.remove("org-1", "le-1") == 3
    assert adapter.list("org-1", "le-1") == []
    assert len(adapter.list("org-1", "le-2")) == 3  # the neighbour is untouched
    assert adapter.remove("org-1", "le-1") == 0  # idempotent


def test_disable_and_enable(events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("07:00",), "America/Vancouver")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", schedule).rules)
    assert adapter.disable("org-1", "le-1") == 2
    assert {r.state for r in adapter.list("org-1", "le-1")} == {"DISABLED"}
    assert adapter.enable("org-1", "le-1") == 2
    assert {r.state for r in adapter.list("org-1", "le-1")} == {"ENABLED"}
    # A schedule saved while disconnected stays disabled.
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", schedule).rules, enabled=False)
    assert {r.state for r in adapter.list("org-1", "le-1")} == {"DISABLED"}


def test_rules_of_another_entity_are_refused(events: Any) -> None:
    other = _rules("org-1", "le-2", IntervalSchedule(1)).rules
    with pytest.raises(ValueError):
        adapter.apply("org-1", "le-1", other)


LEGACY_CEILING = 300  # EventBridge's default rules per bus: where the rule design stopped


def test_the_legacy_ceiling_of_300_rules_scheduled_and_unscheduled(events: Any) -> None:
    # The rules are only migrated from now on (tests/schedule/test_sync_schedules_adapter.py
    # schedules 10,000 entities on Scheduler); this keeps their adapter honest at its quota.
    rules = ScheduleRules()
    schedule = IntervalSchedule(24, 0, "UTC")  # one rule, no recompute rule
    entities = [f"le-{i:04d}" for i in range(LEGACY_CEILING)]
    for le in entities:
        rules.apply("org-big", le, _rules("org-big", le, schedule).rules)
    listed = _all_project_rules(events)
    assert len(listed) == LEGACY_CEILING
    assert len({r["Name"] for r in listed}) == LEGACY_CEILING
    for le in entities:
        assert rules.remove("org-big", le) == 1
    assert _all_project_rules(events) == []


class _QuotaAfter:
    """Wraps a real client; the Nth put_rule fails as if the account quota were hit."""

    def __init__(self, inner: Any, fail_on: int) -> None:
        self._inner = inner
        self._fail_on = fail_on
        self.put_rule_calls = 0

    def put_rule(self, **kwargs: Any) -> Any:
        self.put_rule_calls += 1
        if self.put_rule_calls == self._fail_on:
            raise ClientError(
                {
                    "Error": {
                        "Code": "LimitExceededException",
                        "Message": "The requested resource exceeds the maximum number allowed.",
                    }
                },
                "PutRule",
            )
        return self._inner.put_rule(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_quota_hit_on_a_new_schedule_leaves_nothing(events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("07:00", "20:00"), "America/Vancouver")
    client = _QuotaAfter(events, fail_on=3)
    with pytest.raises(ScheduleQuotaExceeded) as info:
        ScheduleRules(client=client).apply("org-1", "le-1", _rules("org-1", "le-1", schedule).rules)
    assert "quota" in str(info.value) and "le-1" in str(info.value)
    assert info.value.code == "schedule_quota_exceeded"
    assert _all_project_rules(events) == []


def test_quota_hit_on_an_update_restores_the_old_schedule(events: Any) -> None:
    old = IntervalSchedule(12, 5, "UTC")
    adapter.apply("org-1", "le-1", _rules("org-1", "le-1", old).rules)
    before = [(r.name, r.schedule_expression, r.state) for r in adapter.list("org-1", "le-1")]

    new = WeeklySchedule(WEEKDAYS, ("07:00", "20:00"), "America/Vancouver")
    client = _QuotaAfter(events, fail_on=3)  # rule -1 updated, -2 created, -0 fails
    with pytest.raises(ScheduleQuotaExceeded):
        ScheduleRules(client=client).apply("org-1", "le-1", _rules("org-1", "le-1", new).rules)

    after = [(r.name, r.schedule_expression, r.state) for r in adapter.list("org-1", "le-1")]
    assert after == before
    (target,) = _targets(events, before[0][0])
    assert json.loads(target["Input"])["source"] == "schedule"


def test_other_errors_also_roll_back_and_propagate(events: Any) -> None:
    class _Broken(_QuotaAfter):
        def put_targets(self, **kwargs: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutTargets"
            )

    schedule = IntervalSchedule(1)
    with pytest.raises(ClientError):
        ScheduleRules(client=_Broken(events, fail_on=99)).apply(
            "org-1", "le-1", _rules("org-1", "le-1", schedule).rules
        )
    assert _all_project_rules(events) == []
