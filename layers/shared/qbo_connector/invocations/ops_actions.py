"""Operator actions for the ops function, invoked from the AWS console with JSON events.

Event: {"action": "<name>", ...arguments}. Answer: {"ok": true, "result": ...} or
{"ok": false, "error": {"code", "message", "field"?, "details"?}} — never a stack trace.
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


def _mark_bill_exported(event: dict[str, Any]) -> Any:
    """A duplicate that is the existing QBO bill: record it as exported against that bill."""
    return wiring.bill_export_service().mark_exported(
        str(event.get("org_id") or ""),
        str(event.get("legal_entity_id") or ""),
        event.get("ap_invoice_id"),
        event.get("qbo_bill_id"),
        str(event.get("operator") or ""),
    )


def _put_sync_profile(event: dict[str, Any]) -> Any:
    """Create or update a legal entity's API Sync Profile (events/ops-put-sync-profile.json)."""
    return wiring.sync_profile_service().put(event)


def _show_sync_profile(event: dict[str, Any]) -> Any:
    return wiring.sync_profile_service().show(event)


def _reset(event: dict[str, Any]) -> Any:
    return wiring.legal_entity_service().reset(
        event.get("org_id"), event.get("legal_entity_id"), event.get("operator")
    )


def _keep_tokens_alive(event: dict[str, Any]) -> Any:
    """Daily (template schedule) or by hand: refresh idle entities' refresh tokens, and
    revoke the tokens of connection confirmations nobody answered."""
    result: dict[str, Any] = wiring.token_upkeep().run()
    result["unanswered_confirmations_revoked"] = wiring.connection_service().sweep_unanswered()
    return result


def _migrate_schedules(event: dict[str, Any]) -> Any:
    """Move an organization's schedules (or one entity's) from EventBridge rules to
    EventBridge Scheduler (events/ops-migrate-schedules.json)."""
    return wiring.sync_schedule_service().migrate(event.get("org_id"), event.get("legal_entity_id"))


def _delete(event: dict[str, Any]) -> Any:
    return wiring.legal_entity_service().delete(
        event.get("org_id"), event.get("legal_entity_id"), event.get("operator")
    )


ACTIONS: dict[str, Action] = {
    "delete_legal_entity": _delete,
    "reset_legal_entity": _reset,
    "keep_tokens_alive": _keep_tokens_alive,
    "migrate_schedules": _migrate_schedules,
    "put_sync_profile": _put_sync_profile,
    "show_sync_profile": _show_sync_profile,
    "mark_bill_exported": _mark_bill_exported,
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
