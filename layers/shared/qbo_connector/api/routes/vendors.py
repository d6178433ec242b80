"""Vendors: the AP platform onboards its suppliers into QuickBooks, changes and
deactivates them; anyone in the organization reads their states."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, ID_PATTERN, EntityId
from qbo_connector.logic.permissions import require_service
from qbo_connector.models.inputs import DeactivateVendorBody, VendorBody, VendorUpdateBody

router = Router()

ApSupplierId = Annotated[
    str, Path(pattern=ID_PATTERN, max_length=64, description="The AP platform's supplier id")
]
StateFilter = Annotated[
    str | None, Query(description="queued | exporting | exported | duplicate | failed")
]
Limit = Annotated[int, Query(ge=1, le=200, description="How many suppliers per page, 1 to 200")]
Cursor = Annotated[
    str | None,
    Query(max_length=2048, description="The next_cursor of the last page"),
    CURSOR_ADVICE,
]


@router.post(
    "/legal-entities/<id>/vendors",
    tags=["Vendors"],
    summary="Create an AP supplier in QuickBooks as a Vendor (idempotent on ap_supplier_id)",
)
def submit_vendor(
    id: EntityId, vendor: Annotated[VendorBody, Body(description="The AP supplier")]
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    body = vendor.model_dump(exclude_unset=True)
    return json_response(202, wiring.vendor_export_service().submit(entity, body))


@router.get(
    "/legal-entities/<id>/vendors",
    tags=["Vendors"],
    summary="The legal entity's AP suppliers, filtered by state, paginated",
)
def list_vendors(
    id: EntityId, state: StateFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(
        200, wiring.vendor_export_service().list_page(entity, state, limit, cursor)
    )


@router.get(
    "/legal-entities/<id>/vendors/<apSupplierId>",
    tags=["Vendors"],
    summary="An AP supplier's state: its QBO vendor, match, last update and its conflicts",
)
def show_vendor(id: EntityId, apSupplierId: ApSupplierId) -> Response[dict]:
    entity = wiring.connection_service().entity_for(current_caller(router), id)
    return json_response(200, wiring.vendor_export_service().show(entity, apSupplierId))


@router.put(
    "/legal-entities/<id>/vendors/<apSupplierId>",
    tags=["Vendors"],
    summary="Change an AP supplier: a sparse update of what changed, the accountant's edits "
    "kept (conflicts reported field by field)",
)
def update_vendor(
    id: EntityId,
    apSupplierId: ApSupplierId,
    vendor: Annotated[VendorUpdateBody, Body(description="The AP supplier as it is now")],
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    body = vendor.model_dump(exclude_unset=True)
    return json_response(202, wiring.vendor_export_service().update(entity, apSupplierId, body))


@router.post(
    "/legal-entities/<id>/vendors/<apSupplierId>/deactivate",
    tags=["Vendors"],
    summary="Make the vendor inactive in QuickBooks (refused while it has an open balance)",
)
def deactivate_vendor(
    id: EntityId,
    apSupplierId: ApSupplierId,
    deactivation: Annotated[DeactivateVendorBody, Body(description="Why")],
) -> Response[dict]:
    caller = current_caller(router)
    require_service(caller)
    entity = wiring.connection_service().entity_for(caller, id)
    answer = wiring.vendor_export_service().deactivate(entity, apSupplierId, deactivation.reason)
    return json_response(202, answer)
