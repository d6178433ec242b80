"""The local stack's rule firer: AWS cron/rate evaluation and firing with a fixed clock."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT, _ROOT / "layers" / "shared"):  # guarded: a root conftest may do this
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from local_stack.rule_firer import (  # noqa: E402
    CronExpression,
    RuleFirer,
    ScheduleExpressionError,
    is_due,
    parse_schedule_expression,
)

PREFIX = "qbo-connector-sched-"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-scheduled-sync"


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


def _next(expression: str, after: datetime) -> datetime | None:
    return parse_schedule_expression(expression).next_after(after)


# ------------------------------------------------------------------ expressions


def test_weekday_cron_uses_aws_day_numbers() -> None:
    # 2025-01-13 is a Monday. AWS: 1 = SUN, 2 = MON ... 7 = SAT.
    assert _next("cron(0 14 ? * MON-FRI *)", _at(2025, 1, 11)) == _at(2025, 1, 13, 14)
    assert _next("cron(0 14 ? * 2-6 *)", _at(2025, 1, 11)) == _at(2025, 1, 13, 14)
    assert _next("cron(0 4 ? * 1 *)", _at(2025, 1, 13)) == _at(2025, 1, 19, 4)  # Sunday
    assert _next("cron(0 4 ? * SUN,SAT *)", _at(2025, 1, 13)) == _at(2025, 1, 18, 4)
    assert _next("cron(0 4 ? * 7 *)", _at(2025, 1, 13)) == _at(2025, 1, 18, 4)  # Saturday


def test_lists_ranges_steps_and_stars() -> None:
    assert _next("cron(0/15 * * * ? *)", _at(2025, 1, 1, 10, 16)) == _at(2025, 1, 1, 10, 30)
    assert _next("cron(5/20 * * * ? *)", _at(2025, 1, 1, 10, 46)) == _at(2025, 1, 1, 11, 5)
    assert _next("cron(*/10 9-17/4 * * ? *)", _at(2025, 1, 1, 13, 55)) == _at(2025, 1, 1, 17, 0)
    assert _next("cron(0,30 3 ? * MON,WED *)", _at(2025, 1, 13, 3, 0)) == _at(2025, 1, 13, 3, 30)
    assert _next("cron(30 22 * * ? *)", _at(2025, 12, 31, 23)) == _at(2026, 1, 1, 22, 30)


def test_day_of_month_month_names_last_day_and_nth_weekday() -> None:
    assert _next("cron(0 0 1 JAN,JUL ? *)", _at(2025, 1, 2)) == _at(2025, 7, 1)
    assert _next("cron(0 0 L * ? *)", _at(2025, 2, 1)) == _at(2025, 2, 28)
    assert _next("cron(0 0 L * ? *)", _at(2024, 2, 1)) == _at(2024, 2, 29)
    assert _next("cron(0 12 ? * 2#1 *)", _at(2025, 1, 7)) == _at(2025, 2, 3, 12)  # 1st Monday
    assert _next("cron(0 12 ? * 6L *)", _at(2025, 1, 1)) == _at(2025, 1, 31, 12)  # last Friday


def test_one_shot_cron_with_a_year() -> None:
    expression = "cron(0 10 9 3 ? 2025)"
    assert _next(expression, _at(2025, 1, 1)) == _at(2025, 3, 9, 10)
    assert _next(expression, _at(2025, 3, 9, 10)) is None


def test_rate_expressions_align_to_the_epoch() -> None:
    assert _next("rate(5 minutes)", _at(2025, 1, 1, 0, 2)) == _at(2025, 1, 1, 0, 5)
    assert _next("rate(1 hour)", _at(2025, 1, 1, 0, 0)) == _at(2025, 1, 1, 1, 0)
    assert _next("rate(1 day)", _at(2025, 1, 1, 12)) == _at(2025, 1, 2)
    assert is_due("rate(2 hours)", _at(2025, 1, 1, 1, 59), _at(2025, 1, 1, 2, 0))
    assert not is_due("rate(2 hours)", _at(2025, 1, 1, 2, 0), _at(2025, 1, 1, 3, 59))


@pytest.mark.parametrize(
    "bad",
    [
        "cron(0 14 * * MON *)",  # both day fields set
        "cron(0 14 ? * *)",  # five fields
        "cron(61 14 ? * MON *)",
        "cron(0 14 ? * FUNDAY *)",
        "cron(0/0 * * * ? *)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "at(2025-01-01T00:00:00)",
    ],
)
def test_bad_expressions_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_schedule_expression(bad)


def test_due_window_is_open_on_the_left_closed_on_the_right() -> None:
    expression = "cron(0 14 ? * MON-FRI *)"
    assert is_due(expression, _at(2025, 1, 13, 13, 59), _at(2025, 1, 13, 14, 0))
    assert not is_due(expression, _at(2025, 1, 13, 14, 0), _at(2025, 1, 13, 14, 30))
    assert isinstance(CronExpression.parse("0 14 ? * MON-FRI *"), CronExpression)


# ------------------------------------------------------------------ firing rules in moto


@pytest.fixture(scope="module")
def events() -> Iterator[Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        # An explicit client: no process-wide environment is touched.
        yield boto3.client(
            "events",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


def _put(events: Any, name: str, expression: str, payload: dict[str, Any] | None) -> None:
    events.put_rule(Name=name, ScheduleExpression=expression, State="ENABLED")
    target: dict[str, Any] = {"Id": "t", "Arn": ARN}
    if payload is not None:
        target["Input"] = json.dumps(payload)
    events.put_targets(Rule=name, Targets=[target])


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_fires_due_rules_with_their_input(events: Any) -> None:
    weekday = {"org_id": "o", "legal_entity_id": "le-1", "source": "schedule"}
    hourly = {"org_id": "o", "legal_entity_id": "le-2", "source": "schedule"}
    _put(events, PREFIX + "le-1-abc-1", "cron(0 14 ? * MON-FRI *)", weekday)
    _put(events, PREFIX + "le-2-abc-1", "cron(30 * * * ? *)", hourly)
    _put(events, PREFIX + "le-3-abc-1", "cron(0 15 ? * MON-FRI *)", None)
    _put(events, "someone-elses-rule", "cron(* * * * ? *)", {"not": "ours"})
    events.put_rule(Name=PREFIX + "off-1", ScheduleExpression="cron(* * * * ? *)", State="DISABLED")
    events.put_targets(Rule=PREFIX + "off-1", Targets=[{"Id": "t", "Arn": ARN, "Input": "{}"}])

    calls: list[tuple[str, Any]] = []
    clock = _Clock(_at(2025, 1, 13, 13, 0))  # Monday
    firer = RuleFirer(events, lambda arn, payload: calls.append((arn, payload)), clock, PREFIX)

    assert firer.fire_due(_at(2025, 1, 13, 13, 29)) == []
    fired = firer.fire_due(_at(2025, 1, 13, 14, 0))
    assert sorted(f.rule_name for f in fired) == [PREFIX + "le-1-abc-1", PREFIX + "le-2-abc-1"]
    assert sorted(calls, key=str) == sorted([(ARN, weekday), (ARN, hourly)], key=str)

    calls.clear()
    clock.now = _at(2025, 1, 13, 15, 0)
    fired = firer.fire_due()  # uses the clock
    # 14:30 hourly and 15:00 le-3 (no Input: a Scheduled Event like EventBridge sends).
    assert sorted(f.rule_name for f in fired) == [PREFIX + "le-2-abc-1", PREFIX + "le-3-abc-1"]
    scheduled = next(p for _, p in calls if "detail-type" in p)
    assert scheduled["detail-type"] == "Scheduled Event"
    assert scheduled["time"] == "2025-01-13T15:00:00Z"
    assert firer.fire_due(_at(2025, 1, 13, 15, 0)) == []  # nothing new in an empty window
    for name in ("le-1-abc-1", "le-2-abc-1", "le-3-abc-1", "off-1"):
        events.remove_targets(Rule=PREFIX + name, Ids=["t"])
        events.delete_rule(Name=PREFIX + name)


def test_a_failing_target_does_not_stop_the_others(events: Any) -> None:
    _put(events, PREFIX + "a-1", "cron(0 6 * * ? *)", {"n": 1})
    _put(events, PREFIX + "b-1", "cron(0 6 * * ? *)", {"n": 2})
    seen: list[Any] = []

    def invoke(arn: str, payload: Any) -> None:
        if payload["n"] == 1:
            raise RuntimeError("boom")
        seen.append(payload)

    firer = RuleFirer(events, invoke, _Clock(_at(2025, 6, 1, 5, 0)), PREFIX)
    fired = firer.fire_due(_at(2025, 6, 1, 6, 0))
    assert seen == [{"n": 2}]
    assert {f.rule_name: f.error for f in fired} == {
        PREFIX + "a-1": "RuntimeError: boom",
        PREFIX + "b-1": None,
    }
    # A long sleep fires each due rule once, not once per missed occurrence.
    seen.clear()
    firer.fire_due(_at(2025, 6, 4, 7, 0))
    assert seen == [{"n": 2}]


def test_run_forever_stops_when_asked(events: Any) -> None:
    import threading

    stop = threading.Event()
    polls: list[datetime] = []
    start = _at(2030, 1, 1)

    def clock() -> datetime:
        polls.append(start)
        if len(polls) >= 3:
            stop.set()
        return start + timedelta(minutes=len(polls))

    RuleFirer(events, lambda arn, payload: None, clock, PREFIX).run_forever(0, stop)
    assert len(polls) == 3


# ------------------------------------------------------------------ firing Scheduler schedules


SPREFIX = "qbo-sched-test-"  # not the rules' prefix: the module's rules are not fired here


def _scheduler(events: Any) -> Any:
    """A Scheduler client on the same moto server as the events client."""
    return boto3.client(
        "scheduler",
        endpoint_url=events.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _schedule(scheduler: Any, group: str, name: str, expression: str, zone: str, **extra: Any):
    scheduler.create_schedule(
        GroupName=group,
        Name=name,
        ScheduleExpression=expression,
        ScheduleExpressionTimezone=zone,
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Target={
            "Arn": ARN,
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": json.dumps({"legal_entity_id": name}),
        },
        **extra,
    )


def test_fires_scheduler_schedules_in_their_zone_across_dst(events: Any) -> None:
    scheduler = _scheduler(events)
    scheduler.create_schedule_group(Name="qbo-connector-test")
    group = "qbo-connector-test"
    _schedule(scheduler, group, SPREFIX + "van-1", "cron(0 6 ? * MON-FRI *)", "America/Vancouver")
    _schedule(scheduler, group, SPREFIX + "ny-1", "cron(30 2 * * ? *)", "America/New_York")
    _schedule(scheduler, group, SPREFIX + "off-1", "cron(* * * * ? *)", "UTC", State="DISABLED")
    _schedule(scheduler, group, "someone-elses", "cron(* * * * ? *)", "UTC")
    calls: list[Any] = []
    firer = RuleFirer(
        events,
        lambda arn, payload: calls.append(payload["legal_entity_id"]),
        _Clock(_at(2026, 3, 6, 0)),  # Friday, winter
        SPREFIX,
        scheduler_client=scheduler,
    )
    # 06:00 PST is 14:00 UTC; New York's 02:30 EST is 07:30 UTC.
    assert [f.rule_name for f in firer.fire_due(_at(2026, 3, 6, 7, 30))] == [
        f"{group}/{SPREFIX}ny-1"
    ]
    assert [f.rule_name for f in firer.fire_due(_at(2026, 3, 6, 14, 0))] == [
        f"{group}/{SPREFIX}van-1"
    ]
    # Sunday 8 March: the US springs forward at 02:00 local, so 02:30 New York does not
    # exist and does not fire; Monday's 06:00 PDT is 13:00 UTC, an hour earlier in UTC.
    assert [f.rule_name for f in firer.fire_due(_at(2026, 3, 7, 7, 30))] == [
        f"{group}/{SPREFIX}ny-1"
    ]  # Saturday: New York daily; Vancouver weekdays only
    assert firer.fire_due(_at(2026, 3, 8, 23, 0)) == []
    assert [f.rule_name for f in firer.fire_due(_at(2026, 3, 9, 6, 30))] == [
        f"{group}/{SPREFIX}ny-1"
    ]
    assert firer.fire_due(_at(2026, 3, 9, 12, 59)) == []
    fired = firer.fire_due(_at(2026, 3, 9, 13, 0))
    assert [(f.rule_name, f.error) for f in fired] == [(f"{group}/{SPREFIX}van-1", None)]
    assert calls == [SPREFIX + n for n in ("ny-1", "van-1", "ny-1", "ny-1", "van-1")]
    scheduler.delete_schedule_group(Name=group)


def test_scheduler_rate_is_aligned_to_the_start_date(events: Any) -> None:
    scheduler = _scheduler(events)
    scheduler.create_schedule_group(Name="rates")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=7)
    _schedule(scheduler, "rates", SPREFIX + "r-1", "rate(4 hours)", "UTC", StartDate=start)
    calls: list[Any] = []
    firer = RuleFirer(
        events,
        lambda arn, payload: calls.append(payload),
        _Clock(start - timedelta(minutes=1)),
        SPREFIX,
        scheduler_client=scheduler,
    )
    assert len(firer.fire_due(start)) == 1  # the start date is the first run
    assert firer.fire_due(start + timedelta(hours=3, minutes=59)) == []
    assert len(firer.fire_due(start + timedelta(hours=4))) == 1
    scheduler.delete_schedule(GroupName="rates", Name=SPREFIX + "r-1")
