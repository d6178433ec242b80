"""Fuzzing the public HTTP API: schemathesis over the code-generated OpenAPI document.

Every operation the document lists is called through the local gateway (JWT checks,
2.0 events, the real handlers, moto over HTTP, the QBO sandbox) with inputs
schemathesis generates from the document: valid ones and ones that break it (wrong
types, missing or extra parameters, out-of-range values, odd strings in paths,
queries, headers and bodies). Each case is sent as a caller drawn from the permission
matrix's roles, with a real token the gateway verifies, or with none; its path `id` is
either the fuzz organization's connected legal entity (so the calls get past the
tenant check to the routes' own validation and the stores) or whatever was generated.

Every answer keeps the error contract (`fuzzing.contract_violation`: no 5xx, no stack
trace, JSON errors in the one shape, HTML pages for the popup) and is what the document
says: its status code, content type and body schema (schemathesis' own checks; the
document states the error contract as every operation's error).
"""

from __future__ import annotations

import json
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from local_stack import code_generated_openapi
from tests.fuzz.fuzzing import EXAMPLES, ROLES, SETTINGS, TALLY, Tenant, contract_violation

schema = schemathesis.openapi.from_dict(code_generated_openapi())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
)
DOCUMENT_CHECKS = [
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]
HTTP = requests.Session()


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES), own_entity=st.booleans())
@SETTINGS
def test_no_input_gets_a_5xx_or_an_answer_outside_the_contract(
    case: schemathesis.Case, role: str, own_entity: bool, tenant: Tenant
) -> None:
    if own_entity and "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = tenant.legal_entity_id
    response = case.call(
        base_url=tenant.gateway_url, session=HTTP, headers=tenant.headers(role), timeout=30
    )
    TALLY["schema cases"] += 1
    TALLY[f"role {role}"] += 1
    TALLY[f"operation {case.method} {case.operation.path}"] += 1
    content_type = (response.headers.get("content-type") or [""])[0]
    problem = contract_violation(
        case.operation.path, response.status_code, content_type, response.text
    )
    if problem is None:
        try:
            case.validate_response(response, checks=DOCUMENT_CHECKS)
        except (Failure, FailureGroup) as failure:
            problem = f"the answer contradicts the OpenAPI document: {failure}"
    assert problem is None, (
        f"{case.method} {case.formatted_path} as {role}: {problem}\n"
        f"query {case.query!r}, headers {case.headers!r}, body {_shown(case.body)}\n"
        f"answer {response.status_code} {content_type}\n{response.text[:300]}"
    )


def test_the_fuzzing_reached_every_operation_as_every_caller() -> None:
    """Runs after the cases above (pytest keeps file order): the run was not empty."""
    operations = {f"operation {op.ok().method.upper()} {op.ok().path}" for op in _operations()}
    assert len(operations) >= 19
    reached = {key for key in TALLY if key.startswith("operation ")}
    assert reached == operations
    assert all(TALLY[f"role {role}"] for role in ROLES), TALLY


def test_the_document_states_the_error_contract_and_the_bearer_token() -> None:
    document = code_generated_openapi()
    assert "HTTPValidationError" not in json.dumps(document)  # Powertools' 422; ours is 400
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            if path in {"/oauth/launch", "/oauth/callback"}:
                assert "text/html" in responses["400"]["content"], (method, path)
                continue
            error = responses["default"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, (method, path)
            if path != "/webhooks/intuit":
                assert "401" in responses, (method, path)


def _operations() -> list[Any]:
    return list(schema.get_all_operations())


def _shown(body: Any) -> str:
    if isinstance(body, schemathesis.core.NotSet):
        return "(none)"
    return json.dumps(body, default=repr)[:500]
