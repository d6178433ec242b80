"""Which routers each API function serves, and all of them for the OpenAPI document."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector.api.routes import (
    bills,
    connection_start,
    legal_entities,
    oauth_callback,
    records,
    sync_history,
    sync_schedule,
    syncs,
    webhooks,
)

ENTITY_API_ROUTERS: list[Router] = [legal_entities.router, sync_schedule.router, bills.router]
ENTITY_API_ROUTERS += [sync_history.router, records.router]
MANUAL_SYNC_ROUTERS: list[Router] = [syncs.router]
ALL_ROUTERS: list[Router] = [
    connection_start.router,
    oauth_callback.router,
    *ENTITY_API_ROUTERS,
    *MANUAL_SYNC_ROUTERS,
    webhooks.router,
]


def openapi_document() -> dict:
    """The API's OpenAPI document, generated from the routes themselves."""
    from qbo_connector.api.http import API_TITLE, API_VERSION, build_resolver

    app = build_resolver(*ALL_ROUTERS)
    return json.loads(app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION))
