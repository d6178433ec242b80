"""DynamoDB store of imported QBO master data: `pk={org}#{le}#{type}`, `sk={QBO Id}`.

Each item keeps the QBO object as JSON text (exact shapes, no float/Decimal games) and a
content hash; the importer reads the hashes first and writes only records that changed,
so a re-sync without changes costs no writes. Bill submission validates an invoice's
references against the same records (`lookup`, logic.bill_submission.MasterDataPort).

DynamoDB cost: a type never imported is recognised with one `Limit=1` query
(`has_records`) and then written without reading a key that cannot exist; the hash
look-ups of a re-import are eventually consistent (half the read units); records are
written with BatchWriteItem items serialised here for a client without botocore's
per-attribute validation (`aws.raw_client`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from qbo_connector.adapters import aws
from qbo_connector.adapters.dynamo import table
from qbo_connector.adapters.sync_run_store import decode_cursor, encode_cursor
from qbo_connector.config import get_settings
from qbo_connector.models.record import MasterRecord, RecordWrite, StoredState

_BATCH_GET = 100  # DynamoDB's BatchGetItem limit
_BATCH_WRITE = 25  # DynamoDB's BatchWriteItem limit
_UNPROCESSED_ATTEMPTS = 8  # retries of throttled (unprocessed) batch-write items


class UnprocessedWrites(Exception):
    """DynamoDB kept refusing some batch-written records (throughput exceeded)."""


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class RecordStore:
    def __init__(
        self, table_name: str | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._name = table_name or get_settings().records_table
        self._table = table(self._name)
        self._sleep = sleep
        self.writes = 0  # items written by this process (the bench reports it)

    @staticmethod
    def pk(org_id: str, legal_entity_id: str, object_type: str) -> str:
        return f"{org_id}#{legal_entity_id}#{object_type}"

    def states(
        self, org_id: str, legal_entity_id: str, object_type: str, ids: list[str]
    ) -> dict[str, StoredState]:
        """What is stored for these Ids (missing ones are absent from the answer).

        Eventually consistent (half the read units): only this entity's sync writes these
        items, one sync at a time (the sync lease), and an earlier run's writes are long
        settled when the next run reads them. What a stale answer can cost is one
        redundant write of a record this run already wrote (its hash looked different),
        never a lost change: a changed record's hash differs from any stored one.
        """
        pk = self.pk(org_id, legal_entity_id, object_type)
        client = aws.resource("dynamodb").meta.client
        found: dict[str, StoredState] = {}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), _BATCH_GET):
            request: dict[str, Any] = {
                self._name: {
                    "Keys": [{"pk": pk, "sk": qbo_id} for qbo_id in unique[i : i + _BATCH_GET]],
                    "ProjectionExpression": "sk, #h, active, deleted",
                    "ExpressionAttributeNames": {"#h": "hash"},
                    "ConsistentRead": False,
                }
            }
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._name, []):
                    found[item["sk"]] = StoredState(
                        hash=item.get("hash", ""),
                        active=bool(item.get("active", True)),
                        deleted=bool(item.get("deleted", False)),
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def lookup(
        self,
        org_id: str,
        le_id: str,
        refs: Iterable[tuple[str, str]],
        with_body: bool = False,
    ) -> dict[tuple[str, str], MasterRecord]:
        """Imported records by (type, QBO Id), of any types at once (missing ones absent);
        `with_body` reads the QBO object too (a payment's account type and currency).

        Strongly consistent on purpose: a bill is refused when a reference is missing,
        and a person who just saw a vendor imported must not have an invoice refused
        because a replica has not caught up yet.
        """
        client = aws.resource("dynamodb").meta.client
        wanted = list(dict.fromkeys(refs))
        found: dict[tuple[str, str], MasterRecord] = {}
        for start in range(0, len(wanted), _BATCH_GET):
            keys = [
                {"pk": self.pk(org_id, le_id, kind), "sk": qbo_id}
                for kind, qbo_id in wanted[start : start + _BATCH_GET]
            ]
            request: dict[str, Any] = {
                self._name: {
                    "Keys": keys,
                    "ProjectionExpression": "pk, sk, #n, active, deleted"
                    + (", body" if with_body else ""),
                    "ExpressionAttributeNames": {"#n": "name"},
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._name, []):
                    kind = str(item["pk"]).rsplit("#", 1)[-1]
                    found[(kind, str(item["sk"]))] = MasterRecord(
                        item.get("name"),
                        bool(item.get("active", True)),
                        bool(item.get("deleted", False)),
                        json.loads(item["body"]) if with_body and item.get("body") else None,
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def has_records(self, org_id: str, legal_entity_id: str, object_type: str) -> bool:
        """Whether anything of this type is stored (tombstones included): one query of at
        most one key. False means a first import: nothing to look up, nothing to sweep.

        Strongly consistent: an eventually consistent "nothing" right after an earlier
        run wrote this type would skip the look-ups and the sweep wrongly; the read costs
        one unit once per type and run.
        """
        answer = self._table.query(
            KeyConditionExpression=Key("pk").eq(self.pk(org_id, legal_entity_id, object_type)),
            ProjectionExpression="sk",
            Limit=1,
            ConsistentRead=True,
        )
        return bool(answer.get("Items"))

    def all_states(
        self, org_id: str, legal_entity_id: str, object_type: str
    ) -> dict[str, StoredState]:
        """Every stored Id of a type with its state (the full-sync sweep compares them).

        Eventually consistent (the default): the sweep marks what the pass did not see,
        and a record this pass wrote a moment ago was seen, whether or not this read
        returns it."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(self.pk(org_id, legal_entity_id, object_type)),
            "ProjectionExpression": "sk, #h, active, deleted",
            "ExpressionAttributeNames": {"#h": "hash"},
        }
        found: dict[str, StoredState] = {}
        while True:
            page = self._table.query(**kwargs)
            for item in page.get("Items", []):
                found[item["sk"]] = StoredState(
                    hash=item.get("hash", ""),
                    active=bool(item.get("active", True)),
                    deleted=bool(item.get("deleted", False)),
                )
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_many(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        records: list[RecordWrite],
        *,
        sync_id: str,
        imported_at: str,
    ) -> int:
        if not records:
            return 0
        pk = _s(self.pk(org_id, legal_entity_id, object_type))
        stamps = {"sync_id": _s(sync_id), "imported_at": _s(imported_at)}
        # Last write wins per key, as BatchWriteItem refuses two requests for one key.
        latest = {record.qbo_id: record for record in records}
        requests: list[dict[str, Any]] = []
        for record in latest.values():
            item: dict[str, Any] = {
                "pk": pk,
                "sk": _s(record.qbo_id),
                "hash": _s(record.hash),
                "active": {"BOOL": record.active},
                "deleted": {"BOOL": record.deleted},
                "body": _s(json.dumps(record.body, separators=(",", ":"), default=str)),
                **stamps,
            }
            if record.name:
                item["name"] = _s(record.name)
            if record.qbo_updated_at:
                item["qbo_updated_at"] = _s(record.qbo_updated_at)
            requests.append({"PutRequest": {"Item": item}})
            if len(requests) == _BATCH_WRITE:
                self._write_batch(requests)
                requests = []
        if requests:
            self._write_batch(requests)
        self.writes += len(latest)
        return len(latest)

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        client = aws.raw_client("dynamodb")
        pending = {self._name: requests}
        for attempt in range(_UNPROCESSED_ATTEMPTS):
            answer = client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            self._sleep(min(2.0, 0.05 * 2**attempt))
        raise UnprocessedWrites(
            f"DynamoDB kept refusing {len(pending.get(self._name, []))} record writes"
        )

    def mark(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        ids: list[str],
        *,
        sync_id: str,
        imported_at: str,
        deleted: bool | None = None,
        active: bool | None = None,
    ) -> int:
        """Flag stored records deleted or inactive (QBO sent no new body for them)."""
        pk = self.pk(org_id, legal_entity_id, object_type)
        sets = ["sync_id = :s", "imported_at = :t"]
        values: dict[str, Any] = {":s": sync_id, ":t": imported_at}
        if deleted is not None:
            sets.append("deleted = :d")
            values[":d"] = deleted
        if active is not None:
            sets.append("active = :a")
            values[":a"] = active
        for qbo_id in ids:
            self._table.update_item(
                Key={"pk": pk, "sk": qbo_id},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeValues=values,
            )
        self.writes += len(ids)
        return len(ids)

    def delete_all(self, org_id: str, legal_entity_id: str, object_type: str) -> int:
        """Forget every record of one type (an operator's reset); returns how many."""
        pk = self.pk(org_id, legal_entity_id, object_type)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk),
            "ProjectionExpression": "pk, sk",
        }
        deleted = 0
        with self._table.batch_writer() as batch:
            while True:
                page = self._table.query(**kwargs)
                for item in page.get("Items", []):
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                    deleted += 1
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return deleted

    def list(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        pk = self.pk(org_id, legal_entity_id, object_type)
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk), "Limit": limit}
        condition: Any = None
        if not include_deleted:
            condition = Attr("deleted").ne(True)
        if not include_inactive:
            active = Attr("active").eq(True)
            condition = active if condition is None else condition & active
        if condition is not None:
            kwargs["FilterExpression"] = condition
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        page = self._table.query(**kwargs)
        items = [
            {
                "id": item["sk"],
                "name": item.get("name"),
                "active": bool(item.get("active", True)),
                "deleted": bool(item.get("deleted", False)),
                "qbo_updated_at": item.get("qbo_updated_at"),
                "imported_at": item.get("imported_at"),
                "data": json.loads(item["body"]),
            }
            for item in page.get("Items", [])
        ]
        last = page.get("LastEvaluatedKey")
        return items, (encode_cursor(last) if last else None)
