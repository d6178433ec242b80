"""Bills: the AP platform queues approved invoices; anyone in the organization reads states."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, ID_PATTERN, EntityId
from qbo_connector.logic.permissions import require_service
from qbo_connector.models.inputs import BillBody

router = Router()

ApInvoiceId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="The AP platform's invoice id")
]
InvoiceBody = Annotated[
    BillBody,
    Body(description="An approved AP invoice; its ids are QuickBooks ids from the records API."),
]
StateFilter = Annotated[
    str | None, Query(description="queued | exporting | exported | duplicate | failed")
]
Limit = Annotated[int, Query(ge=1, le=200, description="How many bills per page, 1 to 200")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="The next_cursor of the last page"),
    CURSOR_ADVICE,
]


@router.post(
    "/legal-entities/<id>/bills",
    tags=["Bills"],
    summary="Queue an approved AP invoice for export (idempotent on ap_invoice_id)",
)
def submit_bill(id: EntityId, invoice: InvoiceBody) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    # What the caller sent (nothing added): ApInvoice.parse reads it as it always did.
    body = invoice.model_dump(exclude_unset=True)
    return json_response(202, wiring.bill_export_service().submit(entity, body))


@router.get(
    "/legal-entities/<id>/bills",
    tags=["Bills"],
    summary="Export log of the legal entity, filtered by state, paginated",
)
def list_bills(
    id: EntityId, state: StateFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.bill_export_service().list_page(entity, state, limit, cursor))


@router.get(
    "/legal-entities/<id>/bills/<apInvoiceId>",
    tags=["Bills"],
    summary="Export state (QBO bill id and link, duplicate, failure) and payment state",
)
def show_bill(id: EntityId, apInvoiceId: ApInvoiceId) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.bill_export_service().show(entity, apInvoiceId))
