"""Helpers: a browser-like driver for Intuit's consent pages, intuitlib and raw API calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes

from qbo_sandbox import SandboxServer
from qbo_sandbox.browser import Form, forms_of

REDIRECT = "http://localhost:8000/oauth/callback"
REALM = "9130350000000001"
OTHER_REALM = "9130350000000002"


def submit(browser: requests.Session, page: requests.Response, form: Form, button: str,
           **values: str) -> requests.Response:
    """Press the button whose value is `button`, like a browser would."""
    data = dict(form.fields)
    data.update(values)
    name = next(n for n, v in form.buttons if v == button)
    data[name] = button
    return browser.post(urljoin(page.url, form.action), data=data, allow_redirects=False)


def follow(browser: requests.Session, resp: requests.Response) -> requests.Response:
    while resp.status_code in (301, 302, 303) and not resp.headers["Location"].startswith(
            REDIRECT):
        resp = browser.get(urljoin(resp.url, resp.headers["Location"]), allow_redirects=False)
    return resp


def consent(auth_url: str, username: str, password: str, realm: str | None,
            browser: requests.Session | None = None, button: str = "next") -> requests.Response:
    """Sign in and pick a company on the consent page. Returns the final response
    (a 302 to the redirect URI when the flow ends)."""
    browser = browser or requests.Session()
    page = browser.get(auth_url)
    assert page.status_code == 200, page.text
    form = forms_of(page.text)[0]
    if "password" in form.fields:
        page = follow(browser, submit(browser, page, form, "signin", username=username,
                                      password=password))
        if page.status_code != 200:
            return page
        form = forms_of(page.text)[0]
    if button == "cancel":
        return submit(browser, page, form, "cancel")
    values = {"realmId": realm} if realm else {}
    return submit(browser, page, form, button, **values)


def callback_params(resp: requests.Response) -> dict[str, str]:
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def auth_client(server: SandboxServer, client_id: str = "test-client",
                secret: str = "test-secret") -> AuthClient:
    return AuthClient(client_id, secret, REDIRECT, environment=server.discovery_url)


ALL_SCOPES = [Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL, Scopes.PROFILE]


def connect(server: SandboxServer, realm: str = REALM,
            scopes: list[Scopes] | None = None) -> AuthClient:
    """The full connect flow with real intuitlib: URL, consent page, code exchange."""
    client = auth_client(server)
    url = client.get_authorization_url(scopes or ALL_SCOPES, state_token="state-123")
    params = callback_params(consent(url, "craig", "pw-craig", realm))
    assert params["state"] == "state-123"
    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    return client


def api(server: SandboxServer, token: str, method: str, path: str, realm: str = REALM,
        **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    params = {"minorversion": "75"}
    params.update(kwargs.pop("params", {}))
    url = f"{server.base_url}/v3/company/{realm}/{path}"
    return requests.request(method, url, headers=headers, params=params, timeout=10, **kwargs)
