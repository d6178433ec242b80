"""Vendor credits: the AP platform queues credit notes; anyone in the organization reads
their states (and what remains of each credit)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, ID_PATTERN, EntityId
from qbo_connector.logic.permissions import require_service
from qbo_connector.models.inputs import VendorCreditBody

router = Router()

ApCreditId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="The AP platform's credit id")
]
StateFilter = Annotated[
    str | None, Query(description="queued | exporting | exported | duplicate | failed")
]
Limit = Annotated[int, Query(ge=1, le=200, description="How many credits per page, 1 to 200")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="The next_cursor of the last page"),
    CURSOR_ADVICE,
]


@router.post(
    "/legal-entities/<id>/vendor-credits",
    tags=["Vendor credits"],
    summary="Queue an AP credit note for export as a VendorCredit (idempotent on ap_credit_id)",
)
def submit_vendor_credit(
    id: EntityId, credit: Annotated[VendorCreditBody, Body(description="The credit note")]
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    body = credit.model_dump(exclude_unset=True)
    return json_response(202, wiring.vendor_credit_service().submit(entity, body))


@router.get(
    "/legal-entities/<id>/vendor-credits",
    tags=["Vendor credits"],
    summary="The legal entity's vendor credits, filtered by state, paginated",
)
def list_vendor_credits(
    id: EntityId, state: StateFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(
        200, wiring.vendor_credit_service().list_page(entity, state, limit, cursor)
    )


@router.get(
    "/legal-entities/<id>/vendor-credits/<apCreditId>",
    tags=["Vendor credits"],
    summary="A credit's state: QBO VendorCredit id and link, duplicate, failure, remaining",
)
def show_vendor_credit(id: EntityId, apCreditId: ApCreditId) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.vendor_credit_service().show(entity, apCreditId))
