"""Bills: the AP platform queues approved invoices; anyone in the organization reads states."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import ID_PATTERN, EntityId
from qbo_connector.logic.permissions import require_service

router = Router()

ApInvoiceId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="The AP platform's invoice id")
]
InvoiceBody = Annotated[
    dict[str, Any],
    Body(
        description=(
            'An approved AP invoice: {"ap_invoice_id", "vendor_id", "invoice_number" (≤ 21), '
            '"invoice_date", "due_date"?, "terms_id"?, "currency"?, "department_id"?, "memo"?, '
            '"lines": [{"amount", "account_id" | "item_id", "qty"?, "unit_price"?, "class_id"?, '
            '"customer_id"?, "billable"?, "tax_code_id"?, "description"?}], '
            '"pdf"?: {"bucket", "key", "file_name"}}. Ids are QuickBooks ids from the records API.'
        )
    ),
]
StateFilter = Annotated[
    str | None, Query(description="queued | exporting | exported | duplicate | failed")
]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the last page")]


@router.post(
    "/legal-entities/<id>/bills",
    tags=["Bills"],
    summary="Queue an approved AP invoice for export (idempotent on ap_invoice_id)",
)
def submit_bill(id: EntityId, invoice: InvoiceBody) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    return json_response(202, wiring.bill_export_service().submit(entity, invoice))


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
