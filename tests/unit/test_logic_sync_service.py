"""Starting syncs (logic/sync_service.py): 202 queued, 409 already running, 412 not ready.

One sync per legal entity at a time (the entity's sync lease), whoever starts it; a lease
whose worker died lapses and its run is failed with a reason. Also the request body's
grammar and the "Sync all" and console fan-outs.
"""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.logic.scheduled_sync import ScheduledSyncService
from qbo_connector.logic.sync_service import LEASE_SECONDS, SyncService, parse_sync_request
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.legal_entity import ConnectionState
from qbo_connector.models.sync_run import RunStatus, SyncMode, Trigger
from tests.unit.fakes import (
    LE,
    ORG,
    OTHER_ORG,
    T0,
    Clock,
    Entities,
    Runs,
    ScheduleRules,
    SyncQueue,
    entity,
    root_admin,
)


class Setup:
    def __init__(self, *entities: Any) -> None:
        self.clock = Clock()
        self.entities = Entities(*(entities or (entity(),)))
        self.runs = Runs()
        self.queue = SyncQueue()
        self.service = SyncService(self.entities, self.runs, self.queue, clock=self.clock)

    def start(self, body: Any = None, le: str = LE) -> dict[str, Any]:
        answer: dict[str, Any] = self.service.request_sync(root_admin(), le, body)
        return answer


@pytest.fixture
def s() -> Setup:
    return Setup()


# -- 202: accepted and queued ---------------------------------------------------------------------


def test_a_sync_is_recorded_queued_and_leased(s: Setup) -> None:
    answer = s.start({"mode": "full"})
    sync_id = answer["sync_id"]
    assert answer["status"] == "queued"
    assert answer["mode"] == "full"
    assert answer["trigger"] == "manual"
    assert answer["location"] == f"/legal-entities/{LE}/syncs/{sync_id}"
    run = s.runs.get(ORG, LE, sync_id)
    assert run is not None and run.status == RunStatus.QUEUED
    assert run.requested_by == {"user_id": "u-root", "name": "Root Admin"}
    held = s.entities.one(ORG, LE)
    assert held.running_sync_id == sync_id
    assert held.sync_lease_expires_at == int(T0) + LEASE_SECONDS
    assert s.queue.sent == [(ORG, LE, sync_id)]


def test_sync_ids_sort_newest_first(s: Setup) -> None:
    first = s.start()["sync_id"]
    s.entities.release_sync_lease(ORG, LE, first, {})
    s.clock.advance(1)
    second = s.start()["sync_id"]
    assert second < first


# -- 409: one sync per legal entity ---------------------------------------------------------------


def test_a_second_sync_while_one_runs_is_409_naming_it(s: Setup) -> None:
    first = s.start()["sync_id"]
    s.clock.advance(LEASE_SECONDS - 1)
    with pytest.raises(Conflict) as raised:
        s.start({"mode": "full"})
    assert raised.value.status == 409
    assert raised.value.code == "sync_already_running"
    assert raised.value.details == {"running_sync_id": first}
    assert len(s.runs.of()) == 1
    assert len(s.queue.sent) == 1


def test_any_trigger_is_refused_while_a_sync_runs(s: Setup) -> None:
    s.start()
    for trigger in (Trigger.SCHEDULE, Trigger.WEBHOOK):
        with pytest.raises(Conflict):
            s.service.start_for_entity(ORG, LE, trigger)


def test_a_lapsed_lease_is_taken_over_and_its_run_failed(s: Setup) -> None:
    dead = s.start()["sync_id"]
    s.clock.advance(LEASE_SECONDS + 1)
    fresh = s.start()["sync_id"]
    assert fresh != dead
    assert s.entities.one(ORG, LE).running_sync_id == fresh
    old = s.runs.one(ORG, LE, dead)
    assert old.status == RunStatus.FAILED
    assert [e.code for e in old.errors] == ["worker_stopped"]
    assert "start the sync again" in (old.summary or "")


def test_a_finished_run_is_not_failed_again_on_take_over(s: Setup) -> None:
    dead = s.start()["sync_id"]
    run = s.runs.one(ORG, LE, dead)
    run.status = RunStatus.SUCCEEDED
    s.runs.save(run)
    s.clock.advance(LEASE_SECONDS + 1)
    s.start()
    assert s.runs.one(ORG, LE, dead).status == RunStatus.SUCCEEDED


# -- 412: not ready -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (
            {
                "connection_state": ConnectionState.RECONNECT_REQUIRED,
                "reconnect_reason": "Intuit revoked the grant.",
            },
            "reconnect_required",
        ),
        ({"connection_state": ConnectionState.NOT_CONNECTED, "realm_id": None}, "not_connected"),
        ({"connection_state": ConnectionState.PENDING}, "not_connected"),
        ({"realm_id": None}, "not_connected"),
        ({"sync_profile": None}, "sync_profile_missing"),
        ({"sync_profile": {}}, "sync_profile_missing"),
        # Reconnect is what helps first, even without a profile.
        (
            {"connection_state": ConnectionState.RECONNECT_REQUIRED, "sync_profile": None},
            "reconnect_required",
        ),
    ],
)
def test_an_entity_that_cannot_sync_is_412(fields: dict[str, Any], code: str) -> None:
    s = Setup(entity(**fields))
    with pytest.raises(PreconditionFailed) as raised:
        s.start()
    assert raised.value.status == 412
    assert raised.value.code == code
    assert s.runs.items == {}
    assert s.queue.sent == []
    assert s.entities.one(ORG, LE).running_sync_id is None


