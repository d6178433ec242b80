"""Turn a legal entity's sync schedule into EventBridge Scheduler schedules (and, for
entities not migrated yet, the legacy EventBridge rules), and list its next runs.

**Scheduler schedules** (:func:`compute_schedules`, what every PUT writes today):
the crons are in the entity's own time zone (``ScheduleExpressionTimezone``), so
EventBridge Scheduler follows DST itself and nothing is ever recomputed. Its DST
policy is the one below: a local time skipped by a spring-forward jump does not
run, a repeated local time (fall back) runs once. A weekly schedule is one cron per
group of times sharing their minutes (``07:00,13:00`` is one cron; ``07:30,13:00``
two); an interval schedule is one ``cron(M 0/N * * ? *)`` in its zone, not
``rate()``, because its runs are anchored to local midnight and a minute, which a
rate (anchored to its creation time, drifting across DST) cannot express.

**Legacy EventBridge rules** (:func:`compute_rules`, read only to migrate them):

EventBridge cron is UTC and knows nothing of daylight saving, so the rules are
computed from the local times **for the UTC offset in effect now**, and
:class:`RuleSet` says when that offset next changes (``recompute_at``). The
caller stores ``recompute_at`` with the schedule and recomputes (and re-applies)
the rules at or after that instant. To make that happen on time, the rule set
also holds a one-shot *recompute rule* (``cron(...)`` with a year) firing at
``recompute_at`` whose target input has ``"source": "schedule-recompute"``; the
scheduled-sync handler recomputes instead of syncing when it sees it, and also
recomputes whenever it fires after ``recompute_at`` (belt and braces). Since the
move to Scheduler, that recompute re-saves the schedule, which migrates the entity:
its Scheduler schedules are created, then its rules deleted.

:func:`next_runs` is computed in local time with the real tz rules (not from the
crons), and :func:`is_scheduled_time` lets the handler drop a firing that is not
a real local run (e.g. the second 01:30 on a fall-back night).

DST policy (EventBridge Scheduler's, and what the recomputed rules did): a local time that does not
exist that day (skipped by a spring-forward jump) does not run; a local time
that happens twice (fall back) runs once, at its first occurrence.

Pure: no boto3.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from qbo_connector.models.sync_schedule import DAYS, SyncSchedule

MAX_RULE_NAME = 64
MAX_DESCRIPTION = 512
RECOMPUTE_RULE_INDEX = 0  # sync rules are numbered from 1
_HASH_CHARS = 10
_INDEX_CHARS = 2  # room kept for the "-n" suffix digits
_DISALLOWED = re.compile(r"[^A-Za-z0-9_.-]")  # EventBridge rule names: [\.\-_A-Za-z0-9]+
# How far ahead to look for the next UTC offset change, and the search step. Real
# zones change offset at most a few times a year and never twice within a week
# (Morocco's Ramadan pause, the shortest, lasts about a month), so stepping by a
# week then bisecting finds the first change.
_OFFSET_HORIZON = timedelta(days=740)
_OFFSET_STEP = timedelta(days=7)
_MINUTES_PER_WEEK = 7 * 24 * 60
# EventBridge day-of-week names; AWS numbers them 1 (SUN) .. 7 (SAT).
_AWS_DOW_ORDER = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

RulePurpose = Literal["sync", "recompute"]


@dataclass(frozen=True)
class ScheduleRule:
    name: str
    schedule_expression: str  # "cron(...)" in UTC
    description: str
    purpose: RulePurpose = "sync"
    # The zone the expression is evaluated in: "UTC" for EventBridge rules, the
    # entity's zone for Scheduler schedules.
    timezone: str = "UTC"

    @property
    def source(self) -> str:
        """The ``source`` the target input carries, so the handler knows why it fired."""
        return "schedule" if self.purpose == "sync" else "schedule-recompute"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[ScheduleRule, ...]
    computed_at: datetime  # UTC
    utc_offset: timedelta  # offset the crons were computed for
    recompute_at: datetime | None  # UTC instant the offset next changes; None = never
    entity_prefix: str = ""  # every rule name of the entity starts with this

    @property
    def sync_rules(self) -> tuple[ScheduleRule, ...]:
        return tuple(r for r in self.rules if r.purpose == "sync")


# ---------------------------------------------------------------- naming


def entity_rule_prefix(prefix: str, org_id: str, legal_entity_id: str) -> str:
    """``{prefix}{sanitized legal entity id}-{hash(org/le)}-``: the names' common start.

    The sanitized id lets an operator recognize the rules in the console; the hash
    of org and legal entity keeps names unique when ids are truncated or sanitized
    (and across organizations). Always ends with ``-`` so one entity's prefix is
    never the start of another's names (the adapter also filters names exactly).
    """
    digest = hashlib.sha256(f"{org_id}/{legal_entity_id}".encode()).hexdigest()[:_HASH_CHARS]
    room = MAX_RULE_NAME - len(prefix) - (1 + _HASH_CHARS) - (1 + _INDEX_CHARS)
    if room < 0 or _DISALLOWED.search(prefix):
        raise ValueError(f"schedule rule prefix {prefix!r} is too long or has invalid characters")
    readable = _DISALLOWED.sub("_", legal_entity_id)[: max(room - 1, 0)]
    key = f"{readable}-{digest}" if readable else digest
    return f"{prefix}{key}-"


def rule_name(prefix: str, org_id: str, legal_entity_id: str, index: int) -> str:
    name = f"{entity_rule_prefix(prefix, org_id, legal_entity_id)}{index}"
    if len(name) > MAX_RULE_NAME:
        raise ValueError(f"rule index {index} makes the rule name too long")
    return name


def is_entity_rule_name(name: str, entity_prefix: str) -> bool:
    """Exact check after a NamePrefix listing (a prefix listing alone can over-match)."""
    return name.startswith(entity_prefix) and name[len(entity_prefix) :].isdigit()


# ---------------------------------------------------------------- offsets


def utc_offset(tz: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always answers
    return offset


def next_offset_change(tz: ZoneInfo, now: datetime) -> datetime | None:
    """The first UTC instant after ``now`` at which ``tz``'s UTC offset differs, or None."""
    start = now.astimezone(UTC)
    base = utc_offset(tz, start)
    lo = start
    while lo - start < _OFFSET_HORIZON:
        hi = lo + _OFFSET_STEP
        if utc_offset(tz, hi) != base:
            # Bisect to the second: transitions happen at whole seconds.
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid <= lo:
                    break
                if utc_offset(tz, mid) != base:
                    hi = mid
                else:
                    lo = mid
            return hi.replace(microsecond=0)
        lo = hi
    return None


