"""POST /webhooks/intuit: Intuit's change notifications (signed, no bearer token)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector import wiring
from qbo_connector.api.http import json_response, raw_body

router = Router()


@router.post(
    "/webhooks/intuit",
    tags=["Webhooks"],
    summary="Intuit change notifications; queue incremental syncs",
    description="Signed with `intuit-signature` (base64 HMAC-SHA256 of the raw body); 401 "
    "when it does not match. Answers {received, queued, ignored}.",
)
def intuit_notification() -> Response[dict]:
    event = router.current_event
    # The signature covers the bytes Intuit sent, so they are checked as bytes.
    body = raw_body(event.raw_event)
    result = wiring.webhook_service().handle(body, event.headers.get("intuit-signature"))
    return json_response(200, result)
