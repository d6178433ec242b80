"""Imported master data, paginated, for the AP platform's coding screens (EntityApiFunction)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, EntityId

router = Router()

ObjectType = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z]{3,20}$",
        description="Vendor, Account, Class, Department, Item, Term, TaxCode, TaxRate, "
        "Customer or Currency (case-insensitive; plurals accepted)",
    ),
]


@router.get(
    "/legal-entities/<id>/records/<type>",
    tags=["Records"],
    summary="Imported QuickBooks master data of one type",
    description="Active and inactive records (include_inactive=false for active only); "
    "records deleted in QuickBooks only with include_deleted=true. Paginated with "
    "next_cursor.",
)
def list_records(
    id: EntityId,
    type: ObjectType,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None,
        Query(max_length=1024, description="The next_cursor of the previous page"),
        CURSOR_ADVICE,
    ] = None,
    include_inactive: bool = True,
    include_deleted: bool = False,
) -> Response[dict]:
    body = wiring.record_service().list(
        current_caller(router),
        id,
        type,
        limit=limit,
        cursor=cursor,
        include_inactive=include_inactive,
        include_deleted=include_deleted,
    )
    return json_response(200, body)
