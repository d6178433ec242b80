"""The web console, served by the local stack: its files (console/), its config, and the
local-only sign-in that mints a token for a chosen user.

The console is the callback's front-end origin (FRONTEND_ORIGIN): the popup hands the
outcome back by postMessage to this origin only, and the gateway's CORS allows it. In AWS
the same files are served by S3 + CloudFront (template.yaml, `ConsoleHosting`), and sign
in goes through the AP platform's identity provider instead (console/oidc.js); the
/local/token route exists here only.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from .tokens import TokenIssuer

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
ROLES = ("SystemAdministrator", "APManager", "APClerk", "Approver", "Viewer")
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {api}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class ConsoleServer:
    """Static files plus /config.json and POST /local/token, on their own port."""

    def __init__(self, issuer: TokenIssuer, api_url: str = "", root: Path = CONSOLE_DIR) -> None:
        self.issuer = issuer
        self.api_url = api_url
        self.root = root
        self._server: BaseWSGIServer | None = None
        self.url = ""

    def bind(self, host: str, port: int = 0) -> str:
        self._server = make_server(host, port, self.wsgi, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        return self.url

    def start(self) -> None:
        assert self._server is not None, "bind() first"
        threading.Thread(target=self._server.serve_forever, name="console", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

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
            return _json({"api": self.api_url, "signin": "local", "roles": list(ROLES)})
        if path == "/local/token" and request.method == "POST":
            return self._token(request)
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


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
