"""POST /legal-entities/{id}/connection: start the OAuth flow (its own function)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.params import EntityId

router = Router()


@router.post(
    "/legal-entities/<id>/connection",
    summary="Start connecting a legal entity to QuickBooks",
    description="Returns Intuit's authorization URL for a popup, and when the attempt expires. "
    "Needs the System Administrator role with the root org unit as home org unit.",
    responses={200: {"description": "Attempt started"}, 409: {"description": "Another attempt"}},
    tags=["Connection"],
)
def start_connection(id: EntityId) -> Response[dict]:
    result = wiring.connection_service().start(current_caller(router), id)
    return json_response(200, result)
