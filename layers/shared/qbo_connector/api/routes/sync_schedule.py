"""PUT / GET / DELETE /legal-entities/{id}/sync-schedule: automatic syncs in local time."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import EntityId

router = Router()

ScheduleBody = Annotated[
    dict[str, Any],
    Body(
        description='Weekly: {"kind": "weekly", "days": ["MON", ...], "times": ["07:00", ...], '
        '"timezone": "America/Vancouver"}; or {"kind": "interval", "every_hours": 4, '
        '"timezone": "UTC"}',
    ),
]


@router.put(
    "/legal-entities/<id>/sync-schedule",
    tags=["Sync schedule"],
    summary="Create or replace the automatic sync schedule",
)
def put_schedule(id: EntityId, schedule: ScheduleBody) -> Response[dict]:
    result = wiring.sync_schedule_service().put(current_caller(router), id, schedule)
    return json_response(200, result)


@router.get(
    "/legal-entities/<id>/sync-schedule",
    tags=["Sync schedule"],
    summary="The schedule with its next runs in local time and UTC",
)
def get_schedule(id: EntityId) -> Response[dict]:
    return json_response(200, wiring.sync_schedule_service().show(current_caller(router), id))


@router.delete(
    "/legal-entities/<id>/sync-schedule",
    tags=["Sync schedule"],
    summary="Remove the schedule and its EventBridge rules",
)
def delete_schedule(id: EntityId) -> Response[dict]:
    return json_response(200, wiring.sync_schedule_service().delete(current_caller(router), id))
