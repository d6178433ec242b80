"""PUT / GET / DELETE /legal-entities/{id}/sync-schedule: automatic syncs in local time."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import EntityId
from qbo_connector.models.inputs import ScheduleBody

router = Router()

ScheduleRequest = Annotated[
    ScheduleBody,
    Body(
        description="Weekly (days and times of day) or interval (every N hours), in an IANA "
        "time zone; `kind` says which.",
    ),
]


@router.put(
    "/legal-entities/<id>/sync-schedule",
    tags=["Sync schedule"],
    summary="Create or replace the automatic sync schedule",
)
def put_schedule(id: EntityId, schedule: ScheduleRequest) -> Response[dict]:
    body = schedule.model_dump(exclude_unset=True)
    result = wiring.sync_schedule_service().put(current_caller(router), id, body)
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