def needs_recompute(recompute_at: datetime | None, now: datetime) -> bool:
    """True once the stored rules were computed for an offset no longer in effect."""
    return recompute_at is not None and now >= recompute_at


# ---------------------------------------------------------------- cron building


def _compress(values: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted ints -> runs [(first, last), ...]."""
    runs: list[tuple[int, int]] = []
    for v in sorted(set(values)):
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _render_numbers(values: Iterable[int], full: int) -> str:
    vals = sorted(set(values))
    if len(vals) == full:
        return "*"
    parts: list[str] = []
    for first, last in _compress(vals):
        if last - first >= 2:
            parts.append(f"{first}-{last}")
        else:
            parts.extend(str(v) for v in range(first, last + 1))
    return ",".join(parts)


def _render_days(dows: Iterable[int]) -> str:
    """Python weekdays (MON=0) -> AWS names, runs of 3+ as ranges (in SUN..SAT order)."""
    aws = [(d + 1) % 7 for d in dows]  # index into _AWS_DOW_ORDER: SUN=0 .. SAT=6
    parts: list[str] = []
    for first, last in _compress(aws):
        if last - first >= 2:
            parts.append(f"{_AWS_DOW_ORDER[first]}-{_AWS_DOW_ORDER[last]}")
        else:
            parts.extend(_AWS_DOW_ORDER[v] for v in range(first, last + 1))
    return ",".join(parts)


def _cron(minutes: frozenset[int], hours: frozenset[int], dows: frozenset[int]) -> str:
    m = _render_numbers(minutes, 60)
    h = _render_numbers(hours, 24)
    if len(dows) == 7:
        return f"cron({m} {h} * * ? *)"
    return f"cron({m} {h} ? * {_render_days(dows)} *)"


def utc_slots(schedule: SyncSchedule, offset: timedelta) -> set[tuple[int, int, int]]:
    """The schedule's (UTC weekday MON=0, hour, minute) firings under a fixed offset."""
    offset_minutes = round(offset.total_seconds() / 60)
    slots: set[tuple[int, int, int]] = set()
    for day in schedule.days:
        d = DAYS.index(day)
        for hour, minute in schedule.local_times():
            utc = (d * 1440 + hour * 60 + minute - offset_minutes) % _MINUTES_PER_WEEK
            slots.add((utc // 1440, (utc % 1440) // 60, utc % 60))
    return slots


def group_slots(
    slots: set[tuple[int, int, int]],
) -> list[tuple[frozenset[int], frozenset[int], frozenset[int]]]:
    """Cover the UTC slots exactly with few (minutes x hours x weekdays) products.

    Greedy in three passes, each merging groups that agree on everything else:
    (hour, minute) -> days; then (minute, days) -> hours; then (hours, days) -> minutes.
    Every group stays a full product, so each is exactly one cron expression.
    """
    by_hm: dict[tuple[int, int], set[int]] = defaultdict(set)
    for dow, hour, minute in slots:
        by_hm[(hour, minute)].add(dow)
    by_m_days: dict[tuple[int, frozenset[int]], set[int]] = defaultdict(set)
    for (hour, minute), dows in by_hm.items():
        by_m_days[(minute, frozenset(dows))].add(hour)
    by_hours_days: dict[tuple[frozenset[int], frozenset[int]], set[int]] = defaultdict(set)
    for (minute, dows_f), hours in by_m_days.items():
        by_hours_days[(frozenset(hours), dows_f)].add(minute)
    groups = [(frozenset(minutes), hours, dows) for (hours, dows), minutes in by_hours_days.items()]
    # Stable order so rule numbers don't shuffle between identical computations.
    groups.sort(key=lambda g: (sorted(g[2]), sorted(g[1]), sorted(g[0])))
    return groups


def _format_offset(offset: timedelta) -> str:
    total = round(offset.total_seconds() / 60)
    sign = "+" if total >= 0 else "-"
    return f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def compute_rules(
    schedule: SyncSchedule,
    org_id: str,
    legal_entity_id: str,
    now: datetime,
    prefix: str,
) -> RuleSet:
    """The EventBridge rules implementing ``schedule`` from ``now`` until ``recompute_at``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now_utc = now.astimezone(UTC)
    tz = ZoneInfo(schedule.timezone)
    offset = utc_offset(tz, now_utc)
    recompute_at = next_offset_change(tz, now_utc)
    entity_prefix = entity_rule_prefix(prefix, org_id, legal_entity_id)
    validity = (
        f"{_format_offset(offset)} until {recompute_at:%Y-%m-%dT%H:%M:%SZ}"
        if recompute_at
        else _format_offset(offset)
    )
    who = f"legal entity {legal_entity_id} (org {org_id})"

    rules: list[ScheduleRule] = []
    for index, (minutes, hours, dows) in enumerate(group_slots(utc_slots(schedule, offset)), 1):
        rules.append(
            ScheduleRule(
                name=f"{entity_prefix}{index}",
                schedule_expression=_cron(minutes, hours, dows),
                description=_clip(
                    f"qbo-connector scheduled sync for {who}: {schedule.describe()}; "
                    f"rule {index}, cron in UTC for {validity}"
                ),
            )
        )
    if recompute_at is not None:
        # Fire on the first whole minute at or after the change (cron has minutes only).
        at = recompute_at
        if at.second or at.microsecond:
            at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        rules.append(
            ScheduleRule(
                name=f"{entity_prefix}{RECOMPUTE_RULE_INDEX}",
                schedule_expression=f"cron({at.minute} {at.hour} {at.day} {at.month} ? {at.year})",
                description=_clip(
                    f"qbo-connector schedule recompute for {who}: UTC offset of "
                    f"{schedule.timezone} changes at {recompute_at:%Y-%m-%dT%H:%M:%SZ}"
                ),
                purpose="recompute",
            )
        )
    return RuleSet(
        rules=tuple(rules),
        computed_at=now_utc,
        utc_offset=offset,
        recompute_at=recompute_at,
        entity_prefix=entity_prefix,
    )


def compute_schedules(
    schedule: SyncSchedule,
    org_id: str,
    legal_entity_id: str,
    prefix: str,
) -> tuple[ScheduleRule, ...]:
    """The EventBridge Scheduler schedules implementing ``schedule``: crons in its zone.

    Independent of the date (no offsets, no recompute), so the same schedule always
    gives the same schedules. At most ``MAX_TIMES_PER_DAY`` of them (one per distinct
    minute-of-the-hour set of the times), usually one.
    """
    entity_prefix = entity_rule_prefix(prefix, org_id, legal_entity_id)
    who = f"legal entity {legal_entity_id} (org {org_id})"
    local = utc_slots(schedule, timedelta(0))  # offset 0: the slots in local time
    return tuple(
        ScheduleRule(
            name=f"{entity_prefix}{index}",
            schedule_expression=_cron(minutes, hours, dows),
            description=_clip(
                f"qbo-connector scheduled sync for {who}: {schedule.describe()}; "
                f"schedule {index}, cron in {schedule.timezone}"
            ),
            timezone=schedule.timezone,
        )
        for index, (minutes, hours, dows) in enumerate(group_slots(local), 1)
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


# ---------------------------------------------------------------- next runs


def _local_run(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime | None:
    """The local datetime of a run, or None when the wall time doesn't exist that day."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)  # fold=0: first
    back = local.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # inside a spring-forward gap
    return local


def next_runs(schedule: SyncSchedule, now: datetime, count: int) -> list[tuple[datetime, datetime]]:
    """The next ``count`` runs strictly after ``now`` as (local, UTC) datetimes."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if count <= 0:
        return []
    tz = ZoneInfo(schedule.timezone)
    now_utc = now.astimezone(UTC)
    day = now_utc.astimezone(tz).date() - timedelta(days=1)  # the day before: offsets vary
    times = sorted(schedule.local_times())
    days = {DAYS.index(d) for d in schedule.days}
    runs: list[tuple[datetime, datetime]] = []
    for _ in range(count * 8 + 16):  # at least one run a week, so this is enough
        if day.weekday() in days:
            for hour, minute in times:
                local = _local_run(day, hour, minute, tz)
                if local is None:
                    continue
                utc = local.astimezone(UTC)
                if utc > now_utc:
                    runs.append((local, utc))
                    if len(runs) == count:
                        return runs
        day += timedelta(days=1)
    return runs


def is_scheduled_time(
    schedule: SyncSchedule,
    instant: datetime,
    tolerance: timedelta = timedelta(minutes=10),
) -> bool:
    """Whether a run was due within ``tolerance`` before ``instant`` (or just after it).

    For the scheduled-sync handler to skip firings of stale rules around a UTC offset
    change (a rule computed for the old offset, or the repeated hour of a fall-back).
    """
    runs = next_runs(schedule, instant - tolerance, 1)
    return bool(runs) and runs[0][1] <= instant + timedelta(minutes=1)


__all__ = [
    "RuleSet",
    "ScheduleRule",
    "compute_rules",
    "compute_schedules",
    "entity_rule_prefix",
    "is_entity_rule_name",
    "is_scheduled_time",
    "needs_recompute",
    "next_offset_change",
    "next_runs",
    "rule_name",
    "utc_offset",
]
