"""Intuit's OAuth 2.0 / OpenID Connect server: consent pages, tokens, revoke, userinfo."""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from . import consent
from .clock import Clock
from .store import App, Store

ACCESS_TTL = 3600
CODE_TTL = 600
REFRESH_TTL = 8726400  # ~101 days, what Intuit reports in x_refresh_token_expires_in
ROTATE_AFTER = 86400  # the refresh token value changes once a day
HARD_TTL = 5 * 365 * 86400  # five-year cap on refresh tokens (accounting scope)
TXN_TTL = 1800
ACCOUNTING = "com.intuit.quickbooks.accounting"
SCOPES = set(consent.SCOPE_TEXT)
SESSION_COOKIE = "qbo_sandbox_session"


@dataclass
class AuthRequest:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    created: float


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    realm_id: str
    username: str
    issued: float
    grant_id: str | None = None  # set on first exchange


@dataclass
class Grant:
    grant_id: str
    client_id: str
    realm_id: str
    username: str
    scopes: list[str]
    created: float
    refresh_token: str
    refresh_issued: float
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)

    @property
    def hard_expiry(self) -> float:
        return self.created + HARD_TTL

    @property
    def refresh_expiry(self) -> float:
        return min(self.refresh_issued + REFRESH_TTL, self.hard_expiry)


@dataclass
class AccessToken:
    grant_id: str
    expires: float


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(payload), status=status, mimetype="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _token_error(status: int, error: str, description: str | None = None) -> Response:
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return _json(status, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="text/html")


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    resp = Response("", status=302)
    resp.headers["Location"] = uri + ("&" if "?" in uri else "?") + query
    return resp


