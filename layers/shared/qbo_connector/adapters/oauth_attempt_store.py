"""DynamoDB store of OAuth attempts (TTL table).

Up to three items per attempt:
- `LOCK#{org}#{entity}`: one attempt per legal entity at a time;
- `LAUNCH#{attempt hash}`: the popup's launch token, consumed exactly once (conditional
  delete) when the popup opens;
- `STATE#{state hash}`: written at launch with the launching browser's hash, consumed
  exactly once by the callback, and only by that browser (conditional delete on the
  browser hash);
- `CONFIRM#{confirmation hash}`: the verified company waiting for "Connect", taken once,
  by the same browser, the same way.

TTL removes leftovers, but expiry is also checked on read because DynamoDB's TTL
deletion is lazy.
"""

from __future__ import annotations

from dataclasses import replace

from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table
from qbo_connector.config import get_settings
from qbo_connector.models.oauth_attempt import Consumed, OAuthAttempt, PendingConnection


def _lock_key(org_id: str, legal_entity_id: str) -> dict[str, str]:
    return {"pk": f"LOCK#{org_id}#{legal_entity_id}"}


def _launch_key(attempt_hash: str) -> dict[str, str]:
    return {"pk": f"LAUNCH#{attempt_hash}"}


def _state_key(state_hash: str) -> dict[str, str]:
    return {"pk": f"STATE#{state_hash}"}


def _confirm_key(confirmation_hash: str) -> dict[str, str]:
    return {"pk": f"CONFIRM#{confirmation_hash}"}


class OAuthAttemptStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().oauth_attempts_table)

    def pending(self, org_id: str, legal_entity_id: str, now: int) -> OAuthAttempt | None:
        item = self._table.get_item(
            Key=_lock_key(org_id, legal_entity_id), ConsistentRead=True
        ).get("Item")
        if not item or int(item["expires_at"]) <= now or "attempt_hash" not in item:
            return None
        return OAuthAttempt.from_item(plain(item))

    def begin(self, attempt: OAuthAttempt, now: int) -> OAuthAttempt | None:
        """Record the attempt; returns the other user's live attempt that blocks it.

        The same user starting again replaces their own attempt (its launch and state die).
        """
        previous = self.pending(attempt.org_id, attempt.legal_entity_id, now)
        try:
            self._table.put_item(
                Item={**_lock_key(attempt.org_id, attempt.legal_entity_id), **attempt.to_item()},
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now "
                "OR user_id = :user",
                ExpressionAttributeValues={":now": now, ":user": attempt.user_id},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return self.pending(attempt.org_id, attempt.legal_entity_id, now) or previous
        if previous and previous.attempt_hash != attempt.attempt_hash:
            self._table.delete_item(Key=_launch_key(previous.attempt_hash))
            if previous.state_hash:
                self._table.delete_item(Key=_state_key(previous.state_hash))
        self._table.put_item(Item={**_launch_key(attempt.attempt_hash), **attempt.to_item()})
        return None

    def launch(self, attempt_hash: str, state_hash: str, browser_hash: str) -> OAuthAttempt | None:
        """Single use: the popup's launch token opens one browser's attempt, once."""
        try:
            old = self._table.delete_item(
                Key=_launch_key(attempt_hash),
                ConditionExpression="attribute_exists(pk)",
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        if not old:
            return None
        attempt = replace(
            OAuthAttempt.from_item(plain(old)), state_hash=state_hash, browser_hash=browser_hash
        )
        self._table.put_item(Item={**_state_key(state_hash), **attempt.to_item()})
        try:  # the lock learns the state so a replacing attempt can kill it
            self._table.update_item(
                Key=_lock_key(attempt.org_id, attempt.legal_entity_id),
                UpdateExpression="SET state_hash = :s",
                ConditionExpression="attempt_hash = :a",
                ExpressionAttributeValues={":s": state_hash, ":a": attempt_hash},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        return attempt

    def consume(self, state_hash: str, browser_hash: str) -> tuple[Consumed, OAuthAttempt | None]:
        """Single use, and only by the launching browser (conditional delete on its hash)."""
        consumed, item = self._take(_state_key(state_hash), browser_hash)
        return consumed, OAuthAttempt.from_item(item) if item else None

    def hold(self, pending: PendingConnection) -> None:
        self._table.put_item(Item={**_confirm_key(pending.confirmation_hash), **pending.to_item()})

    def take(
        self, confirmation_hash: str, browser_hash: str
    ) -> tuple[Consumed, PendingConnection | None]:
        """The confirmation, once, by the browser that launched the attempt."""
        consumed, item = self._take(_confirm_key(confirmation_hash), browser_hash)
        return consumed, PendingConnection.from_item(item) if item else None

    def _take(self, key: dict[str, str], browser_hash: str) -> tuple[Consumed, dict | None]:
        try:
            old = self._table.delete_item(
                Key=key,
                ConditionExpression="attribute_exists(pk) AND browser_hash = :b",
                ExpressionAttributeValues={":b": browser_hash},
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            live = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
            return (Consumed.OTHER_BROWSER if live else Consumed.UNKNOWN), None
        if not old:
            return Consumed.UNKNOWN, None
        return Consumed.OK, plain(old)

    def expired_confirmations(self, now: int) -> list[PendingConnection]:
        """Confirmations nobody answered (the window was closed): their tokens are revoked."""
        found: list[PendingConnection] = []
        kwargs: dict = {
            "FilterExpression": "begins_with(pk, :p) AND expires_at <= :now",
            "ExpressionAttributeValues": {":p": "CONFIRM#", ":now": now},
        }
        while True:
            page = self._table.scan(**kwargs)
            found += [PendingConnection.from_item(plain(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def forget(self, pending: PendingConnection) -> None:
        self._table.delete_item(Key=_confirm_key(pending.confirmation_hash))

    def finish(self, attempt: OAuthAttempt) -> None:
        """Free the entity for a new attempt, unless a newer attempt replaced this one."""
        try:
            self._table.delete_item(
                Key=_lock_key(attempt.org_id, attempt.legal_entity_id),
                ConditionExpression="attempt_hash = :h",
                ExpressionAttributeValues={":h": attempt.attempt_hash},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
