"""Operator actions for the ops function, invoked from the AWS console with JSON events.

Event: {"action": "<name>", ...arguments}. Answer: {"ok": true, "result": ...} or
{"ok": false, "error": {"code", "message", "field"?}} — never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qbo_connector import wiring
from qbo_connector.models.errors import DomainError, InvalidInput

Action = Callable[[dict[str, Any]], Any]


def _register(event: dict[str, Any]) -> Any:
    return wiring.legal_entity_service().register(
        event.get("org_id"), event.get("legal_entity_id"), event.get("name")
    )


def _list(event: dict[str, Any]) -> Any:
    return wiring.legal_entity_service().list_org(event.get("org_id"))


def _show(event: dict[str, Any]) -> Any:
    return wiring.legal_entity_service().show(event.get("org_id"), event.get("legal_entity_id"))


ACTIONS: dict[str, Action] = {
    "register_legal_entity": _register,
    "list_legal_entities": _list,
    "show_legal_entity": _show,
}


def run(event: dict[str, Any]) -> dict[str, Any]:
    try:
        action = event.get("action") if isinstance(event, dict) else None
        if action not in ACTIONS:
            raise InvalidInput(
                f"action must be one of: {', '.join(sorted(ACTIONS))}.", field="action"
            )
        return {"ok": True, "action": action, "result": ACTIONS[action](event)}
    except DomainError as exc:
        return {"ok": False, **exc.to_body()}
