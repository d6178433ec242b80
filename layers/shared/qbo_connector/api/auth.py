"""Who is calling, from the JWT claims API Gateway already verified.

API Gateway's JWT authorizer passes claim values as strings, so booleans
arrive as "true"/"false". The permission rules of the product live here, in
one place, so every route applies them the same way (README: permissions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qbo_connector.models.errors import Forbidden, NotFound, Unauthenticated

SYSTEM_ADMINISTRATOR = "SystemAdministrator"
SERVICE = "Service"


@dataclass(frozen=True)
class Caller:
    user_id: str
    org_id: str
    role: str
    home_org_unit: str
    home_org_unit_is_root: bool
    email: str = ""
    name: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.user_id


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


def require_root_admin(caller: Caller) -> None:
    """Connecting, disconnecting, scheduling and syncing (the guide's checklist)."""
    if caller.role != SYSTEM_ADMINISTRATOR:
        raise Forbidden(
            "This needs the System Administrator role; ask a System Administrator to do it.",
            code="role_required",
        )
    if not caller.home_org_unit_is_root:
        raise Forbidden(
            "This needs the Root Org Unit as your Home Org Unit; ask an administrator to "
            "change your Home Org Unit, then sign in again.",
            code="root_org_unit_required",
        )


def require_service(caller: Caller) -> None:
    """Bills are submitted by the AP platform itself, not by a person."""
    if caller.role != SERVICE:
        raise Forbidden(
            "Bills are submitted by the AP platform's service identity, not by users.",
            code="service_identity_required",
        )


def require_same_org(caller: Caller, org_id: str) -> None:
    # Another tenant's entity must be indistinguishable from a missing one.
    if caller.org_id != org_id:
        raise NotFound("No such legal entity.", code="legal_entity_not_found")
