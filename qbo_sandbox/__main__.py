"""python -m qbo_sandbox --port 8765 [--seed demo]"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from typing import Any

from .server import SandboxServer

DEMO_CLIENT_ID = "ABsandboxDemoClientId0000000000000000000000000000"
DEMO_CLIENT_SECRET = "sandbox-demo-secret"
DEMO_REALM = "9341450000000001"


def seed_demo(server: SandboxServer, client_id: str, client_secret: str,
              redirect_uris: list[str]) -> list[str]:
    """A ready-to-use set: one app, an admin, a non-admin, two companies."""
    server.sandbox.register_app(redirect_uris, client_id, client_secret, "AP Connector (demo)")
    return [
        f"app: client_id={client_id} client_secret={client_secret}",
        f"     redirect_uris={', '.join(redirect_uris)}",
        *seed_demo_companies(server.sandbox),
    ]


def seed_demo_companies(sb: Any) -> list[str]:
    """The demo's people and companies (the local stack registers its own app)."""
    sb.create_user("craig", "craig", "craig@example.com", "Craig", "Carlson")
    sb.create_user("amy", "amy", "amy@example.com", "Amy", "Accountant")
    sb.create_company(DEMO_REALM, "Craig's Design and Landscaping Services",
                      admins=["craig"], users=["amy"])
    sb.create_company("9341450000000002", "Craig's Second Company (Canada)", admins=["craig"],
                      country="CA", warn_duplicate_bill_number=True)
    return [
        "users: craig/craig (admin of both companies), amy/amy (not an admin)",
        f"companies: {DEMO_REALM} Craig's Design and Landscaping Services, "
        "9341450000000002 Craig's Second Company (Canada)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qbo_sandbox",
                                     description="Local QuickBooks Online sandbox")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--public-url", help="base URL clients use (default http://host:port)")
    parser.add_argument("--seed", choices=["none", "demo"], default="none",
                        help="demo: an app, users craig/amy and two companies")
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument("--redirect-uri", action="append",
                        help="redirect URI for the demo app (repeatable)")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce rate limits")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = SandboxServer(port=args.port, host=args.host, public_url=args.public_url,
                           verbose=args.verbose)
    lines = [f"QBO sandbox on {server.base_url}",
             f"discovery: {server.discovery_url}",
             f"accounting API base: {server.api_base}",
             f"control API: {server.base_url}/_sandbox"]
    if args.no_limits:
        server.sandbox.set_limits(enabled=False)
    if args.seed == "demo":
        uris = args.redirect_uri or ["http://localhost:3000/oauth/callback"]
        lines += seed_demo(server, args.client_id, args.client_secret, uris)
    print("\n".join(lines), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
