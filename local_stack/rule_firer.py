"""Fire the project's EventBridge Scheduler schedules and EventBridge schedule rules held
by the emulator, at their times.

moto stores schedules and rules but never fires them. The local stack runs a
:class:`RuleFirer` that polls the schedules (every group) and the rules with the
project's name prefix and, for every ENABLED one due in ``(last_checked, now]``,
invokes its target with its constant ``Input`` (a rule without one gets a "Scheduled
Event" like EventBridge's). Tests drive it with a fixed clock by calling
:meth:`RuleFirer.fire_due` with chosen instants.

Scheduler schedules are evaluated in their ``ScheduleExpressionTimezone`` with
Scheduler's DST policy: a local time skipped by a spring-forward jump does not fire,
a repeated local time (fall back) fires once, at its first occurrence. Their
``rate()`` is aligned to the schedule's ``StartDate`` (else its creation time), as
Scheduler does. The flexible time window is not simulated: a schedule fires at the
start of its window.

Supported expressions (all UTC, like EventBridge):

* ``cron(min hour day-of-month month day-of-week year)`` with ``*``, ``?``, lists,
  ranges, ``/`` steps, month names ``JAN``..``DEC``, day-of-week ``1``..``7`` =
  ``SUN``..``SAT`` or names, ``L`` (last day of month) in day-of-month,
  ``L`` (``6L`` = last Friday) and ``#`` (``2#1`` = first Monday) in day-of-week;
* ``rate(N minute(s)|hour(s)|day(s))``, aligned to the Unix epoch (EventBridge
  aligns to the rule's creation time, which moto does not keep).

A rule due several times in one window (the stack was asleep) fires once, as the
EventBridge service does not catch up on missed schedules either.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

Invoke = Callable[[str, Any], Any]
Clock = Callable[[], datetime]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_DOWS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_RATE_RE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON_RE = re.compile(r"^cron\((.*)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEARCH_YEARS = 10  # a cron with no run within this many years is treated as never firing


class ScheduleExpressionError(ValueError):
    """The expression is not (supported) EventBridge schedule syntax."""


def _aws_dow(moment: datetime) -> int:
    """AWS day-of-week number: 1 = SUN .. 7 = SAT (Python: MON = 0)."""
    return (moment.weekday() + 1) % 7 + 1


def _parse_value(token: str, names: dict[str, int] | None, what: str) -> int:
    upper = token.upper()
    if names and upper in names:
        return names[upper]
    if not token.isdigit():
        raise ScheduleExpressionError(f"{token!r} is not a valid {what}")
    return int(token)


def _parse_field(
    text: str, low: int, high: int, what: str, names: dict[str, int] | None = None
) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleExpressionError(f"bad step in {what}: {text!r}")
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _parse_value(a, names, what), _parse_value(b, names, what)
        else:
            first = _parse_value(part, names, what)
            # "5/15" means from 5 to the end in steps of 15.
            last = high if step > 1 else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise ScheduleExpressionError(f"{what} out of range in {text!r}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronExpression:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?" (use day-of-week)
    last_day_of_month: bool
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # AWS numbers 1..7; None: "?"
    nth_weekday: tuple[int, int] | None  # (dow, n) for "dow#n"
    last_weekday: int | None  # dow for "dowL"
    years: frozenset[int]

    @classmethod
    def parse(cls, body: str) -> CronExpression:
        fields = body.split()
        if len(fields) != 6:
            raise ScheduleExpressionError(f"cron needs 6 fields, got {len(fields)}: {body!r}")
        minute, hour, dom, month, dow, year = fields
        if dom != "?" and dow != "?":
            raise ScheduleExpressionError("one of day-of-month and day-of-week must be '?'")
        days_of_month: frozenset[int] | None = None
        last_dom = False
        if dom == "L":
            last_dom = True
        elif dom != "?":
            days_of_month = _parse_field(dom, 1, 31, "day-of-month")
        days_of_week: frozenset[int] | None = None
        nth: tuple[int, int] | None = None
        last_wd: int | None = None
        if "#" in dow:
            d, n = dow.split("#", 1)
            nth = (_parse_value(d, _DOWS, "day-of-week"), _parse_value(n, None, "week number"))
        elif dow.upper().endswith("L") and dow.upper() not in _DOWS and len(dow) > 1:
            last_wd = _parse_value(dow[:-1], _DOWS, "day-of-week")
        elif dow != "?":
            days_of_week = _parse_field(dow, 1, 7, "day-of-week", _DOWS)
        return cls(
            minutes=_parse_field(minute, 0, 59, "minutes"),
            hours=_parse_field(hour, 0, 23, "hours"),
            days_of_month=days_of_month,
            last_day_of_month=last_dom,
            months=_parse_field(month, 1, 12, "month", _MONTHS),
            days_of_week=days_of_week,
            nth_weekday=nth,
            last_weekday=last_wd,
            years=_parse_field(year, 1970, 2199, "year"),
        )

    def _day_matches(self, moment: datetime) -> bool:
        month_days = calendar.monthrange(moment.year, moment.month)[1]
        if self.last_day_of_month:
            return moment.day == month_days
        if self.days_of_month is not None:
            return moment.day in self.days_of_month
        dow = _aws_dow(moment)
        if self.nth_weekday is not None:
            return dow == self.nth_weekday[0] and (moment.day - 1) // 7 + 1 == self.nth_weekday[1]
        if self.last_weekday is not None:
            return dow == self.last_weekday and moment.day + 7 > month_days
        return self.days_of_week is None or dow in self.days_of_week

    def next_after(self, after: datetime) -> datetime | None:
        """The first firing strictly after ``after`` (UTC, whole minutes), or None."""
        t = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = min(max(self.years), t.year + _SEARCH_YEARS)
        # Skip whole years/months/days/hours that cannot match, then step minutes.
        while t.year <= limit:
            if t.year not in self.years:
                t = datetime(t.year + 1, 1, 1, tzinfo=UTC)
            elif t.month not in self.months:
                t = _next_month(t)
            elif not self._day_matches(t):
                t = datetime(t.year, t.month, t.day, tzinfo=UTC) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        return None


def next_in_zone(cron: CronExpression, after: datetime, zone: str) -> datetime | None:
    """The first firing strictly after ``after`` of a cron evaluated in local time
    (``zone``), as a UTC instant, with Scheduler's DST policy (see the module doc)."""
    tz = ZoneInfo(zone)
    after_utc = after.astimezone(UTC)
    # Walk local wall times (held in a UTC-tagged datetime: plain minutes, no DST),
    # from an hour before after's wall time so a repeated hour is not missed.
    wall = after_utc.astimezone(tz).replace(tzinfo=UTC) - timedelta(hours=1, minutes=1)
    for _ in range(10_000):
        nxt = cron.next_after(wall)
        if nxt is None:
            return None
        wall = nxt
        local = nxt.replace(tzinfo=tz)  # fold=0: the first occurrence of a repeated time
        instant = local.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
            continue  # skipped by a spring-forward jump: does not run
        if instant > after_utc:
            return instant
    return None


