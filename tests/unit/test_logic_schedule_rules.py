"""Schedule computation (logic/schedule_rules.py): UTC crons from local times, across DST.

The crons hold for the UTC offset in effect now and a recompute rule fires when it
changes; `next_runs` follows the real tz rules (a skipped local time does not run, a
repeated one runs once, first). The strongest check here evaluates the generated crons
minute by minute and compares them with `next_runs` over the rules' validity window.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

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
    rule_name,
)
from qbo_connector.models.sync_schedule import ZoneInfo, parse_schedule


def weekly(days: list[str], times: list[str], tz: str) -> Any:
    return parse_schedule({"kind": "weekly", "days": days, "times": times, "timezone": tz})


def interval(every: int, anchor: int = 0, tz: str = "UTC") -> Any:
    return parse_schedule(
        {"kind": "interval", "every_hours": every, "anchor_minute": anchor, "timezone": tz}
    )


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]
ALL_DAYS = [*WEEKDAYS, "SAT", "SUN"]


def crons(ruleset: Any) -> list[str]:
    return [r.schedule_expression for r in ruleset.sync_rules]


# -- a tiny evaluator for the cron forms the module writes ----------------------------------------

_AWS_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def _field(text: str, full: range, names: list[str] | None = None) -> set[int]:
    if text in ("*", "?"):
        return set(full)
    out: set[int] = set()
    for part in text.split(","):
        ends = [names.index(p) if names else int(p) for p in part.split("-")]
        out.update(range(ends[0], ends[-1] + 1))
    return out


def parse_cron(expression: str) -> tuple[set[int], set[int], set[int]]:
    """(minutes, hours, AWS weekdays SUN=0) of an EventBridge cron with no year pinned."""
    match = re.fullmatch(r"cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)", expression)
    assert match, expression
    minute, hour, dom, month, dow, year = match.groups()
    assert (dom, month, year) in {("*", "*", "*"), ("?", "*", "*")}, expression
    return _field(minute, range(60)), _field(hour, range(24)), _field(dow, range(7), _AWS_DAYS)


def cron_firings(ruleset: Any, start: datetime, end: datetime) -> list[datetime]:
    """Every UTC minute in (start, end) at which one of the sync rules fires."""
    parsed = [parse_cron(c) for c in crons(ruleset)]
    out = []
    at = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while at < end:
        dow = (at.weekday() + 1) % 7
        if any(at.minute in m and at.hour in h and dow in d for m, h, d in parsed):
            out.append(at)
        at += timedelta(minutes=1)
    return out


SCHEDULES = [
    weekly(WEEKDAYS, ["07:00"], "America/Vancouver"),
    weekly(WEEKDAYS, ["07:00", "13:30", "20:00"], "America/Vancouver"),  # 20:00 is UTC tomorrow
    weekly(["MON"], ["07:00", "23:59"], "Asia/Tokyo"),  # UTC yesterday
    weekly(["SUN", "SAT"], ["00:00", "12:00"], "Europe/London"),
    weekly(ALL_DAYS, ["09:00"], "Asia/Kolkata"),  # a half-hour offset
    weekly(["TUE", "THU"], ["05:45"], "Asia/Kathmandu"),  # a 45-minute offset
    weekly(["WED"], ["02:30"], "America/New_York"),
    weekly(ALL_DAYS, ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00"], "Australia/Sydney"),
    interval(6, 15),
    interval(1),
    interval(5, 59, "America/Vancouver"),
    interval(24, 30, "Pacific/Chatham"),  # +12:45 / +13:45
]
NOWS = [
    utc(2026, 3, 2, 12),  # winter in the north
    utc(2026, 3, 8, 9, 59),  # a minute before the US spring forward
    utc(2026, 7, 15, 3, 17),  # northern summer, southern winter
    utc(2026, 10, 31, 23),  # before the US fall back
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.describe())
@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.isoformat())
def test_the_crons_fire_exactly_at_the_next_runs_until_recompute(
    schedule: Any, now: datetime
) -> None:
    ruleset = compute_rules(schedule, "org-1", "le-1", now, "qbo-")
    end = min(now + timedelta(days=8), ruleset.recompute_at or now + timedelta(days=8))
    expected = [u for _, u in next_runs(schedule, now, 200) if u < end]
    assert cron_firings(ruleset, now, end) == expected


# -- the rules for fixed cases ---------------------------------------------------------------------


def test_vancouver_weekdays_in_winter() -> None:
    ruleset = compute_rules(
        weekly(WEEKDAYS, ["07:00", "20:00"], "America/Vancouver"),
        "org-1",
        "le-1",
        utc(2026, 3, 2, 12),
        "qbo-",
    )
    assert crons(ruleset) == ["cron(0 15 ? * MON-FRI *)", "cron(0 4 ? * TUE-SAT *)"]
    assert ruleset.utc_offset == timedelta(hours=-8)
    assert ruleset.recompute_at == utc(2026, 3, 8, 10)  # 02:00 PST, spring forward
    recompute = [r for r in ruleset.rules if r.purpose == "recompute"]
    assert [r.schedule_expression for r in recompute] == ["cron(0 10 8 3 ? 2026)"]
    assert recompute[0].source == "schedule-recompute"
    assert {r.source for r in ruleset.sync_rules} == {"schedule"}


def test_vancouver_weekdays_in_summer() -> None:
    ruleset = compute_rules(
        weekly(WEEKDAYS, ["07:00"], "America/Vancouver"), "o", "l", utc(2026, 7, 1), "qbo-"
    )
    assert crons(ruleset) == ["cron(0 14 ? * MON-FRI *)"]
    assert ruleset.utc_offset == timedelta(hours=-7)
    assert ruleset.recompute_at == utc(2026, 11, 1, 9)  # 02:00 PDT, fall back


def test_recompute_changes_the_crons_with_the_offset() -> None:
    schedule = weekly(WEEKDAYS, ["07:00"], "America/Vancouver")
    before = compute_rules(schedule, "o", "l", utc(2026, 3, 8, 9, 59, 59), "qbo-")
    assert before.recompute_at is not None
    after = compute_rules(schedule, "o", "l", before.recompute_at, "qbo-")
    assert crons(before) == ["cron(0 15 ? * MON-FRI *)"]
    assert crons(after) == ["cron(0 14 ? * MON-FRI *)"]
    assert after.recompute_at == utc(2026, 11, 1, 9)
    # The rule names are the same: applying the recomputed set replaces the old one.
    assert [r.name for r in before.rules] == [r.name for r in after.rules]


def test_tokyo_morning_is_the_previous_utc_day() -> None:
    ruleset = compute_rules(weekly(["MON"], ["07:00"], "Asia/Tokyo"), "o", "l", NOWS[0], "qbo-")
    assert crons(ruleset) == ["cron(0 22 ? * SUN *)"]
    assert ruleset.recompute_at is None  # Japan keeps one offset
    assert all(r.purpose == "sync" for r in ruleset.rules)


def test_half_hour_offsets_move_the_minute() -> None:
    ruleset = compute_rules(weekly(ALL_DAYS, ["09:00"], "Asia/Kolkata"), "o", "l", NOWS[0], "q-")
    assert crons(ruleset) == ["cron(30 3 * * ? *)"]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (interval(6, 15), ["cron(15 0,6,12,18 * * ? *)"]),
        (interval(1), ["cron(0 * * * ? *)"]),
        (interval(8), ["cron(0 0,8,16 * * ? *)"]),
        (interval(24, 30), ["cron(30 0 * * ? *)"]),
    ],
)
def test_interval_schedules_in_utc(schedule: Any, expected: list[str]) -> None:
    ruleset = compute_rules(schedule, "o", "l", NOWS[0], "qbo-")
    assert crons(ruleset) == expected
    assert ruleset.recompute_at is None


def test_six_times_a_day_need_at_most_six_sync_rules() -> None:
    # The quota reasoning of models/sync_schedule.py: 6 times + 1 recompute rule.
    times = ["00:30", "04:00", "08:15", "12:00", "16:45", "23:59"]
    for tz in ("America/Vancouver", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"):
        for now in NOWS:
            ruleset = compute_rules(weekly(["MON", "WED", "SUN"], times, tz), "o", "l", now, "q-")
            assert len(ruleset.sync_rules) <= 6
            assert len(ruleset.rules) <= 7


def test_rules_are_stable_between_identical_computations() -> None:
    schedule = SCHEDULES[1]
    assert compute_rules(schedule, "o", "l", NOWS[0], "q-") == compute_rules(
        schedule, "o", "l", NOWS[0], "q-"
    )


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_rules(SCHEDULES[0], "o", "l", datetime(2026, 3, 2), "q-")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_runs(SCHEDULES[0], datetime(2026, 3, 2), 1)


def test_descriptions_fit_eventbridge() -> None:
    long_id = "x" * 64
    ruleset = compute_rules(SCHEDULES[7], long_id, long_id, NOWS[0], "qbo-connector-prod-")
    assert all(len(r.description) <= 512 for r in ruleset.rules)


# -- next runs across DST --------------------------------------------------------------------------


def test_a_local_time_skipped_by_spring_forward_does_not_run() -> None:
    schedule = weekly(ALL_DAYS, ["02:30"], "America/New_York")
    runs = next_runs(schedule, utc(2026, 3, 7, 12), 3)
    # 2026-03-08 02:30 does not exist in New York: clocks jump from 02:00 to 03:00.
    assert [local.date().isoformat() for local, _ in runs] == [
        "2026-03-09",
        "2026-03-10",
        "2026-03-11",
    ]
    assert runs[0][1] == utc(2026, 3, 9, 6, 30)  # 02:30 EDT


def test_the_runs_around_spring_forward_keep_their_local_time() -> None:
    schedule = weekly(ALL_DAYS, ["07:00"], "America/New_York")
    runs = next_runs(schedule, utc(2026, 3, 7, 0), 3)
    assert [u for _, u in runs] == [utc(2026, 3, 7, 12), utc(2026, 3, 8, 11), utc(2026, 3, 9, 11)]
    assert {(local.hour, local.minute) for local, _ in runs} == {(7, 0)}


def test_a_local_time_repeated_by_fall_back_runs_once_first() -> None:
    schedule = weekly(ALL_DAYS, ["01:30"], "America/New_York")
    runs = next_runs(schedule, utc(2026, 10, 31, 12), 2)
    assert [u for _, u in runs] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_next_runs_are_strictly_after_now() -> None:
    schedule = weekly(ALL_DAYS, ["07:00"], "UTC")
    assert next_runs(schedule, utc(2026, 3, 2, 7), 1)[0][1] == utc(2026, 3, 3, 7)
    assert next_runs(schedule, utc(2026, 3, 2, 6, 59), 1)[0][1] == utc(2026, 3, 2, 7)
    assert next_runs(schedule, utc(2026, 3, 2), 0) == []


def test_an_interval_day_restarts_at_local_midnight() -> None:
    runs = next_runs(interval(5, 0, "UTC"), utc(2026, 3, 2, 0, 30), 6)
    assert [u.hour for _, u in runs] == [5, 10, 15, 20, 0, 5]


def test_a_weekly_schedule_on_one_day_skips_the_others() -> None:
    runs = next_runs(weekly(["WED"], ["09:00"], "Europe/Berlin"), utc(2026, 3, 2, 12), 3)
    assert {local.strftime("%a") for local, _ in runs} == {"Wed"}
    assert [u for _, u in runs][1] - runs[0][1] == timedelta(days=7)


# -- is_scheduled_time: drop firings that are not real local runs --------------------------------


def test_the_second_occurrence_of_a_fall_back_time_is_not_a_run() -> None:
    schedule = weekly(ALL_DAYS, ["01:30"], "America/New_York")
    assert is_scheduled_time(schedule, utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert not is_scheduled_time(schedule, utc(2026, 11, 1, 6, 30))  # 01:30 EST, again


def test_a_stale_winter_rule_firing_after_spring_forward_is_not_a_run() -> None:
    schedule = weekly(WEEKDAYS, ["07:00"], "America/Vancouver")
    assert is_scheduled_time(schedule, utc(2026, 3, 6, 15))  # Friday 07:00 PST
    assert not is_scheduled_time(schedule, utc(2026, 3, 9, 15))  # Monday 08:00 PDT
    assert is_scheduled_time(schedule, utc(2026, 3, 9, 14))  # Monday 07:00 PDT


def test_is_scheduled_time_tolerates_a_late_firing_within_bounds() -> None:
    schedule = weekly(ALL_DAYS, ["07:00"], "UTC")
    assert is_scheduled_time(schedule, utc(2026, 3, 2, 7, 9))
    assert not is_scheduled_time(schedule, utc(2026, 3, 2, 7, 11))
    assert is_scheduled_time(schedule, utc(2026, 3, 2, 6, 59, 30))  # a little early
    assert not is_scheduled_time(schedule, utc(2026, 3, 2, 6, 55))


# -- offsets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "now", "change"),
    [
        ("America/Vancouver", utc(2026, 3, 2), utc(2026, 3, 8, 10)),
        ("America/Vancouver", utc(2026, 3, 8, 10), utc(2026, 11, 1, 9)),  # at the change: next
        ("Europe/London", utc(2026, 3, 2), utc(2026, 3, 29, 1)),
        ("Australia/Sydney", utc(2026, 3, 2), utc(2026, 4, 4, 16)),  # southern autumn
        ("Australia/Lord_Howe", utc(2026, 3, 2), utc(2026, 4, 4, 15)),  # a 30-minute shift
        ("UTC", utc(2026, 3, 2), None),
        ("Asia/Tokyo", utc(2026, 3, 2), None),
    ],
)
def test_next_offset_change(tz: str, now: datetime, change: datetime | None) -> None:
    assert next_offset_change(ZoneInfo(tz), now) == change


def test_needs_recompute_once_the_offset_changed() -> None:
    at = utc(2026, 3, 8, 10)
    assert not needs_recompute(at, at - timedelta(seconds=1))
    assert needs_recompute(at, at)
    assert needs_recompute(at, at + timedelta(days=1))
    assert not needs_recompute(None, at)


# -- rule names ---------------------------------------------------------------------------------


def test_rule_names_fit_and_are_unique_per_organization_and_entity() -> None:
    long_id = "a" * 64
    names = {
        rule_name("qbo-connector-prod-", org, le, 9)
        for org in ("org-1", "org-2", long_id)
        for le in ("le-1", "le.1", "le_1", long_id, long_id[:-1] + "b")
    }
    assert len(names) == 15
    assert all(len(n) <= MAX_RULE_NAME for n in names)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", n) for n in names)


def test_an_entity_prefix_never_starts_another_entitys_names() -> None:
    one = entity_rule_prefix("qbo-", "org-1", "le-1")
    other = entity_rule_prefix("qbo-", "org-1", "le-10")
    assert one.endswith("-")
    assert is_entity_rule_name(f"{one}1", one)
    assert is_entity_rule_name(f"{one}0", one)
    assert not is_entity_rule_name(f"{other}1", one)
    assert not is_entity_rule_name(f"{one}1x", one)
    assert not is_entity_rule_name(one, one)


def test_the_readable_part_names_the_entity() -> None:
    assert entity_rule_prefix("qbo-", "org-1", "acme/west").startswith("qbo-acme_west-")


@pytest.mark.parametrize("prefix", ["bad prefix", "x" * 60, "qbo/"])
def test_an_unusable_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError):
        entity_rule_prefix(prefix, "org-1", "le-1")
