"""The start of a connection (its own function).

POST /legal-entities/{id}/connection (bearer token) answers the popup's URL: our own
GET /oauth/launch, which binds the attempt to the popup's browser with a cookie and
sends it on to Intuit's sign-in.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from qbo_connector import wiring
from qbo_connector.api.http import current_caller, json_response
from qbo_connector.api.routes.oauth_callback import browser_cookie, page, page_headers
from qbo_connector.api.routes.params import EntityId
from qbo_connector.logic.connection import INCOMPLETE

router = Router()

# No length or pattern here: the popup shows a page, never a JSON validation error; the
# connection service answers "This link is incomplete" for anything not a launch token.
LaunchToken = Annotated[str, Query(description="The attempt, from the popup_url of the start")]


@router.post(
    "/legal-entities/<id>/connection",
    summary="Start connecting a legal entity to QuickBooks",
    description="Returns the URL to open in a popup (our launch page, which goes on to "
    "Intuit's sign-in), and when the attempt expires. Needs the System Administrator role "
    "with the root org unit as home org unit.",
    responses={200: {"description": "Attempt started"}, 409: {"description": "Another attempt"}},
    tags=["Connection"],
)
def start_connection(id: EntityId) -> Response[dict]:
    result = wiring.connection_service().start(current_caller(router), id)
    return json_response(200, result)


@router.get(
    "/oauth/launch",
    tags=["Connection"],
    summary="The popup's first stop: binds the attempt to this browser, then redirects "
    "to Intuit (no bearer token; the single-use attempt token identifies it)",
)
def launch(attempt: LaunchToken = "") -> Response[str]:
    result = wiring.connection_service().launch(attempt)
    if result.page is not None or result.redirect_to is None or result.cookie is None:
        return page(result.page or INCOMPLETE)
    headers = page_headers("-")
    headers["Location"] = result.redirect_to
    return Response(
        status_code=302,
        content_type="text/plain; charset=utf-8",
        body="Continuing to QuickBooks sign-in.",
        headers=headers,
        cookies=[browser_cookie(result.cookie)],
    )
