"""Scheduling 10,000 legal entities in one account and region: API calls and time.

    .venv/bin/python -m bench.schedules [--entities 10000] [--threads 8]

Self-contained: a moto server (a process of its own) holds the stage's EventBridge
Scheduler group; the adapter (adapters/sync_schedules.py) schedules every entity as a
first PUT does (weekday 07:00 in one of five zones), lists them, then unschedules them
as DELETE does.
API calls are counted on the boto3 client (what AWS would bill and throttle); the
times are moto's (its per-call cost, not Scheduler's), printed to show the run is
cheap enough for a test. Beside: the legacy EventBridge-rules design, which stops at
300 rules per bus under default quotas (each entity 1+ rules plus a DST recompute rule).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "layers" / "shared", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

GROUP = "qbo-connector-bench"
PREFIX = "qbo-connector-sched-"
ZONES = ("America/Vancouver", "America/New_York", "Europe/London", "Asia/Kolkata", "UTC")
SCHEDULER_QUOTA = 1_000_000  # schedules per account and region (default)
RULES_QUOTA = 300  # EventBridge rules per event bus (default)


def _moto_process() -> AbstractContextManager[str]:
    """The tuned moto server in a process of its own (as the 10,000-schedule test)."""
    from tests.schedule.moto_process import running

    return running()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)

    from tests.moto_server import TEST_CREDENTIALS

    with _moto_process() as url:
        os.environ.update(TEST_CREDENTIALS)
        os.environ.update(
            AWS_ENDPOINT_URL=url,
            SCHEDULE_GROUP_NAME=GROUP,
            SCHEDULER_ROLE_ARN="arn:aws:iam::123456789012:role/bench-scheduler-invoke",
            SCHEDULED_SYNC_FUNCTION_ARN="arn:aws:lambda:us-east-1:123456789012:function:bench",
        )
        import boto3
        from botocore.config import Config

        from qbo_connector.adapters.sync_schedules import SyncSchedules
        from qbo_connector.logic.schedule_rules import compute_schedules
        from qbo_connector.models.sync_schedule import WeeklySchedule

        client = boto3.client(
            "scheduler", config=Config(max_pool_connections=max(10, args.threads * 2))
        )
        client.create_schedule_group(Name=GROUP)
        calls: Counter[str] = Counter()
        client.meta.events.register(
            "before-call.scheduler.*", lambda model, **_: calls.update([model.name])
        )
        adapter = SyncSchedules(client)
        n = args.entities
        days = ("MON", "TUE", "WED", "THU", "FRI")

        def schedule(i: int) -> list[str]:
            le = f"le-{i:05d}"
            rules = compute_schedules(
                WeeklySchedule(days, ("07:00",), ZONES[i % len(ZONES)]), "org-bench", le, PREFIX
            )
            return adapter.apply("org-bench", le, rules, previous=[], legacy=False)

        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            names = list(pool.map(schedule, range(n)))
        created_s = time.perf_counter() - start
        create_calls = sum(calls.values())
        calls.clear()

        start = time.perf_counter()
        listed = 0
        for page in client.get_paginator("list_schedules").paginate(
            GroupName=GROUP, PaginationConfig={"PageSize": 100}
        ):
            listed += len(page["Schedules"])
        list_s = time.perf_counter() - start
        list_calls = sum(calls.values())
        calls.clear()

        start = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            removed = sum(
                pool.map(
                    lambda i: adapter.remove(
                        "org-bench", f"le-{i:05d}", known=names[i], legacy=False
                    ),
                    range(n),
                )
            )
        removed_s = time.perf_counter() - start
        remove_calls = sum(calls.values())

    schedules = sum(len(x) for x in names)
    print(f"scheduling {n:,} entities (EventBridge Scheduler, one group, {args.threads} threads)")
    print(
        f"  schedule: {schedules:,} schedules, {create_calls:,} API calls "
        f"({create_calls / n:.2f}/entity; goal <= 1 per schedule), {created_s:.1f} s on moto "
        f"({created_s / n * 1000:.2f} ms/entity)"
    )
    print(f"  list:     {listed:,} listed in {list_calls} ListSchedules pages, {list_s:.1f} s")
    print(
        f"  remove:   {removed:,} removed, {remove_calls:,} API calls "
        f"({remove_calls / n:.2f}/entity; goal <= 1 per schedule), {removed_s:.1f} s on moto"
    )
    print(
        f"  quota:    {schedules:,} of {SCHEDULER_QUOTA:,} schedules per account/region "
        f"({schedules / SCHEDULER_QUOTA:.1%}); goal: 10,000 entities under default quotas "
        f"(EventBridge rules design: at most {RULES_QUOTA} rules per bus, "
        f"~{RULES_QUOTA // 2} entities with their DST recompute rule)"
    )


if __name__ == "__main__":
    main()
