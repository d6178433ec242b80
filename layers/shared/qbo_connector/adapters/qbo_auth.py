"""Access tokens for QBO calls: cached, refreshed when due, rotated safely.

One `TokenManager` per legal entity; the token state behind it is cached per process, so a
warm Lambda reuses its access token until shortly before expiry instead of refreshing
per request.

Rotation rule (qbo-api-facts.md): a refresh may return a new refresh token and the old one
may die at once, so the new token set is written to the vault *before* the new access
token is handed out. Several processes may refresh the same entity: before refreshing,
and once more after an ``invalid_grant``, the vault is re-read; a token set written there
by another process is adopted instead of refreshing with a stale refresh token. Callers
that need strict cross-process exclusion pass ``refresh_guard`` (e.g. a DynamoDB lease).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from qbo_connector.adapters import token_cache
from qbo_connector.adapters.intuit_oauth import (
    IntuitOAuth,
    OAuthGrantInvalid,
    TokenSet,
    get_oauth,
)
from qbo_connector.adapters.token_vault import TokenVault, load_app_credentials
from qbo_connector.models.faults import (
    ReconnectRequired,
    TokenPersistError,
)

# A child of the service logger, so lines come out as its structured JSON.
log = logging.getLogger("qbo-connector").getChild(__name__)

REFRESH_MARGIN_SECONDS = 300.0
DEAD_RECHECK_SECONDS = 60.0


class TokenStore(Protocol):
    def load(self, org_id: str, legal_entity_id: str) -> TokenSet | None: ...

    def save(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None: ...


class TokenRefresher(Protocol):
    def refresh(self, refresh_token: str, realm_id: str = "") -> TokenSet: ...


def default_oauth() -> IntuitOAuth:
    """The process-wide intuitlib client for the configured app: the one builder of it
    (wiring and the token manager both use it), with the configured HTTP timeout."""
    from qbo_connector.config import get_settings

    settings = get_settings()
    creds = load_app_credentials()
    timeout = (3.05, float(settings.http_timeout_seconds))
    return get_oauth(
        creds.client_id,
        creds.client_secret,
        settings.oauth_redirect_uri,
        settings.intuit_environment,
        timeout=timeout,
    )


def _default_vault() -> TokenStore:
    """The vault, with the KMS-encrypted fallback for a set it refuses
    (adapters.durable_tokens: the write order no crash point loses a token by)."""
    from qbo_connector.adapters.durable_tokens import DurableTokenStore

    return DurableTokenStore(TokenVault())


class TokenManager:
    """The access-token source of one legal entity (what `QboClient` calls).

    ``on_reconnect_required(reason)`` is called once when Intuit refuses the refresh
    token (e.g. to mark the legal entity "reconnect required").
    """

    def __init__(
        self,
        org_id: str,
        legal_entity_id: str,
        *,
        vault: TokenStore | None = None,
        oauth: TokenRefresher | None = None,
        oauth_factory: Callable[[], TokenRefresher] | None = None,
        on_reconnect_required: Callable[[str], None] | None = None,
        refresh_guard: Callable[[], AbstractContextManager[object]] | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = REFRESH_MARGIN_SECONDS,
        dead_recheck_seconds: float = DEAD_RECHECK_SECONDS,
    ) -> None:
        self.org_id = org_id
        self.legal_entity_id = legal_entity_id
        self._vault = vault if vault is not None else _default_vault()
        self._oauth = oauth
        # Built lazily: a warm process with a fresh access token needs no Intuit client.
        self._oauth_factory = oauth_factory or default_oauth
        self._on_reconnect_required = on_reconnect_required
        self._guard = refresh_guard
        self._clock = clock
        self._margin = refresh_margin
        self._recheck = dead_recheck_seconds
        self._entry = token_cache.entry_for(org_id, legal_entity_id)

    def __repr__(self) -> str:
        return f"TokenManager(org_id={self.org_id!r}, legal_entity_id={self.legal_entity_id!r})"

    # -- public -------------------------------------------------------------------------

    @property
    def realm_id(self) -> str:
        return self.current().realm_id

    def current(self) -> TokenSet:
        """The token set in use (loaded from the vault on first use)."""
        with self._entry.lock:
            return self._loaded()

    def access_token(self) -> str:
        """A usable access token; refreshes only within ``refresh_margin`` of expiry."""
        with self._entry.lock:
            tokens = self._loaded()
            if not tokens.access_expires_within(self._margin, self._clock()):
                return tokens.access_token
            return self._refresh(rejected=None)

    def force_refresh(self, rejected: str | None = None) -> str:
        """Refresh now (QBO answered 401). Returns the new access token, already persisted.

        ``rejected`` is the access token QBO refused: if another thread has replaced it
        meanwhile, that newer token is returned without a second refresh.
        """
        with self._entry.lock:
            tokens = self._loaded()
            if (
                rejected is not None
                and tokens.access_token != rejected
                and not tokens.access_expires_within(self._margin, self._clock())
            ):
                return tokens.access_token
            return self._refresh(rejected=rejected)

    # -- internals (entry lock held) ---------------------------------------------------------

    def _reconnect(self, reason: str, *, not_connected: bool = False) -> ReconnectRequired:
        e = self._entry
        return ReconnectRequired(
            reason,
            org_id=self.org_id,
            legal_entity_id=self.legal_entity_id,
            not_connected=not_connected,
            intuit_tid=e.dead_tid,
        )

    def _die(
        self,
        reason: str,
        refresh_token: str | None,
        tid: str | None = None,
        not_connected: bool = False,
    ) -> ReconnectRequired:
        e = self._entry
        e.tokens = None
        e.unsaved = False
        e.dead_reason = reason
        e.dead_at = self._clock()
        e.dead_refresh = refresh_token
        e.dead_tid = tid
        err = self._reconnect(reason, not_connected=not_connected)
        log.warning(
            "QBO reconnect required",
            extra={
                "org_id": self.org_id,
                "legal_entity_id": self.legal_entity_id,
                "reason": reason,
                "intuit_tid": tid,
            },
        )
        if self._on_reconnect_required is not None:
            try:
                self._on_reconnect_required(reason)
            except Exception:  # the callback must not hide the reconnect error
                log.exception("on_reconnect_required callback failed")
        return err

    def _loaded(self) -> TokenSet:
        e = self._entry
        if e.dead_reason is not None:
            # Fail fast, but look at the vault now and then: a reconnect from another
            # process stores fresh tokens there.
            if self._clock() - e.dead_at < self._recheck:
                raise self._reconnect(e.dead_reason)
            stored = self._vault.load(self.org_id, self.legal_entity_id)
            if stored is None or stored.refresh_token == e.dead_refresh:
                e.dead_at = self._clock()
                raise self._reconnect(e.dead_reason, not_connected=stored is None)
            e.tokens, e.dead_reason = stored, None
        if e.tokens is None:
            stored = self._vault.load(self.org_id, self.legal_entity_id)
            if stored is None:
                raise self._reconnect(
                    "No QuickBooks tokens are stored for this legal entity: connect it first.",
                    not_connected=True,
                )
            e.tokens = stored
        if e.unsaved:
            self._persist(e.tokens)
        return e.tokens

    def _persist(self, tokens: TokenSet) -> None:
        try:
            self._vault.save(self.org_id, self.legal_entity_id, tokens)
        except Exception as exc:
            self._entry.unsaved = True
            raise TokenPersistError(
                f"storing refreshed QuickBooks tokens failed ({type(exc).__name__})"
            ) from exc
        self._entry.unsaved = False

    def _usable(self, tokens: TokenSet, rejected: str | None) -> bool:
        return tokens.access_token != rejected and not tokens.access_expires_within(
            self._margin, self._clock()
        )

    def _refresh(self, rejected: str | None) -> str:
        guard = self._guard() if self._guard is not None else contextlib.nullcontext()
        with guard:
            return self._refresh_guarded(rejected)

    def _refresh_guarded(self, rejected: str | None) -> str:
        e = self._entry
        assert e.tokens is not None
        # Another process may have refreshed (and rotated) since we loaded.
        stored = self._vault.load(self.org_id, self.legal_entity_id)
        if stored is None:
            raise self._die(
                "The QuickBooks connection was removed (disconnected): connect it again.",
                e.tokens.refresh_token,
                not_connected=True,
            )
        if stored.refresh_token != e.tokens.refresh_token or stored.obtained_at > (
            e.tokens.obtained_at
        ):
            e.tokens = stored
            if self._usable(stored, rejected):
                return stored.access_token

        oauth = self._oauth if self._oauth is not None else self._oauth_factory()
        self._oauth = oauth
        current = e.tokens
        try:
            fresh = oauth.refresh(current.refresh_token, current.realm_id)
        except OAuthGrantInvalid as exc:
            outcome = self._after_invalid_grant(oauth, current, rejected, exc)
            if isinstance(outcome, str):
                return outcome
            fresh = outcome

        if not fresh.realm_id or fresh.refresh_hard_expires_at is None:
            # A refresh does not repeat the realm, and the hard expiry only sometimes.
            fresh = dataclasses.replace(
                fresh,
                realm_id=fresh.realm_id or current.realm_id,
                refresh_hard_expires_at=(
                    fresh.refresh_hard_expires_at
                    if fresh.refresh_hard_expires_at is not None
                    else current.refresh_hard_expires_at
                ),
            )
        e.tokens = fresh
        e.unsaved = True
        # Persist before use: the previous refresh token may already be dead at Intuit.
        self._persist(fresh)
        log.info(
            "QBO tokens refreshed",
            extra={
                "org_id": self.org_id,
                "legal_entity_id": self.legal_entity_id,
                "rotated": fresh.refresh_token != current.refresh_token,
            },
        )
        return fresh.access_token

    def _after_invalid_grant(
        self,
        oauth: TokenRefresher,
        used: TokenSet,
        rejected: str | None,
        exc: OAuthGrantInvalid,
    ) -> TokenSet | str:
        """One more look at the vault: a concurrent refresher may have just rotated."""
        e = self._entry
        stored = self._vault.load(self.org_id, self.legal_entity_id)
        if stored is not None and stored.refresh_token != used.refresh_token:
            e.tokens = stored
            if self._usable(stored, rejected):
                return stored.access_token
            try:
                return oauth.refresh(stored.refresh_token, stored.realm_id)
            except OAuthGrantInvalid as again:
                exc = again
                used = stored
        reason = (
            "QuickBooks no longer accepts this connection's refresh token (invalid_grant): "
            "it was revoked, expired or replaced. A QuickBooks administrator must connect "
            "the legal entity again."
        )
        raise self._die(reason, used.refresh_token, exc.intuit_tid) from None


def token_manager_for(
    org_id: str,
    legal_entity_id: str,
    *,
    on_reconnect_required: Callable[[str], None] | None = None,
    vault: TokenStore | None = None,
    oauth: TokenRefresher | None = None,
    refresh_guard: Callable[[], AbstractContextManager[object]] | None = None,
) -> TokenManager:
    """A TokenManager on the configured vault and Intuit app (built lazily)."""
    return TokenManager(
        org_id,
        legal_entity_id,
        vault=vault,
        oauth=oauth,
        on_reconnect_required=on_reconnect_required,
        refresh_guard=refresh_guard,
    )
