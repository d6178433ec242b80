"""Token storage in AWS Secrets Manager: one secret per legal entity.

Secret name ``{TOKEN_SECRET_PREFIX}{org_id}/{legal_entity_id}``, encrypted with the
project's KMS key (``TOKEN_KMS_KEY_ID``), tagged with the organization and legal entity.
Also reads the Intuit app credentials (client id/secret), cached for a few minutes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws, token_cache
from qbo_connector.config import get_settings
from qbo_connector.models.tokens import TokenSet

APP_CREDENTIALS_TTL_SECONDS = 300.0


class TokenVaultError(Exception):
    """Secrets Manager refused or the stored value is unreadable. Never carries secrets."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _gone(exc: ClientError) -> bool:
    """Not found, or deleted and waiting to be purged: both mean "no tokens"."""
    code = _code(exc)
    if code == "ResourceNotFoundException":
        return True
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return code == "InvalidRequestException" and "deletion" in message


class TokenVault:
    """Load, save and delete a legal entity's TokenSet."""

    def __init__(
        self,
        client: Any | None = None,
        *,
        prefix: str | None = None,
        kms_key_id: str | None = None,
    ) -> None:
        settings = get_settings()
        self._client = client
        self.prefix = settings.token_secret_prefix if prefix is None else prefix
        self.kms_key_id = settings.token_kms_key_id if kms_key_id is None else kms_key_id

    @property
    def client(self) -> Any:
        # Resolved late so tests can point AWS_ENDPOINT_URL at moto after import.
        return self._client if self._client is not None else aws.client("secretsmanager")

    def secret_name(self, org_id: str, legal_entity_id: str) -> str:
        for part in (org_id, legal_entity_id):
            if not part or "/" in part:
                raise ValueError("org and legal entity ids must be non-empty and contain no '/'")
        return f"{self.prefix}{org_id}/{legal_entity_id}"

    def load(self, org_id: str, legal_entity_id: str) -> TokenSet | None:
        return self._read(self.secret_name(org_id, legal_entity_id))

    def _read(self, name: str) -> TokenSet | None:
        try:
            resp = self.client.get_secret_value(SecretId=name)
        except ClientError as exc:
            if _gone(exc):
                return None
            raise TokenVaultError(f"reading tokens {name} failed: {_code(exc)}") from None
        try:
            return TokenSet.from_dict(json.loads(resp["SecretString"]))
        except (KeyError, TypeError, ValueError):
            raise TokenVaultError(f"tokens in {name} are unreadable") from None

    def save(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
        """Store a new version (put first: creation happens once per entity)."""
        self._store(org_id, legal_entity_id, tokens)
        token_cache.note_saved(org_id, legal_entity_id, tokens)

    # -- a connection waiting for the person's confirmation --------------------------------
    # `{prefix}{org}/{entity}/pending-{key}`: Intuit's fresh tokens for the company shown
    # on one confirmation page, kept apart so a live connection's tokens stay untouched
    # until the person clicks Connect (one per confirmation: a sweep of an abandoned one
    # never touches a newer one).

    def pending_name(self, org_id: str, legal_entity_id: str, key: str) -> str:
        if not key.isalnum():
            raise ValueError("a pending key is letters and digits")
        return f"{self.secret_name(org_id, legal_entity_id)}/pending-{key}"

    def hold_pending(self, org_id: str, legal_entity_id: str, key: str, tokens: TokenSet) -> None:
        name = self.pending_name(org_id, legal_entity_id, key)
        self._store(org_id, legal_entity_id, tokens, name)

    def take_pending(self, org_id: str, legal_entity_id: str, key: str) -> TokenSet | None:
        return self._read(self.pending_name(org_id, legal_entity_id, key))

    def drop_pending(self, org_id: str, legal_entity_id: str, key: str) -> None:
        self._delete(self.pending_name(org_id, legal_entity_id, key))

    def _store(
        self, org_id: str, legal_entity_id: str, tokens: TokenSet, name: str | None = None
    ) -> None:
        name = name or self.secret_name(org_id, legal_entity_id)
        value = json.dumps(tokens.to_dict(), separators=(",", ":"))
        try:
            self.client.put_secret_value(SecretId=name, SecretString=value)
            return
        except ClientError as exc:
            if not _gone(exc):
                raise TokenVaultError(f"storing tokens {name} failed: {_code(exc)}") from None
            scheduled = _code(exc) == "InvalidRequestException"
        if scheduled:
            self._restore_and_put(name, value)
            return
        self._create(name, value, org_id, legal_entity_id)

    def _create(self, name: str, value: str, org_id: str, legal_entity_id: str) -> None:
        args: dict[str, Any] = {
            "Name": name,
            "SecretString": value,
            "Description": "QuickBooks Online OAuth tokens of one legal entity",
            "Tags": [
                {"Key": "org_id", "Value": org_id},
                {"Key": "legal_entity_id", "Value": legal_entity_id},
                {"Key": "app", "Value": "qbo-connector"},
            ],
        }
        if self.kms_key_id:
            args["KmsKeyId"] = self.kms_key_id
        try:
            self.client.create_secret(**args)
        except ClientError as exc:
            code = _code(exc)
            if code == "ResourceExistsException":
                # Another worker created it between our put and create.
                self._put(name, value)
            elif _gone(exc):
                self._restore_and_put(name, value)
            else:
                raise TokenVaultError(f"creating tokens {name} failed: {code}") from None

    def _restore_and_put(self, name: str, value: str) -> None:
        # A forced delete is purged asynchronously; reconnecting right after a disconnect
        # may find the name still reserved.
        try:
            self.client.restore_secret(SecretId=name)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise TokenVaultError(f"restoring tokens {name} failed: {_code(exc)}") from None
        self._put(name, value)

    def _put(self, name: str, value: str) -> None:
        try:
            self.client.put_secret_value(SecretId=name, SecretString=value)
        except ClientError as exc:
            raise TokenVaultError(f"storing tokens {name} failed: {_code(exc)}") from None

    def delete(self, org_id: str, legal_entity_id: str) -> None:
        """Delete at once (no recovery window). Idempotent: a missing secret is fine
        (Secrets Manager itself accepts a forced delete of an unknown name)."""
        self._delete(self.secret_name(org_id, legal_entity_id))
        token_cache.note_deleted(org_id, legal_entity_id)

    def _delete(self, name: str) -> None:
        try:
            self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if not _gone(exc):
                raise TokenVaultError(f"deleting tokens {name} failed: {_code(exc)}") from None


# --------------------------------------------------------------------------------------
# Module-level conveniences (the default vault from settings)


def load(org_id: str, legal_entity_id: str) -> TokenSet | None:
    return TokenVault().load(org_id, legal_entity_id)


def save(org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
    TokenVault().save(org_id, legal_entity_id, tokens)


def delete(org_id: str, legal_entity_id: str) -> None:
    TokenVault().delete(org_id, legal_entity_id)


# --------------------------------------------------------------------------------------
# Intuit app credentials


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str = field(repr=False)


_app_lock = threading.Lock()
_app_cache: dict[str, tuple[float, AppCredentials]] = {}


def load_app_credentials(
    secret_name: str | None = None,
    *,
    client: Any | None = None,
    clock: Callable[[], float] = time.monotonic,
    ttl: float = APP_CREDENTIALS_TTL_SECONDS,
) -> AppCredentials:
    """The Intuit app's client id/secret (JSON secret), cached per process for ``ttl`` s.

    A short cache, not a permanent one, so a rotated client secret is picked up.
    """
    name = secret_name or get_settings().intuit_app_secret_name
    now = clock()
    with _app_lock:
        hit = _app_cache.get(name)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
    sm = client if client is not None else aws.client("secretsmanager")
    try:
        resp = sm.get_secret_value(SecretId=name)
    except ClientError as exc:
        raise TokenVaultError(f"reading Intuit app secret {name} failed: {_code(exc)}") from None
    try:
        data = json.loads(resp["SecretString"])
        creds = AppCredentials(str(data["client_id"]), str(data["client_secret"]))
    except (KeyError, TypeError, ValueError):
        raise TokenVaultError(
            f"Intuit app secret {name} must be JSON with client_id and client_secret"
        ) from None
    with _app_lock:
        _app_cache[name] = (now, creds)
    return creds


def reset_cache() -> None:
    with _app_lock:
        _app_cache.clear()
