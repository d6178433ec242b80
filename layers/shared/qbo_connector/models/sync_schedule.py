"""A legal entity's automatic sync schedule: the model, its validation and its stored form.

Two kinds:

* ``weekly``: on some days of the week (``MON``..``SUN``), at some times of day
  (``"HH:MM"``, 24-hour clock), in an IANA time zone ("weekdays at 07:00 and
  13:00 in America/Vancouver"). The same times apply to every chosen day.
* ``interval``: every N hours (1..24), at an optional anchor minute past the
  hour. Runs restart at local midnight each day, i.e. they happen at local hours
  0, N, 2N, ... < 24 (for N that divides 24 this is exactly "every N hours"; for
  other N the last gap of the day is shorter). This keeps the schedule
  expressible as cron, so it can be anchored to a minute and to a time zone,
  which EventBridge ``rate()`` cannot. The time zone defaults to UTC.

Pure: no boto3. Validation returns every problem at once as
``(field, problem, what_to_do)`` so the API can say which field and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, available_timezones

DAYS: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

# At most 6 times per day. Why: a sync takes minutes and QBO limits API calls per
# company, so more than a few syncs a day buys nothing (webhooks cover freshness);
# and each distinct time can cost one EventBridge Scheduler schedule (the account-wide
# quota is shared by every legal entity), so 6 bounds an entity to 6 schedules.
MAX_TIMES_PER_DAY = 6
MIN_INTERVAL_HOURS = 1
MAX_INTERVAL_HOURS = 24

_TIME_RE = re.compile(r"^(\d{2}):(\d{2})\Z")

ScheduleKind = Literal["weekly", "interval"]


class ValidationProblem(NamedTuple):
    """One thing wrong with a schedule; a tuple so callers can unpack it."""

    field: str
    problem: str
    what_to_do: str


class ScheduleValidationError(ValueError):
    """Raised by :func:`parse_schedule` with every problem found."""

    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.problem}; {p.what_to_do}" for p in problems))


@dataclass(frozen=True)
class WeeklySchedule:
    days: tuple[str, ...]  # subset of DAYS, in DAYS order
    times: tuple[str, ...]  # "HH:MM", sorted
    timezone: str
    kind: Literal["weekly"] = "weekly"

    def local_times(self) -> list[tuple[int, int]]:
        return [parse_hhmm(t) for t in self.times]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "weekly",
            "days": list(self.days),
            "times": list(self.times),
            "timezone": self.timezone,
        }

    def describe(self) -> str:
        return f"{','.join(self.days)} at {','.join(self.times)} {self.timezone}"


@dataclass(frozen=True)
class IntervalSchedule:
    every_hours: int
    anchor_minute: int = 0
    timezone: str = "UTC"
    kind: Literal["interval"] = "interval"

    @property
    def days(self) -> tuple[str, ...]:
        return DAYS

    def local_times(self) -> list[tuple[int, int]]:
        return [(h, self.anchor_minute) for h in range(0, 24, self.every_hours)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "interval",
            "every_hours": self.every_hours,
            "anchor_minute": self.anchor_minute,
            "timezone": self.timezone,
        }

    def describe(self) -> str:
        return (
            f"every {self.every_hours}h at :{self.anchor_minute:02d} "
            f"(from local midnight) {self.timezone}"
        )


SyncSchedule = WeeklySchedule | IntervalSchedule


def parse_hhmm(value: str) -> tuple[int, int]:
    """``"07:30"`` -> ``(7, 30)``; assumes the value was validated."""
    hour, minute = value.split(":")
    return int(hour), int(minute)


# The longest IANA name is 32 characters ("America/Argentina/ComodRivadavia").
MAX_TIMEZONE_LENGTH = 64
# Files in the tz directories that are not zones a person would pick.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def timezone_names() -> frozenset[str]:
    """The IANA zone names (tzdata, and the system's tz database), once per process.

    Only these are ever handed to ZoneInfo: a directory ("America"), a path
    ("Etc/../UTC", "/etc/localtime"), the host's "localtime" or an over-long name
    is refused as unknown instead of reaching the file system.
    """
    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def is_timezone(name: str) -> bool:
    return len(name) <= MAX_TIMEZONE_LENGTH and name in timezone_names()


def zone(name: str) -> ZoneInfo:
    if not is_timezone(name):
        raise ValueError(f"not an IANA time zone: {name[:MAX_TIMEZONE_LENGTH]!r}")
    return ZoneInfo(name)


def _check_timezone(value: Any, problems: list[ValidationProblem]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(
            ValidationProblem(
                "timezone",
                "is missing",
                'give an IANA time zone name such as "America/Vancouver"',
            )
        )
        return ""
    if not is_timezone(value):
        shown = value if len(value) <= MAX_TIMEZONE_LENGTH else value[:MAX_TIMEZONE_LENGTH] + "…"
        problems.append(
            ValidationProblem(
                "timezone",
                f"{json.dumps(shown)} is not a known IANA time zone",
                'use a name from the tz database such as "America/Vancouver" or "Europe/London"',
            )
        )
        return ""
    return value


def _check_int(
    field: str,
    value: Any,
    low: int,
    high: int,
    what: str,
    problems: list[ValidationProblem],
) -> int | None:
    # bool is an int in Python; true/false in JSON is not a number of hours.
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(ValidationProblem(field, f"{value!r} is not a whole number", f"use {what}"))
        return None
    if not low <= value <= high:
        problems.append(ValidationProblem(field, f"{value} is out of range", f"use {what}"))
        return None
    return value


def validate(data: Any) -> tuple[SyncSchedule | None, list[ValidationProblem]]:
    """Check a schedule as sent by a client (or read back from storage).

    Returns the schedule when there are no problems, else ``None`` and every problem.
    """
    problems: list[ValidationProblem] = []
    if not isinstance(data, Mapping):
        return None, [
            ValidationProblem(
                "schedule",
                "is not an object",
                'send {"kind": "weekly", ...} or {"kind": "interval"}',
            )
        ]
    kind = data.get("kind")
    if kind == "weekly":
        return _validate_weekly(data, problems)
    if kind == "interval":
        return _validate_interval(data, problems)
    return None, [
        ValidationProblem(
            "kind",
            f"{kind!r} is not a schedule kind" if kind is not None else "is missing",
            'use "weekly" (days and times) or "interval" (every N hours)',
        )
    ]


def _validate_weekly(
    data: Mapping[str, Any], problems: list[ValidationProblem]
) -> tuple[SyncSchedule | None, list[ValidationProblem]]:
    days_in = data.get("days")
    days: set[str] = set()
    if not isinstance(days_in, list) or not days_in:
        problems.append(
            ValidationProblem(
                "days", "is missing or empty", f"list one or more of {', '.join(DAYS)}"
            )
        )
    else:
        for i, day in enumerate(days_in):
            name = day.strip().upper() if isinstance(day, str) else day
            if name not in DAYS:
                problems.append(
                    ValidationProblem(
                        f"days[{i}]",
                        f"{day!r} is not a day of the week",
                        f"use one of {', '.join(DAYS)}",
                    )
                )
            elif name in days:
                problems.append(
                    ValidationProblem(
                        f"days[{i}]", f'"{name}" is listed twice', "list each day once"
                    )
                )
            else:
                days.add(name)

    times_in = data.get("times")
    times: set[str] = set()
    if not isinstance(times_in, list) or not times_in:
        problems.append(
            ValidationProblem(
                "times", "is missing or empty", 'list one or more times of day such as "07:00"'
            )
        )
    else:
        if len(times_in) > MAX_TIMES_PER_DAY:
            problems.append(
                ValidationProblem(
                    "times",
                    f"has {len(times_in)} times; at most {MAX_TIMES_PER_DAY} per day are allowed",
                    f"keep {MAX_TIMES_PER_DAY} or fewer times (webhooks keep data fresh between)",
                )
            )
        for i, value in enumerate(times_in):
            match = _TIME_RE.match(value) if isinstance(value, str) else None
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                shown = f'"{value}"' if isinstance(value, str) else repr(value)
                problems.append(
                    ValidationProblem(
                        f"times[{i}]",
                        f"{shown} is not a time of day",
                        "use HH:MM between 00:00 and 23:59",
                    )
                )
            elif value in times:
                problems.append(
                    ValidationProblem(
                        f"times[{i}]", f'"{value}" is listed twice', "list each time once"
                    )
                )
            else:
                times.add(value)

    tz = _check_timezone(data.get("timezone"), problems)
    if problems:
        return None, problems
    return (
        WeeklySchedule(
            days=tuple(d for d in DAYS if d in days), times=tuple(sorted(times)), timezone=tz
        ),
        [],
    )


def _validate_interval(
    data: Mapping[str, Any], problems: list[ValidationProblem]
) -> tuple[SyncSchedule | None, list[ValidationProblem]]:
    every = _check_int(
        "every_hours",
        data.get("every_hours"),
        MIN_INTERVAL_HOURS,
        MAX_INTERVAL_HOURS,
        f"a whole number of hours from {MIN_INTERVAL_HOURS} to {MAX_INTERVAL_HOURS}",
        problems,
    )
    anchor_raw = data.get("anchor_minute", 0)
    anchor = _check_int(
        "anchor_minute", anchor_raw, 0, 59, "a minute past the hour from 0 to 59", problems
    )
    tz = _check_timezone(data.get("timezone", "UTC"), problems)
    if problems or every is None or anchor is None:
        return None, problems
    return IntervalSchedule(every_hours=every, anchor_minute=anchor, timezone=tz), []


def parse_schedule(data: Any) -> SyncSchedule:
    """Like :func:`validate` but raises :class:`ScheduleValidationError`."""
    schedule, problems = validate(data)
    if schedule is None:
        raise ScheduleValidationError(problems)
    return schedule


def to_dict(schedule: SyncSchedule) -> dict[str, Any]:
    """Plain dict for DynamoDB (ints, strings and lists only)."""
    return schedule.to_dict()


def from_dict(data: Mapping[str, Any]) -> SyncSchedule:
    """Read back a stored schedule. DynamoDB returns numbers as Decimal; accept them."""
    normalized = dict(data)
    for key in ("every_hours", "anchor_minute"):
        value = normalized.get(key)
        if value is not None and not isinstance(value, (int, bool)):
            try:
                as_int = int(value)
            except (TypeError, ValueError):
                continue
            if as_int == value:
                normalized[key] = as_int
    return parse_schedule(normalized)
