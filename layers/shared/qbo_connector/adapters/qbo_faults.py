"""Typed errors for QuickBooks Online Accounting API faults.

Intuit answers errors in several shapes (see qbo-api-facts.md):

- JSON ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}``
- JSON lower-case ``{"fault": {"error": [{"message", "detail", "code"}], "type"}}`` (401/403)
- XML ``<Fault type="..."><Error code="..."><Message/><Detail/></Error></Fault>`` (throttling,
  sometimes authentication) even when JSON was asked for
- plain text or HTML from the gateway in front of QBO (5xx)

`parse_fault` turns any of them into one `QboError` subclass. Messages never carry tokens:
anything that looks like a bearer/refresh token is redacted before it is stored.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from qbo_connector.models.faults import (
    FaultError,
    QboAuthenticationError,
    QboDuplicateDocNumberError,
    QboDuplicateNameError,
    QboError,
    QboForbiddenError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboPeriodClosedError,
    QboStaleObjectError,
    QboThrottledError,
    QboUnavailableError,
    QboValidationError,
)

_MAX_TEXT = 300

# JWT/JWE-style tokens (Intuit access tokens) and long opaque strings (refresh tokens,
# authorization codes). Intuit's 401 detail may echo part of the token it rejected.
_TOKENISH = re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-.]*|[A-Za-z0-9_\-.~+/=]{40,}")
_TXN_ID = re.compile(r"TxnId\s*=\s*(\w+)", re.IGNORECASE)
_DUP_DOC = re.compile(r"duplicate document number", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def redact(text: str | None, secrets: Iterable[str] = ()) -> str:
    """Remove known secrets and token-looking strings from text meant for logs or errors."""
    if not text:
        return ""
    out = text
    for secret in secrets:
        if secret:
            out = out.replace(secret, "[redacted]")
    return _TOKENISH.sub("[redacted]", out)


# --------------------------------------------------------------------------------------
# Parsing


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _errors_from_json(fault: Mapping[str, Any]) -> tuple[str | None, list[FaultError]]:
    """Read either the capitalised or the lower-case JSON shape."""
    fault_type = fault.get("type")
    raw = fault.get("Error")
    if raw is None:
        raw = fault.get("error")
    if isinstance(raw, Mapping):
        raw = [raw]
    errors: list[FaultError] = []
    for item in raw or []:
        if not isinstance(item, Mapping):
            continue
        errors.append(
            FaultError(
                code=_text(item.get("code", item.get("Code"))),
                message=_text(item.get("Message", item.get("message"))),
                detail=_text(item.get("Detail", item.get("detail"))),
                element=item.get("element", item.get("Element")),
            )
        )
    return (None if fault_type is None else str(fault_type)), errors


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _errors_from_xml(text: str) -> tuple[str | None, list[FaultError]] | None:
    if len(text) > 100_000:
        return None
    try:
        # Python 3.13's bundled expat refuses entity-expansion bombs; bodies are small.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError:
        return None
    fault = root if _local(root.tag) == "Fault" else None
    if fault is None:
        fault = next((el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors: list[FaultError] = []
    for err in fault:
        if _local(err.tag) != "Error":
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in err}
        errors.append(
            FaultError(
                code=_text(err.get("code")),
                message=fields.get("Message", ""),
                detail=fields.get("Detail", ""),
                element=err.get("element") or fields.get("element"),
            )
        )
    return fault.get("type"), errors


def _plain(text: str) -> str:
    """Plain text from an HTML or text body, shortened."""
    out = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    return out[:_MAX_TEXT]


def _int_code(code: str | None) -> int | None:
    try:
        return int(code) if code else None
    except ValueError:
        return None


def build_error(
    http_status: int | None,
    fault_type: str | None,
    errors: list[FaultError],
    *,
    intuit_tid: str | None = None,
    secrets: Iterable[str] = (),
    fallback_message: str = "",
) -> QboError:
    """Pick the QboError subclass for a fault's first error and HTTP status."""
    secrets = tuple(secrets)
    clean = tuple(
        FaultError(
            e.code,
            redact(e.message, secrets),
            redact(e.detail, secrets),
            e.element,
        )
        for e in errors
    )
    first = clean[0] if clean else FaultError("", redact(fallback_message, secrets), "")
    code = first.code or None
    num = _int_code(code)
    kind = (fault_type or "").lower()
    message = first.message or fallback_message or (fault_type or "QBO error")
    both = f"{first.message} {first.detail}"
    kw: dict[str, Any] = {
        "http_status": http_status,
        "code": code,
        "detail": first.detail,
        "element": first.element,
        "fault_type": fault_type,
        "intuit_tid": intuit_tid,
        "errors": clean,
    }

    cls: type[QboError]
    if http_status == 429 or num == 3001 or "throttleexceeded" in both.lower():
        cls = QboThrottledError
    elif http_status == 401 or kind in ("authentication", "authenticationfault") or num == 3200:
        cls = QboAuthenticationError
    elif http_status == 403:
        cls = QboForbiddenError
    elif num == 6140 or (num == 6240 and _DUP_DOC.search(both)):
        match = _TXN_ID.search(both)
        return QboDuplicateDocNumberError(
            message, existing_txn_id=match.group(1) if match else None, **kw
        )
    elif num == 610 or http_status == 404:
        cls = QboNotFoundError
    elif num == 5010:
        cls = QboStaleObjectError
    elif num == 2500:
        cls = QboInvalidReferenceError
    elif num == 6240:
        cls = QboDuplicateNameError
    elif num == 6210:
        cls = QboPeriodClosedError
    elif http_status is not None and http_status >= 500:
        cls = QboUnavailableError
    elif kind == "validationfault" or http_status == 400 or http_status is None:
        # http_status None: a fault inside a batch item, answered with HTTP 200.
        cls = QboValidationError
    else:
        cls = QboError
    return cls(message, **kw)


