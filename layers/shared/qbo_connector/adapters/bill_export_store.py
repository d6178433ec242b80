"""DynamoDB export log of AP invoices (BillExportsTable).

Items (`P = "{org_id}#{legal_entity_id}"`):

- bill            `pk = P`, `sk = ap_invoice_id`, `dup_key = "P#{vendor_id}#{identity}"`
                  (GSI `by_duplicate_key`), where
                  identity = models.bill.invoice_number_identity(invoice_number);
- vendor+number   `pk = P#claim`, `sk = "#claim#{vendor_id}#{identity}"`, `owner`, `token`,
  claim           `at`: a conditional put makes our vendor + number uniqueness race-free;
- outbox marker   `pk = P#pending`, `sk = "#pending#{ap_invoice_id}"`, `gen`, `at` while a
                  bill is queued/exporting, and `pk = P#attach` while its PDF still has to
                  be uploaded, so a run finds its work without reading the whole log;
- QBO id map      `pk = P#qbo`, `sk = "#qbo#{qbo_bill_id}"` → ap_invoice_id (payments).

Every state change is conditional on the state (and lease owner) it starts from, so
two workers can never both export one bill, and a worker that lost its lease cannot
overwrite the outcome recorded by the one that took over.

Writes are single conditional puts/updates/deletes, never TransactWriteItems (cheaper,
and moto copies the whole table per transaction item): each step is repeatable and the
steps are ordered so that a crash between two of them leaves a state the next step or
run recognises and completes (see the "submission" section and `finish`).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table, to_dynamo
from qbo_connector.config import get_settings
from qbo_connector.models.bill import (
    FINAL_STATES,
    BillExport,
    Claim,
    ClaimHeld,
    ExportState,
    StaleRecord,
)
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.push import (
    Duplicate,
    Exported,
    Failed,
    Held,
    Outcome,
    Requeued,
    Taken,
)

# Sort keys of bills start with a letter or digit; internal items start with "#".
_FIRST_ID_CHAR = "0"
_PENDING = "#pending#"


def partition(org_id: str, legal_entity_id: str) -> str:
    return f"{org_id}#{legal_entity_id}"


def _side(org_id: str, legal_entity_id: str, kind: str) -> str:
    """The partition of one kind of internal item (claims, markers, id map): kept apart
    from the bills so a marker query reads only markers."""
    return f"{partition(org_id, legal_entity_id)}#{kind}"


def _claim_sk(vendor_id: str, identity: str) -> str:
    return f"#claim#{vendor_id}#{identity}"


def _av(value: Any) -> Any:
    """A value for the resource's client (it serializes to DynamoDB types itself)."""
    return to_dynamo(value)


class BillExportStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._name = table_name or get_settings().bill_exports_table
        self._table = table(self._name)
        self._client = self._table.meta.client

    # -- reads -------------------------------------------------------------------------

    def get(self, org_id: str, legal_entity_id: str, ap_invoice_id: str) -> BillExport | None:
        item = self._table.get_item(
            Key={"pk": partition(org_id, legal_entity_id), "sk": ap_invoice_id}, ConsistentRead=True
        ).get("Item")
        return BillExport.from_item(plain(item)) if item else None

    def ap_invoice_for_qbo_bill(
        self, org_id: str, legal_entity_id: str, qbo_bill_id: str
    ) -> str | None:
        item = self._table.get_item(
            Key={"pk": _side(org_id, legal_entity_id, "qbo"), "sk": f"#qbo#{qbo_bill_id}"}
        ).get("Item")
        return str(item["ap_invoice_id"]) if item else None

    def _marked(
        self, org_id: str, legal_entity_id: str, prefix: str, limit: int
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(
                _side(org_id, legal_entity_id, prefix.strip("#"))
            )
            & Key("sk").begins_with(prefix),
            "ConsistentRead": True,
        }
        while len(found) < limit:
            page = self._table.query(**kwargs)
            for item in page.get("Items", []):
                found.append({**plain(item), "id": str(item["sk"])[len(prefix) :]})
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def pending_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        """Queued/exporting bills (and crash leftovers), oldest submission first."""
        markers = self._marked(org_id, legal_entity_id, _PENDING, limit)
        markers.sort(key=lambda m: (int(m.get("at", 0)), m["id"]))
        return [m["id"] for m in markers]

    def attachment_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        return [m["id"] for m in self._marked(org_id, legal_entity_id, "#attach#", limit)]

    def get_many(self, org_id: str, legal_entity_id: str, ids: Iterable[str]) -> list[BillExport]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, BillExport] = {}
        pk = partition(org_id, legal_entity_id)
        resource = self._table.meta.client
        for start in range(0, len(wanted), 100):
            keys = [{"pk": _av(pk), "sk": _av(i)} for i in wanted[start : start + 100]]
            request: dict[str, Any] = {self._name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._name, []):
                    record = BillExport.from_item(plain(raw))
                    out[record.ap_invoice_id] = record
                request = answer.get("UnprocessedKeys") or {}
        return [out[i] for i in wanted if i in out]

    def list_page(
        self, org_id: str, legal_entity_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[BillExport], str | None]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(partition(org_id, legal_entity_id))
            & Key("sk").gte(_FIRST_ID_CHAR),
            "Limit": limit,
        }
        if state:
            kwargs["FilterExpression"] = Attr("state").eq(state)
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, partition(org_id, legal_entity_id))
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
    #
    # No transactions: every step is one conditional write that is safe to repeat, in an
    # order where a crash between two steps leaves only leftovers the next step (or the
    # next run) recognises — a claim whose owner does not carry that number is stale and
    # may be taken over; a pending marker whose record is final (or missing for longer
    # than a lease) is dropped; a QBO id map or attachment marker written before a
    # `finish` that never happened is rewritten identically by the recovery.

    def claim(
        self, org_id: str, legal_entity_id: str, vendor_id: str, identity: str
    ) -> Claim | None:
        item = self._table.get_item(
            Key={
                "pk": _side(org_id, legal_entity_id, "claim"),
                "sk": _claim_sk(vendor_id, identity),
            },
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return Claim(str(item["owner"]), str(item.get("token", "")), int(item.get("at", 0)))

    def take_claim(
        self,
        record: BillExport,
        claim: tuple[str, str],
        take_over: Claim | None = None,
        now: int = 0,
    ) -> None:
        """Own vendor + number: free, already ours, or the exact stale claim we inspected.

        Raises ClaimHeld (with the holder) otherwise. The token makes a take-over
        conditional on the claim we judged stale, not on whoever holds it now.
        """
        cond = "attribute_not_exists(sk) OR #o = :me"
        values: dict[str, Any] = {":me": record.ap_invoice_id}
        names = {"#o": "owner"}
        if take_over is not None:
            cond += " OR (#o = :old AND #t = :tok)"
            values.update({":old": take_over.owner, ":tok": take_over.token})
            names["#t"] = "token"
        try:
            self._table.put_item(
                Item={
                    "pk": _side(record.org_id, record.legal_entity_id, "claim"),
                    "sk": _claim_sk(*claim),
                    "owner": record.ap_invoice_id,
                    "token": uuid.uuid4().hex,
                    "at": now,
                },
                ConditionExpression=cond,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            holder = self.claim(record.org_id, record.legal_entity_id, *claim)
            if holder is None:
                raise ClaimHeld("") from error
            raise ClaimHeld(holder.owner, holder.token, holder.at) from error

    def release_claim(
        self, org_id: str, legal_entity_id: str, claim: tuple[str, str], ap_invoice_id: str
    ) -> None:
        """Drop a claim only if `ap_invoice_id` still holds it (repeatable)."""
        try:
            self._table.delete_item(
                Key={"pk": _side(org_id, legal_entity_id, "claim"), "sk": _claim_sk(*claim)},
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": ap_invoice_id},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def put_pending(self, record: BillExport, now: int) -> None:
        """The outbox marker, written *before* the queued record so no queued bill lacks one."""
        self._table.put_item(
            Item={
                "pk": _side(record.org_id, record.legal_entity_id, "pending"),
                "sk": f"{_PENDING}{record.ap_invoice_id}",
                "gen": record.generation,
                "at": now,
            }
        )

    def drop_pending(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_invoice_id: str,
        up_to_generation: int | None,
        older_than: int | None = None,
    ) -> None:
        """Delete a marker of generation ≤ `up_to_generation` (a newer submission's marker
        survives), or of a missing record once it is older than `older_than`."""
        kwargs: dict[str, Any] = {
            "Key": {
                "pk": _side(org_id, legal_entity_id, "pending"),
                "sk": f"{_PENDING}{ap_invoice_id}",
            }
        }
        if up_to_generation is not None:
            kwargs["ConditionExpression"] = "gen <= :g"
            kwargs["ExpressionAttributeValues"] = {":g": up_to_generation}
        else:
            kwargs["ConditionExpression"] = "#a < :t"
            kwargs["ExpressionAttributeNames"] = {"#a": "at"}
            kwargs["ExpressionAttributeValues"] = {":t": older_than or 0}
        try:
            self._table.delete_item(**kwargs)
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def create(self, record: BillExport) -> None:
        """Store a new record. StaleRecord: the invoice id was created concurrently."""
        self._put(record, None)

    def replace(self, record: BillExport, previous: BillExport) -> None:
        """Replace a not-yet-exported record (a corrected resubmission).
        StaleRecord: it changed since `previous` was read."""
        self._put(record, previous)

    def _put(self, record: BillExport, previous: BillExport | None) -> None:
        kwargs: dict[str, Any] = {
            "Item": to_dynamo(
                {
                    "pk": partition(record.org_id, record.legal_entity_id),
                    "sk": record.ap_invoice_id,
                    **record.to_item(),
                }
            )
        }
        if previous is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(sk)"
        else:
            kwargs["ConditionExpression"] = "#s = :s AND payload_hash = :h AND generation = :g"
            kwargs["ExpressionAttributeNames"] = {"#s": "state"}
            kwargs["ExpressionAttributeValues"] = {
                ":s": str(previous.state),
                ":h": previous.payload_hash,
                ":g": previous.generation,
            }
        try:
            self._table.put_item(**kwargs)
        except ClientError as error:
            if is_condition_failure(error):
                raise StaleRecord() from error
            raise

    def demote_to_duplicate(
        self, record: BillExport, duplicate_of: dict[str, Any], now: int
    ) -> bool:
        """queued → duplicate when a racing submission took our claim after we wrote."""
        try:
            self._table.update_item(
                Key={
                    "pk": partition(record.org_id, record.legal_entity_id),
                    "sk": record.ap_invoice_id,
                },
                UpdateExpression="SET #s = :dup, duplicate_of = :d, updated_at = :at",
                ConditionExpression="#s = :queued AND generation = :g",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":dup": str(ExportState.DUPLICATE),
                    ":queued": str(ExportState.QUEUED),
                    ":g": record.generation,
                    ":d": to_dynamo(duplicate_of),
                    ":at": _iso(now),
                },
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        self.drop_pending(
            record.org_id, record.legal_entity_id, record.ap_invoice_id, record.generation
        )
        return True

    # -- the push engine's intents (logic.push_engine.PushLogPort) -----------------------

    def take(
        self,
        org_id: str,
        legal_entity_id: str,
        ids: Iterable[str],
        owner: str,
        now: int,
        lease_seconds: int,
    ) -> Taken[BillExport]:
        """Lease the takeable of `ids` (queued, or exporting under a lapsed lease) for
        `owner`, after one consistent read of them all.

        Markers left by a crash between two steps are dropped on the way: of a final
        record (conditional on its generation, so a resubmission's new marker survives),
        or of a record never written (only once older than a lease: a submission may be
        between its steps).
        """
        wanted = list(ids)
        found = {r.ap_invoice_id: r for r in self.get_many(org_id, legal_entity_id, wanted)}
        taken: Taken[BillExport] = Taken()
        for ap_invoice_id in wanted:
            record = found.get(ap_invoice_id)
            if record is None:
                self.drop_pending(
                    org_id, legal_entity_id, ap_invoice_id, None, older_than=now - lease_seconds
                )
            elif record.state in FINAL_STATES:
                self.drop_pending(org_id, legal_entity_id, ap_invoice_id, record.generation)
            elif record.state == ExportState.EXPORTING and (record.lease_until or 0) >= now:
                taken.busy += 1  # a live worker holds it
            elif self.acquire(record, owner, now, lease_seconds):
                taken.leased.append((record, record.state == ExportState.EXPORTING))
        return taken

    def settle(self, record: BillExport, owner: str, outcome: Outcome, now: int) -> bool:
        """Write `outcome` under `owner`'s lease (False: the lease was lost)."""
        match outcome:
            case Exported(fields=fields, recovered=recovered):
                extra = {"recovered": True} if recovered else {}
                return self.finish(record, owner, ExportState.EXPORTED, now, **fields, **extra)
            case Duplicate(duplicate_of=duplicate_of):
                return self.finish(
                    record, owner, ExportState.DUPLICATE, now, duplicate_of=duplicate_of
                )
            case Failed(failure=failure):
                return self.finish(record, owner, ExportState.FAILED, now, failure=failure)
            case Requeued(last_error=last_error):
                return self.requeue(record, owner, now, last_error)
            case Held(until=until, last_error=last_error):
                return self.hold(record, owner, until, now, last_error)
        raise TypeError(f"not an outcome: {outcome!r}")

    # -- export state machine (the conditional writes `take` and `settle` are made of) --

    def acquire(self, record: BillExport, owner: str, now: int, lease_seconds: int) -> bool:
        """queued → exporting, or take over an `exporting` bill whose lease ran out.

        Conditional on the generation we read, so a replaced payload is never exported
        under an old lease.
        """
        try:
            self._table.update_item(
                Key={
                    "pk": partition(record.org_id, record.legal_entity_id),
                    "sk": record.ap_invoice_id,
                },
                UpdateExpression="SET #s = :exporting, lease_owner = :me, lease_until = :until, "
                "attempts = if_not_exists(attempts, :zero) + :one, updated_at = :at",
                ConditionExpression="generation = :gen AND (#s = :queued OR "
                "(#s = :exporting AND lease_until < :now))",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":exporting": str(ExportState.EXPORTING),
                    ":queued": str(ExportState.QUEUED),
                    ":me": owner,
                    ":until": now + lease_seconds,
                    ":now": now,
                    ":zero": 0,
                    ":one": 1,
                    ":gen": record.generation,
                    ":at": _iso(now),
                },
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def hold(
        self,
        record: BillExport,
        owner: str,
        until: int,
        now: int,
        last_error: dict[str, Any] | None,
    ) -> bool:
        """Keep an `exporting` bill leased until `until` (an outcome we do not know yet)."""
        return self._update_leased(
            record,
            owner,
            "SET lease_until = :until, updated_at = :at"
            + (", last_error = :err" if last_error else ""),
            {
                ":until": until,
                ":at": _iso(now),
                **({":err": to_dynamo(last_error)} if last_error else {}),
            },
        )

    def requeue(
        self, record: BillExport, owner: str, now: int, last_error: dict[str, Any] | None
    ) -> bool:
        """exporting → queued: nothing was sent, so nothing can have been created."""
        return self._update_leased(
            record,
            owner,
            "SET #s = :queued, updated_at = :at"
            + (", last_error = :err" if last_error else "")
            + " REMOVE lease_owner, lease_until",
            {
                ":queued": str(ExportState.QUEUED),
                ":at": _iso(now),
                **({":err": to_dynamo(last_error)} if last_error else {}),
            },
        )

    def _update_leased(
        self,
        record: BillExport,
        owner: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        try:
            self._table.update_item(
                Key={
                    "pk": partition(record.org_id, record.legal_entity_id),
                    "sk": record.ap_invoice_id,
                },
                UpdateExpression=expression,
                ConditionExpression="#s = :exporting AND lease_owner = :me",
                ExpressionAttributeNames={"#s": "state", **(names or {})},
                ExpressionAttributeValues={
                    ":exporting": str(ExportState.EXPORTING),
                    ":me": owner,
                    **values,
                },
            )
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    def _map_qbo_bill(self, record: BillExport, bill_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": _side(record.org_id, record.legal_entity_id, "qbo"),
                "sk": f"#qbo#{bill_id}",
                "ap_invoice_id": record.ap_invoice_id,
            }
        )

    def finish(
        self, record: BillExport, owner: str, state: ExportState, now: int, **fields: Any
    ) -> bool:
        """exporting → exported | duplicate | failed, only while we hold the lease.

        Order: (1) an exported bill's QBO id map and attachment marker — plain puts of
        values fixed by the QBO bill, so a crash after them just leaves the bill
        `exporting` and the recovery writes the same items again; (2) the conditional
        state change, the commit point; (3) the outbox marker is dropped (a crash before
        it leaves a marker the next run drops, since its record is final).
        False: the lease was lost (another worker owns the outcome).
        """
        assert state in (ExportState.EXPORTED, ExportState.DUPLICATE, ExportState.FAILED)
        bill_id = fields.get("qbo_bill_id")
        if state == ExportState.EXPORTED and bill_id:
            self._map_qbo_bill(record, str(bill_id))
            if record.invoice.get("pdf"):
                self._table.put_item(
                    Item={
                        "pk": _side(record.org_id, record.legal_entity_id, "attach"),
                        "sk": f"#attach#{record.ap_invoice_id}",
                    }
                )
        sets = ["#s = :state", "updated_at = :at"]
        values: dict[str, Any] = {":state": str(state), ":at": _iso(now)}
        names: dict[str, str] = {}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            sets.append(f"#f{i} = :v{i}")
            values[f":v{i}"] = to_dynamo(value)
        generation = record.generation
        if state == ExportState.FAILED:
            # A new submission of a failed bill is a new intent: next requestid generation.
            sets.append("generation = generation + :one")
            values[":one"] = 1
            generation += 1
        if not self._update_leased(
            record,
            owner,
            "SET " + ", ".join(sets) + " REMOVE lease_owner, lease_until",
            values,
            names,
        ):
            return False
        self.drop_pending(record.org_id, record.legal_entity_id, record.ap_invoice_id, generation)
        return True

    def mark_exported(
        self, record: BillExport, qbo_bill_id: str, now: int, marked_by: dict[str, Any]
    ) -> None:
        """duplicate → exported against the existing QBO bill (the ops action).

        The id map first (repeatable); if the record is no longer a duplicate, the map we
        wrote is withdrawn again and StaleRecord raised.
        """
        pk = partition(record.org_id, record.legal_entity_id)
        self._map_qbo_bill(record, qbo_bill_id)
        try:
            self._table.update_item(
                Key={"pk": pk, "sk": record.ap_invoice_id},
                UpdateExpression="SET #s = :exported, qbo_bill_id = :bill, exported_at = :at, "
                "updated_at = :at, marked_by = :by",
                ConditionExpression="#s = :duplicate",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":exported": str(ExportState.EXPORTED),
                    ":duplicate": str(ExportState.DUPLICATE),
                    ":bill": qbo_bill_id,
                    ":at": _iso(now),
                    ":by": to_dynamo(marked_by),
                },
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            now_record = self.get(record.org_id, record.legal_entity_id, record.ap_invoice_id)
            if now_record is not None and now_record.qbo_bill_id == qbo_bill_id:
                return  # a repeated mark: already exported against this bill
            try:  # withdraw the map we wrote for a mark that did not happen
                self._table.delete_item(
                    Key={
                        "pk": _side(record.org_id, record.legal_entity_id, "qbo"),
                        "sk": f"#qbo#{qbo_bill_id}",
                    },
                    ConditionExpression="ap_invoice_id = :me",
                    ExpressionAttributeValues={":me": record.ap_invoice_id},
                )
            except ClientError as again:
                if not is_condition_failure(again):
                    raise
            raise StaleRecord() from error

    def set_attachment(self, record: BillExport, attachment: dict[str, Any], done: bool) -> None:
        pk = partition(record.org_id, record.legal_entity_id)
        self._table.update_item(
            Key={"pk": pk, "sk": record.ap_invoice_id},
            UpdateExpression="SET attachment = :a",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues={":a": to_dynamo(attachment)},
        )
        if done:
            self.drop_attachment(record.org_id, record.legal_entity_id, record.ap_invoice_id)

    def drop_attachment(self, org_id: str, legal_entity_id: str, ap_invoice_id: str) -> None:
        self._table.delete_item(
            Key={"pk": _side(org_id, legal_entity_id, "attach"), "sk": f"#attach#{ap_invoice_id}"}
        )

    def set_payment(
        self, org_id: str, legal_entity_id: str, ap_invoice_id: str, payment: dict[str, Any]
    ) -> None:
        self._table.update_item(
            Key={"pk": partition(org_id, legal_entity_id), "sk": ap_invoice_id},
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
        raise InvalidInput(
            "cursor is not one this list returned; start again without it.", field="cursor"
        ) from None
