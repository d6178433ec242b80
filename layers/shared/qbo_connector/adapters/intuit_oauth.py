"""Intuit OAuth 2.0 / OpenID Connect through ``intuitlib``, made safe for Lambda.

What intuitlib does on its own, and what this module changes:

- ``AuthClient(...)`` fetches the discovery document on every construction, without a
  timeout. Here the document is fetched once per process (with a timeout) and served to
  the constructor from memory; one client is built per process per
  (client_id, environment, redirect_uri).
- None of its HTTP calls has a timeout. ``AuthClient`` is a ``requests.Session``; the
  subclass below gives every request a timeout, and the module-level ``requests`` used
  by ``intuitlib.utils`` (JWKS fetch during id_token validation) is wrapped likewise.
- Its state generator uses ``random.choice``: callers must pass their own
  cryptographic state.
- It keeps tokens as attributes of a shared object: calls are serialised by a lock and
  the attributes are cleared after each call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import intuitlib.utils as _intuit_utils
import requests
from intuitlib.client import AuthClient
from intuitlib.config import DISCOVERY_URL
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from qbo_connector.adapters.qbo_faults import redact
from qbo_connector.models.faults import (
    IntuitUnavailable,
    OAuthClientInvalid,
    OAuthError,
    OAuthGrantInvalid,
    OAuthTokenRejected,
)
from qbo_connector.models.tokens import TokenSet

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (3.05, 15.0)
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
DEFAULT_SCOPES: tuple[str, ...] = (ACCOUNTING_SCOPE, "openid", "email", "profile")
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"


# --------------------------------------------------------------------------------------
# Token set: models.tokens (logic and its ports read it too); re-exported here.


# --------------------------------------------------------------------------------------
# Errors


def _error_from_auth_client(exc: AuthClientError, operation: str) -> OAuthError:
    status = exc.status_code
    tid = exc.intuit_tid
    error: str | None = None
    description: str | None = None
    try:
        payload = json.loads(exc.content or b"{}")
    except ValueError:
        payload = None
    if isinstance(payload, Mapping):
        error = payload.get("error") and str(payload.get("error"))
        description = payload.get("error_description") and redact(
            str(payload.get("error_description"))
        )
    label = error or f"HTTP {status}"
    msg = f"Intuit {operation} failed: {label}"
    if description:
        msg = f"{msg} ({description})"
    kw: dict[str, Any] = {
        "status_code": status,
        "error": error,
        "description": description,
        "intuit_tid": tid,
    }
    if error == "invalid_grant":
        return OAuthGrantInvalid(msg, **kw)
    if status >= 500 or status == 429:
        return IntuitUnavailable(msg, **kw)
    if status == 401 and operation == "userinfo":
        return OAuthTokenRejected(msg, **kw)
    if error == "invalid_client" or status == 401:
        return OAuthClientInvalid(msg, **kw)
    return OAuthError(msg, **kw)


def _unavailable(exc: Exception, operation: str) -> IntuitUnavailable:
    # Only the exception type: requests' messages can include URLs with query strings.
    return IntuitUnavailable(f"Intuit {operation} failed: {type(exc).__name__}")


# --------------------------------------------------------------------------------------
# Timeouts for intuitlib


class _TimeoutRequests:
    """Stands in for the ``requests`` module inside ``intuitlib.utils``; adds a timeout."""

    def __init__(self, module: Any, timeout: Timeout) -> None:
        self._module = module
        self.timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return self._module.get(url, **kwargs)  # type: ignore[no-any-return]

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return self._module.request(method, url, **kwargs)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _install_module_timeout(timeout: Timeout) -> None:
    current = getattr(_intuit_utils, "requests", None)
    if isinstance(current, _TimeoutRequests):
        current.timeout = timeout
    else:
        _intuit_utils.requests = _TimeoutRequests(requests, timeout)  # type: ignore[assignment]


class _TimedAuthClient(AuthClient):  # type: ignore[misc]
    """``AuthClient`` whose every request has a timeout and whose discovery is in memory."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        environment: str,
        discovery: Mapping[str, Any],
        timeout: Timeout,
    ) -> None:
        self._timeout = timeout
        self._pending_discovery: Mapping[str, Any] | None = discovery
        self.last_response: requests.Response | None = None
        super().__init__(client_id, client_secret, redirect_uri, environment)
        self._pending_discovery = None

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        doc = self._pending_discovery
        if doc is not None:
            # The constructor's discovery fetch: answer from the process cache.
            resp = requests.Response()
            resp.status_code = 200
            resp._content = json.dumps(doc).encode()
            resp.url = url
            return resp
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if method.upper() == "POST" and url == self.token_endpoint:
            headers = dict(kwargs.get("headers") or {})
            headers[HARD_EXPIRY_HEADER] = "true"
            kwargs["headers"] = headers
        resp = super().request(method, url, *args, **kwargs)
        self.last_response = resp
        return resp  # type: ignore[no-any-return]

    def forget(self) -> None:
        """Drop token material intuitlib stored on the object."""
        self.access_token = None
        self.refresh_token = None
        self.id_token = None
        self.state_token = None
        self.realm_id = None
        self.last_response = None


