"""Local identity provider: an RSA key pair that signs bearer tokens for the gateway.

Local mode only. The private key lives in memory or in the git-ignored state
directory (`.local/`); nothing under `layers/` or `functions/` imports this
module, and in AWS the JWT authorizer trusts only the configured issuer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOCAL_ISSUER = "https://idp.qbo-connector.localhost/"
LOCAL_AUDIENCE = "qbo-connector-local"
KEY_FILE = "jwt-signing-key.pem"


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class TokenIssuer:
    private_key: rsa.RSAPrivateKey
    issuer: str = LOCAL_ISSUER
    audience: str = LOCAL_AUDIENCE

    @classmethod
    def generate(cls, issuer: str = LOCAL_ISSUER, audience: str = LOCAL_AUDIENCE) -> TokenIssuer:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), issuer, audience)

    @classmethod
    def from_state_dir(
        cls, state_dir: Path, issuer: str = LOCAL_ISSUER, audience: str = LOCAL_AUDIENCE
    ) -> TokenIssuer:
        """Load the key of `state_dir`, creating it (mode 0600) on first use."""
        path = state_dir / KEY_FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{path} is not an RSA key")
            return cls(key, issuer, audience)
        made = cls.generate(issuer, audience)
        state_dir.mkdir(parents=True, exist_ok=True)
        pem = made.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
        return made

    @property
    def kid(self) -> str:
        numbers = self.private_key.public_key().public_numbers()
        return hashlib.sha256(f"{numbers.n}:{numbers.e}".encode()).hexdigest()[:16]

    def jwks(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid}
        return {"keys": [{**key, "n": _b64(numbers.n), "e": _b64(numbers.e)}]}

    def mint(
        self,
        user: str = "alice",
        org: str = "acme",
        role: str = "SystemAdministrator",
        home_org_unit: str = "root",
        home_org_unit_is_root: bool = True,
        *,
        email: str | None = None,
        name: str | None = None,
        ttl_seconds: int = 3600,
        now: float | None = None,
        **extra: Any,
    ) -> str:
        """A signed token with the AP platform's claims; `extra` adds or overrides claims."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "sub": user,
            "email": email or f"{user}@{org}.example",
            "name": name or user.replace(".", " ").title(),
            "org_id": org,
            "role": role,
            "home_org_unit": home_org_unit,
            "home_org_unit_is_root": home_org_unit_is_root,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ttl_seconds,
        }
        claims.update(extra)
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str, leeway: int = 0) -> dict[str, Any]:
        """Check a token as API Gateway's JWT authorizer does; raises jwt.PyJWTError."""
        header = jwt.get_unverified_header(token)
        if header.get("kid") not in (None, self.kid):
            raise jwt.InvalidKeyError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            self.private_key.public_key(),
            algorithms=["RS256"],
            audience=self.audience,
            issuer=self.issuer,
            leeway=leeway,
            options={"require": ["exp", "iss"]},
        )
        return claims


def stringify_claim(value: Any) -> str:
    """API Gateway passes every claim to the integration as a string (Go formatting)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(stringify_claim(v) for v in value) + "]"
    if isinstance(value, dict):
        items = " ".join(f"{k}:{stringify_claim(v)}" for k, v in sorted(value.items()))
        return f"map[{items}]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode_unverified(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return result
