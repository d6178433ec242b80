"""DynamoDB store of OAuth attempts (TTL table).

Two items per attempt: `STATE#{hash}` (consumed exactly once by the callback,
with a conditional delete) and `LOCK#{org}#{entity}` (one attempt per legal
entity at a time). TTL removes leftovers, but expiry is also checked on read
because DynamoDB's TTL deletion is lazy.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table
from qbo_connector.config import get_settings
from qbo_connector.models.oauth_attempt import OAuthAttempt


def _lock_key(org_id: str, legal_entity_id: str) -> dict[str, str]:
    return {"pk": f"LOCK#{org_id}#{legal_entity_id}"}


def _state_key(state_hash: str) -> dict[str, str]:
    return {"pk": f"STATE#{state_hash}"}


class OAuthAttemptStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().oauth_attempts_table)

    def pending(self, org_id: str, legal_entity_id: str, now: int) -> OAuthAttempt | None:
        item = self._table.get_item(
            Key=_lock_key(org_id, legal_entity_id), ConsistentRead=True
        ).get("Item")
        if not item or int(item["expires_at"]) <= now:
            return None
        return OAuthAttempt.from_item(plain(item))

    def begin(self, attempt: OAuthAttempt, now: int) -> OAuthAttempt | None:
        """Record the attempt; returns the other user's live attempt that blocks it.

        The same user starting again replaces their own attempt (its state dies).
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
        if previous and previous.state_hash != attempt.state_hash:
            self._table.delete_item(Key=_state_key(previous.state_hash))
        self._table.put_item(Item={**_state_key(attempt.state_hash), **attempt.to_item()})
        return None

    def consume(self, state_hash: str) -> OAuthAttempt | None:
        """Single use: the conditional delete succeeds for exactly one caller."""
        try:
            old = self._table.delete_item(
                Key=_state_key(state_hash),
                ConditionExpression="attribute_exists(pk)",
                ReturnValues="ALL_OLD",
            ).get("Attributes")
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise
        return OAuthAttempt.from_item(plain(old)) if old else None

    def finish(self, attempt: OAuthAttempt) -> None:
        """Free the entity for a new attempt, unless a newer attempt replaced this one."""
        try:
            self._table.delete_item(
                Key=_lock_key(attempt.org_id, attempt.legal_entity_id),
                ConditionExpression="state_hash = :h",
                ExpressionAttributeValues={":h": attempt.state_hash},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
