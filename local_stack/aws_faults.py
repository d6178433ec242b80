"""A fault-injecting front for the AWS emulator: an HTTP proxy in front of the moto server.

The functions' boto3 clients talk to it (their AWS_ENDPOINT_URL), so their own botocore
retry logic meets the faults, as it would meet AWS's. A rule names a service and an
operation (or "*"), a kind, and how many requests it takes:

    throttle   400 with the service's throttling error (DynamoDB
               ProvisionedThroughputExceededException, others ThrottlingException)
    5xx        500 InternalServerError (nothing done)
    latency    the answer `seconds` late (beyond a client's read timeout: a timeout)
    reset      the connection closed before any answer (nothing done)
    lost       done upstream, then the connection closed: the answer is lost

The service is read from the request's SigV4 credential scope, the operation from
`X-Amz-Target` (JSON protocols: DynamoDB, Secrets Manager, KMS, SQS) or the query
protocol's `Action`. Controlled from Python (`inject`, `clear`, `injected`) or over HTTP
(`POST /_faults` {kind, service, operation, count, seconds}, `DELETE /_faults`,
`GET /_faults`), like the QBO sandbox's faults.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import requests
from werkzeug.wrappers import Request, Response

from .serving import LocalServer

KINDS = ("throttle", "5xx", "latency", "reset", "lost")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass
class FaultRule:
    kind: str
    service: str = "*"
    operation: str = "*"
    count: int = 1  # requests it still takes (-1: every request until cleared)
    seconds: float = 0.0

    def matches(self, service: str, operation: str) -> bool:
        return self.count != 0 and self.service in ("*", service) and (
            self.operation in ("*", operation)
        )


class Dropped(Exception):
    """The connection was closed on purpose (reset, lost)."""


def describe(request: Request, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request."""
    scope = _SCOPE.search(request.headers.get("Authorization", ""))
    service = scope.group(1) if scope else ""
    target = request.headers.get("X-Amz-Target", "")
    if target:
        return service, target.rsplit(".", 1)[-1]
    action = dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action") or request.args.get(
        "Action", ""
    )
    return service, action


def throttled(service: str) -> Response:
    code = "ProvisionedThroughputExceededException" if service == "dynamodb" else (
        "ThrottlingException"
    )
    body = {"__type": f"com.amazonaws.{service}#{code}", "message": "Rate exceeded"}
    return Response(json.dumps(body), status=400, mimetype="application/x-amz-json-1.0",
                    headers={"x-amzn-ErrorType": code})


class AwsFaultProxy(LocalServer):
    thread_name = "aws-faults"

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.rules: list[FaultRule] = []
        self.injected: Counter[tuple[str, str, str]] = Counter()  # (service, operation, kind)
        self.requests: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._session = requests.Session()

    # -- control ------------------------------------------------------------------------
    def inject(self, kind: str, service: str = "*", operation: str = "*", count: int = 1,
               seconds: float = 0.0) -> FaultRule:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        rule = FaultRule(kind, service, operation, count, seconds)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _take(self, service: str, operation: str) -> FaultRule | None:
        with self._lock:
            self.requests[(service, operation)] += 1
            for rule in self.rules:
                if rule.matches(service, operation):
                    if rule.count > 0:
                        rule.count -= 1
                    self.injected[(service, operation, rule.kind)] += 1
                    return rule
        return None

    # -- server -------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.handle(request)
        except Dropped:
            conn = environ.get("werkzeug.socket")
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            # Nothing reaches the client: the server's write meets the closed socket.
            start_response("500 Dropped", [("Content-Length", "0")])
            return []
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.path == "/_faults":
            return self._control(request)
        body = request.get_data()
        service, operation = describe(request, body)
        rule = self._take(service, operation)
        if rule is not None and rule.kind == "throttle":
            return throttled(service)
        if rule is not None and rule.kind == "5xx":
            return Response(json.dumps({"__type": "InternalServerError",
                                        "message": "We encountered an internal error."}),
                            status=500, mimetype="application/x-amz-json-1.0")
        if rule is not None and rule.kind == "reset":
            raise Dropped()
        if rule is not None and rule.kind == "latency":
            time.sleep(rule.seconds)
        answer = self._forward(request, body)
        if rule is not None and rule.kind == "lost":
            raise Dropped()
        return answer

    def _forward(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host", *_HOP}}
        url = f"{self.upstream}{request.full_path if request.query_string else request.path}"
        upstream = self._session.request(request.method, url, data=body, headers=headers,
                                         timeout=60, allow_redirects=False)
        out = Response(upstream.content, status=upstream.status_code)
        for key, value in upstream.headers.items():
            if key.lower() not in _HOP:
                out.headers[key] = value
        return out

    def _control(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear()
        elif request.method == "POST":
            spec = json.loads(request.get_data() or b"{}")
            try:
                self.inject(str(spec.get("kind")), str(spec.get("service", "*")),
                            str(spec.get("operation", "*")), int(spec.get("count", 1)),
                            float(spec.get("seconds", 0.0)))
            except (TypeError, ValueError) as err:
                return Response(json.dumps({"error": str(err)}), status=400,
                                mimetype="application/json")
        with self._lock:
            state = {
                "rules": [rule.__dict__ for rule in self.rules if rule.count != 0],
                "injected": [{"service": s, "operation": o, "kind": k, "count": n}
                             for (s, o, k), n in sorted(self.injected.items())],
            }
        return Response(json.dumps(state), mimetype="application/json")
