"""SmartSync starts (ManualSyncFunction): one legal entity, or all of the organization's."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import EntityId
from qbo_connector.models.inputs import SyncStartBody

router = Router()

# Optional: an empty body (or null) means the defaults, an incremental sync.
SyncOptions = Annotated[
    SyncStartBody | None,
    Body(
        description="The sync's options: mode, and since for a partial sync (the body may be "
        "left out)"
    ),
]


def _options(body: SyncStartBody | None) -> dict[str, Any] | None:
    """What the caller sent, for parse_sync_request (modes, `since`)."""
    return None if body is None else body.model_dump(exclude_unset=True)


@router.post(
    "/legal-entities/<id>/syncs",
    tags=["Syncs"],
    summary="Start a SmartSync of one legal entity",
    description='Body (optional): {"mode": "incremental" | "full" | "partial", '
    '"since": "YYYY-MM-DD" (partial only)}. The first sync is always full. Answers at '
    "once with the sync id; the work runs asynchronously. 409 names the running sync; 412 "
    "when not connected, reconnect required or no sync profile.",
    responses={
        202: {"description": "Sync queued"},
        409: {"description": "A sync of this legal entity is running"},
        412: {"description": "Not connected, reconnect required, or no sync profile"},
    },
)
def start_sync(id: EntityId, options: SyncOptions = None) -> Response[dict]:
    result = wiring.sync_service().request_sync(current_caller(router), id, _options(options))
    return json_response(202, result, headers={"Location": result["location"]})


@router.post(
    "/syncs",
    tags=["Syncs"],
    summary="Sync all legal entities of the caller's organization",
    description="Starts a sync for every entity that can sync; the answer lists, per "
    "entity, the sync id or why it did not start (already running, not ready).",
    responses={202: {"description": "Per-entity outcomes"}},
)
def start_all(options: SyncOptions = None) -> Response[dict]:
    body = _options(options)
    return json_response(202, wiring.sync_service().sync_all(current_caller(router), body))
