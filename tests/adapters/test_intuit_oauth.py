"""IntuitOAuth (intuitlib wrapper) against the real local sandbox over HTTP."""

from __future__ import annotations

import logging
import socket
from typing import Any
from urllib.parse import parse_qs, urlparse

import intuitlib.utils
import pytest
import requests

from qbo_connector.adapters import intuit_oauth
from qbo_connector.adapters.intuit_oauth import (
    HARD_EXPIRY_HEADER,
    IntuitOAuth,
    IntuitUnavailable,
    OAuthClientInvalid,
    OAuthGrantInvalid,
    OAuthTokenRejected,
    get_oauth,
)

# The conftest's world fixture (tests/ is not a package, so only its type is named here).
QboWorld = Any
REDIRECT_URI = "http://localhost:8000/oauth/callback"  # as registered by the conftest


def test_authorization_url_uses_our_state_and_scopes(qbo: QboWorld) -> None:
    state = "x" * 43
    url = qbo.oauth.authorization_url(state)
    parsed = urlparse(url)
    assert url.startswith(qbo.server.base_url + "/connect/oauth2?")
    q = parse_qs(parsed.query)
    assert q["state"] == [state]
    assert q["client_id"] == [qbo.client_id]
    assert q["redirect_uri"] == [REDIRECT_URI]
    assert q["response_type"] == ["code"]
    assert q["scope"] == ["com.intuit.quickbooks.accounting openid email profile"]
    with pytest.raises(ValueError):
        qbo.oauth.authorization_url("")
    with pytest.raises(ValueError):
        qbo.oauth.authorization_url("short")


def test_one_client_and_one_discovery_fetch_per_process(
    qbo: QboWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []
    real_get = requests.get

    def spy_get(url: str, **kw: Any) -> requests.Response:
        fetched.append(url)
        assert kw.get("timeout") is not None
        return real_get(url, **kw)

    monkeypatch.setattr(intuit_oauth.requests, "get", spy_get)
    again = get_oauth(qbo.client_id, qbo.client_secret, REDIRECT_URI, qbo.server.discovery_url,
                      timeout=(2.0, 10.0))
    assert again is qbo.oauth
    # Another app on the same environment reuses the cached discovery document.
    other = IntuitOAuth("other-client", "other-secret", REDIRECT_URI, qbo.server.discovery_url)
    assert other.endpoints["token_endpoint"] == qbo.server.base_url + "/oauth2/v1/tokens/bearer"
    assert fetched == []


def test_exchange_code_refresh_and_userinfo(qbo: QboWorld) -> None:
    before = qbo.sandbox.clock.now()
    tokens = qbo.connect()
    assert tokens.realm_id == qbo.realm_id
    assert tokens.access_expires_at == pytest.approx(before + 3600, abs=5)
    assert tokens.refresh_expires_at > before + 100 * 86400
    # The hard-expiry header was sent, so the hard expiry is known.
    assert tokens.refresh_hard_expires_at is not None
    assert tokens.refresh_hard_expires_at > before + 4 * 365 * 86400
    # intuitlib validated the id_token against the sandbox's JWKS.
    assert tokens.id_token
    info = qbo.oauth.user_info(tokens.access_token)
    assert info["email"] == "craig@example.com"
    assert info["givenName"] == "Craig"

    again = qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
    assert again.access_token != tokens.access_token
    # Within 24 h Intuit returns the same refresh token value.
    assert again.refresh_token == tokens.refresh_token
    # A day later it rotates and the old value is dead.
    qbo.sandbox.advance_clock(86400 + 10)
    rotated = qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
    assert rotated.refresh_token != tokens.refresh_token
    with pytest.raises(OAuthGrantInvalid) as exc:
        qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
    assert exc.value.status_code == 400
    assert exc.value.error == "invalid_grant"
    assert exc.value.intuit_tid


def test_code_replay_is_invalid_grant(qbo: QboWorld) -> None:
    code = qbo.authorization_code()
    tokens = qbo.oauth.exchange_code(code, qbo.realm_id)
    with pytest.raises(OAuthGrantInvalid):
        qbo.oauth.exchange_code(code, qbo.realm_id)
    # Replaying the code also killed the tokens issued from it.
    with pytest.raises(OAuthGrantInvalid):
        qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)


