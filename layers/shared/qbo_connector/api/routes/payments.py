"""Payments: the AP platform records released payments against exported bills, voids
them; anyone in the organization reads their states."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, ID_PATTERN, EntityId
from qbo_connector.logic.permissions import require_service
from qbo_connector.models.inputs import PaymentBody, VoidPaymentBody

router = Router()

ApPaymentId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="The AP platform's payment id")
]
StateFilter = Annotated[
    str | None,
    Query(
        description="queued | waiting_for_bills | exporting | exported | duplicate | failed "
        "| voided"
    ),
]
Limit = Annotated[int, Query(ge=1, le=200, description="How many payments per page, 1 to 200")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="The next_cursor of the last page"),
    CURSOR_ADVICE,
]


@router.post(
    "/legal-entities/<id>/payments",
    tags=["Payments"],
    summary="Record an AP payment of exported bills in QuickBooks (idempotent on ap_payment_id)",
)
def submit_payment(
    id: EntityId, payment: Annotated[PaymentBody, Body(description="The AP payment")]
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    body = payment.model_dump(exclude_unset=True)
    return json_response(202, wiring.payment_export_service().submit(entity, body))


@router.get(
    "/legal-entities/<id>/payments",
    tags=["Payments"],
    summary="The legal entity's payments, filtered by state, paginated",
)
def list_payments(
    id: EntityId, state: StateFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(
        200, wiring.payment_export_service().list_page(entity, state, limit, cursor)
    )


@router.get(
    "/legal-entities/<id>/payments/<apPaymentId>",
    tags=["Payments"],
    summary="A payment's state: QBO bill payment, bills paid and their balances, void",
)
def show_payment(id: EntityId, apPaymentId: ApPaymentId) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.payment_export_service().show(entity, apPaymentId))


@router.post(
    "/legal-entities/<id>/payments/<apPaymentId>/void",
    tags=["Payments"],
    summary="Void a payment (a returned cheque, a failed transfer): exactly once in QBO",
)
def void_payment(
    id: EntityId,
    apPaymentId: ApPaymentId,
    void: Annotated[VoidPaymentBody, Body(description="Why")],
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    answer = wiring.payment_export_service().void(entity, apPaymentId, void.reason)
    return json_response(202, answer)
