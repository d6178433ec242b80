"""The web console, served by the local stack: its files (console/), its config, and the
local-only sign-in that mints a token for a chosen user.

The console is the callback's front-end origin (FRONTEND_ORIGIN): the popup hands the
outcome back by postMessage to this origin only, and the gateway's CORS allows it. In AWS
the same files are served by S3 + CloudFront (template.yaml, `ConsoleHosting`), and sign
in goes through the AP platform's identity provider instead (console/oidc.js); the
/local/token route exists here only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import mimetypes
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .serving import LocalServer
from .tokens import TokenIssuer

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
ROLES = ("SystemAdministrator", "APManager", "APClerk", "Approver", "Viewer")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {api}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class ConsoleServer(LocalServer):
    thread_name = "console"

    """Static files plus /config.json and POST /local/token, on their own port."""

    def __init__(
        self,
        issuer: TokenIssuer,
        api_url: str = "",
        root: Path = CONSOLE_DIR,
        signin: str = "local",
    ) -> None:
        super().__init__()
        self.issuer = issuer
        self.api_url = api_url
        self.root = root
        # "local": signin.html mints a token; "oidc": the console signs in with code + PKCE
        # against this server's stand-in identity provider (/oidc/*), as in AWS.
        self.signin = signin
        self._codes: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self.handle(request)
        response.headers["Content-Security-Policy"] = _CSP.format(api=self.api_url)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/config.json":
            config: dict[str, Any] = {"api": self.api_url, "signin": self.signin,
                                      "roles": list(ROLES)}
            if self.signin == "oidc":
                config["oidc"] = {"authorize_url": f"{self.url}/oidc/authorize",
                                  "token_url": f"{self.url}/oidc/token",
                                  "client_id": OIDC_CLIENT, "scope": "openid"}
            return _json(config)
        if path == "/local/token" and request.method == "POST" and self.signin == "local":
            return self._token(request)
        if path == "/oidc/authorize" and self.signin == "oidc":
            return self._authorize(request)
        if path == "/oidc/token" and request.method == "POST" and self.signin == "oidc":
            return self._exchange(request)
        if path in ("", "/"):
            path = "/index.html"
        file = (self.root / path.lstrip("/")).resolve()
        if self.root not in file.parents or not file.is_file():
            return Response("Not found", status=404, mimetype="text/plain")
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Response(file.read_bytes(), mimetype=kind, headers={"Cache-Control": "no-store"})

    def _token(self, request: Request) -> Response:
        """The local sign-in: a token for the user, organization, role and home org unit
        chosen on console/signin.html, signed by the stack's issuer (never in AWS)."""
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _json({"error": {"code": "invalid_input", "message": "Send JSON."}}, 400)
        user, org = str(body.get("user") or "").strip(), str(body.get("org") or "").strip()
        role = str(body.get("role") or "")
        if not user or not org or role not in ROLES:
            return _json(
                {
                    "error": {
                        "code": "invalid_input",
                        "message": f"Give a user, an organization and a role ({', '.join(ROLES)}).",
                    }
                },
                400,
            )
        unit = str(body.get("home_org_unit") or "root").strip()
        token = self.issuer.mint(
            user=user,
            org=org,
            role=role,
            home_org_unit=unit,
            home_org_unit_is_root=bool(body.get("root", unit == "root")),
            name=str(body.get("name") or "") or None,
        )
        return _json({"token": token})


    # -- the stand-in identity provider (authorization code + PKCE, RFC 7636) ---------------

    def _authorize(self, request: Request) -> Response:
        """GET: the sign-in form for the console's request; POST: the person chose who they
        are: a one-time code bound to the PKCE challenge and the redirect URI."""
        args = request.args if request.method == "GET" else request.form
        redirect, state = args.get("redirect_uri", ""), args.get("state", "")
        challenge = args.get("code_challenge", "")
        if (args.get("client_id") != OIDC_CLIENT or args.get("response_type", "code") != "code"
                or args.get("code_challenge_method") != "S256" or not challenge
                or not redirect.startswith(self.url + "/")):
            return Response("The sign-in request is not the console's.", status=400,
                            mimetype="text/plain")
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in args.items())
            page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign in"
                    f"</title></head><body><main><h1>AP platform sign-in</h1>"
                    f'<form method="post">{hidden}'
                    '<label for="user">User id</label> <input id="user" name="user"> '
                    '<label for="org">Organization id</label> <input id="org" name="org"> '
                    '<button type="submit">Sign in</button></form></main></body></html>')
            return Response(page, mimetype="text/html")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"challenge": challenge, "redirect": redirect,
                                 "user": args.get("user", ""), "org": args.get("org", "")}
        return Response(status=302, headers={
            "Location": f"{redirect}?{urlencode({'code': code, 'state': state})}"})

    def _exchange(self, request: Request) -> Response:
        form = request.form
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # single use
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (grant is None or form.get("grant_type") != "authorization_code"
                or form.get("client_id") != OIDC_CLIENT
                or form.get("redirect_uri") != grant["redirect"]
                or digest.decode().rstrip("=") != grant["challenge"]):
            return _json({"error": "invalid_grant"}, 400)
        token = self.issuer.mint(user=grant["user"] or "alice", org=grant["org"] or "org-acme")
        return _json({"access_token": token, "token_type": "Bearer", "expires_in": 3600})


OIDC_CLIENT = "console-local"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
