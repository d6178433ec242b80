"""A pending "Connect to QuickBooks" attempt: who started it, for which entity, until when."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class OAuthAttempt:
    state_hash: str  # sha256 of the state: the state itself is never stored
    org_id: str
    legal_entity_id: str
    user_id: str
    user_name: str
    created_at: int
    expires_at: int

    def to_item(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> OAuthAttempt:
        return cls(
            state_hash=str(item["state_hash"]),
            org_id=str(item["org_id"]),
            legal_entity_id=str(item["legal_entity_id"]),
            user_id=str(item["user_id"]),
            user_name=str(item.get("user_name", "")),
            created_at=int(item["created_at"]),
            expires_at=int(item["expires_at"]),
        )