def test_the_412_says_why_it_must_reconnect() -> None:
    s = Setup(
        entity(connection_state=ConnectionState.RECONNECT_REQUIRED, reconnect_reason="Revoked.")
    )
    with pytest.raises(PreconditionFailed) as raised:
        s.start()
    assert "Revoked." in raised.value.message


def test_a_missing_profile_names_the_entity_for_support() -> None:
    s = Setup(entity(sync_profile=None))
    with pytest.raises(PreconditionFailed) as raised:
        s.start()
    assert raised.value.details == {"legal_entity_id": LE}


def test_an_unknown_entity_is_404(s: Setup) -> None:
    with pytest.raises(NotFound) as raised:
        s.start(le="le-404")
    assert raised.value.code == "legal_entity_not_found"


def test_a_bad_entity_id_is_400(s: Setup) -> None:
    with pytest.raises(InvalidInput) as raised:
        s.start(le="../le-1")
    assert raised.value.field == "id"


# -- the queue fails ------------------------------------------------------------------------------


def test_a_sync_that_cannot_be_queued_fails_and_frees_the_entity(s: Setup) -> None:
    s.queue.fail = True
    with pytest.raises(RuntimeError):
        s.start()
    [run] = s.runs.of()
    assert run.status == RunStatus.FAILED
    assert "could not be queued" in (run.summary or "")
    held = s.entities.one(ORG, LE)
    assert held.running_sync_id is None
    assert held.last_sync is not None and held.last_sync["status"] == "failed"
    s.queue.fail = False
    assert s.start()["status"] == "queued"  # not blocked by the failed one


# -- the request body ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "mode", "since"),
    [
        (None, SyncMode.INCREMENTAL, None),
        ("", SyncMode.INCREMENTAL, None),
        ({}, SyncMode.INCREMENTAL, None),
        ({"mode": "full"}, SyncMode.FULL, None),
        ({"mode": " FULL "}, SyncMode.FULL, None),
        ({"mode": "incremental"}, SyncMode.INCREMENTAL, None),
        ({"mode": "partial", "since": "2026-02-01"}, SyncMode.PARTIAL, "2026-02-01T00:00:00Z"),
        (
            {"mode": "partial-from-date", "since": "2026-02-01T10:00:00+02:00"},
            SyncMode.PARTIAL,
            "2026-02-01T08:00:00Z",
        ),
        ({"mode": "partial", "since": "2026-03-02T11:59:59Z"}, SyncMode.PARTIAL, None),
    ],
)
def test_sync_requests_accepted(payload: Any, mode: SyncMode, since: str | None) -> None:
    request = parse_sync_request(payload, T0)
    assert request.mode == mode
    if since is not None:
        assert request.since == since
    elif mode != SyncMode.PARTIAL:
        assert request.since is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "body"),
        ("full", "body"),
        ({"mode": "full", "force": True}, "force"),
        ({"mode": "everything"}, "mode"),
        ({"mode": None}, "mode"),
        ({"mode": "full", "since": "2026-01-01"}, "since"),
        ({"since": "2026-01-01"}, "since"),  # incremental by default
        ({"mode": "partial"}, "since"),
        ({"mode": "partial", "since": " "}, "since"),
        ({"mode": "partial", "since": 20260101}, "since"),
        ({"mode": "partial", "since": "last tuesday"}, "since"),
        ({"mode": "partial", "since": "2026-03-03"}, "since"),  # the future
        ({"mode": "partial", "since": "2016-01-01"}, "since"),  # over 10 years back
    ],
)
def test_sync_requests_refused_naming_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_sync_request(payload, T0)
    assert raised.value.field == field


def test_a_refused_body_starts_nothing(s: Setup) -> None:
    with pytest.raises(InvalidInput):
        s.start({"mode": "nope"})
    assert s.runs.items == {} and s.entities.one(ORG, LE).running_sync_id is None


# -- Sync all and the console ----------------------------------------------------------------------


def _three() -> Setup:
    return Setup(
        entity(legal_entity_id="le-b", name="Beta"),
        entity(legal_entity_id="le-a", name="alpha", realm_id="2"),
        entity(legal_entity_id="le-c", name="Gamma", sync_profile=None, realm_id="3"),
        entity(org_id=OTHER_ORG, legal_entity_id="le-x", name="Other", realm_id="4"),
    )


