"""Connecting a legal entity to its QBO company: the seed guide, step by step.

    start (JWT) ─popup_url─▶ launch (popup) ─cookie, Intuit URL─▶ Intuit: sign in, company, Next
        ─▶ complete (GET callback, same browser): exchange, verify the realm, refusals
        ─▶ confirmation page "connect company X to legal entity Y?"
        ─▶ confirm (POST, same browser): bind and store tokens │ cancel: revoke
    then status / disconnect.

Every step is single use and expires; every refusal is a page in words, and the
opener window hears the final outcome by postMessage.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from qbo_connector.logic.permissions import require_root_admin, require_same_org
from qbo_connector.logic.ports import (
    CompanyAccessRefused,
    CompanyReaderPort,
    CompanySnapshot,
    LegalEntityStorePort,
    OAuthAttemptStorePort,
    OAuthPort,
    ScheduleRulesPort,
    TokenVaultPort,
)
from qbo_connector.models.caller import Caller
from qbo_connector.models.errors import Conflict, NotFound
from qbo_connector.models.faults import RealmAlreadyClaimed
from qbo_connector.models.legal_entity import (
    CompanyPreferences,
    ConnectionState,
    LegalEntity,
    validate_id,
)
from qbo_connector.models.oauth_attempt import Consumed, OAuthAttempt, PendingConnection
from qbo_connector.models.tokens import TokenSet
from qbo_connector.observability import logger, metrics

SCOPES = ["com.intuit.quickbooks.accounting", "openid", "email", "profile"]
DUPLICATE_SETTING_PATH = (
    "Settings → Account and Settings → Advanced → Other Preferences → "
    "Warn if duplicate bill number is used"
)
HARD_EXPIRY_WARNING_DAYS = 30


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def browser_cookie_name(state_hash: str) -> str:
    """One cookie per attempt (two popups for two entities do not overwrite each other).

    `__Host-` makes browsers refuse it unless Secure, Path=/ and without Domain.
    """
    return f"{COOKIE_PREFIX}{state_hash[:16]}"


COOKIE_PREFIX = "__Host-qbo-connect-"
CONFIRM_SECONDS = 300  # the confirmation page's life: Intuit's fresh tokens wait meanwhile
_SUFFIX = re.compile(r"^[0-9a-f]{16}\Z")
_REALM = re.compile(r"^[0-9]{1,32}\Z")  # Intuit's company ids are decimal digits


# Our own tokens are token_urlsafe(32): 43 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}\Z")


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback page shows and tells the opener window."""

    status_code: int
    # confirm | connected | cancelled | expired | other_browser | refused | failed | invalid
    outcome: str
    title: str
    message: str
    legal_entity_id: str | None = None
    company_name: str | None = None
    clear_cookie: str | None = None  # the attempt's browser cookie, spent
    confirm: ConfirmPrompt | None = None  # set on the "confirm" page only


@dataclass(frozen=True)
class ConfirmPrompt:
    """What the confirmation form carries back (the token is single use, cookie-bound)."""

    confirmation: str
    attempt: str  # which cookie holds this browser's nonce
    entity_name: str
    realm_id: str


@dataclass(frozen=True)
class BrowserCookie:
    name: str
    value: str
    max_age: int


@dataclass(frozen=True)
class Launch:
    """The launch answer: a redirect to Intuit with the browser's cookie, or a page."""

    redirect_to: str | None = None
    cookie: BrowserCookie | None = None
    page: CallbackOutcome | None = None


INCOMPLETE = CallbackOutcome(
    400,
    "invalid",
    "This link is incomplete",
    "The address has no connection attempt in it. Close this window and click "
    "Connect to QuickBooks again.",
)
_EXPIRED = CallbackOutcome(
    400,
    "expired",
    "The connection timed out",
    "This connection attempt timed out or was already used. Close this window and "
    "click Connect to QuickBooks again, then finish the steps in one sitting.",
)
_OTHER_BROWSER = CallbackOutcome(
    400,
    "other_browser",
    "This window did not start the connection",
    "A connection can only be finished in the window that started it. Nothing was "
    "connected. Whoever is connecting the legal entity clicks Connect to QuickBooks "
    "in the AP platform and signs in to QuickBooks in the window that opens.",
)