# --------------------------------------------------------------------------------------
# Discovery cache


_discovery_lock = threading.Lock()
_discovery: dict[str, dict[str, Any]] = {}


def discovery_url(environment: str) -> str:
    """intuitlib's mapping: sandbox/production names, anything else is the URL itself."""
    env = environment.lower()
    if env in ("production", "prod"):
        return DISCOVERY_URL["production"]
    if env in ("sandbox", "sand"):
        return DISCOVERY_URL["sandbox"]
    return environment


def get_discovery_document(environment: str, timeout: Timeout = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """The discovery document, fetched once per process per environment."""
    url = discovery_url(environment)
    with _discovery_lock:
        cached = _discovery.get(url)
        if cached is not None:
            return dict(cached)
        try:
            resp = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise _unavailable(exc, "discovery") from None
        if resp.status_code != 200:
            raise IntuitUnavailable(
                f"Intuit discovery failed: HTTP {resp.status_code}",
                status_code=resp.status_code,
                intuit_tid=resp.headers.get("intuit_tid"),
            )
        try:
            doc = resp.json()
        except ValueError:
            raise IntuitUnavailable("Intuit discovery failed: not JSON") from None
        missing = [
            k
            for k in (
                "authorization_endpoint",
                "token_endpoint",
                "revocation_endpoint",
                "issuer",
                "jwks_uri",
                "userinfo_endpoint",
            )
            if k not in doc
        ]
        if missing:
            raise IntuitUnavailable(f"Intuit discovery document lacks {', '.join(missing)}")
        _discovery[url] = doc
        return dict(doc)


# --------------------------------------------------------------------------------------
# The client


def _scopes(scopes: Iterable[str | Scopes]) -> list[Scopes]:
    out = []
    for scope in scopes:
        out.append(scope if isinstance(scope, Scopes) else Scopes(scope))
    return out


class IntuitOAuth:
    """OAuth operations for one Intuit app. Build with `get_oauth` (one per process)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        environment: str,
        timeout: Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.environment = environment
        self.timeout = timeout
        self.clock = clock
        _install_module_timeout(timeout)
        self._client = _TimedAuthClient(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            environment=environment,
            discovery=get_discovery_document(environment, timeout),
            timeout=timeout,
        )
        # intuitlib keeps call state on the client object: one call at a time.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"IntuitOAuth(client_id={self.client_id!r}, environment={self.environment!r})"

    def uses_secret(self, client_secret: str) -> bool:
        return self._client_secret == client_secret

    @property
    def endpoints(self) -> dict[str, str]:
        c = self._client
        return {
            "authorization_endpoint": c.auth_endpoint,
            "token_endpoint": c.token_endpoint,
            "revocation_endpoint": c.revoke_endpoint,
            "userinfo_endpoint": c.user_info_url,
            "issuer": c.issuer_uri,
        }

    def _call(
        self, operation: str, fn: Callable[[], Any]
    ) -> tuple[Any, requests.Response | None, str | None]:
        """Run one intuitlib call; returns its result, the HTTP response and a valid id_token."""
        with self._lock:
            self._client.forget()
            try:
                result = fn()
                return result, self._client.last_response, self._client.id_token
            except AuthClientError as exc:
                raise _error_from_auth_client(exc, operation) from None
            except requests.RequestException as exc:
                raise _unavailable(exc, operation) from None
            finally:
                self._client.forget()

    def authorization_url(self, state: str, scopes: Iterable[str | Scopes] = DEFAULT_SCOPES) -> str:
        """Intuit's consent URL. ``state`` must be the caller's cryptographic, single-use value."""
        if not state or len(state) < 16:
            raise ValueError("state must be a cryptographically random string (>= 16 chars)")
        wanted = _scopes(scopes)
        url, _, _ = self._call(
            "authorize", lambda: self._client.get_authorization_url(wanted, state_token=state)
        )
        return str(url)

    def _token_set(self, operation: str, fn: Callable[[], Any], realm_id: str) -> TokenSet:
        now = self.clock()
        _, resp, id_token = self._call(operation, fn)
        if resp is None:
            raise IntuitUnavailable(f"Intuit {operation} failed: no response")
        try:
            return TokenSet.from_token_response(resp.json(), realm_id, now, id_token)
        except (ValueError, KeyError, TypeError):
            raise IntuitUnavailable(
                f"Intuit {operation} failed: unexpected token response",
                status_code=resp.status_code,
                intuit_tid=resp.headers.get("intuit_tid"),
            ) from None

    def exchange_code(self, code: str, realm_id: str) -> TokenSet:
        """Trade the authorization code from the callback for tokens."""
        if not code:
            raise ValueError("authorization code is empty")
        return self._token_set(
            "code exchange",
            lambda: self._client.get_bearer_token(code, realm_id=realm_id),
            realm_id,
        )

    def refresh(self, refresh_token: str, realm_id: str = "") -> TokenSet:
        """New access token (and possibly a rotated refresh token)."""
        if not refresh_token:
            raise ValueError("refresh token is empty")
        return self._token_set(
            "token refresh", lambda: self._client.refresh(refresh_token=refresh_token), realm_id
        )

    def revoke(self, token: str) -> None:
        """Revoke a refresh or access token (disconnect)."""
        if not token:
            raise ValueError("token is empty")
        self._call("revoke", lambda: self._client.revoke(token=token))

    def user_info(self, access_token: str) -> dict[str, Any]:
        """OpenID userinfo: who connected (sub, email, givenName, ...)."""
        resp, _, _ = self._call(
            "userinfo", lambda: self._client.get_user_info(access_token=access_token)
        )
        try:
            data = resp.json()
        except ValueError:
            raise IntuitUnavailable("Intuit userinfo failed: not JSON") from None
        if not isinstance(data, dict):
            raise IntuitUnavailable("Intuit userinfo failed: unexpected response")
        return data


_clients_lock = threading.Lock()
_clients: dict[tuple[str, str, str], IntuitOAuth] = {}


def get_oauth(
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    environment: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> IntuitOAuth:
    """The process-wide client for an app, built on first use."""
    key = (client_id, environment, redirect_uri)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or not client.uses_secret(client_secret) or client.timeout != timeout:
            client = IntuitOAuth(client_id, client_secret, redirect_uri, environment, timeout)
            _clients[key] = client
        return client


def reset_cache() -> None:
    """Forget clients and discovery documents (tests start a fresh sandbox)."""
    with _clients_lock:
        _clients.clear()
    with _discovery_lock:
        _discovery.clear()
