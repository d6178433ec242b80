"""The README's permission matrix, route by route, through the gateway with real tokens.

Callers: a System Administrator whose home org unit is the root (root_admin), one
whose home org unit is not (branch_admin), an AP clerk, the AP platform's service
identity, and a caller of another organization whom the route would otherwise admit
(stranger): they must not learn that the entity exists.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.flows import claims_for, register

SCHEDULE = {"kind": "interval", "every_hours": 6, "timezone": "UTC"}
BILL = {
    "ap_invoice_id": "perm-1",
    "vendor_id": "1",
    "invoice_number": "P-1",
    "invoice_date": "2026-11-20",
    "lines": [{"amount": "10.00", "account_id": "1"}],
}

# route, method, body, who may call it (the others of the organization get 403)
ROUTES: list[tuple[str, str, Any, set[str]]] = [
    (
        "GET",
        "/legal-entities/{id}/connection",
        None,
        {"root_admin", "branch_admin", "clerk", "service"},
    ),
    ("POST", "/legal-entities/{id}/connection", None, {"root_admin"}),
    ("DELETE", "/legal-entities/{id}/connection", None, {"root_admin"}),
    ("POST", "/legal-entities/{id}/syncs", {}, {"root_admin"}),
    ("GET", "/legal-entities/{id}/syncs", None, {"root_admin", "branch_admin", "clerk", "service"}),
    ("PUT", "/legal-entities/{id}/sync-schedule", SCHEDULE, {"root_admin"}),
    (
        "GET",
        "/legal-entities/{id}/sync-schedule",
        None,
        {"root_admin", "branch_admin", "clerk", "service"},
    ),
    ("DELETE", "/legal-entities/{id}/sync-schedule", None, {"root_admin"}),
    (
        "GET",
        "/legal-entities/{id}/records/Vendor",
        None,
        {"root_admin", "branch_admin", "clerk", "service"},
    ),
    ("POST", "/legal-entities/{id}/bills", BILL, {"service"}),
    ("GET", "/legal-entities/{id}/bills", None, {"root_admin", "branch_admin", "clerk", "service"}),
    (
        "GET",
        "/legal-entities/{id}/bills/perm-1",
        None,
        {"root_admin", "branch_admin", "clerk", "service"},
    ),
]
CALLERS = ["root_admin", "branch_admin", "clerk", "service", "stranger"]


def call(
    stack: Any, caller: str, org: str, method: str, path: str, body: Any, as_: str = ""
) -> Any:
    claims = claims_for(caller, org)
    if caller == "stranger" and as_:  # a caller the route admits, of another organization
        claims = {**claims_for(as_, org), "org_id": f"{org}-other"}
    token = stack.mint_token(**claims)
    return requests.request(
        method,
        f"{stack.gateway_url}{path}",
        json=body,
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize(
    ("method", "route", "body", "allowed"), ROUTES, ids=[f"{m} {r}" for m, r, _, _ in ROUTES]
)
def test_each_route_answers_each_caller_as_the_matrix_says(
    stack, ids, method, route, body, allowed
):
    register(stack, ids["org"], ids["le"])
    path = route.format(id=ids["le"])
    for caller in CALLERS:
        admitted = "service" if allowed == {"service"} else "root_admin"
        answer = call(stack, caller, ids["org"], method, path, body, as_=admitted)
        code = (answer.json().get("error") or {}).get("code") if answer.content else None
        if caller == "stranger":
            assert answer.status_code == 404, (caller, answer.text)
            assert code == "legal_entity_not_found", (caller, answer.text)
        elif caller in allowed:
            assert answer.status_code != 403, (caller, answer.text)
            assert code != "legal_entity_not_found", (caller, answer.text)
        else:
            assert answer.status_code == 403, (caller, answer.text)


def test_listing_and_sync_all_stay_inside_the_organization(stack, ids):
    register(stack, ids["org"], ids["le"])
    for caller in ("root_admin", "clerk", "service"):
        listed = call(stack, caller, ids["org"], "GET", "/legal-entities", None)
        assert [i["legal_entity_id"] for i in listed.json()["items"]] == [ids["le"]]
    stranger = call(stack, "stranger", ids["org"], "GET", "/legal-entities", None)
    assert stranger.json()["items"] == []
    assert call(stack, "clerk", ids["org"], "POST", "/syncs", {}).status_code == 403
    mine = call(stack, "root_admin", ids["org"], "POST", "/syncs", {})
    assert mine.status_code == 202
    assert [i["legal_entity_id"] for i in mine.json()["items"]] == [ids["le"]]