def test_sync_all_reports_each_entity_of_the_organization() -> None:
    s = _three()
    running = s.service.start_for_entity(ORG, "le-b", Trigger.WEBHOOK)["sync_id"]
    items = s.service.sync_all(root_admin())["items"]
    assert [i["legal_entity_id"] for i in items] == ["le-a", "le-b", "le-c"]  # by name
    by_id = {i["legal_entity_id"]: i for i in items}
    assert (by_id["le-a"]["outcome"], by_id["le-a"]["status"]) == ("started", 202)
    assert (by_id["le-b"]["outcome"], by_id["le-b"]["status"]) == ("already_running", 409)
    assert by_id["le-b"]["sync_id"] == running
    assert (by_id["le-c"]["outcome"], by_id["le-c"]["status"]) == ("not_ready", 412)
    assert by_id["le-c"]["error"]["code"] == "sync_profile_missing"
    assert s.runs.of("le-x") == []  # another organization's entity is untouched


def test_console_sync_needs_an_operator() -> None:
    s = _three()
    for operator in (None, "", "  ", 7):
        with pytest.raises(InvalidInput) as raised:
            s.service.console_sync({"org_id": ORG, "operator": operator})
        assert raised.value.field == "operator"


def test_console_sync_of_one_entity_and_of_all() -> None:
    s = _three()
    one = s.service.console_sync({"org_id": ORG, "legal_entity_id": "le-a", "operator": "ann"})
    assert one["trigger"] == "console"
    requested_by = s.runs.one(ORG, "le-a", one["sync_id"]).requested_by
    assert requested_by is not None and requested_by["user_id"] == "console:ann"
    every = s.service.console_sync(
        {"org_id": ORG, "legal_entity_id": "*", "operator": "ann", "mode": "full"}
    )
    assert [i["outcome"] for i in every["items"]] == ["already_running", "started", "not_ready"]


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, 101])
def test_history_limit_is_bounded(s: Setup, limit: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        s.service.history(root_admin(), LE, limit=limit)
    assert raised.value.field == "limit"


def test_history_shows_the_running_sync(s: Setup) -> None:
    sync_id = s.start()["sync_id"]
    history = s.service.history(root_admin(), LE)
    assert history["running_sync_id"] == sync_id
    assert [i["sync_id"] for i in history["items"]] == [sync_id]


def test_an_unknown_sync_is_404(s: Setup) -> None:
    with pytest.raises(NotFound) as raised:
        s.service.show(root_admin(), LE, "0000000000000-deadbeef")
    assert raised.value.code == "sync_not_found"


# -- a schedule rule fires (logic/scheduled_sync.py) ----------------------------------------------


class Schedules:
    def __init__(self) -> None:
        self.rules = ScheduleRules()
        self.recomputed: list[tuple[str, str]] = []

    def remove_for_deleted_entity(self, org_id: str, legal_entity_id: str) -> int:
        return 3

    def recompute(self, org_id: str, legal_entity_id: str) -> bool:
        self.recomputed.append((org_id, legal_entity_id))
        return True


def scheduled(s: Setup) -> tuple[ScheduledSyncService, Schedules]:
    schedules = Schedules()
    return ScheduledSyncService(s.entities, s.runs, s.service, schedules, s.clock), schedules


def test_a_firing_queues_an_incremental_scheduled_sync(s: Setup) -> None:
    handler, _ = scheduled(s)
    answer = handler.handle({"org_id": ORG, "legal_entity_id": LE, "source": "schedule"})
    assert answer["outcome"] == "queued"
    run = s.runs.one(ORG, LE, answer["sync_id"])
    assert (run.trigger, run.mode) == (Trigger.SCHEDULE, SyncMode.INCREMENTAL)


def test_a_firing_while_a_sync_runs_leaves_a_skipped_run(s: Setup) -> None:
    running = s.start()["sync_id"]
    handler, _ = scheduled(s)
    answer = handler.handle({"org_id": ORG, "legal_entity_id": LE})
    assert (answer["outcome"], answer["reason"]) == ("skipped", "sync_already_running")
    assert answer["running_sync_id"] == running
    skipped = s.runs.one(ORG, LE, answer["sync_id"])
    assert skipped.status == RunStatus.SKIPPED
    assert running in (skipped.summary or "")
    assert s.entities.one(ORG, LE).running_sync_id == running


def test_a_firing_for_an_unready_entity_leaves_a_skipped_run_saying_why() -> None:
    s = Setup(entity(sync_profile=None))
    handler, _ = scheduled(s)
    answer = handler.handle({"org_id": ORG, "legal_entity_id": LE})
    assert answer["reason"] == "sync_profile_missing"
    assert s.runs.one(ORG, LE, answer["sync_id"]).summary == answer["message"]


def test_a_recompute_firing_recomputes_and_does_not_sync(s: Setup) -> None:
    handler, schedules = scheduled(s)
    answer = handler.handle({"org_id": ORG, "legal_entity_id": LE, "source": "schedule-recompute"})
    assert answer["outcome"] == "recomputed"
    assert schedules.recomputed == [(ORG, LE)]
    assert s.runs.items == {}


def test_a_firing_for_a_deleted_entity_removes_its_rules(s: Setup) -> None:
    handler, _ = scheduled(s)
    answer = handler.handle({"org_id": ORG, "legal_entity_id": "le-gone"})
    assert answer == {"outcome": "removed_orphan_rules", "rules_removed": 3}
