"""A rotated refresh token is never lost to our own storage failure.

Intuit may rotate the refresh token on every refresh, and the old one can die at once:
once a refresh has answered, the new token set is the only way back into the company. If
Secrets Manager then refuses it, the legal entity must not end "reconnect required"
because of us. So the token set is written in this order, each step retried, and the
first that succeeds makes it durable::

    1. Secrets Manager, the vault (PutSecretValue; retried VAULT_ATTEMPTS times with
       back-off, beyond botocore's own retries: a throttle or a blip outlasts one call)
    2. the fallback: the token set encrypted with the stack's KMS key (TOKEN_KMS_KEY_ID)
       in the legal entity's own item (`token_fallback`), by a conditional update that
       only ever replaces an older set (obtained_at), retried the same way
    3. neither: TokenPersistError; the set stays in this process's memory, marked unsaved,
       and every later use tries steps 1-2 again before handing out a token

Every reader (`load`) prefers the newest of the two: a fallback newer than the vault's set
is used, and promoted to the vault (then removed, conditional on being the one promoted).
A vault without a secret is a disconnected entity: the fallback is ignored then (and
removed), so a disconnect can never be undone by a stale fallback.

Crash points: after Intuit answered and before step 1 or 2 succeeded — the only window, a
few calls long, that no storage order can close; after step 1 — durable; after step 2 —
durable, read back by the next reader; between promotion and removal — the fallback is
not newer than the vault any more and is removed by the next reader.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws
from qbo_connector.adapters.dynamo import is_condition_failure
from qbo_connector.adapters.token_vault import TokenVault, TokenVaultError
from qbo_connector.config import get_settings
from qbo_connector.models.tokens import TokenSet

log = logging.getLogger("qbo-connector").getChild(__name__)

VAULT_ATTEMPTS = 2  # each is already botocore's 4 attempts (adapters.aws)
FALLBACK_ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0)
FIELD = "token_fallback"


def _key(org_id: str, legal_entity_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": f"LE#{legal_entity_id}"}


class TokenFallback:
    """The encrypted copy in the legal-entity item (step 2)."""

    def __init__(self, table_name: str | None = None, kms_key_id: str | None = None) -> None:
        settings = get_settings()
        self.table_name = table_name or settings.legal_entities_table
        self.kms_key_id = kms_key_id if kms_key_id is not None else settings.token_kms_key_id

    def _context(self, org_id: str, legal_entity_id: str) -> dict[str, str]:
        # Binds the ciphertext to its entity: it cannot be replayed into another's item.
        return {"org_id": org_id, "legal_entity_id": legal_entity_id, "use": "qbo-tokens"}

    def put(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
        blob = aws.client("kms").encrypt(
            KeyId=self.kms_key_id,
            Plaintext=json.dumps(tokens.to_dict()).encode(),
            EncryptionContext=self._context(org_id, legal_entity_id),
        )["CiphertextBlob"]
        try:
            aws.client("dynamodb").update_item(
                TableName=self.table_name,
                Key={k: {"S": v} for k, v in _key(org_id, legal_entity_id).items()},
                UpdateExpression="SET #f = :f",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(#f) OR #f.obtained_at < :t)",
                ExpressionAttributeNames={"#f": FIELD},
                ExpressionAttributeValues={
                    ":f": {
                        "M": {
                            "blob": {"S": base64.b64encode(blob).decode()},
                            "obtained_at": {"N": repr(tokens.obtained_at)},
                        }
                    },
                    ":t": {"N": repr(tokens.obtained_at)},
                },
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            # A newer set is already there (or this very one, written by a retry whose
            # answer was lost): nothing to do.

    def get(self, org_id: str, legal_entity_id: str) -> tuple[TokenSet, float] | None:
        item = (
            aws.client("dynamodb")
            .get_item(
                TableName=self.table_name,
                Key={k: {"S": v} for k, v in _key(org_id, legal_entity_id).items()},
                ProjectionExpression="#f",
                ExpressionAttributeNames={"#f": FIELD},
                ConsistentRead=True,
            )
            .get("Item")
        )
        stored = (item or {}).get(FIELD, {}).get("M")
        if not stored:
            return None
        plain = aws.client("kms").decrypt(
            CiphertextBlob=base64.b64decode(stored["blob"]["S"]),
            EncryptionContext=self._context(org_id, legal_entity_id),
        )["Plaintext"]
        return TokenSet.from_dict(json.loads(plain)), float(stored["obtained_at"]["N"])

    def clear(self, org_id: str, legal_entity_id: str, obtained_at: float | None = None) -> None:
        """Remove the fallback (only the one of `obtained_at`, when given)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": {k: {"S": v} for k, v in _key(org_id, legal_entity_id).items()},
            "UpdateExpression": "REMOVE #f",
            "ExpressionAttributeNames": {"#f": FIELD},
            "ConditionExpression": "attribute_exists(#f)",
        }
        if obtained_at is not None:
            kwargs["ConditionExpression"] = "#f.obtained_at = :t"
            kwargs["ExpressionAttributeValues"] = {":t": {"N": repr(obtained_at)}}
        try:
            aws.client("dynamodb").update_item(**kwargs)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise


