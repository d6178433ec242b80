"""Time zones at the source: the Scheduler crons, evaluated the way EventBridge Scheduler
evaluates them (in their zone; a local time skipped by spring-forward does not run, a
repeated one runs once), fire exactly at the runs GET sync-schedule shows (`next_runs`,
local time and UTC), across DST changes, with no recompute."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from local_stack.rule_firer import schedule_next_after  # noqa: E402
from qbo_connector.logic.schedule_rules import compute_schedules, next_runs  # noqa: E402
from qbo_connector.models.sync_schedule import parse_schedule  # noqa: E402


def weekly(days: list[str], times: list[str], tz: str) -> Any:
    return parse_schedule({"kind": "weekly", "days": days, "times": times, "timezone": tz})


def interval(every: int, anchor: int, tz: str) -> Any:
    return parse_schedule(
        {"kind": "interval", "every_hours": every, "anchor_minute": anchor, "timezone": tz}
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


ALL = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
SCHEDULES = [
    weekly(["MON", "TUE", "WED", "THU", "FRI"], ["06:00", "13:00"], "America/Vancouver"),
    weekly(ALL, ["02:30", "01:30"], "America/New_York"),  # in the gap, and in the repeat
    weekly(["SUN"], ["23:30", "00:15"], "Europe/London"),
    weekly(["MON", "SAT"], ["09:30", "21:45"], "Asia/Kolkata"),
    weekly(ALL, ["02:15"], "Australia/Lord_Howe"),  # a 30-minute DST
    interval(4, 15, "Europe/Berlin"),
    interval(1, 0, "America/Vancouver"),
    interval(24, 30, "Pacific/Chatham"),  # +12:45 / +13:45
]
NOWS = [
    utc(2026, 3, 2, 12),  # three weeks before Europe's change, a week before the US's
    utc(2026, 3, 8, 6, 59),  # hours before the US spring forward
    utc(2026, 10, 24, 12),  # before Europe's and the US fall back
    utc(2026, 3, 30, 12),  # before Lord Howe and Chatham change (April)
]


def scheduler_firings(schedule: Any, start: datetime, end: datetime) -> list[datetime]:
    fired: list[datetime] = []
    for s in compute_schedules(schedule, "org-1", "le-1", "qbo-"):
        definition = {
            "ScheduleExpression": s.schedule_expression,
            "ScheduleExpressionTimezone": s.timezone,
        }
        t = start
        while (t := schedule_next_after(definition, t)) is not None and t < end:  # type: ignore[assignment]
            fired.append(t)
    return sorted(fired)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.describe())
@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.isoformat())
def test_scheduler_fires_exactly_at_the_runs_shown(schedule: Any, now: datetime) -> None:
    end = now + timedelta(days=21)
    shown = [u for _, u in next_runs(schedule, now, 600) if u < end]
    assert scheduler_firings(schedule, now, end) == shown


def test_vancouver_0600_is_one_cron_and_moves_in_utc_by_itself() -> None:
    schedule = weekly(["MON", "TUE", "WED", "THU", "FRI"], ["06:00"], "America/Vancouver")
    (only,) = compute_schedules(schedule, "o", "l", "qbo-")
    assert (only.schedule_expression, only.timezone) == (
        "cron(0 6 ? * MON-FRI *)",
        "America/Vancouver",
    )
    runs = next_runs(schedule, utc(2026, 3, 5, 0), 3)  # Thu, Fri, then Mon after the change
    assert [(lo.isoformat(), u.isoformat()) for lo, u in runs] == [
        ("2026-03-05T06:00:00-08:00", "2026-03-05T14:00:00+00:00"),
        ("2026-03-06T06:00:00-08:00", "2026-03-06T14:00:00+00:00"),
        ("2026-03-09T06:00:00-07:00", "2026-03-09T13:00:00+00:00"),
    ]
    assert scheduler_firings(schedule, utc(2026, 3, 5, 0), utc(2026, 3, 9, 23)) == [
        u for _, u in runs
    ]


def test_a_skipped_time_does_not_run_and_a_repeated_one_runs_once() -> None:
    schedule = weekly(ALL, ["02:30", "01:30"], "America/New_York")
    spring = scheduler_firings(schedule, utc(2026, 3, 8, 0), utc(2026, 3, 9, 0))
    assert spring == [utc(2026, 3, 8, 6, 30)]  # 01:30 EST; 02:30 does not exist
    fall = scheduler_firings(schedule, utc(2026, 11, 1, 0), utc(2026, 11, 2, 0))
    assert fall == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30)]  # 01:30 EDT once, 02:30 EST


def test_schedules_do_not_depend_on_the_date() -> None:
    schedule = SCHEDULES[0]
    assert compute_schedules(schedule, "o", "l", "qbo-") == compute_schedules(
        schedule, "o", "l", "qbo-"
    )
    assert (
        len(compute_schedules(weekly(ALL, [f"0{i}:{i}0" for i in range(6)], "UTC"), "o", "l", "q-"))
        == 6
    )
