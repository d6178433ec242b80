"""DynamoDB export log of AP invoices (BillExportsTable).

Items, all under `pk = "{org}#{le}"`:

- bill            `sk = ap_invoice_id` (ids start with a letter or digit), `dup_key =
                  "{org}#{le}#{vendor_id}#{normalized number}"` (GSI `by_duplicate_key`);
- vendor+number   `sk = "#claim#{vendor_id}#{number}"`, `owner = ap_invoice_id`: a
  claim          conditional put makes our own vendor + number uniqueness race-free;
- outbox marker   `sk = "#pending#{ap_invoice_id}"` while a bill is queued/exporting, and
                  `"#attach#{ap_invoice_id}"` while its PDF still has to be uploaded, so a
                  run finds its work without reading the whole log;
- QBO id map      `sk = "#qbo#{qbo_bill_id}"` → ap_invoice_id, for payment changes.

Every state change is conditional on the state (and lease owner) it starts from, so
two workers can never both export one bill, and a worker that lost its lease cannot
overwrite the outcome recorded by the one that took over.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table, to_dynamo
from qbo_connector.config import get_settings
from qbo_connector.models.bill import BillExport, ExportState
from qbo_connector.models.errors import InvalidInput

# Sort keys of bills start with a letter or digit; internal items start with "#".
_FIRST_ID_CHAR = "0"


def partition(org_id: str, legal_entity_id: str) -> str:
    return f"{org_id}#{legal_entity_id}"


def dup_key(org_id: str, legal_entity_id: str, vendor_id: str, normalized: str) -> str:
    return f"{org_id}#{legal_entity_id}#{vendor_id}#{normalized}"


def _claim_sk(vendor_id: str, normalized: str) -> str:
    return f"#claim#{vendor_id}#{normalized}"


def _av(value: Any) -> Any:
    """A value for the resource's client (it serializes to DynamoDB types itself)."""
    return to_dynamo(value)


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _av(v) for k, v in values.items() if v is not None}


