"""Starting syncs and reading their history (SmartSync: "Sync", "Sync all").

A sync is accepted at once and runs in the sync worker: take the entity's sync lease
(one sync per legal entity, manual and scheduled alike), record the run as queued, put a
message on the sync queue, answer 202 with the sync id.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.connection import iso
from qbo_connector.logic.permissions import require_root_admin, require_same_org
from qbo_connector.logic.ports import LegalEntityStorePort, SyncQueuePort, SyncRunStorePort
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.legal_entity import ConnectionState, LegalEntity, validate_id
from qbo_connector.models.sync_run import (
    RunError,
    RunStatus,
    SyncMode,
    SyncRun,
    Trigger,
    new_sync_id,
)
from qbo_connector.observability import logger

# Longer than the worker's 900 s timeout: a live worker renews it at every page, and a
# dead one stops blocking the entity once it lapses.
LEASE_SECONDS = 960
MAX_HISTORY_PAGE = 100
MAX_PARTIAL_LOOKBACK_DAYS = 3650

DEAD_WORKER_REASON = (
    "The sync stopped before finishing: the worker running it ended unexpectedly (it ran "
    "out of time or crashed) and did not report back. Nothing is lost; start the sync again."
)


@dataclass(frozen=True)
class SyncRequest:
    mode: SyncMode
    since: str | None = None  # ISO date-time, partial syncs only


def parse_sync_request(body: Any, now: float) -> SyncRequest:
    """`{"mode": "full"|"incremental"|"partial", "since": "2024-05-01"}`; all optional."""
    if body is None or body == "":
        return SyncRequest(SyncMode.INCREMENTAL)
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", field="body")
    unknown = sorted(set(body) - {"mode", "since"})
    if unknown:
        raise InvalidInput(
            f"{unknown[0]} is not a sync option; send only mode and since.", field=unknown[0]
        )
    raw_mode = body.get("mode", "incremental")
    try:
        mode = SyncMode(str(raw_mode).strip().lower().replace("partial-from-date", "partial"))
    except ValueError:
        raise InvalidInput(
            f"mode {raw_mode!r} is not known; use full, incremental or partial "
            "(partial needs since).",
            field="mode",
        ) from None
    since = body.get("since")
    if mode != SyncMode.PARTIAL:
        if since is not None:
            raise InvalidInput(
                "since applies to partial syncs only; send mode partial or leave since out.",
                field="since",
            )
        return SyncRequest(mode)
    if not isinstance(since, str) or not since.strip():
        raise InvalidInput(
            "A partial sync needs since: the date (YYYY-MM-DD) or date-time from which "
            "changes are imported.",
            field="since",
        )
    try:
        parsed = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"since {since!r} is not a date; use YYYY-MM-DD or an ISO 8601 date-time.",
            field="since",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    moment = parsed.timestamp()
    if moment > now:
        raise InvalidInput("since is in the future; choose a past date.", field="since")
    if moment < now - MAX_PARTIAL_LOOKBACK_DAYS * 86400:
        raise InvalidInput(
            "since is more than 10 years back; run a full sync instead.", field="since"
        )
    return SyncRequest(mode, parsed.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def last_sync_summary(run: SyncRun) -> dict[str, Any]:
    """What the legal entity keeps of its last sync (ERP Management page, next plan)."""
    return {
        "sync_id": run.sync_id,
        "status": str(run.status),
        "trigger": str(run.trigger),
        "mode": str(run.mode),
        "started_at": run.started_at or run.requested_at,
        "finished_at": run.finished_at,
        "summary": run.summary,
        "counts": run.totals(),
        "synced_types": list(run.synced_types),
    }


class SyncService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        runs: SyncRunStorePort,
        queue: SyncQueuePort,
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
    ) -> None:
        self._entities = entities
        self._runs = runs
        self._queue = queue
        self._clock = clock
        self._lease = lease_seconds

    # -- lookups -------------------------------------------------------------------------

    def _entity(self, org_id: str, legal_entity_id: str) -> LegalEntity:
        entity = self._entities.get(org_id, validate_id(legal_entity_id, "id"))
        if entity is None:
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        return entity

    def entity_for(self, caller: Caller, legal_entity_id: str) -> LegalEntity:
        entity = self._entity(caller.org_id, legal_entity_id)
        require_same_org(caller, entity.org_id)
        return entity

    # -- starting ------------------------------------------------------------------------

    def request_sync(self, caller: Caller, legal_entity_id: str, body: Any) -> dict[str, Any]:
        """POST /legal-entities/{id}/syncs."""
        require_root_admin(caller)
        entity = self.entity_for(caller, legal_entity_id)
        request = parse_sync_request(body, self._clock())
        return self.start(
            entity,
            Trigger.MANUAL,
            request,
            requested_by={"user_id": caller.user_id, "name": caller.display_name},
        )

    def sync_all(self, caller: Caller, body: Any = None) -> dict[str, Any]:
        """POST /syncs: every legal entity of the caller's organization that can sync."""
        require_root_admin(caller)
        request = parse_sync_request(body, self._clock())
        who = {"user_id": caller.user_id, "name": caller.display_name}
        return {
            "items": self._start_many(
                self._entities.list(caller.org_id), request, who, Trigger.MANUAL
            )
        }

    def console_sync(self, event: dict[str, Any]) -> dict[str, Any]:
        """An operator's console event: one entity, or all of an organization's."""
        org_id = validate_id(event.get("org_id"), "org_id")
        operator = event.get("operator")
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInput(
                "operator must name who starts the sync (it is kept in the sync history).",
                field="operator",
            )
        request = parse_sync_request(
            {k: event[k] for k in ("mode", "since") if k in event}, self._clock()
        )
        who = {"user_id": f"console:{operator.strip()[:64]}", "name": operator.strip()[:64]}
        if event.get("legal_entity_id") in (None, "*"):
            entities = self._entities.list(org_id)
            return {"items": self._start_many(entities, request, who, Trigger.CONSOLE)}
        entity = self._entity(org_id, event.get("legal_entity_id"))  # type: ignore[arg-type]
        return self.start(entity, Trigger.CONSOLE, request, requested_by=who)

    def start_for_entity(
        self,
        org_id: str,
        legal_entity_id: str,
        trigger: Trigger,
        mode: SyncMode = SyncMode.INCREMENTAL,
    ) -> dict[str, Any]:
        """For the schedule and webhook functions: raises Conflict / PreconditionFailed."""
        return self.start(self._entity(org_id, legal_entity_id), trigger, SyncRequest(mode))

    def _start_many(
        self,
        entities: list[LegalEntity],
        request: SyncRequest,
        who: dict[str, str],
        trigger: Trigger,
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for entity in sorted(entities, key=lambda e: e.name.lower()):
            item: dict[str, Any] = {"legal_entity_id": entity.legal_entity_id, "name": entity.name}
            try:
                started = self.start(entity, trigger, request, requested_by=who)
                item.update(outcome="started", status=202, sync_id=started["sync_id"])
            except (Conflict, PreconditionFailed) as exc:
                item.update(
                    outcome="already_running" if isinstance(exc, Conflict) else "not_ready",
                    status=exc.status,
                    error=exc.to_body()["error"],
                )
                if isinstance(exc, Conflict):
                    item["sync_id"] = exc.details.get("running_sync_id")
            results.append(item)
        return results

    @staticmethod
    def check_ready(entity: LegalEntity) -> None:
        if entity.connection_state == ConnectionState.RECONNECT_REQUIRED:
            raise PreconditionFailed(
                f"{entity.name} must be reconnected to QuickBooks before it can sync: "
                f"{entity.reconnect_reason or 'QuickBooks no longer accepts the connection.'} "
                "A System Administrator can reconnect it under Settings → ERP Management.",
                code="reconnect_required",
            )
        if not entity.is_connected or not entity.realm_id:
            raise PreconditionFailed(
                f"{entity.name} is not connected to QuickBooks; connect it under Settings → "
                "ERP Management → Legal Entity → Connect to QuickBooks, then sync.",
                code="not_connected",
            )
        if not entity.sync_profile:
            raise PreconditionFailed(
                f"{entity.name} has no API Sync Profile yet, so nothing can be synced: "
                "support must create the API Sync Profile for this legal entity; contact "
                "support and mention its id.",
                code="sync_profile_missing",
                details={"legal_entity_id": entity.legal_entity_id},
            )

    def start(
        self,
        entity: LegalEntity,
        trigger: Trigger,
        request: SyncRequest,
        requested_by: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        self.check_ready(entity)
        now = self._clock()
        sync_id = new_sync_id(int(now * 1000))
        try:
            held = self._entities.acquire_sync_lease(
                entity.org_id, entity.legal_entity_id, sync_id, int(now), self._lease
            )
        except Exception:
            # The reservation may have been written and its answer lost: undo it (a new
            # sync id is never reused), or its lease runs out on its own.
            with contextlib.suppress(Exception):
                self._entities.release_sync_lease(
                    entity.org_id, entity.legal_entity_id, sync_id, entity.last_sync or {}
                )
            raise
        if held is not None:
            raise Conflict(
                f"A sync of {entity.name} is already running (sync {held}); wait for it to "
                "finish — its progress is in the sync history.",
                code="sync_already_running",
                details={"running_sync_id": held},
            )
        previous = entity.running_sync_id
        if previous and previous != sync_id:
            # We took over an expired lease: its worker died; say so in its run.
            self.fail_abandoned(entity.org_id, entity.legal_entity_id, previous, DEAD_WORKER_REASON)
        run = SyncRun(
            org_id=entity.org_id,
            legal_entity_id=entity.legal_entity_id,
            sync_id=sync_id,
            trigger=trigger,
            mode=request.mode,
            status=RunStatus.QUEUED,
            requested_at=iso(now),
            requested_by=requested_by,
            since=request.since,
        )
        try:
            self._runs.create(run)
        except Exception:
            # No run, so no worker will ever release the reservation: release it now (if
            # this fails too, the reservation's lease runs out on its own).
            run.status = RunStatus.FAILED
            run.summary = "The sync could not be recorded; try again in a few seconds."
            with contextlib.suppress(Exception):
                self._entities.release_sync_lease(
                    entity.org_id,
                    entity.legal_entity_id,
                    sync_id,
                    entity.last_sync or last_sync_summary(run),
                )
            raise
        try:
            self._queue.send_sync(entity.org_id, entity.legal_entity_id, sync_id)
        except Exception:
            logger.exception("queueing the sync failed")
            run.status = RunStatus.FAILED
            run.finished_at = iso(self._clock())
            run.summary = "The sync could not be queued; try again in a few minutes."
            self._runs.save(run)
            self._entities.release_sync_lease(
                entity.org_id, entity.legal_entity_id, sync_id, last_sync_summary(run)
            )
            raise
        logger.info(
            "sync queued",
            extra={
                "legal_entity_id": entity.legal_entity_id,
                "sync_id": sync_id,
                "trigger": str(trigger),
            },
        )
        return {
            "sync_id": sync_id,
            "legal_entity_id": entity.legal_entity_id,
            "status": str(RunStatus.QUEUED),
            "trigger": str(trigger),
            "mode": str(request.mode),
            "since": request.since,
            "location": f"/legal-entities/{entity.legal_entity_id}/syncs/{sync_id}",
        }

    def fail_abandoned(
        self, org_id: str, legal_entity_id: str, sync_id: str, reason: str
    ) -> SyncRun | None:
        """End a run whose worker is gone (its lease lapsed or its message came back)."""
        run = self._runs.get(org_id, legal_entity_id, sync_id)
        if run is None or run.status.finished:
            return run
        now = self._clock()
        run.status = RunStatus.FAILED
        run.finished_at = iso(now)
        run.summary = reason
        run.errors.append(RunError(message=reason, code="worker_stopped", at=iso(now)))
        if run.started_epoch is not None:
            run.duration_seconds = round(now - run.started_epoch, 3)
        if self._runs.finish_if_open(run):
            logger.warning("abandoned sync run failed", extra={"sync_id": sync_id})
        return run

    # -- reading -------------------------------------------------------------------------

    def history(
        self, caller: Caller, legal_entity_id: str, limit: int = 20, cursor: str | None = None
    ) -> dict[str, Any]:
        entity = self.entity_for(caller, legal_entity_id)
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise InvalidInput(f"limit must be 1-{MAX_HISTORY_PAGE}.", field="limit")
        runs, next_cursor = self._runs.list(
            entity.org_id, entity.legal_entity_id, limit=limit, cursor=cursor
        )
        return {
            "items": [run.to_public() for run in runs],
            "next_cursor": next_cursor,
            "running_sync_id": entity.running_sync_id,
        }

    def show(self, caller: Caller, legal_entity_id: str, sync_id: str) -> dict[str, Any]:
        entity = self.entity_for(caller, legal_entity_id)
        run = self._runs.get(entity.org_id, entity.legal_entity_id, sync_id)
        if run is None:
            raise NotFound("No such sync run for this legal entity.", code="sync_not_found")
        return run.to_public()