def fault_from_dict(
    fault: Mapping[str, Any],
    *,
    http_status: int | None = None,
    intuit_tid: str | None = None,
    secrets: Iterable[str] = (),
) -> QboError:
    """A ``Fault`` object (as found in envelopes and batch items) as a typed error."""
    fault_type, errors = _errors_from_json(fault)
    return build_error(http_status, fault_type, errors, intuit_tid=intuit_tid, secrets=secrets)


def parse_fault(
    http_status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
    *,
    secrets: Iterable[str] = (),
) -> QboError:
    """Parse any of Intuit's error bodies into a typed error.

    ``secrets`` are strings (the access token sent) that must never appear in the result.
    """
    tid = None
    if headers is not None:
        tid = headers.get("intuit_tid") or headers.get("Intuit-Tid")
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body or ""
    stripped = text.strip()

    if stripped.startswith("{"):
        try:
            payload = json.loads(stripped)
        except ValueError:
            payload = None
        if isinstance(payload, Mapping):
            fault = payload.get("Fault", payload.get("fault"))
            if isinstance(fault, Mapping):
                return fault_from_dict(
                    fault, http_status=http_status, intuit_tid=tid, secrets=secrets
                )
            # OAuth-style {"error": "...", "error_description": "..."} from a gateway.
            if "error" in payload:
                desc = _text(payload.get("error_description"))
                err = FaultError(_text(payload.get("error")), _text(payload.get("error")), desc)
                return build_error(http_status, None, [err], intuit_tid=tid, secrets=secrets)

    if stripped.startswith("<"):
        parsed = _errors_from_xml(stripped)
        if parsed is not None and parsed[1]:
            return build_error(http_status, parsed[0], parsed[1], intuit_tid=tid, secrets=secrets)

    fallback = _plain(stripped) or f"HTTP {http_status}"
    return build_error(
        http_status, None, [], intuit_tid=tid, secrets=secrets, fallback_message=fallback
    )
