"""Intuit change notifications → incremental syncs of the affected legal entities.

Intuit signs the raw body (HMAC-SHA256 with the app's verifier token, base64 in
`intuit-signature`) and wants an answer within seconds, so this only checks the
signature, maps realms to legal entities and queues syncs; a sync already
running for an entity absorbs the notification (its CDC window covers it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed, Unauthenticated
from qbo_connector.models.sync_run import SyncMode, Trigger
from qbo_connector.observability import logger


def signature_of(body: bytes, verifier_token: str) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def realms_in(payload: Any) -> list[str]:
    """Realm ids named by a legacy (`eventNotifications`) or CloudEvents payload."""
    realms: list[str] = []
    if isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        realms = [str(n.get("realmId")) for n in payload["eventNotifications"] if n.get("realmId")]
    elif isinstance(payload, list):
        realms = [
            str(e.get("intuitaccountid"))
            for e in payload
            if isinstance(e, dict) and e.get("intuitaccountid")
        ]
    else:
        raise InvalidInput(
            "The body is neither Intuit's eventNotifications nor a CloudEvents array.",
            field="body",
        )
    return list(dict.fromkeys(realms))  # once each, in order


class WebhookService:
    def __init__(self, entities: Any, syncs: Any, verifier_token: Callable[[], str]) -> None:
        self._entities = entities
        self._syncs = syncs
        self._verifier_token = verifier_token

    def handle(self, body: bytes, signature: str | None) -> dict[str, Any]:
        expected = signature_of(body, self._verifier_token())
        if not signature or not hmac.compare_digest(expected, signature.strip()):
            raise Unauthenticated(
                "The intuit-signature header does not match the body.", code="bad_signature"
            )
        try:
            payload = json.loads(body)
        except ValueError:
            raise InvalidInput("The body is not JSON.", field="body") from None
        results = [self._sync_realm(realm) for realm in realms_in(payload)]
        return {"received": len(results), "queued": sum(r == "queued" for r in results)}

    def _sync_realm(self, realm_id: str) -> str:
        owner = self._entities.realm_owner(realm_id)
        if owner is None:
            return "unknown_realm"  # not ours (any more): nothing to do
        try:
            self._syncs.start_for_entity(owner[0], owner[1], Trigger.WEBHOOK, SyncMode.INCREMENTAL)
        except Conflict:
            return "coalesced"
        except PreconditionFailed as exc:
            logger.info("webhook for an entity that cannot sync", extra={"reason": exc.code})
            return "not_ready"
        return "queued"
