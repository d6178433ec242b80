"""Token minting: the CLI, the claims, and API Gateway's claim stringification."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local_stack.tokens import (
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    TokenIssuer,
    decode_unverified,
    stringify_claim,
)

ROOT = Path(__file__).resolve().parents[2]


def test_cli_mints_a_token_verifiable_with_the_state_dir_key(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack",
            "--state-dir",
            str(tmp_path),
            "token",
            "--user",
            "bob",
            "--org",
            "globex",
            "--role",
            "Service",
            "--home-org-unit",
            "ou-3",
            "--claim",
            "tier=2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = out.stdout.strip()
    claims = TokenIssuer.from_state_dir(tmp_path).verify(token)
    assert claims["sub"] == "bob"
    assert claims["org_id"] == "globex"
    assert claims["role"] == "Service"
    assert claims["home_org_unit"] == "ou-3"
    assert claims["home_org_unit_is_root"] is False
    assert claims["tier"] == 2
    assert (claims["iss"], claims["aud"]) == (LOCAL_ISSUER, LOCAL_AUDIENCE)
    assert claims["email"] == "bob@globex.example"
    assert (tmp_path / "jwt-signing-key.pem").stat().st_mode & 0o077 == 0


def test_root_flag_and_default_claims(tmp_path: Path) -> None:
    issuer = TokenIssuer.from_state_dir(tmp_path)
    claims = decode_unverified(issuer.mint(home_org_unit_is_root=True))
    assert claims["home_org_unit_is_root"] is True
    assert claims["exp"] - claims["iat"] == 3600
    again = TokenIssuer.from_state_dir(tmp_path)  # same key from the state dir
    assert again.kid == issuer.kid


def test_stringify_claims_like_api_gateway() -> None:
    assert stringify_claim(True) == "true"
    assert stringify_claim(1700000000) == "1700000000"
    assert stringify_claim(1.0) == "1"
    assert stringify_claim(["a", "b"]) == "[a b]"
    assert stringify_claim({"b": 1, "a": "x"}) == "map[a:x b:1]"
    assert stringify_claim("s") == "s"
