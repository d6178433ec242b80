"""DynamoDB store of sync runs: `pk={org_id}#{legal_entity_id}`, `sk={sync id}`
(ids sort newest first).

History pages carry an opaque cursor: the last key, base64-encoded, checked against the
entity so a cursor of one legal entity cannot page through another's history.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table, to_dynamo
from qbo_connector.config import get_settings
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.sync_run import SyncRun


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, pk: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput(
            "cursor is not one this API returned; start again without a cursor.", field="cursor"
        ) from exc
    if not isinstance(key, dict) or key.get("pk") != pk or not isinstance(key.get("sk"), str):
        raise InvalidInput(
            "cursor belongs to another listing; start again without a cursor.", field="cursor"
        )
    return {"pk": key["pk"], "sk": key["sk"]}


class SyncRunStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table(table_name or get_settings().sync_runs_table)

    @staticmethod
    def _key(org_id: str, legal_entity_id: str, sync_id: str) -> dict[str, str]:
        return {"pk": f"{org_id}#{legal_entity_id}", "sk": sync_id}

    def create(self, run: SyncRun) -> None:
        key = self._key(run.org_id, run.legal_entity_id, run.sync_id)
        try:
            self._table.put_item(
                Item={**key, **to_dynamo(run.to_item())},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            # The sync id is new with every request: a run already there is this very
            # write, whose answer was lost and which botocore sent again.
            if not is_condition_failure(exc) or "Item" not in self._table.get_item(
                Key=key, ConsistentRead=True
            ):
                raise

    def save(self, run: SyncRun) -> None:
        """The worker holding the lease writes the whole run (a few KB at most)."""
        self._table.put_item(
            Item={
                **self._key(run.org_id, run.legal_entity_id, run.sync_id),
                **to_dynamo(run.to_item()),
            }
        )

    def finish_if_open(self, run: SyncRun) -> bool:
        """Write a finished run unless it has already finished (two writers racing)."""
        try:
            self._table.put_item(
                Item={
                    **self._key(run.org_id, run.legal_entity_id, run.sync_id),
                    **to_dynamo(run.to_item()),
                },
                ConditionExpression="attribute_exists(pk) AND #s IN (:q, :r)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":q": "queued", ":r": "running"},
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def get(self, org_id: str, legal_entity_id: str, sync_id: str) -> SyncRun | None:
        item = self._table.get_item(
            Key=self._key(org_id, legal_entity_id, sync_id), ConsistentRead=True
        ).get("Item")
        return SyncRun.from_item(plain(item)) if item else None

    def list(
        self, org_id: str, legal_entity_id: str, limit: int = 20, cursor: str | None = None
    ) -> tuple[list[SyncRun], str | None]:
        pk = f"{org_id}#{legal_entity_id}"
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk), "Limit": limit}
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        page = self._table.query(**kwargs)
        runs = [SyncRun.from_item(plain(i)) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return runs, (encode_cursor(last) if last else None)
