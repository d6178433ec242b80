"""The tokens of one QuickBooks company's connection, as Intuit issues them.

A value the domain reasons about (when the refresh token dies, when Intuit's hard
expiry comes) and adapters store and refresh; `adapters.intuit_oauth` builds it from
Intuit's answers and re-exports it under its old name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _fingerprint(secret: str | None) -> str:
    """A short, one-way tag to tell tokens apart in logs without revealing them."""
    if not secret:
        return "-"
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclass(frozen=True, repr=False)
class TokenSet:
    """Tokens for one QBO company. Times are epoch seconds (UTC)."""

    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float
    realm_id: str
    refresh_hard_expires_at: float | None = None
    id_token: str | None = None
    obtained_at: float = 0.0

    def __repr__(self) -> str:
        return (
            f"TokenSet(realm_id={self.realm_id!r}, access=#{_fingerprint(self.access_token)}, "
            f"refresh=#{_fingerprint(self.refresh_token)}, "
            f"access_expires_at={self.access_expires_at:.0f}, "
            f"refresh_expires_at={self.refresh_expires_at:.0f}, "
            f"refresh_hard_expires_at={self.refresh_hard_expires_at!r})"
        )

    __str__ = __repr__

    def access_expires_within(self, seconds: float, now: float) -> bool:
        return self.access_expires_at - now <= seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "refresh_hard_expires_at": self.refresh_hard_expires_at,
            "realm_id": self.realm_id,
            "id_token": self.id_token,
            "obtained_at": self.obtained_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        hard = data.get("refresh_hard_expires_at")
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            access_expires_at=float(data["access_expires_at"]),
            refresh_expires_at=float(data["refresh_expires_at"]),
            realm_id=str(data.get("realm_id") or ""),
            refresh_hard_expires_at=None if hard is None else float(hard),
            id_token=data.get("id_token"),
            obtained_at=float(data.get("obtained_at") or 0.0),
        )

    @classmethod
    def from_token_response(
        cls, payload: Mapping[str, Any], realm_id: str, now: float, id_token: str | None = None
    ) -> TokenSet:
        """Build from Intuit's token-endpoint JSON (relative lifetimes → absolute times)."""
        hard = payload.get("x_refresh_token_hard_expires_in")
        return cls(
            access_token=str(payload["access_token"]),
            refresh_token=str(payload["refresh_token"]),
            access_expires_at=now + float(payload.get("expires_in") or 3600),
            refresh_expires_at=now + float(payload.get("x_refresh_token_expires_in") or 8726400),
            realm_id=realm_id,
            refresh_hard_expires_at=None if hard is None else now + float(hard),
            id_token=id_token,
            obtained_at=now,
        )
