"""Local HTTP gateway: API Gateway HTTP API (payload format 2.0) in front of the handlers.

Routes come from the template's `HttpApi` events. A route protected by the JWT
authorizer gets the bearer token checked like API Gateway does (signature,
iss, aud, exp, nbf) and its claims, stringified, in
`requestContext.authorizer.jwt.claims`; failures answer 401
`{"message":"Unauthorized"}` without calling the handler.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jwt
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from .runtime import LocalLambdaRuntime
from .template import ACCOUNT_ID, HttpRoute, Template
from .tokens import TokenIssuer, stringify_claim

log = logging.getLogger(__name__)

_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|xml|javascript|.*\+json|.*\+xml))(;.*)?$", re.IGNORECASE
)


# Lambda's Invoke API path; the local stack answers it for console events.
INVOKE_PREFIX = "/2015-03-31/functions/"


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]
    literal_segments: int

    @classmethod
    def of(cls, route: HttpRoute) -> _CompiledRoute:
        parts, literals = [], 0
        for seg in route.path.strip("/").split("/"):
            m = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", seg)
            if m and m.group(2):
                parts.append(f"(?P<{m.group(1)}>.+)")
            elif m:
                parts.append(f"(?P<{m.group(1)}>[^/]+)")
            else:
                parts.append(re.escape(seg))
                literals += 1
        return cls(route, re.compile("^/" + "/".join(parts) + "$"), literals)


class RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        # API Gateway prefers the most specific route: more literal segments first.
        self._routes = sorted(
            (_CompiledRoute.of(r) for r in routes), key=lambda c: -c.literal_segments
        )

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            m = compiled.pattern.match(path)
            if m:
                return compiled.route, dict(m.groupdict())
        return None

    def path_exists(self, path: str) -> bool:
        return any(c.pattern.match(path) for c in self._routes)


OpenApiProvider = Callable[[], dict[str, Any]]


class Gateway:
    def __init__(
        self,
        template: Template,
        runtime: LocalLambdaRuntime,
        issuer: TokenIssuer,
        cors_origins: list[str],
        openapi_provider: Callable[[], OpenApiProvider | None] | None = None,
    ) -> None:
        self.template = template
        self.runtime = runtime
        self.issuer = issuer
        self.routes = RouteTable(template.http_routes())
        cors = template.http_api().get("CorsConfiguration") or {}
        self.cors_origins = cors_origins
        self.cors_methods = ",".join(cors.get("AllowMethods", ["*"]))
        self.cors_headers = ",".join(cors.get("AllowHeaders", ["*"]))
        self.cors_expose = ",".join(cors.get("ExposeHeaders", []))
        self.cors_max_age = str(cors.get("MaxAge", 0))
        self._openapi = openapi_provider
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- server lifecycle -----------------------------------------------------------
    def bind(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind the socket (port 0 = any free port) and return the base URL."""
        self._server = make_server(host, port, self.wsgi, threaded=True)
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> None:
        assert self._server is not None, "bind() first"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- WSGI -------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.handle(request)
        except Exception:  # the gateway itself must not die with a handler
            log.exception("local gateway: integration failure")
            response = _json(500, {"message": "Internal Server Error"})
        response.headers.setdefault("apigw-requestid", uuid.uuid4().hex[:16])
        origin = request.headers.get("Origin")
        if origin and self._origin_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            if self.cors_expose:
                response.headers["Access-Control-Expose-Headers"] = self.cors_expose
            response.headers.add("Vary", "Origin")
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _origin_allowed(self, origin: str) -> bool:
        return "*" in self.cors_origins or origin in self.cors_origins

    def handle(self, request: Request) -> Response:
        method, path = request.method.upper(), request.path
        if method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            return self._preflight(request)
        matched = self.routes.match(method, path)
        if matched is None:
            if (
                method == "POST"
                and path.startswith(INVOKE_PREFIX)
                and path.endswith("/invocations")
            ):
                return self._invoke(path[len(INVOKE_PREFIX) : -len("/invocations")], request)
            return self._builtin(method, path)
        route, path_params = matched
        claims: dict[str, Any] | None = None
        if route.authorized:
            claims = self._authorize(request.headers.get("Authorization", ""))
            if claims is None:
                return _json(401, {"message": "Unauthorized"})
        event = build_event(request, route, path_params, claims)
        try:
            result = self.runtime.invoke(route.function_id, event)
        except Exception:
            log.exception("local gateway: %s raised", route.function_id)
            return _json(500, {"message": "Internal Server Error"})
        return to_response(result)

    def _preflight(self, request: Request) -> Response:
        # API Gateway answers CORS preflight itself when CORS is configured.
        response = Response(status=204)
        origin = request.headers.get("Origin", "")
        if self._origin_allowed(origin):
            response.headers["Access-Control-Allow-Methods"] = self.cors_methods
            response.headers["Access-Control-Allow-Headers"] = self.cors_headers
            response.headers["Access-Control-Max-Age"] = self.cors_max_age
        return response

    def _invoke(self, function: str, request: Request) -> Response:
        """Lambda's Invoke API, as the console's Test button or `aws lambda invoke
        --endpoint-url <gateway>` would call it: the console events in events/."""
        try:
            self.runtime.logical_id(function)
        except KeyError:
            return _json(404, {"Type": "User", "Message": f"Function not found: {function}"})
        try:
            event = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _json(400, {"Type": "User", "Message": "The event is not JSON."})
        try:
            result = self.runtime.invoke(function, event)
        except Exception as exc:
            log.exception("local invoke: %s raised", function)
            response = _json(200, {"errorType": type(exc).__name__, "errorMessage": str(exc)})
            response.headers["X-Amz-Function-Error"] = "Unhandled"
            return response
        return _json(200, result)

    def _builtin(self, method: str, path: str) -> Response:
        if method == "GET" and path == "/.well-known/jwks.json":
            return _json(200, self.issuer.jwks())
        if method == "GET" and path == "/openapi.json":
            provider = self._openapi() if self._openapi else None
            if provider is not None:
                return _json(200, provider())
        return _json(404, {"message": "Not Found"})

    def _authorize(self, header: str) -> dict[str, Any] | None:
        token = header[7:].strip() if header[:7].lower() == "bearer " else header.strip()
        if not token:
            return None
        try:
            return self.issuer.verify(token)
        except jwt.PyJWTError as exc:
            log.info("local gateway: token rejected: %s", exc)
            return None


