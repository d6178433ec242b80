"""Keep idle connections alive: Intuit's refresh token dies after 100 days unused.

A daily run refreshes every connected entity whose refresh token has not been
used for a while (a syncing entity refreshes on its own), so a company nobody
synced for months does not silently need reconnecting. The refresh goes through
the token manager, which persists the rotated token before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.ports import LegalEntityStorePort, TokenManagerPort, TokenVaultPort
from qbo_connector.models.faults import ReconnectRequired
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.observability import logger

DAY = 86400
# Refresh when less than this much of the 100-day rolling window is left.
REFRESH_WHEN_LEFT_SECONDS = 70 * DAY


class TokenUpkeep:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        vault: TokenVaultPort,
        manager_for: Callable[[LegalEntity], TokenManagerPort],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entities = entities
        self._vault = vault
        self._manager_for = manager_for
        self._clock = clock

    def run(self) -> dict[str, Any]:
        outcomes: dict[str, list[str]] = {
            "refreshed": [],
            "fresh": [],
            "reconnect_required": [],
            "failed": [],
            "missing": [],
        }
        for entity in self._entities.scan_connected():
            key = f"{entity.org_id}/{entity.legal_entity_id}"
            outcomes[self._keep_alive(entity)].append(key)
        logger.info("token upkeep done", extra={k: len(v) for k, v in outcomes.items()})
        return {"counts": {k: len(v) for k, v in outcomes.items()}, **outcomes}

    def _keep_alive(self, entity: LegalEntity) -> str:
        tokens = self._vault.load(entity.org_id, entity.legal_entity_id)
        if tokens is None:
            return "missing"
        if tokens.refresh_expires_at - self._clock() > REFRESH_WHEN_LEFT_SECONDS:
            return "fresh"
        try:
            self._manager_for(entity).force_refresh()
        except Exception as exc:  # noqa: BLE001 - one entity must not stop the others
            if isinstance(exc, ReconnectRequired):
                return "reconnect_required"  # the manager has marked the entity
            logger.warning("token refresh failed", extra={"error_type": type(exc).__name__})
            return "failed"  # Intuit down: tomorrow's run tries again
        refreshed = self._vault.load(entity.org_id, entity.legal_entity_id)
        hard = refreshed.refresh_hard_expires_at if refreshed is not None else None
        if hard:
            self._entities.update(
                entity.org_id,
                entity.legal_entity_id,
                refresh_token_hard_expires_at=datetime.fromtimestamp(hard, UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z"),
            )
        return "refreshed"