class ClaimHeld(Exception):
    """Another AP invoice holds the vendor + invoice number."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


class StaleRecord(Exception):
    """The record changed between our read and our conditional write."""


class BillExportStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._name = table_name or get_settings().bill_exports_table
        self._table = table(self._name)
        self._client = self._table.meta.client

    # -- reads -------------------------------------------------------------------------

    def get(self, org_id: str, le_id: str, ap_invoice_id: str) -> BillExport | None:
        item = self._table.get_item(
            Key={"pk": partition(org_id, le_id), "sk": ap_invoice_id}, ConsistentRead=True
        ).get("Item")
        return BillExport.from_item(plain(item)) if item else None

    def claim_owner(self, org_id: str, le_id: str, vendor_id: str, normalized: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": partition(org_id, le_id), "sk": _claim_sk(vendor_id, normalized)},
            ConsistentRead=True,
        ).get("Item")
        return str(item["owner"]) if item else None

    def by_dup_key(self, key: str) -> list[BillExport]:
        """Bills with this vendor + number (GSI, eventually consistent: for display)."""
        page = self._table.query(IndexName="by_duplicate_key",
                                 KeyConditionExpression=Key("dup_key").eq(key))
        return [BillExport.from_item(plain(i)) for i in page.get("Items", [])]

    def ap_invoice_for_qbo_bill(self, org_id: str, le_id: str, qbo_bill_id: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": partition(org_id, le_id), "sk": f"#qbo#{qbo_bill_id}"}
        ).get("Item")
        return str(item["ap_invoice_id"]) if item else None

    def _marked(self, org_id: str, le_id: str, prefix: str, limit: int) -> list[str]:
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(partition(org_id, le_id))
            & Key("sk").begins_with(prefix),
            "ConsistentRead": True,
        }
        while len(ids) < limit:
            page = self._table.query(**kwargs)
            ids.extend(str(i["sk"])[len(prefix):] for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return ids[:limit]

    def pending_ids(self, org_id: str, le_id: str, limit: int = 10_000) -> list[str]:
        return self._marked(org_id, le_id, "#pending#", limit)

    def attachment_ids(self, org_id: str, le_id: str, limit: int = 10_000) -> list[str]:
        return self._marked(org_id, le_id, "#attach#", limit)

    def get_many(self, org_id: str, le_id: str, ids: Iterable[str]) -> list[BillExport]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, BillExport] = {}
        pk = partition(org_id, le_id)
        resource = self._table.meta.client
        for start in range(0, len(wanted), 100):
            keys = [{"pk": _av(pk), "sk": _av(i)} for i in wanted[start:start + 100]]
            request: dict[str, Any] = {self._name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._name, []):
                    record = BillExport.from_item(plain(raw))
                    out[record.ap_invoice_id] = record
                request = answer.get("UnprocessedKeys") or {}
        return [out[i] for i in wanted if i in out]

    def list_page(
        self, org_id: str, le_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[BillExport], str | None]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(partition(org_id, le_id))
            & Key("sk").gte(_FIRST_ID_CHAR),
            "Limit": limit,
        }
        if state:
            kwargs["FilterExpression"] = Attr("state").eq(state)
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, partition(org_id, le_id))
        items: list[BillExport] = []
        # A filter can empty a page: keep reading until the page is full or the log ends.
        while True:
            page = self._table.query(**kwargs)
            items.extend(BillExport.from_item(plain(i)) for i in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if last is None or len(items) >= limit:
                break
            kwargs["ExclusiveStartKey"] = last
            kwargs["Limit"] = limit - len(items)
        return items, (_encode_cursor(last) if last else None)

    # -- submission --------------------------------------------------------------------

    def create(self, record: BillExport, claim: tuple[str, str] | None,
               take_over_from: str | None = None) -> None:
        """Store a new record; with `claim` (vendor, number) it also takes the claim.

        Raises ClaimHeld when another invoice holds the claim, StaleRecord when the
        invoice id was created concurrently. `take_over_from` names a failed owner whose
        claim may be taken (checked in the same transaction).
        """
        self._write(record, None, claim, None, take_over_from)

    def replace(self, record: BillExport, previous: BillExport,
                claim: tuple[str, str] | None, old_claim: tuple[str, str] | None,
                take_over_from: str | None = None) -> None:
        """Replace a not-yet-exported record (a corrected resubmission), moving its claim."""
        self._write(record, previous, claim, old_claim, take_over_from)

    def _write(
        self,
        record: BillExport,
        previous: BillExport | None,
        claim: tuple[str, str] | None,
        old_claim: tuple[str, str] | None,
        take_over_from: str | None,
    ) -> None:
        pk = partition(record.org_id, record.legal_entity_id)
        put: dict[str, Any] = {
            "TableName": self._name,
            "Item": _item({"pk": pk, "sk": record.ap_invoice_id, **record.to_item()}),
        }
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(sk)"
        else:
            put["ConditionExpression"] = "#s = :s AND payload_hash = :h"
            put["ExpressionAttributeNames"] = {"#s": "state"}
            put["ExpressionAttributeValues"] = {
                ":s": _av(str(previous.state)), ":h": _av(previous.payload_hash)}
        items: list[dict[str, Any]] = [{"Put": put}]
        if old_claim is not None and old_claim != claim:
            items.append({"Delete": {
                "TableName": self._name,
                "Key": _item({"pk": pk, "sk": _claim_sk(*old_claim)}),
                "ConditionExpression": "attribute_not_exists(sk) OR #o = :me",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":me": _av(record.ap_invoice_id)},
            }})
        claim_index = -1
        if claim is not None:
            claim_index = len(items)
            cond = "attribute_not_exists(sk) OR #o = :me"
            values = {":me": _av(record.ap_invoice_id)}
            if take_over_from:
                cond += " OR #o = :old"
                values[":old"] = _av(take_over_from)
            items.append({"Put": {
                "TableName": self._name,
                "Item": _item({"pk": pk, "sk": _claim_sk(*claim), "owner": record.ap_invoice_id}),
                "ConditionExpression": cond,
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": values,
            }})
            if take_over_from:
                # Only a failed owner's claim may be taken over.
                items.append({"ConditionCheck": {
                    "TableName": self._name,
                    "Key": _item({"pk": pk, "sk": take_over_from}),
                    "ConditionExpression": "#s = :failed",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":failed": _av(str(ExportState.FAILED))},
                }})
        marker = {"pk": pk, "sk": f"#pending#{record.ap_invoice_id}"}
        if record.state in (ExportState.QUEUED, ExportState.EXPORTING):
            items.append({"Put": {"TableName": self._name, "Item": _item(marker)}})
        else:
            items.append({"Delete": {"TableName": self._name, "Key": _item(marker)}})
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = [r.get("Code") for r in reasons]
            if claim is not None and len(codes) > claim_index >= 0 and codes[0] in (
                None, "None"
            ) and codes[claim_index] == "ConditionalCheckFailed":
                owner = self.claim_owner(record.org_id, record.legal_entity_id, *claim)
                raise ClaimHeld(owner or "") from error
            raise StaleRecord() from error

    # -- export state machine ------------------------------------------------------------

    def acquire(self, record: BillExport, owner: str, now: int, lease_seconds: int) -> bool:
        """queued → exporting, or take over an `exporting` bill whose lease ran out.

        Conditional on the generation we read, so a replaced payload is never exported
        under an old lease.
        """
        try:
            self._table.update_item(
                Key={"pk": partition(record.org_id, record.legal_entity_id),
                     "sk": record.ap_invoice_id},
                UpdateExpression="SET #s = :exporting, lease_owner = :me, lease_until = :until, "
                "attempts = if_not_exists(attempts, :zero) + :one, updated_at = :at",
                ConditionExpression="generation = :gen AND (#s = :queued OR "
                "(#s = :exporting AND lease_until < :now))",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":exporting": str(ExportState.EXPORTING), ":queued": str(ExportState.QUEUED),
                    ":me": owner, ":until": now + lease_seconds, ":now": now, ":zero": 0,
                    ":one": 1, ":gen": record.generation, ":at": _iso(now),
                },
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def hold(self, record: BillExport, owner: str, until: int, now: int,
             last_error: dict[str, Any] | None) -> bool:
        """Keep an `exporting` bill leased until `until` (an outcome we do not know yet)."""
        return self._update_leased(record, owner, "SET lease_until = :until, updated_at = :at"
                                   + (", last_error = :err" if last_error else ""),
                                   {":until": until, ":at": _iso(now),
                                    **({":err": to_dynamo(last_error)} if last_error else {})})

    def requeue(self, record: BillExport, owner: str, now: int,
                last_error: dict[str, Any] | None) -> bool:
        """exporting → queued: nothing was sent, so nothing can have been created."""
        return self._update_leased(
            record, owner,
            "SET #s = :queued, updated_at = :at" + (", last_error = :err" if last_error else "")
            + " REMOVE lease_owner, lease_until",
            {":queued": str(ExportState.QUEUED), ":at": _iso(now),
             **({":err": to_dynamo(last_error)} if last_error else {})},
        )

    def _update_leased(self, record: BillExport, owner: str, expression: str,
                       values: dict[str, Any]) -> bool:
        try:
            self._table.update_item(
                Key={"pk": partition(record.org_id, record.legal_entity_id),
                     "sk": record.ap_invoice_id},
                UpdateExpression=expression,
                ConditionExpression="#s = :exporting AND lease_owner = :me",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":exporting": str(ExportState.EXPORTING),
                                           ":me": owner, **values},
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def finish(self, record: BillExport, owner: str, state: ExportState, now: int,
               **fields: Any) -> bool:
        """exporting → exported | duplicate | failed, only while we hold the lease.

        One transaction also drops the outbox marker and, for an exported bill, writes the
        QBO id map and (with a PDF) the attachment marker. False: the lease was lost.
        """
        assert state in (ExportState.EXPORTED, ExportState.DUPLICATE, ExportState.FAILED)
        pk = partition(record.org_id, record.legal_entity_id)
        sets = ["#s = :state", "updated_at = :at"]
        values: dict[str, Any] = {":state": _av(str(state)), ":at": _av(_iso(now)),
                                  ":exporting": _av(str(ExportState.EXPORTING)),
                                  ":me": _av(owner)}
        names = {"#s": "state"}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            sets.append(f"#f{i} = :v{i}")
            values[f":v{i}"] = _av(value)
        if state == ExportState.FAILED:
            # A new submission of a failed bill is a new intent: next requestid generation.
            sets.append("generation = generation + :one")
            values[":one"] = _av(1)
        items: list[dict[str, Any]] = [
            {"Update": {
                "TableName": self._name,
                "Key": _item({"pk": pk, "sk": record.ap_invoice_id}),
                "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE lease_owner, lease_until",
                "ConditionExpression": "#s = :exporting AND lease_owner = :me",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }},
            {"Delete": {"TableName": self._name,
                        "Key": _item({"pk": pk, "sk": f"#pending#{record.ap_invoice_id}"})}},
        ]
        bill_id = fields.get("qbo_bill_id")
        if state == ExportState.EXPORTED and bill_id:
            items.append({"Put": {"TableName": self._name, "Item": _item(
                {"pk": pk, "sk": f"#qbo#{bill_id}", "ap_invoice_id": record.ap_invoice_id})}})
            if record.invoice.get("pdf"):
                items.append({"Put": {"TableName": self._name, "Item": _item(
                    {"pk": pk, "sk": f"#attach#{record.ap_invoice_id}"})}})
        try:
            self._client.transact_write_items(TransactItems=items)
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def mark_exported(self, record: BillExport, qbo_bill_id: str, now: int,
                      marked_by: dict[str, Any]) -> None:
        """duplicate → exported against the existing QBO bill (the ops action)."""
        pk = partition(record.org_id, record.legal_entity_id)
        self._client.transact_write_items(TransactItems=[
            {"Update": {
                "TableName": self._name,
                "Key": _item({"pk": pk, "sk": record.ap_invoice_id}),
                "UpdateExpression": "SET #s = :exported, qbo_bill_id = :bill, exported_at = :at, "
                "updated_at = :at, marked_by = :by",
                "ConditionExpression": "#s = :duplicate",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {
                    ":exported": _av(str(ExportState.EXPORTED)),
                    ":duplicate": _av(str(ExportState.DUPLICATE)), ":bill": _av(qbo_bill_id),
                    ":at": _av(_iso(now)), ":by": _av(marked_by)},
            }},
            {"Put": {"TableName": self._name, "Item": _item(
                {"pk": pk, "sk": f"#qbo#{qbo_bill_id}", "ap_invoice_id": record.ap_invoice_id})}},
        ])

    def set_attachment(self, record: BillExport, attachment: dict[str, Any], done: bool) -> None:
        pk = partition(record.org_id, record.legal_entity_id)
        items: list[dict[str, Any]] = [{"Update": {
            "TableName": self._name,
            "Key": _item({"pk": pk, "sk": record.ap_invoice_id}),
            "UpdateExpression": "SET attachment = :a",
            "ConditionExpression": "attribute_exists(sk)",
            "ExpressionAttributeValues": {":a": _av(attachment)},
        }}]
        if done:
            items.append({"Delete": {"TableName": self._name, "Key": _item(
                {"pk": pk, "sk": f"#attach#{record.ap_invoice_id}"})}})
        self._client.transact_write_items(TransactItems=items)

    def set_payment(self, org_id: str, le_id: str, ap_invoice_id: str,
                    payment: dict[str, Any]) -> None:
        self._table.update_item(
            Key={"pk": partition(org_id, le_id), "sk": ap_invoice_id},
            UpdateExpression="SET payment = :p",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues={":p": to_dynamo(payment)},
        )


def _iso(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(plain(key)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, pk: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(key, dict) or key.get("pk") != pk or not isinstance(key.get("sk"), str):
            raise ValueError(cursor)
        return {"pk": key["pk"], "sk": key["sk"]}
    except ValueError:
        raise InvalidInput("cursor is not one this list returned; start again without it.",
                           field="cursor") from None
