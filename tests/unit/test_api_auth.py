"""Who is calling (api/auth.py): the Caller a verified JWT's claims describe.

API Gateway's JWT authorizer hands claims over as strings, so booleans arrive as
"true"/"false"; a token without a user or organization is 401, never a caller.
"""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.api.auth import caller_from_claims, caller_from_event
from qbo_connector.logic.permissions import require_root_admin
from qbo_connector.models.errors import Forbidden, Unauthenticated

CLAIMS = {
    "sub": "u-1",
    "org_id": "org-1",
    "role": "SystemAdministrator",
    "home_org_unit": "ou-root",
    "home_org_unit_is_root": "true",
    "email": "ann@acme.example",
    "name": "Ann",
}


def test_claims_become_a_caller() -> None:
    caller = caller_from_claims(CLAIMS)
    assert (caller.user_id, caller.org_id, caller.role) == ("u-1", "org-1", "SystemAdministrator")
    assert caller.home_org_unit == "ou-root"
    assert caller.home_org_unit_is_root is True
    assert caller.display_name == "Ann"


@pytest.mark.parametrize(
    ("value", "root"),
    [
        ("true", True),
        ("True", True),
        (" TRUE ", True),
        ("1", True),
        ("yes", True),
        (True, True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("", False),
        (None, False),
        (False, False),
        ("truthy", False),
        ("t", False),
    ],
)
def test_home_org_unit_is_root_as_the_authorizer_sends_it(value: Any, root: bool) -> None:
    caller = caller_from_claims({**CLAIMS, "home_org_unit_is_root": value})
    assert caller.home_org_unit_is_root is root


def test_a_missing_root_claim_is_not_root() -> None:
    claims = {k: v for k, v in CLAIMS.items() if k != "home_org_unit_is_root"}
    caller = caller_from_claims(claims)
    assert caller.home_org_unit_is_root is False
    with pytest.raises(Forbidden) as raised:
        require_root_admin(caller)
    assert raised.value.code == "root_org_unit_required"


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {**CLAIMS, "sub": ""},
        {**CLAIMS, "org_id": ""},
        {**CLAIMS, "sub": None},
        {k: v for k, v in CLAIMS.items() if k != "org_id"},
        {k: v for k, v in CLAIMS.items() if k != "sub"},
    ],
)
def test_a_token_without_user_or_organization_is_401(claims: dict[str, Any] | None) -> None:
    with pytest.raises(Unauthenticated) as raised:
        caller_from_claims(claims)
    assert raised.value.status == 401
    assert raised.value.code == "missing_identity"


def test_a_caller_without_a_role_is_no_administrator() -> None:
    caller = caller_from_claims({"sub": "u-1", "org_id": "org-1"})
    assert caller.role == ""
    with pytest.raises(Forbidden):
        require_root_admin(caller)


@pytest.mark.parametrize(
    ("claims", "shown"),
    [
        ({"name": "Ann", "email": "ann@x"}, "Ann"),
        ({"email": "ann@x"}, "ann@x"),
        ({}, "u-1"),
    ],
)
def test_display_name_falls_back_to_email_then_id(claims: dict[str, str], shown: str) -> None:
    caller = caller_from_claims({"sub": "u-1", "org_id": "org-1", **claims})
    assert caller.display_name == shown


def test_caller_from_event_reads_the_authorizer_claims() -> None:
    event = {"requestContext": {"authorizer": {"jwt": {"claims": CLAIMS}}}}
    assert caller_from_event(event).user_id == "u-1"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        {"requestContext": {}},
        {"requestContext": {"authorizer": None}},
        {"requestContext": {"authorizer": {"jwt": None}}},
        {"requestContext": {"authorizer": {"jwt": {"claims": None}}}},
    ],
)
def test_an_event_without_claims_is_401(event: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_event(event)
