"""The product's permission rules, in one place, so every route and service applies
them the same way (README: Permissions)."""

from __future__ import annotations

from qbo_connector.models.caller import SERVICE, SYSTEM_ADMINISTRATOR, Caller
from qbo_connector.models.errors import Forbidden, NotFound


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
