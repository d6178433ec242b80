"""The schedule model: validation messages and the stored (DynamoDB) form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbo_connector.models.sync_schedule import (
    MAX_TIMES_PER_DAY,
    IntervalSchedule,
    ScheduleValidationError,
    WeeklySchedule,
    from_dict,
    is_timezone,
    parse_schedule,
    timezone_names,
    to_dict,
    validate,
    zone,
)


def _weekly(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "weekly",
        "days": ["MON", "TUE", "WED", "THU", "FRI"],
        "times": ["07:00", "13:00"],
        "timezone": "America/Vancouver",
    }
    data.update(overrides)
    return data


def test_valid_weekly_is_normalized() -> None:
    schedule = parse_schedule(_weekly(days=["fri", "MON"], times=["13:00", "07:00"]))
    assert schedule == WeeklySchedule(
        days=("MON", "FRI"), times=("07:00", "13:00"), timezone="America/Vancouver"
    )


def test_bad_time_names_the_field_and_the_fix() -> None:
    _, problems = validate(_weekly(times=["07:00", "13:00", "25:00"]))
    assert problems == [
        (
            "times[2]",
            '"25:00" is not a time of day',
            "use HH:MM between 00:00 and 23:59",
        )
    ]


@pytest.mark.parametrize("bad", ["7:00", "07:60", "0700", "07:00:00", "", 700, None])
def test_malformed_times_are_rejected(bad: object) -> None:
    _, problems = validate(_weekly(times=[bad]))
    assert [p.field for p in problems] == ["times[0]"]
    assert "is not a time of day" in problems[0].problem


def test_too_many_times_per_day() -> None:
    times = [f"{h:02d}:00" for h in range(MAX_TIMES_PER_DAY + 1)]
    _, problems = validate(_weekly(times=times))
    assert len(problems) == 1
    field, problem, what_to_do = problems[0]
    assert field == "times"
    assert f"at most {MAX_TIMES_PER_DAY} per day" in problem
    assert "or fewer" in what_to_do


def test_unknown_zone_and_bad_day_and_duplicates_are_all_reported() -> None:
    _, problems = validate(
        _weekly(days=["MON", "FUNDAY", "MON"], times=["07:00", "07:00"], timezone="Mars/Olympus")
    )
    fields = [p.field for p in problems]
    assert fields == ["days[1]", "days[2]", "times[1]", "timezone"]
    assert problems[3].problem == '"Mars/Olympus" is not a known IANA time zone'


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        None,
        7,
        "America",  # a directory: ZoneInfo raises IsADirectoryError
        "Etc/../UTC",
        "localtime",  # ZoneInfo accepts it: the host's zone, not a name
        "posixrules",
        "right/UTC",
        "x" * 300,  # ZoneInfo raises OSError (file name too long)
        "UTC\x00",
    ],
)
def test_zone_must_be_an_iana_name(name: object) -> None:
    _, problems = validate(_weekly(timezone=name))
    assert [p.field for p in problems] == ["timezone"]


def test_the_zone_names_are_the_tz_database_and_nothing_else() -> None:
    names = timezone_names()
    assert {"UTC", "America/Vancouver", "Europe/London", "Etc/GMT+8", "Asia/Kolkata"} <= names
    assert len(names) > 400
    assert not {n for n in names if n in {"localtime", "posixrules"} or n.startswith("right/")}
    assert all(is_timezone(n) for n in names)
    assert zone("America/Vancouver").key == "America/Vancouver"
    with pytest.raises(ValueError):
        zone("America")


def test_missing_days_and_times() -> None:
    _, problems = validate({"kind": "weekly", "timezone": "UTC"})
    assert [p.field for p in problems] == ["days", "times"]


def test_unknown_kind() -> None:
    _, problems = validate({"kind": "monthly"})
    assert problems[0].field == "kind"
    assert '"weekly"' in problems[0].what_to_do
    _, problems = validate("every day")
    assert problems[0].field == "schedule"


def test_interval_bounds_and_defaults() -> None:
    assert parse_schedule({"kind": "interval", "every_hours": 4}) == IntervalSchedule(4, 0, "UTC")
    _, problems = validate({"kind": "interval", "every_hours": 25, "anchor_minute": 60})
    assert [p.field for p in problems] == ["every_hours", "anchor_minute"]
    assert problems[0].what_to_do == "use a whole number of hours from 1 to 24"
    _, problems = validate({"kind": "interval", "every_hours": True})
    assert problems[0].problem == "True is not a whole number"
    _, problems = validate({"kind": "interval", "every_hours": 0})
    assert problems[0].problem == "0 is out of range"


def test_interval_local_times_restart_at_midnight() -> None:
    assert IntervalSchedule(5, 10).local_times() == [(0, 10), (5, 10), (10, 10), (15, 10), (20, 10)]
    assert IntervalSchedule(24, 0).local_times() == [(0, 0)]


def test_parse_error_carries_every_problem() -> None:
    with pytest.raises(ScheduleValidationError) as info:
        parse_schedule(_weekly(times=["99:99"], timezone="Nowhere"))
    assert [p.field for p in info.value.problems] == ["times[0]", "timezone"]
    assert "times[0]" in str(info.value)


@pytest.mark.parametrize(
    "schedule",
    [
        WeeklySchedule(("MON", "SUN"), ("00:00", "23:59"), "Asia/Kolkata"),
        IntervalSchedule(6, 30, "Europe/London"),
    ],
)
def test_dict_round_trip(schedule: WeeklySchedule | IntervalSchedule) -> None:
    stored = to_dict(schedule)
    assert from_dict(stored) == schedule
    # DynamoDB gives numbers back as Decimal.
    dynamo = {k: Decimal(v) if isinstance(v, int) else v for k, v in stored.items()}
    assert from_dict(dynamo) == schedule
