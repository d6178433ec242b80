"""`python -m local_stack up` runs the stack; `python -m local_stack token` mints a token."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from .template import REPO_ROOT
from .tokens import TokenIssuer

DEFAULT_STATE_DIR = REPO_ROOT / ".local"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local_stack")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the local signing key and stack.json live (git-ignored .local/)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run moto, the QBO sandbox and the gateway until Ctrl-C")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--gateway-port", type=int, default=8080)
    up.add_argument("--moto-port", type=int, default=5000)
    up.add_argument("--sandbox-port", type=int, default=8090)
    up.add_argument("--no-sandbox", action="store_true")
    up.add_argument("--frontend-origin", default="http://localhost:3000")
    up.add_argument(
        "--visibility-timeout",
        type=int,
        default=30,
        help="seconds before a failed queue message is redelivered (AWS: 5400)",
    )

    tok = sub.add_parser("token", help="print a bearer token the local gateway accepts")
    tok.add_argument("--user", default="alice")
    tok.add_argument("--org", default="acme")
    tok.add_argument(
        "--role", default="SystemAdministrator", help="e.g. SystemAdministrator, APClerk, Service"
    )
    tok.add_argument("--home-org-unit", default="root")
    tok.add_argument("--root", action="store_true", help="home org unit is the root org unit")
    tok.add_argument("--email")
    tok.add_argument("--name")
    tok.add_argument("--ttl", type=int, default=3600, help="seconds until exp")
    tok.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="extra or overriding claim, value parsed as JSON if it can be",
    )
    return parser


def _token(args: argparse.Namespace) -> int:
    issuer = TokenIssuer.from_state_dir(args.state_dir)
    extra = {}
    for item in args.claim:
        key, _, raw = item.partition("=")
        try:
            extra[key] = json.loads(raw)
        except json.JSONDecodeError:
            extra[key] = raw
    print(
        issuer.mint(
            user=args.user,
            org=args.org,
            role=args.role,
            home_org_unit=args.home_org_unit,
            home_org_unit_is_root=args.root,
            email=args.email,
            name=args.name,
            ttl_seconds=args.ttl,
            **extra,
        )
    )
    return 0


def _up(args: argparse.Namespace) -> int:
    from .stack import LocalStack  # heavy imports only for `up`

    stack = LocalStack(
        host=args.host,
        moto_port=args.moto_port,
        gateway_port=args.gateway_port,
        sandbox=False if args.no_sandbox else None,
        sandbox_port=args.sandbox_port,
        state_dir=args.state_dir,
        frontend_origin=args.frontend_origin,
        visibility_timeout=args.visibility_timeout,
        poll_queues=True,
        console=True,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with stack:
        control = getattr(stack.sandbox, "sandbox", None)
        if control is not None:
            from qbo_sandbox.__main__ import seed_demo_companies

            for line in seed_demo_companies(control):
                print(f"QBO sandbox     {line}")
        print(f"gateway (API)   {stack.gateway_url}")
        print(f"moto (AWS)      {stack.moto_url}   e.g. AWS_ENDPOINT_URL={stack.moto_url}")
        print(f"QBO sandbox     {stack.sandbox_base_url or '(not running)'}")
        print(f"OpenAPI         {stack.gateway_url}/openapi.json")
        print(f"web console     {stack.console_url}/signin.html   (local sign-in)")
        print(
            "token           python -m local_stack token --user alice --org acme "
            "--role SystemAdministrator --home-org-unit root --root"
        )
        print("Ctrl-C to stop.", flush=True)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        return _token(args)
    return _up(args)
