"""OAuth 2.0 / OpenID against the sandbox with the real intuitlib client."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
import requests
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from qbo_sandbox import SandboxServer

from .helpers import (
    ALL_SCOPES,
    REALM,
    REDIRECT,
    api,
    auth_client,
    callback_params,
    connect,
    consent,
    forms_of,
)


def _body(err: AuthClientError) -> dict:
    return json.loads(err.content)


def test_discovery_document_lists_the_endpoints(server: SandboxServer) -> None:
    doc = requests.get(server.discovery_url, timeout=5)
    assert doc.status_code == 200
    assert doc.headers["intuit_tid"]
    body = doc.json()
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                "revocation_endpoint", "jwks_uri"):
        assert body[key].startswith(server.base_url)
    assert body["response_types_supported"] == ["code"]
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post", "client_secret_basic"}


def test_connect_with_intuitlib_issues_tokens_and_id_token(server: SandboxServer) -> None:
    client = connect(server)
    assert client.realm_id == REALM
    assert client.access_token and client.refresh_token
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    # intuitlib only keeps the id_token when it validates against our JWKS and issuer.
    assert client.id_token
    claims = jwt.decode(client.id_token, options={"verify_signature": False})
    assert claims["aud"] == ["test-client"]
    assert claims["realmid"] == REALM
    assert claims["iss"] == client.issuer_uri
    header = jwt.get_unverified_header(client.id_token)
    assert header["alg"] == "RS256"
    keys = requests.get(client.jwks_uri, timeout=5).json()
    key = jwt.PyJWKSet.from_dict(keys)[header["kid"]].key
    assert jwt.decode(client.id_token, key, audience="test-client", algorithms=["RS256"])["sub"]


def test_userinfo(server: SandboxServer) -> None:
    client = connect(server)
    info = client.get_user_info().json()
    user = server.sandbox.store.users["craig"]
    assert info == {"sub": user.sub, "email": "craig@example.com", "emailVerified": True,
                    "givenName": "Craig", "familyName": "Carlson"}


def test_userinfo_needs_openid_scope(server: SandboxServer) -> None:
    client = connect(server, scopes=[Scopes.ACCOUNTING])
    assert client.id_token is None
    with pytest.raises(AuthClientError) as err:
        client.get_user_info()
    assert err.value.status_code == 403


def test_code_is_single_use_and_replay_kills_first_tokens(server: SandboxServer) -> None:
    client = auth_client(server)
    url = client.get_authorization_url(ALL_SCOPES, state_token="s1")
    params = callback_params(consent(url, "craig", "pw-craig", REALM))
    client.get_bearer_token(params["code"], realm_id=REALM)
    first_access, first_refresh = client.access_token, client.refresh_token
    assert api(server, first_access, "GET", f"companyinfo/{REALM}").status_code == 200

    with pytest.raises(AuthClientError) as err:
        client.get_bearer_token(params["code"], realm_id=REALM)
    assert err.value.status_code == 400
    assert _body(err.value) == {"error": "invalid_grant"}
    assert err.value.intuit_tid

    # Everything issued from the first exchange is dead now.
    assert api(server, first_access, "GET", f"companyinfo/{REALM}").status_code == 401
    with pytest.raises(AuthClientError) as err:
        client.refresh(refresh_token=first_refresh)
    assert _body(err.value)["error"] == "invalid_grant"


def test_code_expires_after_ten_minutes(server: SandboxServer) -> None:
    client = auth_client(server)
    url = client.get_authorization_url(ALL_SCOPES, state_token="s1")
    params = callback_params(consent(url, "craig", "pw-craig", REALM))
    server.sandbox.advance_clock(601)
    with pytest.raises(AuthClientError) as err:
        client.get_bearer_token(params["code"], realm_id=REALM)
    assert _body(err.value)["error"] == "invalid_grant"


def test_invalid_client(server: SandboxServer) -> None:
    client = auth_client(server, secret="wrong")
    with pytest.raises(AuthClientError) as err:
        client.refresh(refresh_token="whatever")
    assert err.value.status_code == 401
    assert _body(err.value) == {"error": "invalid_client"}
    assert err.value.intuit_tid


def test_refresh_keeps_value_within_24h_and_rotates_after(server: SandboxServer) -> None:
    client = connect(server)
    first_refresh, first_access = client.refresh_token, client.access_token
    server.sandbox.advance_clock(3600)
    client.refresh()
    assert client.refresh_token == first_refresh
    assert client.access_token != first_access
    assert client.x_refresh_token_expires_in == 8726400 - 3600

    server.sandbox.advance_clock(86400)
    client.refresh()
    rotated = client.refresh_token
    assert rotated != first_refresh
    assert client.x_refresh_token_expires_in == 8726400
    # The replaced value is dead at once.
    with pytest.raises(AuthClientError) as err:
        client.refresh(refresh_token=first_refresh)
    assert err.value.status_code == 400
    assert _body(err.value) == {"error": "invalid_grant", "error_description": "Token invalid"}
    client.refresh(refresh_token=rotated)
    assert client.refresh_token == rotated


def test_access_token_expires_after_an_hour(server: SandboxServer) -> None:
    client = connect(server)
    assert api(server, client.access_token, "GET", "preferences").status_code == 200
    server.sandbox.advance_clock(3600)
    resp = api(server, client.access_token, "GET", "preferences")
    assert resp.status_code == 401
    assert "expired" in resp.json()["fault"]["error"][0]["detail"].lower()


def test_refresh_token_dies_after_100_days_without_use(server: SandboxServer) -> None:
    client = connect(server)
    server.sandbox.advance_clock(8726400)
    with pytest.raises(AuthClientError) as err:
        client.refresh()
    assert _body(err.value)["error"] == "invalid_grant"


def test_hard_expiry_reported_when_asked(server: SandboxServer) -> None:
    client = connect(server)
    app = server.sandbox.store.apps["test-client"]
    auth = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    resp = requests.post(client.token_endpoint, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": client.refresh_token},
        headers={"Authorization": f"Basic {auth}", "Accept": "application/json",
                 "x-include-refresh-token-hard-expires-in": "true"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400
    assert body["token_type"] == "bearer"
    # Without the header the field is absent.
    client.refresh()
    assert not hasattr(client, "x_refresh_token_hard_expires_in")


def test_client_secret_post_is_accepted(server: SandboxServer) -> None:
    client = connect(server)
    resp = requests.post(client.token_endpoint, timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": client.refresh_token,
        "client_id": "test-client", "client_secret": "test-secret"})
    assert resp.status_code == 200
    assert resp.json()["refresh_token"] == client.refresh_token


def test_refresh_token_of_another_app_is_invalid_grant(server: SandboxServer) -> None:
    client = connect(server)
    other = auth_client(server, "other-client", "other-secret")
    with pytest.raises(AuthClientError) as err:
        other.refresh(refresh_token=client.refresh_token)
    assert _body(err.value)["error"] == "invalid_grant"


def test_revoke_kills_the_whole_grant(server: SandboxServer) -> None:
    client = connect(server)
    access, refresh = client.access_token, client.refresh_token
    assert client.revoke(token=refresh) is True
    assert api(server, access, "GET", "preferences").status_code == 401
    with pytest.raises(AuthClientError):
        client.refresh(refresh_token=refresh)


def test_cancel_redirects_with_access_denied(server: SandboxServer) -> None:
    url = auth_client(server).get_authorization_url(ALL_SCOPES, state_token="st")
    params = callback_params(consent(url, "craig", "pw-craig", REALM, button="cancel"))
    assert params == {"error": "access_denied", "state": "st"}


def test_consent_page_lists_only_the_users_admin_companies(server: SandboxServer) -> None:
    server.sandbox.create_company("9130350000000009", "Not Craig's", admins=["amy"])
    url = auth_client(server).get_authorization_url(ALL_SCOPES, state_token="st")
    browser = requests.Session()
    page = browser.get(url)
    form = forms_of(page.text)[0]
    resp = browser.post(requests.compat.urljoin(page.url, form.action), data={
        **form.fields, "username": "craig", "password": "pw-craig", "action": "signin"})
    assert resp.status_code == 200
    choose = forms_of(resp.text)[0]
    assert sorted(choose.radios["realmId"]) == sorted([REALM, "9130350000000002"])
    # Forging another company's realm in the form is refused.
    forged = browser.post(requests.compat.urljoin(resp.url, choose.action), data={
        **choose.fields, "realmId": "9130350000000009", "action": "next"},
        allow_redirects=False)
    assert forged.status_code == 403


def test_non_admin_cannot_authorize(server: SandboxServer) -> None:
    url = auth_client(server).get_authorization_url(ALL_SCOPES, state_token="st")
    browser = requests.Session()
    page = browser.get(url)
    form = forms_of(page.text)[0]
    page = browser.post(requests.compat.urljoin(page.url, form.action), data={
        **form.fields, "username": "amy", "password": "pw-amy", "action": "signin"})
    assert "only a company admin can" in page.text.lower()
    choose = forms_of(page.text)[0]
    assert choose.radios == {}
    assert [v for _, v in choose.buttons] == ["cancel"]
    # Posting the realm anyway (amy is a user of it, not an admin) gives 403, never a code.
    forced = browser.post(requests.compat.urljoin(page.url, choose.action), data={
        **choose.fields, "realmId": REALM, "action": "next"}, allow_redirects=False)
    assert forced.status_code == 403
    assert "Location" not in forced.headers


def test_wrong_password_stays_on_sign_in(server: SandboxServer) -> None:
    url = auth_client(server).get_authorization_url(ALL_SCOPES, state_token="st")
    resp = consent(url, "craig", "nope", REALM)
    assert resp.status_code == 401
    assert "Incorrect" in resp.text


def test_authorize_validates_client_and_redirect_uri(server: SandboxServer) -> None:
    base = server.base_url + "/connect/oauth2"
    common = {"response_type": "code", "scope": "com.intuit.quickbooks.accounting",
              "state": "x"}
    bad_client = requests.get(base, params={**common, "client_id": "nope",
                                            "redirect_uri": REDIRECT}, timeout=5)
    assert bad_client.status_code == 400
    bad_uri = requests.get(base, params={**common, "client_id": "test-client",
                                         "redirect_uri": REDIRECT + "/evil"}, timeout=5,
                           allow_redirects=False)
    assert bad_uri.status_code == 400
    bad_scope = requests.get(base, params={**common, "scope": "bogus",
                                           "client_id": "test-client", "redirect_uri": REDIRECT},
                             timeout=5, allow_redirects=False)
    assert bad_scope.status_code == 302
    assert "error=invalid_scope" in bad_scope.headers["Location"]
    bad_type = requests.get(base, params={**common, "response_type": "token",
                                          "client_id": "test-client", "redirect_uri": REDIRECT},
                            timeout=5, allow_redirects=False)
    assert "error=unsupported_response_type" in bad_type.headers["Location"]


def test_signed_in_session_skips_the_password(server: SandboxServer) -> None:
    browser = requests.Session()
    client = auth_client(server)
    url = client.get_authorization_url(ALL_SCOPES, state_token="a")
    callback_params(consent(url, "craig", "pw-craig", REALM, browser=browser))
    page = browser.get(client.get_authorization_url(ALL_SCOPES, state_token="b"))
    form = forms_of(page.text)[0]
    assert "password" not in form.fields
    assert "realmId" in form.radios