_CANCELLED = CallbackOutcome(
    200,
    "cancelled",
    "Connection cancelled",
    "QuickBooks was not connected because the request was cancelled. You can "
    "click Connect to QuickBooks again at any time.",
)


def _not_completed(legal_entity_id: str) -> CallbackOutcome:
    """A realm or token the chosen company refuses: the same words, connected anywhere or not."""
    return CallbackOutcome(
        400,
        "failed",
        "The connection could not be completed",
        "QuickBooks did not confirm the chosen company for this sign-in. Close this "
        "window and click Connect to QuickBooks again.",
        legal_entity_id,
    )


def _clears(outcome: CallbackOutcome, state_hash: str) -> CallbackOutcome:
    return replace(outcome, clear_cookie=browser_cookie_name(state_hash))


class ConnectionService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        attempts: OAuthAttemptStorePort,
        vault: TokenVaultPort,
        oauth: Callable[[], OAuthPort],
        companies: CompanyReaderPort,
        schedules: ScheduleRulesPort,
        state_ttl_seconds: int,
        launch_url: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entities = entities
        self._attempts = attempts
        self._vault = vault
        self._oauth = oauth  # a factory: building intuitlib's client needs the app secret
        self._companies = companies
        self._schedules = schedules
        self._ttl = state_ttl_seconds
        self._launch_url = launch_url  # GET /oauth/launch on this API
        self._clock = clock

    # -- helpers ---------------------------------------------------------------------------

    def entity_for(self, caller: Caller, legal_entity_id: str) -> LegalEntity:
        validate_id(legal_entity_id, "id")
        entity = self._entities.get(caller.org_id, legal_entity_id)
        if entity is None:
            raise NotFound("No such legal entity.", code="legal_entity_not_found")
        require_same_org(caller, entity.org_id)
        return entity

    # -- OAuth start -----------------------------------------------------------------------

    def start(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        require_root_admin(caller)
        entity = self.entity_for(caller, legal_entity_id)
        now = int(self._clock())
        launch_token = secrets.token_urlsafe(32)
        attempt = OAuthAttempt(
            attempt_hash=sha256_hex(launch_token),
            org_id=entity.org_id,
            legal_entity_id=entity.legal_entity_id,
            user_id=caller.user_id,
            user_name=caller.display_name,
            created_at=now,
            expires_at=now + self._ttl,
        )
        blocking = self._attempts.begin(attempt, now)
        if blocking is not None:
            raise Conflict(
                f"{blocking.user_name or blocking.user_id} is connecting this legal entity right "
                f"now (until {iso(blocking.expires_at)}); wait for them to finish or for the "
                "attempt to expire.",
                code="connection_attempt_in_progress",
                details={"started_by": blocking.user_name, "expires_at": iso(blocking.expires_at)},
            )
        logger.info("OAuth attempt started", extra={"legal_entity_id": legal_entity_id})
        return {
            "popup_url": f"{self._launch_url}?{urlencode({'attempt': launch_token})}",
            "expires_at": iso(attempt.expires_at),
            "expires_in_seconds": self._ttl,
        }

    # -- the popup opens our launch URL ----------------------------------------------------

    def launch(self, launch_token: str) -> Launch:
        """Open the attempt in this browser: one state for Intuit, one nonce for a cookie.

        The launch token is single use, so the popup the front end opened is the only
        browser that can ever hold the attempt's cookie.
        """
        if not _TOKEN.match(launch_token or ""):
            return Launch(page=INCOMPLETE)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        attempt = self._attempts.launch(
            sha256_hex(launch_token), sha256_hex(state), sha256_hex(nonce)
        )
        now = int(self._clock())
        if attempt is None or attempt.expires_at <= now:
            if attempt is not None:
                self._attempts.finish(attempt)
            return Launch(page=_EXPIRED)
        return Launch(
            redirect_to=self._oauth().authorization_url(state, SCOPES),
            cookie=BrowserCookie(
                name=browser_cookie_name(sha256_hex(state)),
                value=nonce,
                max_age=attempt.expires_at - now,
            ),
        )

    # -- OAuth callback --------------------------------------------------------------------

    def complete(self, params: dict[str, str], cookies: dict[str, str]) -> CallbackOutcome:
        state = params.get("state") or ""
        if not _TOKEN.match(state):
            return INCOMPLETE
        hashed = sha256_hex(state)
        nonce = cookies.get(browser_cookie_name(hashed)) or ""
        consumed, attempt = self._attempts.consume(
            hashed, sha256_hex(nonce) if _TOKEN.match(nonce) else "-"
        )
        if consumed == Consumed.OTHER_BROWSER:
            logger.warning("OAuth callback from a browser that did not launch the attempt")
            metrics.add_metric(name="Connection_other_browser", unit="Count", value=1)
            return _clears(_OTHER_BROWSER, hashed)
        if attempt is None or attempt.expires_at <= self._clock():
            if attempt is not None:
                self._attempts.finish(attempt)
            return _clears(_EXPIRED, hashed)
        try:
            outcome = self._complete(attempt, params)
        finally:
            self._attempts.finish(attempt)
        metrics.add_metric(name=f"Connection_{outcome.outcome}", unit="Count", value=1)
        # The confirmation page still needs the cookie; every other answer spends it.
        return outcome if outcome.confirm else _clears(outcome, hashed)

    def _complete(self, attempt: OAuthAttempt, params: dict[str, str]) -> CallbackOutcome:
        legal_entity_id = attempt.legal_entity_id
        error = params.get("error")
        if error:
            if error == "access_denied":
                return replace(_CANCELLED, legal_entity_id=legal_entity_id)
            return CallbackOutcome(
                400,
                "failed",
                "QuickBooks refused the connection",
                f"Intuit answered '{error[:64]}'. Click Connect to QuickBooks again; if it "
                "keeps happening, contact support.",
                legal_entity_id,
            )
        code, realm_id = params.get("code") or "", params.get("realmId") or ""
        if not code or not realm_id:
            return CallbackOutcome(
                400,
                "invalid",
                "This link is incomplete",
                "Intuit's answer lacks the authorization code or the company id. Click "
                "Connect to QuickBooks again.",
                legal_entity_id,
            )
        if not _REALM.match(realm_id):
            return _not_completed(legal_entity_id)
        entity = self._entities.get(attempt.org_id, legal_entity_id)
        if entity is None:
            return CallbackOutcome(
                404,
                "failed",
                "Legal entity not found",
                "The legal entity was removed while connecting.",
                legal_entity_id,
            )
        oauth = self._oauth()
        try:
            tokens = oauth.exchange_code(code, realm_id)
        except Exception as exc:  # noqa: BLE001 - the page must always render
            logger.warning("code exchange failed", extra={"error_type": type(exc).__name__})
            return CallbackOutcome(
                400,
                "failed",
                "QuickBooks did not accept the sign-in",
                "The sign-in could not be completed (it may have expired or been used twice). "
                "Close this window and click Connect to QuickBooks again.",
                legal_entity_id,
            )
        try:
            # Reading the company first proves the token belongs to realm_id: a tampered
            # realmId is refused here, the same way whether or not it is connected anywhere.
            company = self._companies.read(realm_id, tokens.access_token)
            who = self._who(oauth, tokens.access_token)
        except CompanyAccessRefused as exc:
            logger.warning("the chosen company refused its token", extra={"error_type": exc.kind})
            self._revoke_quietly(oauth, tokens.refresh_token)
            return _not_completed(legal_entity_id)
        except Exception as exc:  # noqa: BLE001 - an outage: the page must still render
            logger.warning("reading the company failed", extra={"error_type": type(exc).__name__})
            self._revoke_quietly(oauth, tokens.refresh_token)
            return CallbackOutcome(
                503,
                "failed",
                "QuickBooks is not answering",
                "QuickBooks did not answer while reading the company. Try Connect to "
                "QuickBooks again in a few minutes.",
                legal_entity_id,
            )
        refusal = self._refusal(entity, realm_id)
        if refusal is not None:
            self._revoke_quietly(oauth, tokens.refresh_token)
            return refusal
        return self._ask_to_confirm(attempt, entity, realm_id, company, who, tokens)

    # -- the person confirms the company and the legal entity ------------------------------

    def _ask_to_confirm(
        self,
        attempt: OAuthAttempt,
        entity: LegalEntity,
        realm_id: str,
        company: CompanySnapshot,
        who: str | None,
        tokens: TokenSet,
    ) -> CallbackOutcome:
        """Nothing is bound before the person has seen which company goes to which entity.

        The tokens wait in the entity's pending secret (never in the page or DynamoDB);
        the confirmation is single use, bound to the same browser cookie, and short-lived.
        """
        token = secrets.token_urlsafe(32)
        now = int(self._clock())
        pending = PendingConnection(
            confirmation_hash=sha256_hex(token),
            browser_hash=attempt.browser_hash or "",
            org_id=entity.org_id,
            legal_entity_id=entity.legal_entity_id,
            user_id=attempt.user_id,
            user_name=attempt.user_name,
            realm_id=realm_id,
            company_name=company.company_name,
            country=company.country,
            preferences=asdict(company.preferences),
            intuit_email=who,
            expires_at=now + CONFIRM_SECONDS,
        )
        self._vault.hold_pending(entity.org_id, entity.legal_entity_id, pending.key, tokens)
        self._attempts.hold(pending)
        replacing = (
            f" It replaces the connection to {entity.company_name}."
            if entity.realm_id and entity.realm_id != realm_id and entity.company_name
            else ""
        )
        return CallbackOutcome(
            200,
            "confirm",
            "Connect this company?",
            f"Connect the QuickBooks company {company.company_name} (company id {realm_id}) "
            f"to the legal entity {entity.name}?{replacing} Nothing is connected until you "
            f"click Connect; this choice is open for {CONFIRM_SECONDS // 60} minutes.",
            entity.legal_entity_id,
            company.company_name,
            confirm=ConfirmPrompt(
                confirmation=token,
                attempt=browser_cookie_name(attempt.state_hash or "")[len(COOKIE_PREFIX) :],
                entity_name=entity.name,
                realm_id=realm_id,
            ),
        )

    def confirm(self, form: dict[str, str], cookies: dict[str, str]) -> CallbackOutcome:
        """The person's answer on the confirmation page (POST from that page only)."""
        token, decision = form.get("confirmation") or "", form.get("decision") or ""
        suffix = form.get("attempt") or ""
        if not _TOKEN.match(token) or not _SUFFIX.match(suffix):
            return INCOMPLETE
        cookie = f"{COOKIE_PREFIX}{suffix}"
        nonce = cookies.get(cookie) or ""
        consumed, pending = self._attempts.take(
            sha256_hex(token), sha256_hex(nonce) if _TOKEN.match(nonce) else "-"
        )
        if consumed == Consumed.OTHER_BROWSER:
            return _OTHER_BROWSER
        if pending is None or pending.expires_at <= self._clock():
            if pending is not None:
                self._drop_pending(pending)
            return replace(_EXPIRED, clear_cookie=cookie)
        if decision != "connect":
            self._drop_pending(pending)
            outcome = replace(_CANCELLED, legal_entity_id=pending.legal_entity_id)
        else:
            outcome = self._bind(pending)
        metrics.add_metric(name=f"Connection_{outcome.outcome}", unit="Count", value=1)
        return replace(outcome, clear_cookie=cookie)

    def _drop_pending(self, pending: PendingConnection) -> None:
        """Never connected: revoke Intuit's grant so the company's app list stays true."""
        org_id, legal_entity_id = pending.org_id, pending.legal_entity_id
        tokens = self._vault.take_pending(org_id, legal_entity_id, pending.key)
        if tokens is not None:
            self._revoke_quietly(self._oauth(), tokens.refresh_token)
        self._vault.drop_pending(org_id, legal_entity_id, pending.key)

    def sweep_unanswered(self) -> int:
        """Confirmations left open (the window was closed): revoke and forget them."""
        swept = 0
        for pending in self._attempts.expired_confirmations(int(self._clock())):
            self._drop_pending(pending)
            self._attempts.forget(pending)
            swept += 1
        if swept:
            logger.info("unanswered connection confirmations revoked", extra={"count": swept})
        return swept

    def _bind(self, pending: PendingConnection) -> CallbackOutcome:
        org_id, legal_entity_id, realm_id = (
            pending.org_id,
            pending.legal_entity_id,
            pending.realm_id,
        )
        tokens = self._vault.take_pending(org_id, legal_entity_id, pending.key)
        entity = self._entities.get(org_id, legal_entity_id)
        if tokens is None or entity is None:
            if tokens is not None:
                self._drop_pending(pending)
            return replace(_EXPIRED, legal_entity_id=legal_entity_id)
        oauth = self._oauth()
        refusal = self._refusal(entity, realm_id)  # the world may have moved meanwhile
        if refusal is not None:
            self._drop_pending(pending)
            return refusal
        now = self._clock()
        hard = tokens.refresh_hard_expires_at
        connected = replace(
            entity,
            connection_state=ConnectionState.CONNECTED,
            realm_id=realm_id,
            company_name=pending.company_name,
            country=pending.country,
            connected_by={
                "user_id": pending.user_id,
                "name": pending.user_name,
                **({"intuit_email": pending.intuit_email} if pending.intuit_email else {}),
            },
            connected_at=iso(now),
            reconnect_reason=None,
            refresh_token_hard_expires_at=iso(hard) if isinstance(hard, int | float) else None,
            preferences=replace(CompanyPreferences(**pending.preferences), checked_at=iso(now)),
        )
        # Tokens first: a bound entity without tokens would look connected and fail later.
        self._vault.save(org_id, legal_entity_id, tokens)
        self._vault.drop_pending(org_id, legal_entity_id, pending.key)
        try:
            self._entities.bind_realm(connected)
        except RealmAlreadyClaimed as exc:
            self._vault.delete(org_id, legal_entity_id)
            self._revoke_quietly(oauth, tokens.refresh_token)
            return self._claimed_elsewhere(entity, exc.org_id, realm_id)
        if entity.realm_id and entity.realm_id != realm_id:
            self._entities.release_realm(entity.realm_id, org_id, legal_entity_id)
        if entity.sync_schedule:
            self._schedules.enable(org_id, legal_entity_id)
        logger.info(
            "legal entity connected",
            extra={"legal_entity_id": legal_entity_id, "realm_id": realm_id},
        )
        return CallbackOutcome(
            200,
            "connected",
            "Connected to QuickBooks",
            f"{entity.name} is now connected to the QuickBooks company "
            f"{pending.company_name}. You can close this window.",
            legal_entity_id,
            pending.company_name,
        )

    def _refusal(self, entity: LegalEntity, realm_id: str) -> CallbackOutcome | None:
        owner = self._entities.realm_owner(realm_id)
        if owner and owner != (entity.org_id, entity.legal_entity_id):
            return self._claimed_elsewhere(entity, owner[0], realm_id)
        if entity.data_realm_id and entity.data_realm_id != realm_id:
            return CallbackOutcome(
                409,
                "refused",
                "A different QuickBooks company",
                f"{entity.name} holds data imported from another QuickBooks company. Choose "
                "that company, or ask support to reset the legal entity before connecting it "
                "to a different one.",
                entity.legal_entity_id,
            )
        return None

    def _claimed_elsewhere(
        self, entity: LegalEntity, owner_org: str, realm_id: str
    ) -> CallbackOutcome:
        owner = self._entities.realm_owner(realm_id)
        # Name the other entity only inside the same organization (tenants never see each other).
        where = (
            f"legal entity {owner[1]}"
            if owner and owner_org == entity.org_id
            else "another legal entity"
        )
        return CallbackOutcome(
            409,
            "refused",
            "Company already connected",
            f"This QuickBooks company is already connected to {where}. One QuickBooks company "
            "can be connected to only one legal entity; choose another company.",
            entity.legal_entity_id,
        )

    @staticmethod
    def _who(oauth: OAuthPort, access_token: str) -> str | None:
        try:
            info = oauth.user_info(access_token)
        except Exception:  # noqa: BLE001 - who connected is informative, not essential
            return None
        return str(info.get("email") or info.get("sub") or "") or None

    @staticmethod
    def _revoke_quietly(oauth: OAuthPort, token: str) -> None:
        try:
            oauth.revoke(token)
        except Exception as exc:  # noqa: BLE001
            logger.warning("token revoke failed", extra={"error_type": type(exc).__name__})

    # -- status / disconnect ---------------------------------------------------------------

    def status(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        entity = self.entity_for(caller, legal_entity_id)
        return self.describe(entity)

    def describe(self, entity: LegalEntity) -> dict[str, Any]:
        now = int(self._clock())
        pending = self._attempts.pending(entity.org_id, entity.legal_entity_id, now)
        state = str(entity.connection_state)
        if pending and entity.connection_state != ConnectionState.CONNECTED:
            state = str(ConnectionState.PENDING)
        body: dict[str, Any] = {
            "legal_entity_id": entity.legal_entity_id,
            "state": state,
            "realm_id": entity.realm_id,
            "company_name": entity.company_name,
            "country": entity.country,
            "connected_by": entity.connected_by,
            "connected_at": entity.connected_at,
        }
        if entity.connection_state == ConnectionState.RECONNECT_REQUIRED:
            body["reconnect_reason"] = entity.reconnect_reason
        if entity.last_disconnect and entity.connection_state == ConnectionState.NOT_CONNECTED:
            body["last_disconnect"] = entity.last_disconnect
        if pending:
            body["pending_attempt"] = {
                "started_by": pending.user_name or pending.user_id,
                "expires_at": iso(pending.expires_at),
            }
        if entity.realm_id:
            body["preflight"] = self._preflight(entity, now)
        return body

    @staticmethod
    def _preflight(entity: LegalEntity, now: int) -> list[dict[str, Any]]:
        prefs = entity.preferences
        checks: list[dict[str, Any]] = []
        if prefs.warn_duplicate_bill_number is True:
            checks.append(
                {
                    "check": "duplicate_bill_warning",
                    "status": "ok",
                    "message": "QuickBooks warns when a bill number is used twice.",
                }
            )
        else:
            checks.append(
                {
                    "check": "duplicate_bill_warning",
                    "status": "warning",
                    "message": "QuickBooks does not warn about duplicate bill numbers. Exports "
                    "still refuse duplicates (same vendor and number), but turn the setting on so "
                    "people typing bills into QuickBooks are warned too.",
                    "setting_path": DUPLICATE_SETTING_PATH,
                }
            )
        checks.append(
            {
                "check": "home_currency",
                "status": "info",
                "value": prefs.home_currency,
                "message": f"Home currency: {prefs.home_currency or 'unknown'}.",
            }
        )
        checks.append(
            {
                "check": "multicurrency",
                "status": "info",
                "value": prefs.multicurrency_enabled,
                "message": "Multicurrency is on: bills carry their currency."
                if prefs.multicurrency_enabled
                else "Multicurrency is off.",
            }
        )
        profile_types = (entity.sync_profile or {}).get("object_types") or []
        imported = "PurchaseOrder" in profile_types
        if prefs.purchase_orders:
            checks.append(
                {
                    "check": "purchase_orders",
                    "status": "ok" if imported else "info",
                    "value": True,
                    "message": "The company's plan has purchase orders; they are imported for "
                    "PO matching."
                    if imported
                    else "The company's plan has purchase orders; add PurchaseOrder to the "
                    "sync profile's object_types to import them for PO matching.",
                }
            )
        else:
            checks.append(
                {
                    "check": "purchase_orders",
                    "status": "warning" if imported else "info",
                    "value": prefs.purchase_orders,
                    "message": "The company's plan has no purchase orders (QuickBooks Online "
                    "Plus and Advanced have them)"
                    + ("; PurchaseOrder in the sync profile is skipped." if imported else "."),
                }
            )
        if entity.refresh_token_hard_expires_at:
            expires = datetime.fromisoformat(
                entity.refresh_token_hard_expires_at.replace("Z", "+00:00")
            )
            days = (expires.timestamp() - now) / 86400
            if days < HARD_EXPIRY_WARNING_DAYS:
                checks.append(
                    {
                        "check": "authorization_expiry",
                        "status": "warning",
                        "message": f"Intuit's authorization ends on {expires.date()}; reconnect "
                        "before then to keep syncing.",
                    }
                )
        return checks

    def _release(self, entity: LegalEntity) -> bool | None:
        """Revoke at Intuit (best effort), delete the tokens, free the realm.

        Returns whether Intuit confirmed the revoke (None: there were no tokens).
        """
        tokens = self._vault.load(entity.org_id, entity.legal_entity_id)
        revoked = None
        if tokens is not None:
            try:
                self._oauth().revoke(tokens.refresh_token)
                revoked = True
            except Exception as exc:  # noqa: BLE001 - disconnect must finish locally anyway
                logger.warning("revoke at Intuit failed", extra={"error_type": type(exc).__name__})
                revoked = False
            self._vault.delete(entity.org_id, entity.legal_entity_id)
        if entity.realm_id:
            self._entities.release_realm(entity.realm_id, entity.org_id, entity.legal_entity_id)
        return revoked

    def forget(self, entity: LegalEntity) -> bool | None:
        """The entity is being deleted: release the connection and remove its schedule rules."""
        revoked = self._release(entity)
        self._schedules.remove(entity.org_id, entity.legal_entity_id)
        return revoked

    def disconnect(self, caller: Caller, legal_entity_id: str) -> dict[str, Any]:
        require_root_admin(caller)
        entity = self.entity_for(caller, legal_entity_id)
        revoked = self._release(entity)
        if entity.sync_schedule:
            self._schedules.disable(entity.org_id, entity.legal_entity_id)
        self._entities.update(
            entity.org_id,
            entity.legal_entity_id,
            connection_state=str(ConnectionState.NOT_CONNECTED),
            realm_id=None,
            connected_by=None,
            connected_at=None,
            reconnect_reason=None,
            refresh_token_hard_expires_at=None,
            # Kept so support can see a revoke Intuit did not confirm (it was down).
            last_disconnect={
                "at": iso(self._clock()),
                "by": caller.display_name,
                "revoked_at_intuit": revoked,
            },
        )
        # Read again: the answer shows the entity as disconnected (NotFound if it just went).
        result = self.describe(self.entity_for(caller, legal_entity_id))
        result["revoked_at_intuit"] = revoked
        return result

    def mark_reconnect_required(self, org_id: str, legal_entity_id: str, reason: str) -> None:
        self._entities.update(
            org_id,
            legal_entity_id,
            connection_state=str(ConnectionState.RECONNECT_REQUIRED),
            reconnect_reason=reason,
        )
