"""The Sync Schedule service (logic/sync_schedule_service.py): validate, materialize, describe.

A schedule is stored with the entity together with the Scheduler schedules it became
(crons in the entity's zone: nothing to recompute at DST); they run only while the
entity is connected; a full quota is a 409 that leaves the previous schedule as it was.
An entity still on legacy EventBridge rules is migrated when its schedule is saved again,
when its recompute rule fires, or by the ops action.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from qbo_connector.logic.connection import ConnectionService
from qbo_connector.logic.sync_schedule_service import NEXT_RUNS_SHOWN, SyncScheduleService
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound
from qbo_connector.models.legal_entity import ConnectionState
from tests.unit.fakes import (
    LE,
    ORG,
    Attempts,
    Clock,
    Companies,
    Entities,
    OAuth,
    ScheduleRules,
    Vault,
    entity,
    root_admin,
)

WEEKLY = {
    "kind": "weekly",
    "days": ["MON", "FRI"],
    "times": ["07:00"],
    "timezone": "America/Vancouver",
}


class Setup:
    def __init__(self, **fields: Any) -> None:
        self.clock = Clock()  # 2026-03-02 12:00Z, winter in Vancouver
        self.entities = Entities(entity(**fields))
        self.rules = ScheduleRules()
        connections = ConnectionService(
            self.entities, Attempts(), Vault(), OAuth, Companies(), self.rules, 600
        )
        self.service = SyncScheduleService(
            self.entities, connections, self.rules, "qbo-", clock=self.clock
        )

    def put(self, body: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.service.put(root_admin(), LE, body)
        return answer


def test_a_schedule_is_materialized_and_stored_with_its_schedules() -> None:
    s = Setup()
    answer = s.put(WEEKLY)
    stored = s.entities.one(ORG, LE).sync_schedule
    assert stored is not None
    assert stored["backend"] == "scheduler"
    applied = s.rules.applied[(ORG, LE)]
    assert stored["schedules"] == [r.name for r in applied]
    # One cron in the entity's own zone; no UTC offset, no recompute rule.
    assert [(r.schedule_expression, r.timezone) for r in applied] == [
        ("cron(0 7 ? * MON,FRI *)", "America/Vancouver")
    ]
    # A first schedule: nothing to list, no legacy rules to look for.
    assert s.rules.hints[(ORG, LE)] == {"previous": [], "legacy": False}
    assert s.rules.enabled[(ORG, LE)] is True
    assert answer["schedules"] == stored["schedules"]
    assert answer["legacy_rules"] == []
    assert answer["active"] is True
    assert answer["description"] == "MON,FRI at 07:00 America/Vancouver"
    assert len(answer["next_runs"]) == NEXT_RUNS_SHOWN
    assert answer["next_runs"][0] == {
        "local": "2026-03-02T07:00:00-08:00",
        "utc": "2026-03-02T15:00:00Z",
    }


def test_the_next_runs_shown_follow_the_dst_change() -> None:
    answer = Setup().put(WEEKLY)
    utc_times = [run["utc"][11:16] for run in answer["next_runs"]]
    assert utc_times == ["15:00", "15:00", "14:00", "14:00", "14:00"]  # PDT from 03-09


def test_a_disconnected_entity_keeps_its_schedule_paused() -> None:
    s = Setup(connection_state=ConnectionState.NOT_CONNECTED)
    answer = s.put(WEEKLY)
    assert s.rules.enabled[(ORG, LE)] is False
    assert answer["active"] is False
    assert "resumes on reconnect" in answer["paused_reason"]


def test_an_invalid_schedule_lists_every_problem_and_changes_nothing() -> None:
    s = Setup(sync_schedule=None)
    body = {
        "kind": "weekly",
        "days": ["MON", "FUNDAY"],
        "times": ["25:00"],
        "timezone": "Mars/Base",
    }
    with pytest.raises(InvalidInput) as raised:
        s.put(body)
    assert raised.value.field == "days[1]"
    fields = [p["field"] for p in raised.value.details["problems"]]
    assert fields == ["days[1]", "times[0]", "timezone"]
    assert all(p["what_to_do"] for p in raised.value.details["problems"])
    assert s.rules.applied == {}
    assert s.entities.one(ORG, LE).sync_schedule is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "hourly"}, "kind"),
        ({"kind": "interval", "every_hours": 0}, "every_hours"),
        ({"kind": "interval", "every_hours": True}, "every_hours"),
        ({"kind": "interval", "every_hours": 6, "anchor_minute": 60}, "anchor_minute"),
        ({"kind": "interval", "every_hours": 6, "timezone": "../etc/passwd"}, "timezone"),
        ({**WEEKLY, "times": ["07:00"] * 2}, "times[1]"),
        ({**WEEKLY, "times": [f"0{i}:00" for i in range(7)]}, "times"),
        ([], "schedule"),
    ],
)
def test_schedule_refusals_name_the_field(body: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Setup().put(body)
    assert raised.value.field == field


def test_a_full_rule_quota_is_409_and_keeps_the_previous_schedule() -> None:
    previous = {"kind": "interval", "every_hours": 6, "anchor_minute": 0, "timezone": "UTC"}
    s = Setup(sync_schedule=previous)
    s.rules.quota_exceeded = True
    with pytest.raises(Conflict) as raised:
        s.put(WEEKLY)
    assert raised.value.code == "schedule_quota_exceeded"
    assert s.entities.one(ORG, LE).sync_schedule == previous


def test_show_without_a_schedule_is_404() -> None:
    with pytest.raises(NotFound) as raised:
        Setup(sync_schedule=None).service.show(root_admin(), LE)
    assert raised.value.code == "sync_schedule_not_found"


def test_delete_removes_the_rules_and_the_schedule() -> None:
    s = Setup()
    s.put(WEEKLY)
    answer = s.service.delete(root_admin(), LE)
    assert answer == {"legal_entity_id": LE, "deleted": True, "rules_removed": 1}
    assert s.rules.applied == {}
    assert s.entities.one(ORG, LE).sync_schedule is None


LEGACY = {
    **WEEKLY,
    "rules": ["qbo-le-1-abc-0", "qbo-le-1-abc-1"],
    "utc_offset_minutes": -480,
    "recompute_at": "2026-03-08T10:00:00+00:00",
}


def test_a_legacy_recompute_firing_migrates_to_scheduler() -> None:
    s = Setup(sync_schedule=LEGACY)
    s.clock.now = datetime(2026, 3, 8, 10, tzinfo=UTC).timestamp()
    assert s.service.recompute(ORG, LE) is True
    applied = s.rules.applied[(ORG, LE)]
    # The same cron as in winter: the zone is Scheduler's business now.
    assert [(r.schedule_expression, r.timezone) for r in applied] == [
        ("cron(0 7 ? * MON,FRI *)", "America/Vancouver")
    ]
    # Not migrated yet: list what exists, then delete the legacy rules.
    assert s.rules.hints[(ORG, LE)] == {"previous": None, "legacy": True}
    stored = s.entities.one(ORG, LE).sync_schedule
    assert stored is not None
    assert stored["backend"] == "scheduler" and "recompute_at" not in stored


def test_a_legacy_schedule_shows_its_rules_until_migrated() -> None:
    s = Setup(sync_schedule=LEGACY)
    shown = s.service.show(root_admin(), LE)
    assert shown["legacy_rules"] == LEGACY["rules"] and shown["schedules"] == []
    s.put(WEEKLY)  # re-saving migrates
    shown = s.service.show(root_admin(), LE)
    assert shown["legacy_rules"] == [] and len(shown["schedules"]) == 1


def test_a_migrated_schedule_is_changed_from_its_stored_names() -> None:
    s = Setup()
    s.put(WEEKLY)
    names = (s.entities.one(ORG, LE).sync_schedule or {})["schedules"]
    s.put({**WEEKLY, "times": ["07:30", "13:00"]})
    assert s.rules.hints[(ORG, LE)] == {"previous": names, "legacy": False}
    assert len(s.rules.applied[(ORG, LE)]) == 2  # :30 and :00 cannot share one cron


def test_the_ops_migration_moves_legacy_entities_once() -> None:
    s = Setup(sync_schedule=LEGACY)
    first = s.service.migrate(ORG)
    assert first == {"org_id": ORG, "migrated": [LE], "already_migrated": 0, "failed": []}
    again = s.service.migrate(ORG, LE)
    assert again == {"org_id": ORG, "migrated": [], "already_migrated": 1, "failed": []}
    with pytest.raises(InvalidInput):
        s.service.migrate(None)


def test_recompute_without_a_schedule_does_nothing() -> None:
    s = Setup(sync_schedule=None)
    assert s.service.recompute(ORG, LE) is False
    assert s.service.recompute(ORG, "le-gone") is False
    assert s.rules.applied == {}
