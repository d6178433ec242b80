"""Registering and listing legal entities (ops console and the ERP Management page)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qbo_connector.logic.connection import ConnectionService, iso
from qbo_connector.logic.ports import LegalEntityStorePort, RecordStorePort
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound
from qbo_connector.models.legal_entity import ConnectionState, LegalEntity, validate_id
from qbo_connector.models.object_types import STORED
from qbo_connector.observability import logger


class LegalEntityService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        connections: ConnectionService,
        records: RecordStorePort,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entities = entities
        self._connections = connections
        self._records = records
        self._clock = clock

    def summary(self, entity: LegalEntity) -> dict[str, Any]:
        return {
            "legal_entity_id": entity.legal_entity_id,
            "name": entity.name,
            "connection": self._connections.describe(entity),
            "sync": {
                "running_sync_id": entity.running_sync_id,
                "last_sync": entity.last_sync,
                "last_successful_sync_at": entity.last_successful_sync_at,
                "has_sync_profile": entity.sync_profile is not None,
                "has_schedule": entity.sync_schedule is not None,
            },
        }

    def list_for(self, caller: Caller) -> list[dict[str, Any]]:
        entities = sorted(self._entities.list(caller.org_id), key=lambda e: e.name.lower())
        return [self.summary(e) for e in entities]

    # -- ops console -----------------------------------------------------------------------

    def register(self, org_id: Any, legal_entity_id: Any, name: Any) -> dict[str, Any]:
        org = validate_id(org_id, "org_id")
        legal_entity_id = validate_id(legal_entity_id, "legal_entity_id")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidInput("name must be 1-200 characters.", field="name")
        entity = LegalEntity(
            org_id=org,
            legal_entity_id=legal_entity_id,
            name=name.strip(),
            created_at=iso(self._clock()),
        )
        created = self._entities.create(entity)
        current = self._entities.get(org, legal_entity_id)
        if current is None:  # deleted again between the two calls
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        return {"created": created, "legal_entity": self.summary(current)}

    def show(self, org_id: Any, legal_entity_id: Any) -> dict[str, Any]:
        entity = self._entities.get(
            validate_id(org_id, "org_id"), validate_id(legal_entity_id, "legal_entity_id")
        )
        if entity is None:
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        return {
            **self.summary(entity),
            "sync_profile": entity.sync_profile,
            "sync_schedule": entity.sync_schedule,
            "data_realm_id": entity.data_realm_id,
        }

    def reset(self, org_id: Any, legal_entity_id: Any, operator: Any) -> dict[str, Any]:
        """Forget the QBO data of a disconnected entity so it may connect to another company.

        Sync and export history stay: they are what happened.
        """
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInput("operator must name who resets the entity.", field="operator")
        entity = self._entities.get(
            validate_id(org_id, "org_id"), validate_id(legal_entity_id, "legal_entity_id")
        )
        if entity is None:
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        if entity.connection_state != ConnectionState.NOT_CONNECTED:
            raise Conflict(
                f"{entity.name} is still connected to QuickBooks; disconnect it first, then "
                "reset it.",
                code="still_connected",
            )
        deleted = {
            t: self._records.delete_all(entity.org_id, entity.legal_entity_id, t) for t in STORED
        }
        self._entities.update(
            entity.org_id,
            entity.legal_entity_id,
            data_realm_id=None,
            last_successful_sync_at=None,
            company_name=None,
            country=None,
        )
        logger.info(
            "legal entity reset",
            extra={"legal_entity_id": entity.legal_entity_id, "operator": operator.strip()[:64]},
        )
        return {
            "legal_entity_id": entity.legal_entity_id,
            "records_deleted": sum(deleted.values()),
            "by_type": deleted,
        }

    def delete(self, org_id: Any, legal_entity_id: Any, operator: Any) -> dict[str, Any]:
        """Remove a legal entity: its connection (revoked at Intuit), schedule rules and
        imported records. Sync and export history stay for the audit trail."""
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInput("operator must name who deletes the entity.", field="operator")
        entity = self._entities.get(
            validate_id(org_id, "org_id"), validate_id(legal_entity_id, "legal_entity_id")
        )
        if entity is None:
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        revoked = self._connections.forget(entity)
        records = sum(
            self._records.delete_all(entity.org_id, entity.legal_entity_id, t) for t in STORED
        )
        self._entities.delete(entity.org_id, entity.legal_entity_id)
        logger.info(
            "legal entity deleted",
            extra={"legal_entity_id": entity.legal_entity_id, "operator": operator.strip()[:64]},
        )
        return {
            "legal_entity_id": entity.legal_entity_id,
            "deleted": True,
            "revoked_at_intuit": revoked,
            "records_deleted": records,
        }

    def list_org(self, org_id: Any) -> list[dict[str, Any]]:
        return [self.summary(e) for e in self._entities.list(validate_id(org_id, "org_id"))]
