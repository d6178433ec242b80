"""A pending "Connect to QuickBooks" attempt: who started it, for which entity, until when.

An attempt lives through three secrets, none of which is stored (only SHA-256 hashes):

    start (bearer JWT)        launch (the popup, no JWT)          callback (Intuit's redirect)
    ------------------        --------------------------          ----------------------------
    launch token L  ───────▶  L consumed once; mints state S  ──▶ S consumed once, only with
    (in popup_url)            and browser nonce N; N goes in       the cookie carrying N: the
                              an HttpOnly cookie, S to Intuit      browser that launched it

After Intuit, the callback verifies the company and shows it; a PendingConnection (a
fourth single-use secret, in the page's form, answered only with the same cookie)
waits for the person's "Connect".

So the URL the front end receives is good for one popup, and Intuit's URL (with S) is
good only in the browser holding N: handed to anyone else it cannot finish the connection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Consumed(StrEnum):
    """How the callback's claim on a state went."""

    OK = "ok"
    UNKNOWN = "unknown"  # no such state: never issued, expired and removed, or used
    OTHER_BROWSER = "other_browser"  # the state is live but this browser did not launch it


@dataclass(frozen=True)
class OAuthAttempt:
    attempt_hash: str  # sha256 of the launch token (the attempt's identity)
    org_id: str
    legal_entity_id: str
    user_id: str
    user_name: str
    created_at: int
    expires_at: int
    state_hash: str | None = None  # set when the popup launches
    browser_hash: str | None = None  # sha256 of the launching browser's cookie nonce

    def to_item(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> OAuthAttempt:
        return cls(
            attempt_hash=str(item["attempt_hash"]),
            org_id=str(item["org_id"]),
            legal_entity_id=str(item["legal_entity_id"]),
            user_id=str(item["user_id"]),
            user_name=str(item.get("user_name", "")),
            created_at=int(item["created_at"]),
            expires_at=int(item["expires_at"]),
            state_hash=str(item["state_hash"]) if item.get("state_hash") else None,
            browser_hash=str(item["browser_hash"]) if item.get("browser_hash") else None,
        )


@dataclass(frozen=True)
class PendingConnection:
    """A verified company waiting for the person's "Connect" (its tokens are in the vault)."""

    confirmation_hash: str  # sha256 of the confirmation token in the page's form
    browser_hash: str  # the launching browser's nonce hash: only it may answer
    org_id: str
    legal_entity_id: str
    user_id: str
    user_name: str
    realm_id: str
    company_name: str
    country: str | None
    preferences: dict[str, Any]
    intuit_email: str | None
    expires_at: int

    @property
    def key(self) -> str:
        """Names this confirmation's pending token secret."""
        return self.confirmation_hash[:16]

    def to_item(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> PendingConnection:
        text: dict[str, Any] = {k: item.get(k) for k in cls.__dataclass_fields__}
        return cls(
            **{k: v for k, v in text.items() if k not in ("expires_at", "preferences")},
            expires_at=int(item["expires_at"]),
            preferences=dict(item.get("preferences") or {}),
        )
