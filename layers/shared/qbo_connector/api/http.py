"""The HTTP resolver every API function builds, with the error contract in one place.

Errors are JSON `{"error": {"code", "message", "field"?, "details"?}}`; a caller never sees a
stack trace, and a 500 always carries a correlation id for support. A 500 is a bug:
whatever a caller sends (any path, method, header or body) is answered 4xx when it
cannot be served:

* a path no route serves: 404 `not_found`; a known path with another method: 405
  `method_not_allowed` with `Allow`;
* a body over `MAX_BODY_BYTES`: 413 `payload_too_large`;
* a body that is not UTF-8, or JSON nested deeper than `MAX_JSON_DEPTH`: 400 naming
  `body`; a content type a route does not read: 415 `unsupported_media_type`;
* a parameter or body that fails a route's validation (its request model, see
  models/inputs.py): 400 `invalid_input` naming the field, saying why and what to send
  (models/input_errors.py), every problem in `details.problems`.

The body checks run on the raw event before any route code (or Powertools' own
validation) parses it, so every function and route gets them, whatever it does with
the body afterwards.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.api.auth import caller_from_event
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import DomainError, InvalidInput
from qbo_connector.models.faults import IntuitUnavailable, QboThrottledError, QboUnavailableError
from qbo_connector.models.input_errors import Problem, describe, invalid_input
from qbo_connector.observability import logger

API_TITLE = "qbo-connector"
API_VERSION = "1.0.0"

# Request bodies are small JSON documents (a schedule, a sync request, a bill with its
# lines, a webhook): 1 MiB is generous for all of them and keeps a Lambda from parsing
# megabytes it will refuse anyway. API Gateway's own cap (10 MB) is far above it.
MAX_BODY_BYTES = 1024 * 1024
# Deeper than anything the API takes (a webhook is 5 levels) and DynamoDB's own limit
# for a stored document (32); Python's JSON parser would recurse until RecursionError.
MAX_JSON_DEPTH = 32

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


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


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def _error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(status, error_body(code, message, field), headers)


_SOURCES = ("body", "query", "path", "header", "cookie")


def request_invalid(errors: list[Any], route: Any) -> InvalidInput:
    """Powertools' validation errors of a request as one InvalidInput (400).

    Each error's `loc` starts with where the value came from: ("body", "lines", 0,
    "amount") is the body's `lines[0].amount`, ("query", "limit") the query parameter
    `limit`. The sentence comes from the route's declared type there: its request model
    (`models/inputs.py`) or the parameter's annotation, worded by models/input_errors.
    """
    return invalid_input(_request_problem(error, route) for error in errors)


def _request_problem(error: Mapping[str, Any], route: Any) -> Problem:
    loc = list(error.get("loc") or ())
    if error.get("type") == "json_invalid":  # its location is a character offset
        reason = (error.get("ctx") or {}).get("error")
        why = f" ({str(reason)[:80]})" if reason else ""
        return Problem(
            "body",
            f"The request body is not valid JSON{why}. Correct it and send the request again.",
        )
    source = loc[0] if loc and loc[0] in _SOURCES else None
    params = getattr(getattr(route, "dependant", None), f"{source}_params", None) or []
    if source == "body":
        param, rest, within, name = (params[0] if params else None), loc[1:], "", "body"
    elif source is not None and len(loc) > 1:
        name = str(loc[1])
        param = next((p for p in params if getattr(p, "alias", None) == name), None)
        rest, within = loc[2:], name
    else:
        param, rest, within, name = None, loc, "", "body"
    info = getattr(param, "field_info", None)
    root = getattr(info, "annotation", None)
    return describe({**error, "loc": rest}, root, root_name=name, root_info=info, within=within)


# -- the body, checked before anything parses it ---------------------------------------------


class BodyRefused(DomainError):
    """A body refused before any route reads it (a DomainError, should a route re-read it)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code, field="body")
        self.status = status


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The request body as the caller sent it (API Gateway base64-encodes non-text bodies).

    Raises BodyRefused for a body over MAX_BODY_BYTES or one that cannot be decoded.
    """
    body = event.get("body")
    if body is None or body == "":
        return b""
    if not isinstance(body, str):
        raise BodyRefused(400, "invalid_input", "The request body is not text.")
    encoded = bool(event.get("isBase64Encoded"))
    # Refuse an oversized body before decoding it (base64 is 4 characters per 3 bytes).
    if (len(body) // 4 * 3 if encoded else len(body)) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        raw = base64.b64decode(body, validate=True) if encoded else body.encode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeEncodeError: a lone surrogate
        raise BodyRefused(400, "invalid_input", "The request body is not valid text.") from None
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> BodyRefused:
    return BodyRefused(
        413,
        "payload_too_large",
        f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB; send less.",
    )


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in `text` (strings skipped); stops past `limit`.

    Works on any text, JSON or not, without recursion; a parser rejects invalid JSON later.
    """
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif depth:
            depth -= 1
    return deepest


