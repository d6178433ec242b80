"""Which routers each API function serves, and all of them for the OpenAPI document."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector.api.routes import (
    bills,
    connection_start,
    legal_entities,
    oauth_callback,
    payments,
    purchase_orders,
    records,
    sync_history,
    sync_schedule,
    syncs,
    vendor_credits,
    vendors,
    webhooks,
)

ENTITY_API_ROUTERS: list[Router] = [legal_entities.router, sync_schedule.router, bills.router]
ENTITY_API_ROUTERS += [payments.router, vendor_credits.router, sync_history.router]
ENTITY_API_ROUTERS += [records.router, vendors.router, purchase_orders.router]
MANUAL_SYNC_ROUTERS: list[Router] = [syncs.router]
ALL_ROUTERS: list[Router] = [
    connection_start.router,
    oauth_callback.router,
    *ENTITY_API_ROUTERS,
    *MANUAL_SYNC_ROUTERS,
    webhooks.router,
]


# The one error contract (api/http.py), as the document states it for every operation.
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "minLength": 1, "description": "Stable machine code"},
                "message": {"type": "string", "minLength": 1, "description": "What to do"},
                "field": {"type": "string", "minLength": 1, "description": "The input at fault"},
                "details": {"type": "object", "description": "What the message names"},
            },
        }
    },
}
# Routes a browser or Intuit calls: no bearer token (the gateway route has Auth NONE).
UNAUTHENTICATED_PATHS = {"/oauth/launch", "/oauth/callback", "/webhooks/intuit"}
# The popup's pages answer HTML, whatever went wrong: a person reads them.
PAGE_PATHS = {"/oauth/launch", "/oauth/callback"}
_GATEWAY_401 = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {"message": {"const": "Unauthorized"}},
}
_PAGE = {"text/html": {"schema": {"type": "string"}}}


def openapi_document() -> dict:
    """The API's OpenAPI document, generated from the routes themselves.

    Powertools documents its own validation answer (422 `HTTPValidationError`); ours is
    400 in the error contract, so the document says that instead, states the contract
    as every operation's other answers, and names the bearer token the gateway checks.
    """
    from qbo_connector.api.http import API_TITLE, API_VERSION, build_resolver

    app = build_resolver(*ALL_ROUTERS)
    document = json.loads(app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION))
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None:
                responses.setdefault(
                    "400", {"description": "A parameter or body field is not valid (`field`)"}
                )
            if path in PAGE_PATHS:
                responses.clear()
                responses["200"] = {"description": "A page for the popup", "content": _PAGE}
                responses["400"] = {"description": "A page saying what to do", "content": _PAGE}
                if path == "/oauth/launch":
                    responses["302"] = {"description": "On to Intuit's sign-in (Location)"}
            for status, answer in responses.items():
                if status.startswith("4") and path not in PAGE_PATHS:
                    answer["content"] = {"application/json": {"schema": error}}
            responses["default"] = {
                "description": "Any other error, in the one error contract",
                "content": {"application/json": {"schema": error}},
            }
            if path in UNAUTHENTICATED_PATHS:
                operation["security"] = []
            else:
                responses["401"] = {
                    "description": "No bearer token, or one the gateway refuses (its own body)",
                    "content": {"application/json": {"schema": _GATEWAY_401}},
                }
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    document["security"] = [{"bearer": []}]
    return document
