"""A short DynamoDB lease around a legal entity's token refresh.

Refresh tokens rotate and the replaced one may die at once: two Lambda
processes refreshing the same entity at the same moment could otherwise make
one of them use a dead token (a self-inflicted invalid_grant). Whoever holds
the lease refreshes; the others wait for it, then find the rotated tokens in
the vault and use them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, table
from qbo_connector.config import get_settings

LEASE_SECONDS = 30  # longer than a refresh call's timeouts
WAIT_SECONDS = 20


class RefreshLock:
    def __init__(
        self,
        table_name: str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table(table_name or get_settings().legal_entities_table)
        self._clock = clock
        self._sleep = sleep

    @contextmanager
    def hold(self, org_id: str, legal_entity_id: str) -> Iterator[bool]:
        """Yields True when held; False after waiting WAIT_SECONDS (then the caller's
        vault re-read decides, as it would without the lock)."""
        key = {"pk": f"REFRESH#{org_id}#{legal_entity_id}", "sk": "LEASE"}
        holder = secrets.token_hex(8)
        deadline = self._clock() + WAIT_SECONDS
        held = False
        while not held:
            now = self._clock()
            try:
                self._table.put_item(
                    Item={**key, "holder": holder, "expires_at": int(now) + LEASE_SECONDS},
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": int(now)},
                )
                held = True
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                if now >= deadline:
                    break
                self._sleep(0.2)
        try:
            yield held
        finally:
            if held:
                try:
                    self._table.delete_item(
                        Key=key,
                        ConditionExpression="holder = :me",
                        ExpressionAttributeValues={":me": holder},
                    )
                except ClientError as error:
                    if not is_condition_failure(error):
                        raise
