"""Schedule -> EventBridge cron rules (UTC) and next runs in local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qbo_connector.logic.schedule_rules import (
    MAX_RULE_NAME,
    compute_rules,
    entity_rule_prefix,
    is_entity_rule_name,
    is_scheduled_time,
    needs_recompute,
    next_offset_change,
    next_runs,
)
from qbo_connector.models.sync_schedule import IntervalSchedule, WeeklySchedule

PREFIX = "qbo-connector-sched-"
WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI")


def _exprs(schedule: WeeklySchedule | IntervalSchedule, now: datetime) -> list[str]:
    return [
        r.schedule_expression for r in compute_rules(schedule, "org", "le", now, PREFIX).sync_rules
    ]


def test_vancouver_0600_is_1400_utc_in_winter_and_1300_in_summer() -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    assert _exprs(schedule, WINTER) == ["cron(0 14 ? * MON-FRI *)"]
    assert _exprs(schedule, SUMMER) == ["cron(0 13 ? * MON-FRI *)"]


def test_recompute_at_is_the_next_offset_change_with_a_one_shot_rule() -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    winter = compute_rules(schedule, "org", "le", WINTER, PREFIX)
    # 2025-03-09 02:00 PST -> 03:00 PDT.
    assert winter.recompute_at == datetime(2025, 3, 9, 10, 0, tzinfo=UTC)
    assert winter.utc_offset == timedelta(hours=-8)
    recompute = [r for r in winter.rules if r.purpose == "recompute"]
    assert [(r.schedule_expression, r.source) for r in recompute] == [
        ("cron(0 10 9 3 ? 2025)", "schedule-recompute")
    ]
    assert recompute[0].name.endswith("-0")
    # Recomputing at that instant gives the summer rules and the autumn change.
    spring = compute_rules(schedule, "org", "le", winter.recompute_at, PREFIX)
    assert [r.schedule_expression for r in spring.sync_rules] == ["cron(0 13 ? * MON-FRI *)"]
    assert spring.recompute_at == datetime(2025, 11, 2, 9, 0, tzinfo=UTC)
    assert needs_recompute(winter.recompute_at, winter.recompute_at)
    assert not needs_recompute(winter.recompute_at, WINTER)
    assert not needs_recompute(None, SUMMER)


def test_crossing_midnight_utc_shifts_the_day_of_week() -> None:
    # Mon-Fri 20:00 in Vancouver is Tue-Sat 04:00 UTC; 07:00 and 13:00 share one rule.
    schedule = WeeklySchedule(WEEKDAYS, ("07:00", "13:00", "20:00"), "America/Vancouver")
    assert _exprs(schedule, WINTER) == [
        "cron(0 15,21 ? * MON-FRI *)",
        "cron(0 4 ? * TUE-SAT *)",
    ]
    # Sunday wraps to Monday, Saturday stays Saturday.
    weekend = WeeklySchedule(("SAT", "SUN"), ("18:00",), "America/Vancouver")
    assert _exprs(weekend, WINTER) == ["cron(0 2 ? * SUN,MON *)"]


def test_crossing_midnight_backwards_east_of_utc() -> None:
    # 03:00 Monday in Sydney (UTC+11 in January) is 16:00 Sunday UTC.
    schedule = WeeklySchedule(("MON",), ("03:00", "12:00"), "Australia/Sydney")
    assert _exprs(schedule, WINTER) == ["cron(0 1 ? * MON *)", "cron(0 16 ? * SUN *)"]


def test_kolkata_half_hour_offset() -> None:
    schedule = WeeklySchedule(("MON", "WED"), ("04:00", "09:30", "10:30"), "Asia/Kolkata")
    rs = compute_rules(schedule, "org", "le", WINTER, PREFIX)
    assert rs.recompute_at is None  # no DST in India
    assert [r.schedule_expression for r in rs.rules] == [
        "cron(0 4,5 ? * MON,WED *)",
        "cron(30 22 ? * SUN,TUE *)",
    ]


def test_lord_howe_half_hour_dst() -> None:
    # Lord Howe: UTC+11 in summer (January), UTC+10:30 in winter.
    schedule = WeeklySchedule(("TUE",), ("10:00",), "Australia/Lord_Howe")
    assert _exprs(schedule, WINTER) == ["cron(0 23 ? * MON *)"]
    assert _exprs(schedule, SUMMER) == ["cron(30 23 ? * MON *)"]
    rs = compute_rules(schedule, "org", "le", WINTER, PREFIX)
    assert rs.recompute_at == datetime(2025, 4, 5, 15, 0, tzinfo=UTC)


def test_europe_london() -> None:
    schedule = WeeklySchedule(
        ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), ("00:30",), "Europe/London"
    )
    assert _exprs(schedule, WINTER) == ["cron(30 0 * * ? *)"]
    assert _exprs(schedule, SUMMER) == ["cron(30 23 * * ? *)"]


def test_interval_schedules() -> None:
    assert _exprs(IntervalSchedule(1, 0), WINTER) == ["cron(0 * * * ? *)"]
    assert _exprs(IntervalSchedule(6, 15), WINTER) == ["cron(15 0,6,12,18 * * ? *)"]
    assert _exprs(IntervalSchedule(4, 0, "Asia/Kolkata"), WINTER) == [
        "cron(30 2,6,10,14,18,22 * * ? *)"
    ]
    assert _exprs(IntervalSchedule(8, 0, "America/Vancouver"), WINTER) == ["cron(0 0,8,16 * * ? *)"]
    assert _exprs(IntervalSchedule(24, 45, "America/Vancouver"), SUMMER) == ["cron(45 7 * * ? *)"]


def test_worst_case_rule_count_is_bounded() -> None:
    schedule = WeeklySchedule(
        ("MON", "WED", "SAT"),
        ("00:05", "03:17", "09:29", "14:41", "18:53", "23:59"),
        "Asia/Kolkata",
    )
    assert len(compute_rules(schedule, "org", "le", WINTER, PREFIX).rules) <= 6


def test_rule_names_predictable_bounded_and_tied_to_the_entity() -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00", "20:00"), "America/Vancouver")
    le = "7b1c5e0e-3c1f-4d7a-9a3e-5c2f1d0b8a11/with odd chars*" * 2
    rs = compute_rules(schedule, "org-42", le, WINTER, PREFIX)
    again = compute_rules(schedule, "org-42", le, WINTER, PREFIX)
    assert [r.name for r in rs.rules] == [r.name for r in again.rules]
    prefix = entity_rule_prefix(PREFIX, "org-42", le)
    assert prefix.startswith(PREFIX + "7b1c5e0e-3c1f-4d7a-9a3e")
    for rule in rs.rules:
        assert len(rule.name) <= MAX_RULE_NAME
        assert is_entity_rule_name(rule.name, prefix)
        assert set(rule.name) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
        )
        assert "org-42" in rule.description and le in rule.description
    # Same legal entity id in another org: different rules.
    assert entity_rule_prefix(PREFIX, "org-43", le) != prefix
    assert not is_entity_rule_name(prefix + "1-x", prefix)
    with pytest.raises(ValueError):
        entity_rule_prefix("x" * 60, "org", "le")


def test_next_runs_cross_the_spring_change_in_local_time() -> None:
    schedule = WeeklySchedule(WEEKDAYS, ("06:00",), "America/Vancouver")
    runs = next_runs(schedule, datetime(2025, 3, 6, 15, 0, tzinfo=UTC), 3)
    tz = ZoneInfo("America/Vancouver")
    assert [local for local, _ in runs] == [
        datetime(2025, 3, 7, 6, 0, tzinfo=tz),
        datetime(2025, 3, 10, 6, 0, tzinfo=tz),
        datetime(2025, 3, 11, 6, 0, tzinfo=tz),
    ]
    assert [utc for _, utc in runs] == [
        datetime(2025, 3, 7, 14, 0, tzinfo=UTC),
        datetime(2025, 3, 10, 13, 0, tzinfo=UTC),
        datetime(2025, 3, 11, 13, 0, tzinfo=UTC),
    ]


def test_next_runs_skip_the_gap_and_run_the_repeated_hour_once() -> None:
    schedule = WeeklySchedule(("SUN",), ("01:30", "02:30"), "America/Vancouver")
    spring = next_runs(schedule, datetime(2025, 3, 9, 0, 0, tzinfo=UTC), 2)
    # 02:30 does not exist on 2025-03-09; 01:30 PST does.
    assert [utc for _, utc in spring] == [
        datetime(2025, 3, 9, 9, 30, tzinfo=UTC),
        datetime(2025, 3, 16, 8, 30, tzinfo=UTC),
    ]
    autumn = next_runs(schedule, datetime(2025, 11, 2, 0, 0, tzinfo=UTC), 2)
    # 01:30 happens twice on 2025-11-02: the first (PDT) only.
    assert [utc for _, utc in autumn] == [
        datetime(2025, 11, 2, 8, 30, tzinfo=UTC),
        datetime(2025, 11, 2, 10, 30, tzinfo=UTC),
    ]
    # The handler can drop the stale second 01:30 (PST) firing.
    assert is_scheduled_time(schedule, datetime(2025, 11, 2, 8, 31, tzinfo=UTC))
    assert not is_scheduled_time(schedule, datetime(2025, 11, 2, 9, 31, tzinfo=UTC))


def test_next_runs_interval_and_count() -> None:
    runs = next_runs(IntervalSchedule(8, 0, "Asia/Kolkata"), datetime(2025, 1, 1, tzinfo=UTC), 4)
    assert [local.strftime("%d %H:%M") for local, _ in runs] == [
        "01 08:00",
        "01 16:00",
        "02 00:00",
        "02 08:00",
    ]
    assert [utc.strftime("%d %H:%M") for _, utc in runs] == [
        "01 02:30",
        "01 10:30",
        "01 18:30",
        "02 02:30",
    ]
    assert next_runs(IntervalSchedule(1), WINTER, 0) == []


def test_next_offset_change_none_for_fixed_zones() -> None:
    assert next_offset_change(ZoneInfo("UTC"), WINTER) is None
    assert next_offset_change(ZoneInfo("Europe/London"), SUMMER) == datetime(
        2025, 10, 26, 1, 0, tzinfo=UTC
    )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_rules(IntervalSchedule(1), "org", "le", datetime(2025, 1, 1), PREFIX)