def build_event(
    request: Request,
    route: HttpRoute,
    path_params: dict[str, str],
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for `request`."""
    headers: dict[str, str] = {}
    for key, value in request.headers.items():
        k = key.lower()
        if k == "cookie":
            continue  # 2.0 moves cookies to their own field
        headers[k] = f"{headers[k]},{value}" if k in headers else value
    headers.setdefault("x-forwarded-for", request.remote_addr or "127.0.0.1")
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(request.host.rpartition(":")[2] or "80"))
    raw_qs = request.query_string.decode("latin-1")
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": raw_qs,
    }
    cookie_header = request.headers.get("Cookie")
    if cookie_header:
        event["cookies"] = [c.strip() for c in cookie_header.split(";") if c.strip()]
    event["headers"] = headers
    if raw_qs:
        query: dict[str, str] = {}
        for k, v in parse_qsl(raw_qs, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        event["queryStringParameters"] = query
    domain = request.host.split(":")[0]
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method.upper(),
            "path": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent", ""),
        },
        "requestId": base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("="),
        "routeKey": route.route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        scope = claims.get("scope") or claims.get("scp")
        scopes = scope.split() if isinstance(scope, str) else scope
        context["authorizer"] = {
            "jwt": {
                "claims": {k: stringify_claim(v) for k, v in claims.items()},
                "scopes": scopes or None,
            }
        }
    event["requestContext"] = context
    if path_params:
        event["pathParameters"] = path_params
    body = request.get_data()
    if body:
        content_type = request.headers.get("Content-Type", "")
        text = _TEXT_TYPES.match(content_type) is not None
        try:
            event["body"] = body.decode("utf-8") if text else base64.b64encode(body).decode()
        except UnicodeDecodeError:
            text = False
            event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event


def to_response(result: Any) -> Response:
    """Turn a handler result into HTTP per the payload format 2.0 rules."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway assumes 200, JSON, and the result as the body.
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(body, status=200, content_type="application/json")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return _json(500, {"message": "Internal Server Error"})
    raw = result.get("body") or ""
    payload: bytes | str = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw)
    response = Response(payload, status=status)
    response.headers.remove("Content-Type")
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    return response


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
