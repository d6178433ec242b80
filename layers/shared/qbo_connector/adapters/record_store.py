"""DynamoDB store of imported QBO master data: `pk={org}#{le}#{type}`, `sk={QBO Id}`.

Each item keeps the QBO object as JSON text (exact shapes, no float/Decimal games) and a
content hash; the importer reads the hashes first and writes only records that changed,
so a re-sync without changes costs no writes. Bill submission validates an invoice's
references against the same records (`lookup`, logic.bill_submission.MasterDataPort).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from qbo_connector.adapters import aws
from qbo_connector.adapters.dynamo import table
from qbo_connector.adapters.sync_run_store import decode_cursor, encode_cursor
from qbo_connector.config import get_settings
from qbo_connector.models.record import MasterRecord, RecordWrite, StoredState

_BATCH_GET = 100  # DynamoDB's BatchGetItem limit


class RecordStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._name = table_name or get_settings().records_table
        self._table = table(self._name)
        self.writes = 0  # items written by this process (the bench reports it)

    @staticmethod
    def pk(org_id: str, legal_entity_id: str, object_type: str) -> str:
        return f"{org_id}#{legal_entity_id}#{object_type}"

    def states(
        self, org_id: str, legal_entity_id: str, object_type: str, ids: list[str]
    ) -> dict[str, StoredState]:
        """What is stored for these Ids (missing ones are absent from the answer)."""
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
                    "ConsistentRead": True,
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
        self, org_id: str, le_id: str, refs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], MasterRecord]:
        """Imported records by (type, QBO Id), of any types at once (missing ones absent)."""
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
                    "ProjectionExpression": "pk, sk, #n, active, deleted",
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
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def all_states(
        self, org_id: str, legal_entity_id: str, object_type: str
    ) -> dict[str, StoredState]:
        """Every stored Id of a type with its state (the full-sync sweep compares them)."""
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
        pk = self.pk(org_id, legal_entity_id, object_type)
        with self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for record in records:
                item: dict[str, Any] = {
                    "pk": pk,
                    "sk": record.qbo_id,
                    "hash": record.hash,
                    "active": record.active,
                    "deleted": record.deleted,
                    "body": json.dumps(record.body, separators=(",", ":"), default=str),
                    "sync_id": sync_id,
                    "imported_at": imported_at,
                }
                if record.name:
                    item["name"] = record.name
                if record.qbo_updated_at:
                    item["qbo_updated_at"] = record.qbo_updated_at
                batch.put_item(Item=item)
        self.writes += len(records)
        return len(records)

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
