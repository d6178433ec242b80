"""POST /webhooks/intuit: Intuit's change notifications (signed, no bearer token)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector import wiring
from qbo_connector.api.http import json_response

router = Router()


@router.post(
    "/webhooks/intuit",
    tags=["Webhooks"],
    summary="Intuit change notifications; queue incremental syncs",
)
def intuit_notification() -> Response[dict]:
    event = router.current_event
    body = event.decoded_body or ""
    result = wiring.webhook_service().handle(body.encode(), event.headers.get("intuit-signature"))
    return json_response(200, result)
