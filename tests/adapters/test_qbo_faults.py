"""Fault parsing: the envelopes of qbo-api-facts.md, byte for byte, into typed errors."""

from __future__ import annotations

import json

import pytest

from qbo_connector.adapters.qbo_faults import (
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
    fault_from_dict,
    parse_fault,
    redact,
)

# Verbatim from qbo-api-facts.md ("authentication, 401, lower-case keys").
AUTH_401 = (
    b'{"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; '
    b'statusCode=401", "detail": "Token expired: ...", "code": "3200"}], "type": '
    b'"AUTHENTICATION"}, "time": 1601391072830}'
)

# qbo-api-facts.md throttling shape, closed (the facts elide the tail with "...").
THROTTLE_XML = (
    b'<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
    b"errorCode=003001; statusCode=429</Message></Error></Fault>"
)

# The same inside Intuit's XML envelope with namespace, as QBO sends it.
THROTTLE_XML_ENVELOPE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
    b'time="2020-09-29T06:53:30.722-07:00">'
    b'<Fault type="SERVICE"><Error code="3001">'
    b"<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    b"<Detail>The request limit was reached.</Detail>"
    b"</Error></Fault></IntuitResponse>"
)

AUTH_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
    b'time="2020-09-29T06:53:30.722-07:00">'
    b'<Fault type="AuthenticationFault"><Error code="100">'
    b"<Message>General Authentication Error</Message>"
    b"<Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401"
    b"</Detail></Error></Fault></IntuitResponse>"
)

FORBIDDEN_403 = (
    b'{"fault":{"error":[{"message":"message=ApplicationAuthorizationFailed; '
    b'errorCode=003100; statusCode=403","detail":"Wrong host for the token\'s environment",'
    b'"code":"3100"}],"type":"SERVICE"},"time":1601391072830}'
)


def validation(code: str, message: str, detail: str, element: str | None = None) -> bytes:
    error = {"Message": message, "Detail": detail, "code": code}
    if element:
        error["element"] = element
    envelope = {"Fault": {"Error": [error], "type": "ValidationFault"},
                "time": "2020-09-29T06:53:30.722-07:00"}
    return json.dumps(envelope).encode()


DUP_DOC_DETAIL = (
    "Duplicate Document Number Error : You must specify a different number. This number "
    "has already been used. DocNumber=INV-7 is assigned to TxnType=Bill with TxnId=145"
)


def test_validation_fault_capitalised_keys() -> None:
    body = validation(
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another vendor is already using this name.",
    )
    err = parse_fault(400, body, {"intuit_tid": "1-abc"})
    assert type(err) is QboDuplicateNameError
    assert isinstance(err, QboValidationError)
    assert err.http_status == 400
    assert err.code == "6240"
    assert err.message == "Duplicate Name Exists Error"
    assert err.detail.startswith("The name supplied already exists.")
    assert err.fault_type == "ValidationFault"
    assert err.intuit_tid == "1-abc"
    assert not err.retryable
    assert "1-abc" in str(err)


def test_duplicate_doc_number_6140_parses_existing_txn_id() -> None:
    body = validation("6140", "Duplicate Document Number Error", DUP_DOC_DETAIL)
    err = parse_fault(400, body)
    assert isinstance(err, QboDuplicateDocNumberError)
    assert err.existing_txn_id == "145"
    assert err.to_dict()["existing_txn_id"] == "145"


def test_duplicate_doc_number_reported_as_6240() -> None:
    # Some integrators see 6240 with the duplicate-document message: code AND message.
    body = validation("6240", "Duplicate Document Number Error", DUP_DOC_DETAIL)
    err = parse_fault(400, body)
    assert isinstance(err, QboDuplicateDocNumberError)
    assert err.code == "6240"
    assert err.existing_txn_id == "145"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("610", QboNotFoundError),
        ("5010", QboStaleObjectError),
        ("2500", QboInvalidReferenceError),
        ("6210", QboPeriodClosedError),
        ("2020", QboValidationError),
        ("6000", QboValidationError),
    ],
)
def test_validation_codes(code: str, cls: type[QboError]) -> None:
    err = parse_fault(400, validation(code, "Some message", "Some detail", "Line.Amount"))
    assert type(err) is cls
    assert err.element == "Line.Amount"


def test_lowercase_401_authentication() -> None:
    headers = {
        "WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"',
        "intuit_tid": "tid-401",
    }
    err = parse_fault(401, AUTH_401, headers)
    assert isinstance(err, QboAuthenticationError)
    assert err.code == "3200"
    assert err.fault_type == "AUTHENTICATION"
    assert err.message.startswith("message=AuthenticationFailed")
    assert err.detail == "Token expired: ..."
    assert err.intuit_tid == "tid-401"


