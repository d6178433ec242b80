"""The API Sync Profile, kept on the legal entity; support edits it from the ops console."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qbo_connector.logic.connection import iso
from qbo_connector.logic.ports import LegalEntityStorePort
from qbo_connector.models.errors import InvalidInput, NotFound
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.sync_profile import (
    DEFAULT_OBJECT_TYPES,
    SyncProfile,
    parse_profile,
)


class SyncProfileService:
    def __init__(
        self, entities: LegalEntityStorePort, clock: Callable[[], float] = time.time
    ) -> None:
        self._entities = entities
        self._clock = clock

    def _entity(self, event: dict[str, Any]) -> LegalEntity:
        org = validate_id(event.get("org_id"), "org_id")
        legal_entity_id = validate_id(event.get("legal_entity_id"), "legal_entity_id")
        entity = self._entities.get(org, legal_entity_id)
        if entity is None:
            raise NotFound(
                f"No legal entity {legal_entity_id} in organization {org}; register it first "
                "(action register_legal_entity).",
                code="legal_entity_not_found",
            )
        return entity

    def put(self, event: dict[str, Any]) -> dict[str, Any]:
        """Create the profile, or update the settings given (the others are kept)."""
        entity = self._entity(event)
        operator = event.get("operator")
        if not isinstance(operator, str) or not operator.strip():
            raise InvalidInput(
                "operator must name who changes the profile (kept with the profile).",
                field="operator",
            )
        raw = event.get("profile", {})
        base = SyncProfile.from_dict(entity.sync_profile) if entity.sync_profile else None
        if (
            base is None
            and isinstance(raw, dict)
            and "object_types" not in raw
            and entity.preferences.purchase_orders
        ):
            # A new profile of a company whose plan has purchase orders imports them too.
            raw = {**raw, "object_types": [*DEFAULT_OBJECT_TYPES, "PurchaseOrder"]}
        profile = parse_profile(raw if raw is not None else {}, base)
        stored = {
            **profile.to_dict(),
            "updated_at": iso(self._clock()),
            "updated_by": operator.strip()[:100],
        }
        self._entities.update(entity.org_id, entity.legal_entity_id, sync_profile=stored)
        return {
            "created": entity.sync_profile is None,
            "legal_entity_id": entity.legal_entity_id,
            "sync_profile": stored,
        }

    def show(self, event: dict[str, Any]) -> dict[str, Any]:
        entity = self._entity(event)
        return {
            "legal_entity_id": entity.legal_entity_id,
            "sync_profile": entity.sync_profile,
            "message": None
            if entity.sync_profile
            else "No API Sync Profile yet: syncs are refused until one is created "
            f"(action put_sync_profile; default object types: {', '.join(DEFAULT_OBJECT_TYPES)}).",
        }
