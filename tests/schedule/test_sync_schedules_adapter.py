"""The EventBridge Scheduler adapter against moto in server mode (real boto3, real HTTP):
schedules in the entity's zone, updates, pause, quota rollback, migration from the
legacy EventBridge rules, and 10,000 entities scheduled and unscheduled."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from qbo_connector.adapters.eventbridge_rules import ScheduleRules
from qbo_connector.adapters.sync_schedules import RETRY_POLICY, SyncSchedules
from qbo_connector.logic.schedule_rules import compute_rules, compute_schedules
from qbo_connector.models.faults import ScheduleQuotaExceeded
from qbo_connector.models.sync_schedule import IntervalSchedule, SyncSchedule, WeeklySchedule
from tests.schedule.conftest import GROUP, ROLE_ARN, TARGET_ARN

PREFIX = "qbo-connector-sched-"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI")
WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def _schedules(org: str, le: str, schedule: SyncSchedule) -> Any:
    return compute_schedules(schedule, org, le, PREFIX)


def _all(scheduler: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in scheduler.get_paginator("list_schedules").paginate(
        GroupName=GROUP, NamePrefix=PREFIX, PaginationConfig={"PageSize": 100}
    ):
        found.extend(page["Schedules"])
    return found


def _rules(events: Any) -> list[str]:
    names: list[str] = []
    for page in events.get_paginator("list_rules").paginate(NamePrefix=PREFIX):
        names.extend(r["Name"] for r in page["Rules"])
    return names


class Recording:
    """A client wrapper that records the calls made through it (and can fail one)."""

    def __init__(self, client: Any, fail: dict[str, int] | None = None, code: str = "") -> None:
        self._client = client
        self.calls: list[str] = []
        self._fail = dict(fail or {})
        self._code = code

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            if name in self._fail:
                self._fail[name] -= 1
                if self._fail[name] <= 0:
                    del self._fail[name]
                    raise ClientError({"Error": {"Code": self._code, "Message": "no"}}, name)
            return method(**kwargs)

        return call


def test_schedules_are_crons_in_the_entity_zone_with_a_window_and_the_role(
    scheduler: Any,
) -> None:
    cases = {
        "le-van": WeeklySchedule(WEEKDAYS, ("06:00", "13:00"), "America/Vancouver"),
        "le-kol": WeeklySchedule(("MON",), ("09:30",), "Asia/Kolkata"),
        "le-int": IntervalSchedule(4, 15, "Europe/London"),
    }
    adapter = SyncSchedules()
    for le, schedule in cases.items():
        adapter.apply("org-1", le, _schedules("org-1", le, schedule), previous=[], legacy=False)
    expected = {
        "le-van": ("cron(0 6,13 ? * MON-FRI *)", "America/Vancouver"),
        "le-kol": ("cron(30 9 ? * MON *)", "Asia/Kolkata"),
        "le-int": ("cron(15 0,4,8,12,16,20 * * ? *)", "Europe/London"),
    }
    for le, (expression, zone) in expected.items():
        (info,) = adapter.list("org-1", le)
        assert (info.schedule_expression, info.timezone, info.state) == (
            expression,
            zone,
            "ENABLED",
        )
        got = scheduler.get_schedule(GroupName=GROUP, Name=info.name)
        assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
        target = got["Target"]
        assert (target["Arn"], target["RoleArn"]) == (TARGET_ARN, ROLE_ARN)
        assert target["RetryPolicy"] == RETRY_POLICY
        assert json.loads(target["Input"]) == {
            "org_id": "org-1",
            "legal_entity_id": le,
            "source": "schedule",
        }
        assert le in got["Description"] and "org-1" in got["Description"]


def test_a_change_updates_adds_and_deletes_and_leaves_nothing_behind(scheduler: Any) -> None:
    adapter = SyncSchedules()
    one = _schedules("o", "le-1", WeeklySchedule(WEEKDAYS, ("07:30", "13:00"), "UTC"))
    names = adapter.apply("o", "le-1", one, previous=[], legacy=False)
    assert len(names) == 2
    fewer = _schedules("o", "le-1", WeeklySchedule(("SAT",), ("08:00",), "Asia/Tokyo"))
    assert adapter.apply("o", "le-1", fewer, previous=names, legacy=False) == [fewer[0].name]
    assert [(i.schedule_expression, i.timezone) for i in adapter.list("o", "le-1")] == [
        ("cron(0 8 ? * SAT *)", "Asia/Tokyo")
    ]
    # A stale "previous" (nothing known) still converges: listed, updated in place.
    assert adapter.apply("o", "le-1", one, previous=None) == names
    assert len(_all(scheduler)) == 2
    assert adapter.remove("o", "le-1") == 2
    assert _all(scheduler) == []
    assert adapter.remove("o", "le-1") == 0


def test_disable_and_enable_keep_the_definition(scheduler: Any) -> None:
    adapter = SyncSchedules()
    schedules = _schedules("o", "le-1", WeeklySchedule(("MON",), ("07:00",), "Europe/Paris"))
    (name,) = adapter.apply("o", "le-1", schedules, previous=[], legacy=False)
    before = scheduler.get_schedule(GroupName=GROUP, Name=name)
    assert adapter.disable("o", "le-1") == 1
    assert scheduler.get_schedule(GroupName=GROUP, Name=name)["State"] == "DISABLED"
    assert adapter.enable("o", "le-1") == 1
    after = scheduler.get_schedule(GroupName=GROUP, Name=name)
    for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "Target", "State"):
        assert after[key] == before[key], key
    # Saved while disconnected: stored disabled.
    adapter.apply("o", "le-2", _schedules("o", "le-2", schedules_of_le2()), enabled=False)
    assert {i.state for i in adapter.list("o", "le-2")} == {"DISABLED"}


def schedules_of_le2() -> SyncSchedule:
    return WeeklySchedule(("TUE",), ("09:00",), "UTC")


def test_schedules_of_another_entity_are_refused(scheduler: Any) -> None:
    other = _schedules("o", "le-2", schedules_of_le2())
    with pytest.raises(ValueError, match="does not belong"):
        SyncSchedules().apply("o", "le-1", other)


def test_a_full_quota_rolls_back_what_this_call_created(scheduler: Any) -> None:
    client = Recording(scheduler, fail={"create_schedule": 2}, code="ServiceQuotaExceededException")
    adapter = SyncSchedules(client)
    schedules = _schedules("o", "le-1", WeeklySchedule(WEEKDAYS, ("07:30", "13:00"), "UTC"))
    with pytest.raises(ScheduleQuotaExceeded):
        adapter.apply("o", "le-1", schedules, previous=[], legacy=False)
    assert client.calls.count("create_schedule") == 2 and "delete_schedule" in client.calls
    assert _all(scheduler) == []


# ------------------------------------------------------------------ migration


def _legacy(org: str, le: str, schedule: SyncSchedule) -> list[str]:
    return ScheduleRules().apply(org, le, compute_rules(schedule, org, le, WINTER, PREFIX).rules)


def test_migration_creates_the_schedules_before_deleting_the_rules(
    scheduler: Any, events: Any
) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    assert len(_legacy("o", "le-1", schedule)) == 2  # the sync rule and the recompute rule
    assert len(_legacy("o", "le-other", schedule)) == 2
    sched = Recording(scheduler)
    rules = Recording(events)
    adapter = SyncSchedules(sched, legacy_rules=ScheduleRules(client=rules))
    adapter.apply("o", "le-1", _schedules("o", "le-1", schedule), previous=None, legacy=True)
    # Never a moment with neither: every rule deletion comes after the schedule exists.
    assert sched.calls == ["list_schedules", "create_schedule"]
    assert "delete_rule" in rules.calls
    assert [i.kind for i in adapter.list("o", "le-1")] == ["scheduler"]
    assert sorted(_rules(events)) == sorted(
        ScheduleRules().entity_prefix("o", "le-other") + n for n in ("0", "1")
    )  # the other entity's rules keep firing until it is migrated


def test_a_failed_migration_keeps_the_old_rules_firing(scheduler: Any, events: Any) -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    before = _legacy("o", "le-1", schedule)
    adapter = SyncSchedules(
        Recording(scheduler, fail={"create_schedule": 1}, code="ServiceQuotaExceededException")
    )
    with pytest.raises(ScheduleQuotaExceeded):
        adapter.apply("o", "le-1", _schedules("o", "le-1", schedule))
    assert sorted(_rules(events)) == sorted(before)
    assert {r["State"] for r in events.list_rules(NamePrefix=PREFIX)["Rules"]} == {"ENABLED"}


def test_remove_disable_and_enable_reach_entities_not_migrated(scheduler: Any, events: Any) -> None:
    _legacy("o", "le-1", WeeklySchedule(("MON",), ("07:00",), "UTC"))
    adapter = SyncSchedules()
    assert adapter.disable("o", "le-1") == 1
    assert {r["State"] for r in events.list_rules(NamePrefix=PREFIX)["Rules"]} == {"DISABLED"}
    assert adapter.enable("o", "le-1") == 1
    assert adapter.remove("o", "le-1") == 1
    assert _rules(events) == []


# ------------------------------------------------------------------ scale

ENTITIES = 10_000
THREADS = 8  # moto's server is threaded; the per-call cost is moto's, not the adapter's


def test_ten_thousand_entities_scheduled_and_unscheduled(moto_process: str) -> None:
    """10,000 entities in one account and region: EventBridge rules stop at 300 per bus
    (default quota); Scheduler's default is 1,000,000 schedules. One call per entity to
    schedule it and one to unschedule it (the stored names say what exists)."""
    client = boto3.client(
        "scheduler",
        endpoint_url=moto_process,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=THREADS * 2),
    )
    client.create_schedule_group(Name=GROUP)
    calls: Counter[str] = Counter()
    client.meta.events.register(
        "before-call.scheduler.*", lambda model, **_: calls.update([model.name])
    )
    adapter = SyncSchedules(
        client,
        group=GROUP,
        prefix=PREFIX,
        target_arn=TARGET_ARN,
        role_arn=ROLE_ARN,
        window_minutes=15,
        legacy_rules=ScheduleRules(client=object(), prefix=PREFIX, target_arn=TARGET_ARN),
    )
    zones = ("America/Vancouver", "America/New_York", "Europe/London", "Asia/Kolkata", "UTC")

    def schedule(i: int) -> list[str]:
        s = WeeklySchedule(WEEKDAYS, ("07:00",), zones[i % len(zones)])
        le = f"le-{i:05d}"
        return adapter.apply("org-big", le, _schedules("org-big", le, s), previous=[], legacy=False)

    with ThreadPoolExecutor(THREADS) as pool:
        names = list(pool.map(schedule, range(ENTITIES)))
    assert calls == {"CreateSchedule": ENTITIES}
    assert all(len(n) == 1 for n in names)
    listed = _all(client)
    assert len(listed) == ENTITIES
    assert len({s["Name"] for s in listed}) == ENTITIES
    sample = client.get_schedule(GroupName=GROUP, Name=names[1][0])
    assert sample["ScheduleExpressionTimezone"] == "America/New_York"

    calls.clear()

    def unschedule(i: int) -> int:
        le = f"le-{i:05d}"
        return adapter.remove("org-big", le, known=names[i], legacy=False)

    with ThreadPoolExecutor(THREADS) as pool:
        assert sum(pool.map(unschedule, range(ENTITIES))) == ENTITIES
    assert calls == {"DeleteSchedule": ENTITIES}
    assert _all(client) == []
