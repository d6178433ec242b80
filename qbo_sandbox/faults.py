"""Intuit's fault envelopes, byte for byte (see qbo-api-facts.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from .clock import envelope_time

# As recorded: a 200 says its charset, a fault does not.
JSON_TYPE = "application/json;charset=utf-8"
FAULT_JSON_TYPE = "application/json"
XML_TYPE = "application/xml;charset=UTF-8"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    kind = JSON_TYPE if status < 400 else FAULT_JSON_TYPE
    return Reply(status, body, kind, dict(headers or {}))


class QboFault(Exception):
    """A JSON ValidationFault-style error (capitalised keys) raised inside handlers."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        element: str | None = None,
        status: int = 400,
        fault_type: str = "ValidationFault",
        with_time: bool = True,
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type
        self.with_time = with_time

    def fault_body(self) -> dict[str, Any]:
        # Every recorded fault item carries `element`, "" when it names none (batch too).
        return {
            "Error": [
                {
                    "Message": self.message,
                    "Detail": self.detail,
                    "code": self.code,
                    "element": self.element or "",
                }
            ],
            "type": self.fault_type,
        }

    def reply(self, now: float) -> Reply:
        payload: dict[str, Any] = {"Fault": self.fault_body()}
        if self.with_time:
            payload["time"] = envelope_time(now)
        return json_reply(self.status, payload)


# --- common validation faults ----------------------------------------------------------


def not_found(entity: str, obj_id: str) -> QboFault:
    # Recorded (reads, deletes and batch items alike): no entity or Id in the Detail.
    del entity, obj_id
    return QboFault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
    )


def required(element: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


# What Intuit calls each list in a 2500 Detail ("Accounts element id 2109 not found",
# "Names element id 540123582 not found", "Klasses element id 45000... not found", as
# recorded; the other list names follow the same pattern, UNCONFIRMED).
REFERENCE_LISTS = {
    "Account": "Accounts", "Vendor": "Names", "Customer": "Names", "Employee": "Names",
    "Class": "Klasses", "Item": "Items", "Department": "Departments", "Term": "Terms",
    "TaxCode": "TaxCodes", "Currency": "Currencies",
}


def invalid_reference(element: str, entity: str, value: Any) -> QboFault:
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {REFERENCE_LISTS.get(entity, entity + 's')} element id "
        f"{value} not found",
        element,
    )


def stale(entity: str) -> QboFault:
    # Recorded: "You and root were working on this at the same time. root finished before
    # you did, so your work was not saved." (the other party named; for API writes, root).
    del entity
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. root "
        "finished before you did, so your work was not saved.",
    )


def duplicate_name(kind: str) -> QboFault:
    return QboFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name. "
        "Please use a different name.",
    )


def duplicate_doc_number(doc: str, txn_id: str) -> QboFault:
    return QboFault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. "
        f"This number has already been used. DocNumber={doc} is assigned to TxnType=Bill "
        f"with TxnId={txn_id}",
    )


def business(detail: str, element: str | None = None) -> QboFault:
    return QboFault(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}", element)


def period_closed() -> QboFault:
    # Intuit's answer to a write dated on or before the books' closing date (Settings >
    # Advanced > Accounting > Close the books) through the API.
    return QboFault(
        "6210",
        "Account Period Closed, Cannot Update Through Services API",
        "The account period has closed and the account books cannot be updated through the "
        "QBO Services API. Please use the QBO website to make these changes.",
    )


def reconciled(entity: str) -> QboFault:
    # A bill payment the accountant reconciled in the bank: QBO refuses to change, void or
    # delete it through the API. Intuit's exact wording for this is UNCONFIRMED (no recorded
    # answer); the sandbox answers it as a 6000 business validation error.
    return business(
        f"This {entity} has been reconciled. Un-reconcile it in QuickBooks first, then "
        "change, void or delete it.", "Id")


def invalid_value(element: str, detail: str) -> QboFault:
    return QboFault("2010", "Request has invalid or unsupported property", detail, element)


def too_long(element: str, max_len: int, supplied: int) -> QboFault:
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        # Recorded: "... Min:0 Max:21 supported. Supplied length:45", thousands with commas
        # ("Max:1,000 supported. Supplied length:1,016").
        f"String length specified does not match the supported length. Min:0 Max:{max_len:,} "
        f"supported. Supplied length:{supplied:,}",
        element,
    )


def unsupported(operation: str) -> QboFault:
    # Intuit answers unsupported operations with code 500 "Unsupported Operation".
    return QboFault(
        "500",
        "Unsupported Operation",
        f"Operation {operation} is not supported.",
    )


def unknown_resource(path: str, url: str) -> QboFault:
    # A path QBO has no resource for: the web framework's message inside the same shape.
    return unsupported(f"Could not find resource for relative : {path} of full path: {url}")


def query_parse(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def invalid_id(value: str) -> QboFault:
    # Recorded for `GET /bill/1.5`: element "Id" and, unlike other faults, no `time`.
    return QboFault(
        "2030",
        "Invalid ID",
        f"Id should be a valid number. Supplied value:{value}",
        "Id",
        with_time=False,
    )


def bad_request(detail: str) -> QboFault:
    return QboFault("2010", "Request has invalid or unsupported property", detail)


# --- the lower-case shapes (401 / 403) --------------------------------------------------


def authentication_failed(detail: str, now: float) -> Reply:
    # Intuit's whole IntuitResponse envelope, as recorded (nulls and empty lists included).
    payload: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(now * 1000),
        "status": None,
        "cdcresponse": [],
    }
    return json_reply(
        401, payload, {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    )


def authorization_failed(detail: str, now: float) -> Reply:
    payload = {
        "fault": {
            "error": [
                {
                    "message": "message=ApplicationAuthorizationFailed; errorCode=003100; "
                    "statusCode=403",
                    "detail": detail,
                    "code": "3100",
                }
            ],
            "type": "SERVICE",
        },
        "time": int(now * 1000),
    }
    return json_reply(403, payload)


# --- 429 / 5xx ---------------------------------------------------------------------------


def throttled(now: float, detail: str = "The request limit was reached.") -> Reply:
    # Intuit sends this as XML even when JSON was asked for.
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{envelope_time(now)}">'
        '<Fault type="SERVICE"><Error code="3001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        f"<Detail>{escape(detail)}</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
    return Reply(429, body.encode(), XML_TYPE)


def server_error(now: float) -> Reply:
    fault = QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your "
        "data. Please wait a few minutes and try again.",
        status=500,
        fault_type="SystemFault",
    )
    return fault.reply(now)


def service_unavailable() -> Reply:
    # What the gateway in front of QBO answers: an HTML page, not a QBO envelope.
    body = (
        "<html><head><title>503 Service Unavailable</title></head><body>"
        "<h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
        "request. Please try again later.</p></body></html>"
    )
    return Reply(503, body.encode(), "text/html;charset=UTF-8")
