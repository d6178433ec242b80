"""Sync history of a legal entity and one run (EntityApiFunction)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import CURSOR_ADVICE, EntityId

router = Router()

SyncId = Annotated[
    str,
    Path(
        pattern=r"^[0-9]{13}-[0-9a-f]{8}$",
        max_length=32,
        description="The sync_id a sync start answered (13 digits, '-', 8 hex digits)",
    ),
]
Cursor = Annotated[
    str | None,
    Query(max_length=1024, description="The next_cursor of the previous page"),
    CURSOR_ADVICE,
]


@router.get(
    "/legal-entities/<id>/syncs",
    tags=["Syncs"],
    summary="Sync history, newest first",
    description="Each run: trigger, status, progress per object type, counts, API calls, "
    "duration and errors in plain words. Paginated with next_cursor.",
)
def list_syncs(
    id: EntityId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> Response[dict]:
    body = wiring.sync_service().history(current_caller(router), id, limit=limit, cursor=cursor)
    return json_response(200, body)


@router.get(
    "/legal-entities/<id>/syncs/<syncId>",
    tags=["Syncs"],
    summary="One sync run: status, progress, counts, API calls, errors",
)
def get_sync(id: EntityId, syncId: SyncId) -> Response[dict]:
    return json_response(200, wiring.sync_service().show(current_caller(router), id, syncId))
