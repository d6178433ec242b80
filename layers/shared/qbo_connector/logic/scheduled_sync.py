"""What happens when a schedule rule fires: queue an incremental sync, or say why not.

Every firing leaves a trace in the sync history: a queued run, or a skipped run
with the reason (not connected, no profile, a sync already running).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.ports import (
    LegalEntityStorePort,
    ScheduleUpkeepPort,
    SyncRunStorePort,
    SyncStarterPort,
)
from qbo_connector.models.errors import Conflict, PreconditionFailed
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.sync_run import RunStatus, SyncMode, SyncRun, Trigger, new_sync_id
from qbo_connector.observability import logger

RECOMPUTE_SOURCE = "schedule-recompute"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ScheduledSyncService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        runs: SyncRunStorePort,
        syncs: SyncStarterPort,
        schedules: ScheduleUpkeepPort,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entities = entities
        self._runs = runs
        self._syncs = syncs
        self._schedules = schedules
        self._clock = clock

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        org_id = validate_id(event.get("org_id"), "org_id")
        legal_entity_id = validate_id(event.get("legal_entity_id"), "legal_entity_id")
        entity = self._entities.get(org_id, legal_entity_id)
        if entity is None:
            # The entity is gone but a rule survived: remove the leftovers.
            removed = self._schedules.remove_for_deleted_entity(org_id, legal_entity_id)
            return {"outcome": "removed_orphan_rules", "rules_removed": removed}
        if event.get("source") == RECOMPUTE_SOURCE:
            self._schedules.recompute(org_id, legal_entity_id)
            return {"outcome": "recomputed", "legal_entity_id": legal_entity_id}
        try:
            started = self._syncs.start_for_entity(
                org_id, legal_entity_id, Trigger.SCHEDULE, SyncMode.INCREMENTAL
            )
        except (PreconditionFailed, Conflict) as exc:
            running = exc.details.get("running_sync_id") if isinstance(exc, Conflict) else None
            skipped = self._record_skip(entity, exc.message, running)
            logger.info("scheduled sync skipped", extra={"reason": exc.code, "sync_id": skipped})
            return {
                "outcome": "skipped",
                "reason": exc.code,
                "message": exc.message,
                "sync_id": skipped,
                "running_sync_id": running,
            }
        return {"outcome": "queued", **started}

    def _record_skip(self, entity: LegalEntity, reason: str, running_sync_id: str | None) -> str:
        now = self._clock()
        run = SyncRun(
            org_id=entity.org_id,
            legal_entity_id=entity.legal_entity_id,
            sync_id=new_sync_id(int(now * 1000)),
            trigger=Trigger.SCHEDULE,
            mode=SyncMode.INCREMENTAL,
            status=RunStatus.SKIPPED,
            requested_at=_iso(now),
            finished_at=_iso(now),
            summary=reason
            if running_sync_id is None
            else f"Skipped: sync {running_sync_id} was still running.",
        )
        self._runs.create(run)
        return run.sync_id
