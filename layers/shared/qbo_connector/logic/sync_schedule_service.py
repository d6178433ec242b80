"""The Sync Schedule of a legal entity: stored with the entity, materialized as
EventBridge Scheduler schedules (crons in the entity's own time zone, so nothing is
recomputed at DST). Entities saved before the move still have EventBridge rules (UTC
crons plus a "recompute" rule at each offset change): re-saving the schedule, their
recompute rule firing, or the ops action ``migrate_schedules`` moves them over
(schedules created first, rules deleted after)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.connection import ConnectionService
from qbo_connector.logic.permissions import require_root_admin
from qbo_connector.logic.ports import LegalEntityStorePort, ScheduleRulesPort
from qbo_connector.logic.schedule_rules import compute_schedules, next_runs
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound
from qbo_connector.models.faults import ScheduleQuotaExceeded
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.sync_schedule import (
    ScheduleValidationError,
    SyncSchedule,
    from_dict,
    parse_schedule,
    to_dict,
)

NEXT_RUNS_SHOWN = 5
BACKEND = "scheduler"  # stored with a schedule materialized as Scheduler schedules


class SyncScheduleService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        connections: ConnectionService,
        rules: ScheduleRulesPort,
        prefix: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entities = entities
        self._connections = connections
        self._rules = rules
        self._prefix = prefix
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def put(self, caller: Caller, legal_entity_id: str, body: Any) -> dict[str, Any]:
        require_root_admin(caller)
        entity = self._connections.entity_for(caller, legal_entity_id)
        try:
            schedule = parse_schedule(body)
        except ScheduleValidationError as exc:
            first = exc.problems[0]
            raise InvalidInput(
                f"{first.field}: {first.problem}; {first.what_to_do}",
                field=first.field,
                details={
                    "problems": [
                        {"field": p.field, "problem": p.problem, "what_to_do": p.what_to_do}
                        for p in exc.problems
                    ]
                },
            ) from None
        self._materialize(entity, schedule)
        return self.show(caller, legal_entity_id)

    def _materialize(self, entity: LegalEntity, schedule: SyncSchedule) -> None:
        schedules = compute_schedules(schedule, entity.org_id, entity.legal_entity_id, self._prefix)
        stored = entity.sync_schedule or {}
        migrated = stored.get("backend") == BACKEND
        # What exists now, so that a first schedule costs one call per schedule: nothing
        # before a first PUT (DELETE removes schedules and rules alike), the stored names
        # once migrated, and for an entity still on rules a listing (and its rules).
        previous: list[str] | None = None  # a listing
        if migrated:
            previous = list(stored.get("schedules", []))
        elif not stored:
            previous = []
        try:
            names = self._rules.apply(
                entity.org_id,
                entity.legal_entity_id,
                schedules,
                enabled=entity.is_connected,
                previous=previous,
                legacy=bool(stored) and not migrated,
            )
        except ScheduleQuotaExceeded as exc:
            raise Conflict(str(exc), code="schedule_quota_exceeded") from None
        self._entities.update(
            entity.org_id,
            entity.legal_entity_id,
            sync_schedule={
                **to_dict(schedule),
                "backend": BACKEND,
                "schedules": names,
                "computed_at": self._now().isoformat(),
            },
        )

    def show(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        entity = self._connections.entity_for(caller, legal_entity_id)
        return self.describe(entity)

    def describe(self, entity: LegalEntity) -> dict[str, Any]:
        stored = entity.sync_schedule
        if not stored:
            raise NotFound(
                "This legal entity has no sync schedule; PUT one to create it.",
                code="sync_schedule_not_found",
            )
        schedule = from_dict(stored)
        runs = next_runs(schedule, self._now(), NEXT_RUNS_SHOWN)
        return {
            "legal_entity_id": entity.legal_entity_id,
            "schedule": to_dict(schedule),
            "description": schedule.describe(),
            "active": entity.is_connected,
            "paused_reason": None
            if entity.is_connected
            else "The legal entity is not connected to QuickBooks; the schedule resumes on "
            "reconnect.",
            "next_runs": [
                {"local": local.isoformat(), "utc": utc.isoformat().replace("+00:00", "Z")}
                for local, utc in runs
            ],
            "schedules": stored.get("schedules", []),
            # Left from before the move to Scheduler until the entity is migrated.
            "legacy_rules": [] if stored.get("backend") == BACKEND else stored.get("rules", []),
        }

    def delete(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        require_root_admin(caller)
        entity = self._connections.entity_for(caller, legal_entity_id)
        stored = entity.sync_schedule or {}
        if stored.get("backend") == BACKEND:
            removed = self._rules.remove(
                entity.org_id,
                entity.legal_entity_id,
                known=list(stored.get("schedules", [])),
                legacy=False,
            )
        else:
            removed = self._rules.remove(entity.org_id, entity.legal_entity_id)
        self._entities.update(entity.org_id, entity.legal_entity_id, sync_schedule=None)
        return {"legal_entity_id": legal_entity_id, "deleted": True, "rules_removed": removed}

    def recompute(self, org_id: str, legal_entity_id: str) -> bool:
        """A legacy recompute rule fired (DST): re-save the schedule, which migrates the
        entity to Scheduler schedules (time zones at the source, nothing to recompute
        again). False if there is nothing to do."""
        entity = self._entities.get(org_id, legal_entity_id)
        if entity is None or not entity.sync_schedule:
            return False
        self._materialize(entity, from_dict(entity.sync_schedule))
        return True

    def migrate(self, org_id: Any, legal_entity_id: Any = None) -> dict[str, Any]:
        """Ops ``migrate_schedules``: move an organization's entities (or one) still on
        EventBridge rules to Scheduler schedules (each: schedules created, then its rules
        deleted). Idempotent: a migrated entity is counted and left alone."""
        org = validate_id(org_id, "org_id")
        if legal_entity_id is None:
            entities = self._entities.list(org)
        else:
            one = self._entities.get(org, validate_id(legal_entity_id, "legal_entity_id"))
            entities = [one] if one is not None else []
        migrated: list[str] = []
        failed: list[dict[str, str]] = []
        already = 0
        for entity in entities:
            stored = entity.sync_schedule
            if not stored:
                continue
            if stored.get("backend") == BACKEND:
                already += 1
                continue
            try:
                self._materialize(entity, from_dict(stored))
                migrated.append(entity.legal_entity_id)
            except Conflict as exc:
                failed.append({"legal_entity_id": entity.legal_entity_id, "error": exc.message})
        return {
            "org_id": org,
            "migrated": migrated,
            "already_migrated": already,
            "failed": failed,
        }

    def remove_for_deleted_entity(self, org_id: str, legal_entity_id: str) -> int:
        return self._rules.remove(org_id, legal_entity_id)