def check_body(event: Mapping[str, Any]) -> None:
    """Every request's body: size, UTF-8 and (unless it is a form) JSON nesting."""
    raw = raw_body(event)
    if not raw:
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused(
            400, "invalid_input", "The request body is not UTF-8; send JSON encoded as UTF-8."
        ) from None
    headers = event.get("headers")
    content_type = ""
    if isinstance(headers, Mapping):
        content_type = str(
            next((v for k, v in headers.items() if str(k).lower() == "content-type"), "")
        )
    if content_type.strip().lower().startswith(_FORM_TYPES):
        return
    if json_depth(text) > MAX_JSON_DEPTH:
        raise BodyRefused(
            400,
            "invalid_input",
            f"The JSON body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels.",
        )


def _contract_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API (payload 2.0) result, for answers given before the resolver runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
        "cookies": [],
    }


class ContractResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver with the request-body limits applied first."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            check_body(event)
        except BodyRefused as refused:
            logger.info("request body refused", extra={"status": refused.status})
            return _contract_response(refused.status, refused.to_body())
        return super().resolve(event, context)


# -- 404 and 405 -----------------------------------------------------------------------------


def _route_patterns(app: APIGatewayHttpResolver) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each OpenAPI path of the app as a pattern ({param} = one segment) with its methods."""
    cached: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app, "_qbo_routes", None)
    if cached is None:
        cached = []
        for path, item in (app.get_openapi_schema().paths or {}).items():
            methods = {m.upper() for m in item.model_dump(exclude_none=True)}
            literal = re.split(r"\{[^/}]+\}", path)
            pattern = "[^/]+".join(re.escape(part) for part in literal)
            cached.append((re.compile(f"^{pattern}/?$"), methods))
        app._qbo_routes = cached  # type: ignore[attr-defined]
    return cached


def _no_route(app: APIGatewayHttpResolver) -> Response:
    event = app.current_event
    method = str(event.http_method or "").upper()
    try:
        routes = _route_patterns(app)
    except Exception:  # noqa: BLE001 - a 404 must not fail for want of the route list
        logger.exception("route list unavailable")
        routes = []
    matches = [methods for pattern, methods in routes if pattern.match(event.path)]
    allowed = set().union(*matches) if matches else set()
    if allowed and method not in allowed:
        allow = ", ".join(sorted(allowed))
        return _error(
            405,
            "method_not_allowed",
            f"{method} is not allowed here; use {allow}.",
            headers={"Allow": allow},
        )
    # A known route whose parameters cannot name anything (odd characters) is not found too.
    return _error(404, "not_found", "There is no such resource; check the path.")


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    app = ContractResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    # Registered explicitly: otherwise Powertools looks up the handler of NotFoundError's
    # base class, Exception, and an unknown path would answer 500.
    @app.not_found
    def _not_found(exc: NotFoundError) -> Response:
        return _no_route(app)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return json_response(exc.status, exc.to_body())

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        # The route whose parameters or body failed: its declared types word the errors.
        invalid = request_invalid(list(exc.errors()), app.context.get("_route"))
        return json_response(invalid.status, invalid.to_body())

    @app.exception_handler(RequestUnsupportedContentType)
    def _media_type(exc: RequestUnsupportedContentType) -> Response:
        return _error(
            415,
            "unsupported_media_type",
            "Send the body as JSON (Content-Type: application/json).",
            "content-type",
        )

    @app.exception_handler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        # Powertools' own HTTP errors (BadRequestError, ...), in our contract.
        try:
            code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        except ValueError:
            code = "error"
        return _error(exc.status_code, code, str(exc.msg))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        status, code, message = _upstream(exc)
        if status == 500:
            logger.exception("unhandled error")
        else:
            logger.warning("upstream unavailable", extra={"error_type": type(exc).__name__})
        return _error(status, code, message)

    return app


def _upstream(exc: Exception) -> tuple[int, str, str]:
    """QBO throttling or outages reach callers as 429/503, never as 500."""
    if isinstance(exc, QboThrottledError):
        return (
            429,
            "quickbooks_throttled",
            ("QuickBooks is limiting requests for this company right now; try again in a minute."),
        )
    if isinstance(exc, QboUnavailableError | IntuitUnavailable):
        return (
            503,
            "quickbooks_unavailable",
            ("QuickBooks is not answering right now; try again in a few minutes."),
        )
    from qbo_connector.adapters.aws import is_transient  # botocore only on this path

    if is_transient(exc):
        return (
            503,
            "service_busy",
            "Our storage is busy right now; send the request again in a few seconds (a "
            "request sent again is never done twice).",
        )
    return (
        500,
        "internal_error",
        (f"Something went wrong on our side; it was logged with id {logger.get_correlation_id()}."),
    )


def current_caller(router: Router) -> Caller:
    return caller_from_event(router.current_event.raw_event)
