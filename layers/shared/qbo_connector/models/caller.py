"""Who is calling: the identity a verified bearer token carries (api/auth.py reads it)."""

from __future__ import annotations

from dataclasses import dataclass

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
