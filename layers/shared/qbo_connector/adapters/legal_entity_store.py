"""DynamoDB store of legal entities and of realm claims (one realm, one entity).

Items: entity `pk=ORG#{org}`, `sk=LE#{id}`; realm claim `pk=REALM#{realm}`,
`sk=CLAIM`. The claim is written in the same transaction as the binding, so a
QBO company can never be bound to two legal entities, even under races.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table, to_dynamo
from qbo_connector.config import get_settings
from qbo_connector.models.faults import (
    RealmAlreadyClaimed,
)
from qbo_connector.models.legal_entity import LegalEntity


def _key(org_id: str, legal_entity_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": f"LE#{legal_entity_id}"}


def _realm_key(realm_id: str) -> dict[str, str]:
    return {"pk": f"REALM#{realm_id}", "sk": "CLAIM"}


class LegalEntityStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._name = table_name or get_settings().legal_entities_table
        self._table = table(self._name)

    def get(self, org_id: str, legal_entity_id: str) -> LegalEntity | None:
        item = self._table.get_item(Key=_key(org_id, legal_entity_id), ConsistentRead=True).get(
            "Item"
        )
        return LegalEntity.from_item(plain(item)) if item else None

    def list(self, org_id: str) -> list[LegalEntity]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"ORG#{org_id}") & Key("sk").begins_with("LE#")
        }
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [LegalEntity.from_item(plain(i)) for i in items]

    def scan_connected(self) -> Iterator[LegalEntity]:
        """Every connected legal entity of every organization (daily token upkeep)."""
        kwargs: dict[str, Any] = {
            "FilterExpression": Attr("sk").begins_with("LE#")
            & Attr("connection_state").eq("connected")
        }
        while True:
            page = self._table.scan(**kwargs)
            for item in page.get("Items", []):
                yield LegalEntity.from_item(plain(item))
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create(self, entity: LegalEntity) -> bool:
        """False when it already exists (registration is idempotent for the caller)."""
        try:
            self._table.put_item(
                Item={**_key(entity.org_id, entity.legal_entity_id), **to_dynamo(entity.to_item())},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def update(self, org_id: str, legal_entity_id: str, **fields: Any) -> None:
        """Set (value) or remove (None) attributes of an existing entity."""
        sets, removes, names, values = [], [], {}, {}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            if value is None:
                removes.append(f"#f{i}")
            else:
                sets.append(f"#f{i} = :v{i}")
                values[f":v{i}"] = to_dynamo(value)
        expression = ""
        if sets:
            expression += "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        kwargs: dict[str, Any] = {
            "Key": _key(org_id, legal_entity_id),
            "UpdateExpression": expression.strip(),
            "ExpressionAttributeNames": names,
            "ConditionExpression": "attribute_exists(pk)",
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        self._table.update_item(**kwargs)

    def realm_owner(self, realm_id: str) -> tuple[str, str] | None:
        item = self._table.get_item(Key=_realm_key(realm_id), ConsistentRead=True).get("Item")
        return (item["org_id"], item["legal_entity_id"]) if item else None

    def bind_realm(self, entity: LegalEntity) -> None:
        """Store the connected entity and claim its realm in one transaction."""
        assert entity.realm_id
        client = self._table.meta.client
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._name,
                            "Item": {
                                **_realm_key(entity.realm_id),
                                "org_id": entity.org_id,
                                "legal_entity_id": entity.legal_entity_id,
                            },
                            "ConditionExpression": "attribute_not_exists(pk) OR "
                            "(org_id = :org AND legal_entity_id = :le)",
                            "ExpressionAttributeValues": {
                                ":org": entity.org_id,
                                ":le": entity.legal_entity_id,
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._name,
                            "Item": {
                                **_key(entity.org_id, entity.legal_entity_id),
                                **to_dynamo(entity.to_item()),
                            },
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            owner = self.realm_owner(entity.realm_id)
            raise RealmAlreadyClaimed(*(owner or ("", ""))) from error

    def release_realm(self, realm_id: str, org_id: str, legal_entity_id: str) -> None:
        try:
            self._table.delete_item(
                Key=_realm_key(realm_id),
                ConditionExpression="org_id = :org AND legal_entity_id = :le",
                ExpressionAttributeValues={":org": org_id, ":le": legal_entity_id},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def acquire_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, now: int, lease_seconds: int
    ) -> str | None:
        """Take the one-sync-at-a-time lease; returns the running sync id when it is held.

        An expired lease (a worker that died) can be taken over.
        """
        try:
            self._table.update_item(
                Key=_key(org_id, legal_entity_id),
                UpdateExpression="SET running_sync_id = :id, sync_lease_expires_at = :exp",
                ConditionExpression="attribute_exists(pk) AND ("
                "attribute_not_exists(running_sync_id) OR sync_lease_expires_at < :now "
                "OR running_sync_id = :id)",
                ExpressionAttributeValues={
                    ":id": sync_id,
                    ":exp": now + lease_seconds,
                    ":now": now,
                },
            )
            return None
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        entity = self.get(org_id, legal_entity_id)
        return entity.running_sync_id if entity else None

    def renew_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, expires_at: int
    ) -> bool:
        try:
            self._table.update_item(
                Key=_key(org_id, legal_entity_id),
                UpdateExpression="SET sync_lease_expires_at = :exp",
                ConditionExpression="running_sync_id = :id",
                ExpressionAttributeValues={":id": sync_id, ":exp": expires_at},
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def release_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, last_sync: dict[str, Any]
    ) -> None:
        extra = ""
        values: dict[str, Any] = {":id": sync_id, ":last": to_dynamo(last_sync)}
        if last_sync.get("status") in {"succeeded", "partially_succeeded"}:
            extra = ", last_successful_sync_at = :ok"
            values[":ok"] = last_sync.get("started_at")
        try:
            self._table.update_item(
                Key=_key(org_id, legal_entity_id),
                UpdateExpression="REMOVE running_sync_id, sync_lease_expires_at "
                "SET last_sync = :last" + extra,
                ConditionExpression="running_sync_id = :id",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def delete(self, org_id: str, legal_entity_id: str) -> None:
        self._table.delete_item(Key=_key(org_id, legal_entity_id))
