"""Who is calling, from the JWT claims API Gateway already verified.

API Gateway's JWT authorizer passes claim values as strings, so booleans arrive as
"true"/"false". What a caller may do is decided in `logic/permissions.py`.
"""

from __future__ import annotations

from typing import Any

from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Unauthenticated


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


def caller_from_claims(claims: dict[str, Any] | None) -> Caller:
    claims = claims or {}
    user_id = str(claims.get("sub") or "")
    org_id = str(claims.get("org_id") or "")
    if not user_id or not org_id:
        raise Unauthenticated(
            "The bearer token names no user or organization; sign in again.",
            code="missing_identity",
        )
    return Caller(
        user_id=user_id,
        org_id=org_id,
        role=str(claims.get("role") or ""),
        home_org_unit=str(claims.get("home_org_unit") or ""),
        home_org_unit_is_root=_truthy(claims.get("home_org_unit_is_root")),
        email=str(claims.get("email") or ""),
        name=str(claims.get("name") or ""),
    )


def caller_from_event(event: dict[str, Any]) -> Caller:
    jwt = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}
    return caller_from_claims(jwt.get("claims"))
