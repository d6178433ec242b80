"""The console's local server: its files with a CSP, its config, the local-only token
(validated, signed by the stack's issuer), nothing outside console/."""

from __future__ import annotations

import json

import requests

from local_stack.console import ConsoleServer
from local_stack.tokens import TokenIssuer


def serve() -> tuple[ConsoleServer, TokenIssuer]:
    issuer = TokenIssuer.generate()
    server = ConsoleServer(issuer, api_url="http://127.0.0.1:9")
    server.bind("127.0.0.1", 0)
    server.start()
    return server, issuer


def test_files_config_and_the_csp() -> None:
    server, _ = serve()
    try:
        page = requests.get(f"{server.url}/", timeout=5)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        assert "ERP Management" in page.text
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "connect-src 'self' http://127.0.0.1:9" in csp
        assert "frame-ancestors 'none'" in csp
        config = requests.get(f"{server.url}/config.json", timeout=5).json()
        assert config == {"api": "http://127.0.0.1:9", "signin": "local",
                          "roles": ["SystemAdministrator", "APManager", "APClerk", "Approver",
                                    "Viewer"]}
        script = requests.get(f"{server.url}/app.js", timeout=5)
        assert "javascript" in script.headers["Content-Type"]
        for outside in ("/../README.md", "/%2e%2e/template.yaml", "/nope.html"):
            assert requests.get(f"{server.url}{outside}", timeout=5).status_code == 404
    finally:
        server.stop()


def test_the_local_token_is_the_chosen_users_and_refuses_half_a_person() -> None:
    server, issuer = serve()
    try:
        answer = requests.post(f"{server.url}/local/token", timeout=5, json={
            "user": "bob", "org": "org-acme", "role": "APClerk", "home_org_unit": "ou-east"})
        assert answer.status_code == 200
        claims = issuer.verify(answer.json()["token"])
        assert (claims["sub"], claims["org_id"], claims["role"]) == ("bob", "org-acme", "APClerk")
        assert (claims["home_org_unit"], claims["home_org_unit_is_root"]) == ("ou-east", False)
        for body in ({"user": "bob", "org": "org-acme", "role": "Superuser"}, {"role": "APClerk"},
                     "not json"):
            refused = requests.post(f"{server.url}/local/token", timeout=5,
                                    data=body if isinstance(body, str) else json.dumps(body))
            assert refused.status_code == 400, body
            assert refused.json()["error"]["code"] == "invalid_input"
    finally:
        server.stop()
