"""Fixtures for the adapter tests: the real local QBO sandbox over HTTP, and real boto3
against moto in server mode. Nothing here fakes the client under test."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

_ROOT = Path(__file__).resolve().parents[2]
# Guarded: the root conftest normally does this already.
for _path in (_ROOT / "layers" / "shared", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


from qbo_connector.adapters import aws, intuit_oauth, token_cache, token_vault  # noqa: E402
from qbo_connector.adapters.intuit_oauth import IntuitOAuth, TokenSet  # noqa: E402
from tests.moto_server import moto_server, reset_moto  # noqa: E402

REDIRECT_URI = "http://localhost:8000/oauth/callback"
USERNAME = "craig@example.com"
PASSWORD = "correct horse battery staple"  # sandbox test user, not a secret


# -- AWS (moto server) -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture()
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A fresh moto account with the project's KMS key; settings point at it."""
    reset_moto(moto_endpoint)
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TOKEN_SECRET_PREFIX": "qbo-connector/tokens/",
        "INTUIT_APP_SECRET_NAME": "qbo-connector/intuit-app",
    }.items():
        monkeypatch.setenv(key, value)
    from qbo_connector.config import get_settings

    aws.reset()
    key_id = aws.client("kms").create_key(Description="qbo-connector tokens")["KeyMetadata"][
        "KeyId"
    ]
    monkeypatch.setenv("TOKEN_KMS_KEY_ID", key_id)
    get_settings.cache_clear()
    token_vault.reset_cache()
    token_cache.reset_cache()
    yield {"endpoint": moto_endpoint, "kms_key_id": key_id}
    aws.reset()
    get_settings.cache_clear()
    token_vault.reset_cache()
    token_cache.reset_cache()


# -- QBO sandbox -----------------------------------------------------------------------------


@dataclass
class QboWorld:
    server: Any  # qbo_sandbox.SandboxServer
    client_id: str
    client_secret: str
    realm_id: str
    oauth: IntuitOAuth

    @property
    def sandbox(self) -> Any:
        return self.server.sandbox

    @property
    def api_base(self) -> str:
        return str(self.server.base_url) + "/v3"

    def authorization_code(self, state: str = "s" * 32) -> str:
        """Go through the sandbox's sign-in and company picker like a person would."""
        return consent(self.server.base_url, self.oauth.authorization_url(state), self.realm_id)

    def connect(self) -> TokenSet:
        return self.oauth.exchange_code(self.authorization_code(), self.realm_id)


def consent(base_url: str, authorize_url: str, realm_id: str) -> str:
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)
        txn = re.search(r'name="txn" value="([^"]+)"', page.text)
        assert txn, page.text[:500]
        signin = browser.post(
            f"{base_url}/connect/oauth2/signin",
            data={"txn": txn.group(1), "username": USERNAME, "password": PASSWORD,
                  "action": "signin"},
            timeout=10,
        )
        assert signin.status_code == 200, signin.text[:500]
        done = browser.post(
            f"{base_url}/connect/oauth2/consent",
            data={"txn": txn.group(1), "realmId": realm_id, "action": "next"},
            allow_redirects=False,
            timeout=10,
        )
        assert done.status_code == 302, done.text[:500]
        query = parse_qs(urlparse(done.headers["Location"]).query)
        assert query["realmId"] == [realm_id]
        return query["code"][0]


def _make_world(sizes: dict[str, int] | None, seed: str) -> Iterator[QboWorld]:
    from qbo_sandbox import SandboxServer

    server = SandboxServer(port=0).start()
    intuit_oauth.reset_cache()
    try:
        sb = server.sandbox
        app = sb.register_app([REDIRECT_URI])
        sb.create_user(USERNAME, PASSWORD, USERNAME, "Craig", "Carlson")
        company = sb.create_company(admins=[USERNAME], seed=seed, sizes=sizes)
        oauth = intuit_oauth.get_oauth(
            app.client_id, app.client_secret, REDIRECT_URI, server.discovery_url,
            timeout=(2.0, 10.0),
        )
        yield QboWorld(server, app.client_id, app.client_secret, company.realm_id, oauth)
    finally:
        server.stop()
        intuit_oauth.reset_cache()


@pytest.fixture()
def qbo() -> Iterator[QboWorld]:
    """A running sandbox with an app, an admin user and Craig's company."""
    yield from _make_world(None, "craigs")


@pytest.fixture()
def qbo_big() -> Iterator[QboWorld]:
    """A sandbox company holding exactly 2,500 active vendors."""
    yield from _make_world({"Vendor": 2500}, "empty")
