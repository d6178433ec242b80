"""The HTTP resolver every API function builds, with the error contract in one place.

Errors are JSON `{"error": {"code", "message", "field"?}}`; a caller never sees a
stack trace, and a 500 always carries a correlation id for support.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from qbo_connector.api.auth import Caller, caller_from_event
from qbo_connector.models.errors import DomainError
from qbo_connector.observability import logger

API_TITLE = "qbo-connector"
API_VERSION = "1.0.0"


def json_response(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    # The resolver serializes the dict itself (and validates it against the route's type).
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.loads(json.dumps(body, default=str)),
        headers=headers or {},
    )


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return json_response(status, {"error": error})


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return json_response(exc.status, exc.to_body())

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        first = (exc.errors() or [{}])[0]
        field = _field_of(first.get("loc", ()))
        problem = first.get("msg", "is not valid")
        return _error(
            400,
            "invalid_input",
            f"{field}: {problem}. Correct it and send the request again.",
            field,
        )

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        status, code, message = _upstream(exc)
        if status == 500:
            logger.exception("unhandled error")
        else:
            logger.warning("QuickBooks unavailable", extra={"error_type": type(exc).__name__})
        return _error(status, code, message)

    return app


def _upstream(exc: Exception) -> tuple[int, str, str]:
    """QBO throttling or outages reach callers as 429/503, never as 500."""
    kind = type(exc).__name__
    if kind == "QboThrottledError":
        return (
            429,
            "quickbooks_throttled",
            ("QuickBooks is limiting requests for this company right now; try again in a minute."),
        )
    if kind in {"QboUnavailableError", "IntuitUnavailable"}:
        return (
            503,
            "quickbooks_unavailable",
            ("QuickBooks is not answering right now; try again in a few minutes."),
        )
    return (
        500,
        "internal_error",
        (f"Something went wrong on our side; it was logged with id {logger.get_correlation_id()}."),
    )


def current_caller(router: Router) -> Caller:
    return caller_from_event(router.current_event.raw_event)