class OAuthServer:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.lock = store.lock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.requests: dict[str, AuthRequest] = {}
        self.sessions: dict[str, str] = {}
        self.codes: dict[str, Code] = {}
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, str] = {}  # current refresh token value -> grant id
        # Every code and token ever handed out, so leak checks can look for them.
        self.issued: set[str] = set()

    # --- discovery and keys -------------------------------------------------------------

    @staticmethod
    def issuer(base: str) -> str:
        return base + "/op/v1"

    def discovery(self, base: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer(base),
            "authorization_endpoint": base + "/connect/oauth2",
            "token_endpoint": base + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base + "/v2/oauth2/tokens/revoke",
            "jwks_uri": base + "/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": sorted(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    # --- authorize: sign-in and company picker -------------------------------------------

    def authorize(self, req: Request) -> Response:
        args = req.args
        app = self.store.apps.get(args.get("client_id", ""))
        if app is None:
            return _html(consent.error_page("Invalid client_id: this app is not registered."), 400)
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            # Never redirect to an unregistered URI: show the error instead.
            return _html(consent.error_page(
                "The redirect_uri does not match the app's registered redirect URIs."), 400)
        state = args.get("state")
        if args.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        scopes = args.get("scope", "").split()
        if not scopes or any(s not in SCOPES for s in scopes):
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        with self.lock:
            self._expire_requests()
            txn = secrets.token_urlsafe(24)
            self.requests[txn] = AuthRequest(app.client_id, redirect_uri, scopes, state,
                                             self.clock.now())
        user = self._session_user(req)
        if user is None:
            return _html(consent.signin_page(txn, app.name))
        return self._choose(txn, user)

    def _expired_or_denied(self, txn: str, auth: AuthRequest | None) -> Response:
        if auth is None:
            return _html(consent.error_page("This sign-in has expired. Start again from the app."),
                         400)
        return self._deny(txn, auth)

    def signin(self, req: Request) -> Response:
        form = req.form
        txn = form.get("txn", "")
        auth = self.requests.get(txn)
        if auth is None or form.get("action") == "cancel":
            return self._expired_or_denied(txn, auth)
        username = form.get("username", "").strip()
        user = self.store.users.get(username) or next(
            (u for u in self.store.users.values() if u.email.lower() == username.lower()), None)
        if user is None or not hmac.compare_digest(user.password, form.get("password", "")):
            app = self.store.apps[auth.client_id]
            return _html(consent.signin_page(txn, app.name, "Incorrect user ID or password.",
                                             username), 401)
        sid = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[sid] = user.username
        resp = Response("", status=303)
        resp.headers["Location"] = f"/connect/oauth2/choose?txn={txn}"
        resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", path="/")
        return resp

    def choose(self, req: Request) -> Response:
        txn = req.args.get("txn", "")
        if txn not in self.requests:
            return _html(consent.error_page("This sign-in has expired. Start again from the app."),
                         400)
        user = self._session_user(req)
        if user is None:
            app = self.store.apps[self.requests[txn].client_id]
            return _html(consent.signin_page(txn, app.name))
        return self._choose(txn, user)

    def signout(self, req: Request) -> Response:
        sid = req.cookies.get(SESSION_COOKIE, "")
        with self.lock:
            self.sessions.pop(sid, None)
        txn = req.args.get("txn", "")
        auth = self.requests.get(txn)
        name = self.store.apps[auth.client_id].name if auth else "the app"
        resp = _html(consent.signin_page(txn, name))
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    def consent(self, req: Request) -> Response:
        form = req.form
        txn = form.get("txn", "")
        auth = self.requests.get(txn)
        if auth is None or form.get("action") == "cancel":
            return self._expired_or_denied(txn, auth)
        user = self._session_user(req)
        if user is None:
            return _html(consent.signin_page(txn, self.store.apps[auth.client_id].name,
                                             "Please sign in again."), 401)
        realm = form.get("realmId", "")
        company = self.store.companies.get(realm)
        if company is None or user not in company.admins:
            return self._choose(txn, user, "Choose a company you are an admin of.", 403)
        code = secrets.token_urlsafe(48)
        with self.lock:
            self.requests.pop(txn, None)
            self.issued.add(code)
            self.codes[code] = Code(auth.client_id, auth.redirect_uri, auth.scopes, realm, user,
                                    self.clock.now())
        return _redirect(auth.redirect_uri, {"code": code, "state": auth.state, "realmId": realm})

    def _deny(self, txn: str, auth: AuthRequest) -> Response:
        with self.lock:
            self.requests.pop(txn, None)
        return _redirect(auth.redirect_uri, {"error": "access_denied", "state": auth.state})

    def _choose(self, txn: str, username: str, error: str | None = None,
                status: int = 200) -> Response:
        auth = self.requests[txn]
        user = self.store.users[username]
        admin_of = [(c.realm_id, c.name) for c in self.store.companies.values()
                    if username in c.admins]
        member_of = [c.name for c in self.store.companies.values()
                     if username in c.users and username not in c.admins]
        display = f"{user.given_name} {user.family_name}".strip() or user.username
        html = consent.choose_page(txn, self.store.apps[auth.client_id].name, display, admin_of,
                                   member_of, auth.scopes, error)
        return _html(html, status)

    def _session_user(self, req: Request) -> str | None:
        user = self.sessions.get(req.cookies.get(SESSION_COOKIE, ""))
        return user if user in self.store.users else None

    def _expire_requests(self) -> None:
        cutoff = self.clock.now() - TXN_TTL
        for txn in [t for t, r in self.requests.items() if r.created < cutoff]:
            del self.requests[txn]

    # --- token endpoint --------------------------------------------------------------------

    def _client(self, req: Request) -> App | None:
        header = req.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
        else:
            client_id, secret = req.form.get("client_id", ""), req.form.get("client_secret", "")
        app = self.store.apps.get(client_id)
        if app is None or not hmac.compare_digest(app.client_secret.encode(), secret.encode()):
            return None
        return app

    def token(self, req: Request, base: str) -> Response:
        app = self._client(req)
        if app is None:
            return _token_error(401, "invalid_client")
        grant_type = req.form.get("grant_type", "")
        hard = req.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
        with self.lock:
            if grant_type == "authorization_code":
                return self._exchange_code(req, app, base, hard)
            if grant_type == "refresh_token":
                return self._refresh(req, app, hard)
        return _token_error(400, "unsupported_grant_type")

    def _exchange_code(self, req: Request, app: App, base: str, hard: bool) -> Response:
        value = req.form.get("code", "")
        if not value:
            return _token_error(400, "invalid_request")
        code = self.codes.get(value)
        now = self.clock.now()
        if code is None or code.client_id != app.client_id:
            return _token_error(400, "invalid_grant")
        if code.grant_id is not None:
            # Replay: the code is burnt and so is everything issued from it.
            self._revoke_grant(code.grant_id)
            return _token_error(400, "invalid_grant")
        if now - code.issued > CODE_TTL:
            return _token_error(400, "invalid_grant", "Authorization code expired")
        if req.form.get("redirect_uri", "") != code.redirect_uri:
            return _token_error(400, "invalid_grant", "redirect_uri mismatch")
        grant = Grant(secrets.token_hex(12), app.client_id, code.realm_id, code.username,
                      code.scopes, now, self._new_refresh(), now)
        code.grant_id = grant.grant_id
        self.grants[grant.grant_id] = grant
        self.refresh[grant.refresh_token] = grant.grant_id
        payload = self._token_payload(grant, hard)
        if "openid" in code.scopes:
            payload["id_token"] = self._id_token(grant, base)
        return _json(200, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _refresh(self, req: Request, app: App, hard: bool) -> Response:
        value = req.form.get("refresh_token", "")
        if not value:
            return _token_error(400, "invalid_request")
        grant = self.grants.get(self.refresh.get(value, ""))
        now = self.clock.now()
        if grant is None or grant.client_id != app.client_id or grant.revoked:
            return _token_error(400, "invalid_grant", "Token invalid")
        if now >= grant.refresh_expiry:
            return _token_error(400, "invalid_grant", "Token invalid")
        if now - grant.refresh_issued >= ROTATE_AFTER:
            # The replaced value dies at once (the stricter of Intuit's two statements).
            del self.refresh[grant.refresh_token]
            grant.refresh_token = self._new_refresh()
            grant.refresh_issued = now
            self.refresh[grant.refresh_token] = grant.grant_id
        return _json(200, self._token_payload(grant, hard),
                     {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def grant_without_consent(
        self, client_id: str, realm_id: str, username: str, scopes: list[str]
    ) -> dict[str, Any]:
        """Tokens as if `username` had consented: for benches and tests that exercise
        the Accounting API, not the consent flow. Same payload as the token endpoint."""
        with self.lock:
            now = self.clock.now()
            grant = Grant(secrets.token_hex(12), client_id, realm_id, username, list(scopes),
                          now, self._new_refresh(), now)
            self.grants[grant.grant_id] = grant
            self.refresh[grant.refresh_token] = grant.grant_id
            return self._token_payload(grant, False)

    def _token_payload(self, grant: Grant, hard: bool) -> dict[str, Any]:
        now = self.clock.now()
        access = "eyJ" + secrets.token_urlsafe(96)
        self.access[access] = AccessToken(grant.grant_id, now + ACCESS_TTL)
        grant.access_tokens.add(access)
        self.issued.update((access, grant.refresh_token))
        payload: dict[str, Any] = {
            "x_refresh_token_expires_in": round(grant.refresh_expiry - now),
            "refresh_token": grant.refresh_token,
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ACCESS_TTL,
        }
        if hard:
            payload["x_refresh_token_hard_expires_in"] = round(grant.hard_expiry - now)
        return payload

    @staticmethod
    def _new_refresh() -> str:
        return "RT1-" + secrets.token_hex(4) + "-H0-" + secrets.token_urlsafe(30)

    def _id_token(self, grant: Grant, base: str) -> str:
        # iat/exp use real time: clients validate id_tokens against their own clock.
        issued = int(time.time())
        user = self.store.users[grant.username]
        claims = {
            "iss": self.issuer(base), "aud": [grant.client_id], "sub": user.sub,
            "realmid": grant.realm_id, "auth_time": issued, "iat": issued, "exp": issued + 3600,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def _revoke_grant(self, grant_id: str) -> None:
        grant = self.grants.get(grant_id)
        if grant is None:
            return
        grant.revoked = True
        self.refresh.pop(grant.refresh_token, None)
        for token in grant.access_tokens:
            self.access.pop(token, None)
        grant.access_tokens.clear()

    # --- revoke and userinfo ---------------------------------------------------------------

    def revoke(self, req: Request) -> Response:
        app = self._client(req)
        if app is None:
            return _token_error(401, "invalid_client")
        token = ""
        if req.mimetype == "application/json":
            try:
                body = json.loads(req.get_data(as_text=True) or "{}")
                token = str(body.get("token", "")) if isinstance(body, dict) else ""
            except ValueError:
                return _token_error(400, "invalid_request")
        else:
            token = req.form.get("token", "")
        if not token:
            return _token_error(400, "invalid_request")
        with self.lock:
            grant_id = self.refresh.get(token) or (
                self.access[token].grant_id if token in self.access else None)
            grant = self.grants.get(grant_id or "")
            if grant is not None and grant.client_id == app.client_id:
                self._revoke_grant(grant.grant_id)
        # RFC 7009: an unknown or already revoked token is not an error.
        return Response("", status=200)

    def bearer(self, req: Request) -> tuple[Grant | None, str]:
        """The live grant behind an `Authorization: Bearer` header, or why there is none."""
        header = req.headers.get("Authorization", "")
        if header[:7].lower() != "bearer ":
            return None, "Token invalid: no bearer token in the Authorization header"
        token = header[7:].strip()
        with self.lock:
            access = self.access.get(token)
            if access is None:
                return None, "Token invalid"
            grant = self.grants.get(access.grant_id)
            if grant is None or grant.revoked:
                return None, "Token revoked"
            if self.clock.now() >= access.expires:
                return None, "Token expired: the access token is older than 60 minutes"
            return grant, ""

    def userinfo(self, req: Request) -> Response:
        grant, reason = self.bearer(req)
        if grant is None:
            return _json(401, {"error": "invalid_token", "error_description": reason},
                         {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'})
        if "openid" not in grant.scopes:
            return _json(403, {"error": "insufficient_scope",
                               "error_description": "the openid scope was not granted"})
        user = self.store.users[grant.username]
        info: dict[str, Any] = {"sub": user.sub}
        if "email" in grant.scopes:
            info.update({"email": user.email, "emailVerified": True})
        if "profile" in grant.scopes:
            info.update({"givenName": user.given_name, "familyName": user.family_name})
        return _json(200, info)

    # --- admin view (never shows token values) ---------------------------------------------

    def grants_summary(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"grant_id": g.grant_id, "client_id": g.client_id, "realm_id": g.realm_id,
                     "username": g.username, "scopes": g.scopes, "revoked": g.revoked,
                     "created": g.created, "refresh_issued": g.refresh_issued}
                    for g in self.grants.values()]
