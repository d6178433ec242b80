"""Operators start a sync from the AWS console by invoking the manual-sync function with
a JSON event (events/console-manual-sync.json):

    {"org_id": "acme", "legal_entity_id": "acme-us" | "*", "mode": "incremental",
     "since": "2024-05-01" (partial only), "operator": "jane@support"}

Answer: {"ok": true, "result": {...}} or {"ok": false, "error": {"code", "message", ...}}.
"""

from __future__ import annotations

from typing import Any

from qbo_connector import wiring
from qbo_connector.models.errors import DomainError, InvalidInput


def is_console_event(event: Any) -> bool:
    return isinstance(event, dict) and "requestContext" not in event and "routeKey" not in event


def run(event: dict[str, Any]) -> dict[str, Any]:
    try:
        unknown = sorted(
            set(event) - {"action", "org_id", "legal_entity_id", "mode", "since", "operator"}
        )
        if unknown:
            raise InvalidInput(
                f"{unknown[0]} is not a console sync field; use org_id, legal_entity_id "
                '(or "*" for all), mode, since, operator.',
                field=unknown[0],
            )
        if event.get("action", "sync") != "sync":
            raise InvalidInput('action must be "sync" (or left out).', field="action")
        return {"ok": True, "result": wiring.sync_service().console_sync(event)}
    except DomainError as exc:
        return {"ok": False, **exc.to_body()}
