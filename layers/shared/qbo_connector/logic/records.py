"""Imported master data for the AP platform's coding screens (GET .../records/{type})."""

from __future__ import annotations

from typing import Any

from qbo_connector.logic.ports import RecordStorePort
from qbo_connector.logic.sync_service import SyncService
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.object_types import OBJECT_TYPES
from qbo_connector.models.sync_profile import DEFAULT_OBJECT_TYPES

MAX_PAGE = 500

# Accept the type as QBO names it, lower case, or plural: Vendor, vendor, vendors.
_TYPES: dict[str, str] = {
    alias: spec.name
    for spec in OBJECT_TYPES
    if spec.master_data
    for alias in (spec.name.lower(), *spec.aliases)
}


def object_type(value: str) -> str:
    found = _TYPES.get(value.strip().lower())
    if found is None:
        raise InvalidInput(
            f"type {value!r} is not an imported object type; use one of: "
            f"{', '.join(DEFAULT_OBJECT_TYPES)}.",
            field="type",
        )
    return found


class RecordService:
    def __init__(self, syncs: SyncService, records: RecordStorePort) -> None:
        self._syncs = syncs  # for the tenant check of the legal entity
        self._records = records

    def list(
        self,
        caller: Caller,
        legal_entity_id: str,
        type_name: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        entity = self._syncs.entity_for(caller, legal_entity_id)
        kind = object_type(type_name)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE}.", field="limit")
        items, next_cursor = self._records.list(
            entity.org_id,
            entity.legal_entity_id,
            kind,
            limit=limit,
            cursor=cursor,
            include_inactive=include_inactive,
            include_deleted=include_deleted,
        )
        return {
            "type": kind,
            "items": items,
            "next_cursor": next_cursor,
            "last_successful_sync_at": entity.last_successful_sync_at,
        }