def test_wrong_client_secret_is_invalid_client(qbo: QboWorld) -> None:
    tokens = qbo.connect()
    bad = IntuitOAuth(qbo.client_id, "wrong-secret", REDIRECT_URI, qbo.server.discovery_url)
    with pytest.raises(OAuthClientInvalid) as exc:
        bad.refresh(tokens.refresh_token, qbo.realm_id)
    assert exc.value.status_code == 401


def test_revoke_kills_the_connection(qbo: QboWorld) -> None:
    tokens = qbo.connect()
    qbo.oauth.revoke(tokens.refresh_token)
    with pytest.raises(OAuthGrantInvalid):
        qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
    with pytest.raises(OAuthTokenRejected):
        qbo.oauth.user_info(tokens.access_token)


def test_token_calls_time_out(qbo: QboWorld) -> None:
    tokens = qbo.connect()
    slow = IntuitOAuth(qbo.client_id, qbo.client_secret, REDIRECT_URI,
                       qbo.server.discovery_url, timeout=(2.0, 0.3))
    qbo.sandbox.inject_fault("delay", count=1, path="/oauth2/v1/tokens/bearer", seconds=1.0)
    with pytest.raises(IntuitUnavailable, match="ReadTimeout"):
        slow.refresh(tokens.refresh_token, qbo.realm_id)


def test_intuitlib_module_requests_get_a_timeout(qbo: QboWorld) -> None:
    # JWKS fetches inside intuitlib.utils go through the timeout shim.
    shim = intuitlib.utils.requests
    assert isinstance(shim, intuit_oauth._TimeoutRequests)
    assert shim.timeout == (2.0, 10.0)


def test_intuit_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    intuit_oauth.reset_cache()
    with pytest.raises(IntuitUnavailable, match="ConnectionError"):
        IntuitOAuth("id", "secret", REDIRECT_URI,
                    f"http://127.0.0.1:{port}/.well-known/openid-configuration",
                    timeout=(0.5, 0.5))


def test_hard_expiry_header_only_on_token_endpoint(qbo: QboWorld) -> None:
    client = qbo.oauth._client
    sent: list[tuple[str, dict[str, str]]] = []
    real = requests.Session.request

    def spy(self: requests.Session, method: str, url: str, *a: Any, **kw: Any) -> Any:
        if self is client:
            sent.append((url, dict(kw.get("headers") or {})))
            assert kw.get("timeout") == (2.0, 10.0)
        return real(self, method, url, *a, **kw)

    code = qbo.authorization_code()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(requests.Session, "request", spy)
        tokens = qbo.oauth.exchange_code(code, qbo.realm_id)
        qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
        qbo.oauth.user_info(tokens.access_token)
    token_calls = [h for u, h in sent if u == client.token_endpoint]
    other = [h for u, h in sent if u != client.token_endpoint]
    assert token_calls and all(h.get(HARD_EXPIRY_HEADER) == "true" for h in token_calls)
    assert other and all(HARD_EXPIRY_HEADER not in h for h in other)


def test_no_secrets_in_logs_or_errors(qbo: QboWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = qbo.authorization_code()
    tokens = qbo.oauth.exchange_code(code, qbo.realm_id)
    errors: list[str] = []
    for call in (
        lambda: qbo.oauth.exchange_code(code, qbo.realm_id),
        lambda: qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id),
    ):
        try:
            call()
        except OAuthGrantInvalid as exc:
            errors.append(f"{exc!s} {exc!r}")
    assert len(errors) == 2
    text = caplog.text + " ".join(errors) + repr(tokens) + repr(qbo.oauth)
    for secret in (code, tokens.access_token, tokens.refresh_token, qbo.client_secret):
        assert secret not in text
