"""Operator actions for the ops function, invoked from the AWS console with JSON events.

Event: {"action": "<name>", ...arguments}, one model per action in models/inputs.py
(`OpsEvent`, discriminated on `action`): a missing, mistyped or unknown field is refused
before anything runs, naming the field and what to send. Answer: {"ok": true, "result":
...} or {"ok": false, "error": {"code", "message", "field"?, "details"?}} — never a stack
trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from qbo_connector import wiring
from qbo_connector.models.errors import DomainError
from qbo_connector.models.input_errors import validation_failed
from qbo_connector.models.inputs import (
    OPS_EVENT,
    DeleteLegalEntityEvent,
    KeepTokensAliveEvent,
    ListLegalEntitiesEvent,
    MarkBillExportedEvent,
    MarkPaymentExportedEvent,
    MarkVendorCreditExportedEvent,
    MigrateSchedulesEvent,
    OpsEvent,
    PutSyncProfileEvent,
    RegisterLegalEntityEvent,
    ResetLegalEntityEvent,
    ShowLegalEntityEvent,
    ShowSyncProfileEvent,
)


def _register(event: RegisterLegalEntityEvent) -> Any:
    return wiring.legal_entity_service().register(event.org_id, event.legal_entity_id, event.name)


def _list(event: ListLegalEntitiesEvent) -> Any:
    return wiring.legal_entity_service().list_org(event.org_id)


def _show(event: ShowLegalEntityEvent) -> Any:
    return wiring.legal_entity_service().show(event.org_id, event.legal_entity_id)


def _mark_bill_exported(event: MarkBillExportedEvent) -> Any:
    """A duplicate that is the existing QBO bill: record it as exported against that bill."""
    qbo_bill_id = None if event.qbo_bill_id in (None, "") else str(event.qbo_bill_id)
    return wiring.bill_export_service().mark_exported(
        event.org_id,
        event.legal_entity_id,
        event.ap_invoice_id,
        qbo_bill_id,
        event.operator or "",
    )


def _mark_payment_exported(event: MarkPaymentExportedEvent) -> Any:
    """A duplicate that is the existing QBO bill payment: record it as exported against it."""
    payment_id = None if event.qbo_bill_payment_id in (None, "") else str(event.qbo_bill_payment_id)
    return wiring.payment_export_service().mark_exported(
        event.org_id,
        event.legal_entity_id,
        event.ap_payment_id,
        payment_id,
        event.operator or "",
    )


def _mark_vendor_credit_exported(event: MarkVendorCreditExportedEvent) -> Any:
    """A duplicate credit note that is the existing QBO vendor credit: record it as such."""
    credit_id = (
        None if event.qbo_vendor_credit_id in (None, "") else str(event.qbo_vendor_credit_id)
    )
    return wiring.vendor_credit_service().mark_exported(
        event.org_id,
        event.legal_entity_id,
        event.ap_credit_id,
        credit_id,
        event.operator or "",
    )


def _put_sync_profile(event: PutSyncProfileEvent) -> Any:
    """Create or update a legal entity's API Sync Profile (events/ops-put-sync-profile.json)."""
    return wiring.sync_profile_service().put(event.model_dump(exclude_unset=True))


def _show_sync_profile(event: ShowSyncProfileEvent) -> Any:
    return wiring.sync_profile_service().show(event.model_dump())


def _reset(event: ResetLegalEntityEvent) -> Any:
    return wiring.legal_entity_service().reset(event.org_id, event.legal_entity_id, event.operator)


def _keep_tokens_alive(event: KeepTokensAliveEvent) -> Any:
    """Daily (template schedule) or by hand: refresh idle entities' refresh tokens, and
    revoke the tokens of connection confirmations nobody answered."""
    result: dict[str, Any] = wiring.token_upkeep().run()
    result["unanswered_confirmations_revoked"] = wiring.connection_service().sweep_unanswered()
    return result


def _migrate_schedules(event: MigrateSchedulesEvent) -> Any:
    """Move an organization's schedules (or one entity's) from EventBridge rules to
    EventBridge Scheduler (events/ops-migrate-schedules.json)."""
    return wiring.sync_schedule_service().migrate(event.org_id, event.legal_entity_id)


def _delete(event: DeleteLegalEntityEvent) -> Any:
    return wiring.legal_entity_service().delete(event.org_id, event.legal_entity_id, event.operator)


ACTIONS: dict[type[BaseModel], Callable[[Any], Any]] = {
    DeleteLegalEntityEvent: _delete,
    ResetLegalEntityEvent: _reset,
    KeepTokensAliveEvent: _keep_tokens_alive,
    MigrateSchedulesEvent: _migrate_schedules,
    PutSyncProfileEvent: _put_sync_profile,
    ShowSyncProfileEvent: _show_sync_profile,
    MarkBillExportedEvent: _mark_bill_exported,
    MarkPaymentExportedEvent: _mark_payment_exported,
    MarkVendorCreditExportedEvent: _mark_vendor_credit_exported,
    RegisterLegalEntityEvent: _register,
    ListLegalEntitiesEvent: _list,
    ShowLegalEntityEvent: _show,
}


def run(event: Any) -> dict[str, Any]:
    try:
        try:
            action = OPS_EVENT.validate_python(event)
        except ValidationError as invalid:
            raise validation_failed(invalid.errors(), OpsEvent, root_name="event") from None
        return {"ok": True, "action": action.action, "result": ACTIONS[type(action)](action)}
    except DomainError as exc:
        return {"ok": False, **exc.to_body()}
