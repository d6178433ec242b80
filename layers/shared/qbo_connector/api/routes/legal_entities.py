"""Legal entities and their connection: the ERP Management page."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import EntityId

router = Router()


@router.get(
    "/legal-entities",
    tags=["Legal entities"],
    summary="The caller's organization's legal entities with connection and sync status",
)
def list_legal_entities() -> Response[dict]:
    caller = current_caller(router)
    items = wiring.legal_entity_service().list_for(caller)
    return json_response(200, {"items": items})


@router.get(
    "/legal-entities/<id>/connection",
    tags=["Connection"],
    summary="Connection status, company, who connected, preflight checks",
)
def connection_status(id: EntityId) -> Response[dict]:
    return json_response(200, wiring.connection_service().status(current_caller(router), id))


@router.delete(
    "/legal-entities/<id>/connection",
    tags=["Connection"],
    summary="Disconnect: revoke at Intuit, delete tokens, pause schedules",
)
def disconnect(id: EntityId) -> Response[dict]:
    return json_response(200, wiring.connection_service().disconnect(current_caller(router), id))
