"""Intuit change notifications → incremental syncs of the affected legal entities.

Intuit signs the raw body (HMAC-SHA256 with the app's verifier token, base64 in
`intuit-signature`) and wants an answer within seconds, so this only checks the
signature, maps realms to legal entities and queues syncs; a sync already
running for an entity absorbs the notification (its CDC window covers it).

Parsing is total: any JSON value is either refused with 400 (not an object or an
array, or an object without Intuit's `eventNotifications` list) or read
notification by notification, skipping (and counting as `ignored`) every entry
that names no usable realm: not an object, a realm id that is not a string of
digits, a missing one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.logic.ports import LegalEntityStorePort, SyncStarterPort
from qbo_connector.models.errors import Conflict, InvalidInput, PreconditionFailed, Unauthenticated
from qbo_connector.models.sync_run import SyncMode, Trigger
from qbo_connector.observability import logger

# QBO realm (company) ids are decimal strings of up to 19 digits; 32 leaves room.
REALM_ID = re.compile(r"^[0-9]{1,32}\Z")
# One delivery names a handful of companies; each costs a look-up, so bound them.
MAX_REALMS_PER_DELIVERY = 1000


def signature_of(body: bytes, verifier_token: str) -> str:
    return base64.b64encode(_digest(body, verifier_token)).decode()


def _digest(body: bytes, verifier_token: str) -> bytes:
    return hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()


def signature_matches(body: bytes, verifier_token: str, header: str | None) -> bool:
    """Constant-time check of `intuit-signature` against the body, on the digest bytes.

    A missing, non-ASCII or non-base64 header simply does not match.
    """
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    return hmac.compare_digest(_digest(body, verifier_token), given)


@dataclass
class Notifications:
    realms: list[str] = field(default_factory=list)  # distinct, in order
    ignored: int = 0  # entries naming no usable realm

    def add(self, value: Any) -> None:
        if not isinstance(value, str) or not REALM_ID.match(value):
            self.ignored += 1
        elif value not in self.realms:
            if len(self.realms) >= MAX_REALMS_PER_DELIVERY:
                self.ignored += 1
            else:
                self.realms.append(value)


def read_notifications(payload: Any) -> Notifications:
    """The realms named by a legacy (`eventNotifications`) or CloudEvents payload."""
    found = Notifications()
    if isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        entries, key = payload["eventNotifications"], "realmId"
    elif isinstance(payload, list):
        entries, key = payload, "intuitaccountid"
    else:
        raise InvalidInput(
            "The body is neither Intuit's eventNotifications object nor a CloudEvents array.",
            field="body",
        )
    for entry in entries:
        found.add(entry.get(key) if isinstance(entry, dict) else None)
    return found


def realms_in(payload: Any) -> list[str]:
    """Realm ids named by a payload, once each, in order (see read_notifications)."""
    return read_notifications(payload).realms


class WebhookService:
    def __init__(
        self,
        entities: LegalEntityStorePort,
        syncs: SyncStarterPort,
        verifier_token: Callable[[], str],
    ) -> None:
        self._entities = entities
        self._syncs = syncs
        self._verifier_token = verifier_token

    def handle(self, body: bytes, signature: str | None) -> dict[str, Any]:
        if not signature_matches(body, self._verifier_token(), signature):
            raise Unauthenticated(
                "The intuit-signature header does not match the body.", code="bad_signature"
            )
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise InvalidInput("The body is not JSON.", field="body") from None
        found = read_notifications(payload)
        if found.ignored:
            logger.info("webhook entries without a usable realm", extra={"ignored": found.ignored})
        results = [self._sync_realm(realm) for realm in found.realms]
        return {
            "received": len(results),
            "queued": sum(r == "queued" for r in results),
            "ignored": found.ignored,
        }

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