def test_tokens_never_reach_the_error() -> None:
    jwt_like = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..c2VjcmV0LXRva2VuLXZhbHVl.abc"
    opaque = "AB11" + "x" * 44
    body = AUTH_401.replace(b"...", f"{jwt_like} {opaque}".encode())
    err = parse_fault(401, body, secrets=[opaque])
    for text in (str(err), repr(err), err.detail, repr(err.to_dict())):
        assert jwt_like not in text
        assert opaque not in text
        assert "c2VjcmV0" not in text
    assert "[redacted]" in err.detail


def test_redact_leaves_ordinary_text() -> None:
    assert redact("Object Not Found (Vendor Id=12)") == "Object Not Found (Vendor Id=12)"
    assert redact(None) == ""


def test_lowercase_403_service_is_forbidden() -> None:
    err = parse_fault(403, FORBIDDEN_403)
    assert isinstance(err, QboForbiddenError)
    assert err.code == "3100"
    assert err.fault_type == "SERVICE"


@pytest.mark.parametrize("body", [THROTTLE_XML, THROTTLE_XML_ENVELOPE])
def test_throttle_xml_429(body: bytes) -> None:
    err = parse_fault(429, body, {"Content-Type": "application/xml"})
    assert isinstance(err, QboThrottledError)
    assert err.retryable
    assert err.code == "3001"
    assert err.fault_type == "SERVICE"
    assert "ThrottleExceeded" in err.message


def test_throttle_as_403_in_older_traffic() -> None:
    err = parse_fault(403, THROTTLE_XML_ENVELOPE)
    assert isinstance(err, QboThrottledError)


def test_xml_authentication_fault() -> None:
    err = parse_fault(401, AUTH_XML)
    assert isinstance(err, QboAuthenticationError)
    assert err.code == "100"
    assert err.fault_type == "AuthenticationFault"
    assert err.detail.startswith("AuthenticationErrorGeneral")


def test_html_503_is_unavailable() -> None:
    body = (
        b"<html><head><title>503 Service Unavailable</title></head><body>"
        b"<h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
        b"request. Please try again later.</p></body></html>"
    )
    err = parse_fault(503, body, {"Content-Type": "text/html"})
    assert isinstance(err, QboUnavailableError)
    assert err.retryable
    assert err.http_status == 503
    assert "<" not in err.message
    assert "Service Unavailable" in err.message


def test_plain_text_502() -> None:
    err = parse_fault(502, b"Bad Gateway")
    assert isinstance(err, QboUnavailableError)
    assert err.message == "Bad Gateway"


def test_empty_500() -> None:
    err = parse_fault(500, b"")
    assert isinstance(err, QboUnavailableError)
    assert err.message == "HTTP 500"


def test_system_fault_json_500() -> None:
    body = (
        b'{"Fault":{"Error":[{"Message":"An application error has occurred while processing '
        b'your request","Detail":"System Failure Error: An unexpected error occurred","code":'
        b'"10000"}],"type":"SystemFault"},"time":"2020-09-29T06:53:30.722-07:00"}'
    )
    err = parse_fault(500, body)
    assert isinstance(err, QboUnavailableError)
    assert err.code == "10000"


def test_batch_item_fault_without_http_status() -> None:
    fault = {
        "Error": [{"Message": "Invalid Reference Id", "Detail": "Vendor (Id=99)",
                   "code": "2500", "element": "VendorRef"}],
        "type": "ValidationFault",
    }
    err = fault_from_dict(fault)
    assert isinstance(err, QboInvalidReferenceError)
    assert err.http_status is None
    assert err.element == "VendorRef"


def test_several_errors_are_kept() -> None:
    fault = {
        "Error": [
            {"Message": "first", "Detail": "d1", "code": "2020"},
            {"Message": "second", "Detail": "d2", "code": "2500"},
        ],
        "type": "ValidationFault",
    }
    err = fault_from_dict(fault, http_status=400)
    assert err.code == "2020"
    assert [e.code for e in err.errors] == ["2020", "2500"]


def test_unknown_json_and_to_dict() -> None:
    err = parse_fault(418, b'{"something": "else"}')
    assert type(err) is QboError
    d = err.to_dict()
    assert d["http_status"] == 418
    assert d["type"] == "QboError"
    assert d["retryable"] is False
