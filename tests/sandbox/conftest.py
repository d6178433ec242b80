"""Fixtures: a sandbox on port 0 with an app, two users and two companies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from intuitlib.client import AuthClient

from qbo_sandbox import SandboxServer

from .helpers import OTHER_REALM, REALM, REDIRECT, connect


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    s = SandboxServer(port=0).start()
    sb = s.sandbox
    sb.register_app([REDIRECT], client_id="test-client", client_secret="test-secret",
                    name="Test AP connector")
    sb.register_app([REDIRECT], client_id="other-client", client_secret="other-secret")
    sb.create_user("craig", "pw-craig", "craig@example.com", "Craig", "Carlson")
    sb.create_user("amy", "pw-amy", "amy@example.com", "Amy", "Accountant")
    sb.create_company(REALM, admins=["craig"], users=["amy"])
    sb.create_company(OTHER_REALM, "Other Co", admins=["craig"], seed="empty")
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def connected(server: SandboxServer) -> AuthClient:
    return connect(server)