def _retried(
    what: str, attempts: int, step: Callable[[], None], sleep: Callable[[float], None]
) -> Exception | None:
    """Run `step` up to `attempts` times; the last error, or None once it succeeded."""
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            step()
            return None
        except Exception as exc:  # noqa: BLE001 - every failure is retried, then reported
            last = exc
            log.warning(
                "token write failed",
                extra={"target": what, "attempt": attempt + 1, "error_type": type(exc).__name__},
            )
            if attempt + 1 < attempts:
                sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
    return last


class DurableTokenStore:
    """The TokenManager's store (adapters.qbo_auth.TokenStore): the vault, and the
    fallback when the vault refuses (module doc)."""

    def __init__(
        self,
        vault: TokenVault | None = None,
        fallback: TokenFallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.vault = vault or TokenVault()
        self.fallback = fallback or TokenFallback()
        self._sleep = sleep

    def save(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None:
        vault_error = _retried(
            "vault",
            VAULT_ATTEMPTS,
            lambda: self.vault.save(org_id, legal_entity_id, tokens),
            self._sleep,
        )
        if vault_error is None:
            return
        fallback_error = _retried(
            "fallback",
            FALLBACK_ATTEMPTS,
            lambda: self.fallback.put(org_id, legal_entity_id, tokens),
            self._sleep,
        )
        if fallback_error is None:
            log.warning(
                "tokens kept in the fallback",
                extra={"org_id": org_id, "legal_entity_id": legal_entity_id},
            )
            return
        raise TokenVaultError(
            f"storing tokens failed in the vault ({type(vault_error).__name__}) and in the "
            f"fallback ({type(fallback_error).__name__})"
        )

    def load(self, org_id: str, legal_entity_id: str) -> TokenSet | None:
        stored = self.vault.load(org_id, legal_entity_id)
        try:
            kept = self.fallback.get(org_id, legal_entity_id)
        except ClientError as exc:
            # The fallback unreadable must not stop a connection the vault holds.
            log.warning("token fallback unreadable", extra={"error": aws.error_code(exc)})
            return stored
        if kept is None:
            return stored
        fallback, obtained_at = kept
        if stored is None:
            self._forget(org_id, legal_entity_id, None)  # disconnected: never resurrect
            return None
        if fallback.obtained_at <= stored.obtained_at:
            self._forget(org_id, legal_entity_id, obtained_at)  # promoted or superseded
            return stored
        try:  # the newer set back into the vault, then the fallback removed
            self.vault.save(org_id, legal_entity_id, fallback)
        except Exception as exc:  # noqa: BLE001 - it is still the newest: use it
            log.warning("token fallback not promoted", extra={"error_type": type(exc).__name__})
            return fallback
        self._forget(org_id, legal_entity_id, obtained_at)
        return fallback

    def _forget(self, org_id: str, legal_entity_id: str, obtained_at: float | None) -> None:
        try:
            self.fallback.clear(org_id, legal_entity_id, obtained_at)
        except Exception as exc:  # noqa: BLE001 - the next reader removes it
            log.warning("token fallback not removed", extra={"error_type": type(exc).__name__})
