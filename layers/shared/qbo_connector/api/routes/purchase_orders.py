"""Purchase orders for the matching screen: anyone in the organization reads them, with
what each line has been billed and what is open."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, EntityId
from qbo_connector.models.inputs import QBO_ID_PATTERN

router = Router()

PoId = Annotated[
    str, Path(pattern=QBO_ID_PATTERN, max_length=64, description="The QuickBooks purchase order id")
]
OpenOnly = Annotated[
    bool, Query(description="Only open purchase orders (POStatus Open), for matching")
]
VendorFilter = Annotated[
    str | None,
    Query(pattern=QBO_ID_PATTERN, max_length=64, description="Only this vendor's (QuickBooks id)"),
]
Limit = Annotated[int, Query(ge=1, le=200, description="How many per page, 1 to 200")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="The next_cursor of the last page"),
    CURSOR_ADVICE,
]


@router.get(
    "/legal-entities/<id>/purchase-orders",
    tags=["Purchase orders"],
    summary="The imported purchase orders, with billed and open figures per line",
)
def list_purchase_orders(
    id: EntityId,
    open_only: OpenOnly = False,
    vendor_id: VendorFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    answer = wiring.purchase_order_service().list_page(entity, open_only, vendor_id, limit, cursor)
    return json_response(200, answer)


@router.get(
    "/legal-entities/<id>/purchase-orders/<poId>",
    tags=["Purchase orders"],
    summary="A purchase order: status, lines ordered, billed and open, the bills linked",
)
def show_purchase_order(id: EntityId, poId: PoId) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.purchase_order_service().show(entity, poId))
