"""The Sync Schedule of a legal entity: stored with the entity, materialized as
EventBridge rules (UTC crons computed from local times) and recomputed when the
zone's UTC offset changes (a "recompute" rule fires at that instant)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.connection import ConnectionService
from qbo_connector.logic.permissions import require_root_admin
from qbo_connector.logic.ports import LegalEntityStorePort, ScheduleRulesPort
from qbo_connector.logic.schedule_rules import compute_rules, next_runs
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound
from qbo_connector.models.faults import ScheduleQuotaExceeded
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.sync_schedule import (
    ScheduleValidationError,
    SyncSchedule,
    from_dict,
    parse_schedule,
    to_dict,
)

NEXT_RUNS_SHOWN = 5


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
        now = self._now()
        ruleset = compute_rules(schedule, entity.org_id, entity.legal_entity_id, now, self._prefix)
        try:
            names = self._rules.apply(
                entity.org_id, entity.legal_entity_id, ruleset.rules, enabled=entity.is_connected
            )
        except ScheduleQuotaExceeded as exc:
            raise Conflict(str(exc), code="schedule_quota_exceeded") from None
        self._entities.update(
            entity.org_id,
            entity.legal_entity_id,
            sync_schedule={
                **to_dict(schedule),
                "rules": names,
                "utc_offset_minutes": int(ruleset.utc_offset.total_seconds() // 60),
                "computed_at": ruleset.computed_at.isoformat(),
                "recompute_at": ruleset.recompute_at.isoformat() if ruleset.recompute_at else None,
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
            "rules": stored.get("rules", []),
            "recompute_at": stored.get("recompute_at"),
        }

    def delete(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        require_root_admin(caller)
        entity = self._connections.entity_for(caller, legal_entity_id)
        removed = self._rules.remove(entity.org_id, entity.legal_entity_id)
        self._entities.update(entity.org_id, entity.legal_entity_id, sync_schedule=None)
        return {"legal_entity_id": legal_entity_id, "deleted": True, "rules_removed": removed}

    def recompute(self, org_id: str, legal_entity_id: str) -> bool:
        """Recompute the UTC crons after an offset change (DST); False if nothing to do."""
        entity = self._entities.get(org_id, legal_entity_id)
        if entity is None or not entity.sync_schedule:
            return False
        self._materialize(entity, from_dict(entity.sync_schedule))
        return True

    def remove_for_deleted_entity(self, org_id: str, legal_entity_id: str) -> int:
        return self._rules.remove(org_id, legal_entity_id)
