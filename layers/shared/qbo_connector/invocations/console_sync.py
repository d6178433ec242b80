"""Operators start a sync from the AWS console by invoking the manual-sync function with
a JSON event (events/console-manual-sync.json):

    {"org_id": "acme", "legal_entity_id": "acme-us" | "*", "mode": "incremental",
     "since": "2024-05-01" (partial only), "operator": "jane@support"}

Checked against `ConsoleSyncEvent` (models/inputs.py) before anything runs. Answer:
{"ok": true, "result": {...}} or {"ok": false, "error": {"code", "message", ...}}.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from qbo_connector import wiring
from qbo_connector.models.errors import DomainError
from qbo_connector.models.input_errors import validation_failed
from qbo_connector.models.inputs import ConsoleSyncEvent


def is_console_event(event: Any) -> bool:
    return isinstance(event, dict) and "requestContext" not in event and "routeKey" not in event


def run(event: dict[str, Any]) -> dict[str, Any]:
    try:
        try:
            checked = ConsoleSyncEvent.model_validate(event)
        except ValidationError as invalid:
            raise validation_failed(invalid.errors(), ConsoleSyncEvent, root_name="event") from None
        # What the operator sent: the sync service applies the sync rules (modes, since).
        return {
            "ok": True,
            "result": wiring.sync_service().console_sync(checked.model_dump(exclude_unset=True)),
        }
    except DomainError as exc:
        return {"ok": False, **exc.to_body()}