def _next_month(t: datetime) -> datetime:
    if t.month == 12:
        return datetime(t.year + 1, 1, 1, tzinfo=UTC)
    return datetime(t.year, t.month + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RateExpression:
    period: timedelta
    origin: datetime = _EPOCH  # EventBridge rules: the epoch; Scheduler: StartDate/creation

    @classmethod
    def parse(cls, body: str) -> RateExpression:
        match = _RATE_RE.match(body)
        if not match or int(match[1]) == 0:
            raise ScheduleExpressionError(f"not a rate expression: {body!r}")
        return cls(timedelta(seconds=int(match[1]) * _UNIT[match[2].rstrip("s")]))

    def next_after(self, after: datetime) -> datetime | None:
        elapsed = after.astimezone(UTC) - self.origin
        if elapsed < timedelta(0):
            return self.origin
        periods = elapsed // self.period
        return self.origin + (periods + 1) * self.period


def parse_schedule_expression(expression: str) -> CronExpression | RateExpression:
    expression = expression.strip()
    cron = _CRON_RE.match(expression)
    if cron:
        return CronExpression.parse(cron[1])
    if expression.startswith("rate("):
        return RateExpression.parse(expression)
    raise ScheduleExpressionError(f"not a schedule expression: {expression!r}")


def is_due(expression: str, last_checked: datetime, now: datetime) -> bool:
    """Whether the expression fires at some instant in ``(last_checked, now]``."""
    nxt = parse_schedule_expression(expression).next_after(last_checked)
    return nxt is not None and nxt <= now


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return None


def schedule_next_after(schedule: dict[str, Any], after: datetime) -> datetime | None:
    """The next firing of a Scheduler schedule (GetSchedule's answer) after ``after``."""
    expression = str(schedule.get("ScheduleExpression", "")).strip()
    zone = str(schedule.get("ScheduleExpressionTimezone") or "UTC")
    parsed = parse_schedule_expression(expression)
    if isinstance(parsed, RateExpression):
        origin = _as_utc(schedule.get("StartDate")) or _as_utc(schedule.get("CreationDate"))
        if origin is not None:
            parsed = RateExpression(parsed.period, origin.replace(microsecond=0))
        return parsed.next_after(after)
    try:
        return next_in_zone(parsed, after, zone)
    except (KeyError, ValueError) as exc:  # an unknown zone
        raise ScheduleExpressionError(f"bad time zone {zone!r}: {exc}") from None


@dataclass(frozen=True)
class Firing:
    rule_name: str
    target_arn: str
    payload: Any
    error: str | None = None


class RuleFirer:
    """Invokes the targets of the project's due schedule rules."""

    def __init__(
        self,
        events_client: Any,
        invoke: Invoke,
        clock: Clock = lambda: datetime.now(UTC),
        prefix: str = "qbo-connector-sched-",
        scheduler_client: Any | None = None,
    ) -> None:
        self._events = events_client
        self._scheduler = scheduler_client
        self._invoke = invoke
        self._clock = clock
        self._prefix = prefix
        # Rules due before the firer started are not fired (like a fresh deploy).
        self.last_checked: datetime = clock().astimezone(UTC)

    def _rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"NamePrefix": self._prefix}
            if token:
                kwargs["NextToken"] = token
            page = self._events.list_rules(**kwargs)
            rules.extend(page.get("Rules", []))
            token = page.get("NextToken")
            if not token:
                return rules

    def _targets(self, name: str) -> list[dict[str, Any]]:
        targets: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Rule": name}
            if token:
                kwargs["NextToken"] = token
            page = self._events.list_targets_by_rule(**kwargs)
            targets.extend(page.get("Targets", []))
            token = page.get("NextToken")
            if not token:
                return targets

    def fire_due(self, now: datetime | None = None) -> list[Firing]:
        """Fire every enabled project rule due in ``(last_checked, now]``; advance the mark."""
        now = (now if now is not None else self._clock()).astimezone(UTC)
        since = self.last_checked
        if now <= since:
            return []
        firings: list[Firing] = self._fire_schedules(since, now)
        for rule in self._rules():
            expression = rule.get("ScheduleExpression")
            if rule.get("State") != "ENABLED" or not expression:
                continue
            try:
                due = is_due(expression, since, now)
            except ScheduleExpressionError as exc:
                log.warning("rule %s: %s; not fired", rule["Name"], exc)
                continue
            if due:
                firings.extend(self._fire(rule, now))
        self.last_checked = now
        return firings

    def _schedules(self) -> list[dict[str, Any]]:
        if self._scheduler is None:
            return []
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"NamePrefix": self._prefix, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = self._scheduler.list_schedules(**kwargs)
            found.extend(page.get("Schedules", []))
            token = page.get("NextToken")
            if not token:
                return found

    def _fire_schedules(self, since: datetime, now: datetime) -> list[Firing]:
        firings: list[Firing] = []
        for summary in self._schedules():
            if summary.get("State") != "ENABLED":
                continue
            # ListSchedules' summaries have no expression: read the whole schedule.
            schedule = self._scheduler.get_schedule(  # type: ignore[union-attr]
                GroupName=summary.get("GroupName", "default"), Name=summary["Name"]
            )
            label = f"{schedule.get('GroupName', 'default')}/{schedule['Name']}"
            try:
                nxt = schedule_next_after(schedule, since)
            except ScheduleExpressionError as exc:
                log.warning("schedule %s: %s; not fired", label, exc)
                continue
            if nxt is None or nxt > now:
                continue
            target = schedule.get("Target", {})
            raw = target.get("Input")
            payload: Any = json.loads(raw) if raw else {}
            error: str | None = None
            try:
                self._invoke(target["Arn"], payload)
            except Exception as exc:
                log.exception("schedule %s: target %s failed", label, target.get("Arn"))
                error = f"{type(exc).__name__}: {exc}"
            firings.append(Firing(label, str(target.get("Arn", "")), payload, error))
        return firings

    def _fire(self, rule: dict[str, Any], now: datetime) -> list[Firing]:
        firings: list[Firing] = []
        for target in self._targets(rule["Name"]):
            if "Input" in target:
                payload: Any = json.loads(target["Input"])
            else:
                payload = {
                    "version": "0",
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "resources": [rule.get("Arn", "")],
                    "detail": {},
                }
            error: str | None = None
            try:
                self._invoke(target["Arn"], payload)
            except Exception as exc:
                log.exception("rule %s: target %s failed", rule["Name"], target["Arn"])
                error = f"{type(exc).__name__}: {exc}"
            firings.append(Firing(rule["Name"], target["Arn"], payload, error))
        return firings

    def run_forever(self, poll_seconds: float = 15.0, stop: threading.Event | None = None) -> None:
        """Poll until ``stop`` is set (the local stack runs this in a daemon thread)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                for firing in self.fire_due():
                    log.info("fired %s -> %s", firing.rule_name, firing.target_arn)
            except Exception:
                log.exception("rule firer: poll failed")
            stop.wait(poll_seconds)
