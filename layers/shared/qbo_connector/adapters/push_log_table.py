"""The part of a pushed kind's DynamoDB log every kind shares (logic.push_engine.PushLogPort).

Bills (adapters.bill_export_store) and bill payments (adapters.payment_store) live in
the one export-log table (BillExportsTable), each kind in its own partitions
(`records_pk`, and `side(kind)` for its internal items): one table, one IAM grant, one
backup, and a kind's queries read only its own items. Per kind:

- record          `pk = records_pk`, `sk = <the AP platform's id>` (`record.key`);
- outbox marker   `pk = side("pending")`, `sk = "#pending#<key>"`, `gen`, `at` while the
                  record is queued/exporting, so a run finds its work without reading
                  the whole log.

Every state change is conditional on the state (and lease owner) it starts from, so two
workers can never both push one object, and a worker that lost its lease cannot
overwrite the outcome recorded by the one that took over. Writes are single
conditional puts/updates/deletes, never transactions: each step is repeatable and the
steps are ordered so a crash between two of them leaves a state the next step or run
recognises (see `finish`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, plain, table, to_dynamo
from qbo_connector.models.bill import ExportState
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.push import Duplicate, Exported, Failed, Held, Outcome, Requeued, Taken

# Sort keys of records start with a letter or digit; internal items start with "#".
FIRST_ID_CHAR = "0"
PENDING = "#pending#"
FINAL = frozenset({ExportState.EXPORTED, ExportState.DUPLICATE, ExportState.FAILED})


class LoggedRecord(Protocol):
    """What the table needs of a log entry (BillExport, PaymentExport)."""

    org_id: str
    legal_entity_id: str

    @property
    def key(self) -> str: ...
    @property
    def generation(self) -> int: ...
    @property
    def state(self) -> ExportState: ...
    @property
    def lease_until(self) -> int | None: ...
    def to_item(self) -> dict[str, Any]: ...


def partition(org_id: str, legal_entity_id: str) -> str:
    return f"{org_id}#{legal_entity_id}"


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class PushLogTable[R: LoggedRecord]:
    """One kind's records, markers and leases in the export-log table."""

    # The partition suffix of the kind's records ("" for bills, which came first).
    kind = ""

    def __init__(self, table_name: str) -> None:
        self._name = table_name
        self._table = table(table_name)
        self._client = self._table.meta.client

    # -- what a kind supplies -------------------------------------------------------------

    def from_item(self, item: dict[str, Any]) -> R:
        raise NotImplementedError

    def before_commit(self, record: R, state: ExportState, fields: dict[str, Any]) -> None:
        """Plain, repeatable puts a final outcome needs before its commit (id maps)."""

    def is_takeable(self, record: R, now: int) -> bool:
        """Beyond the engine's rule (queued, or exporting under a lapsed lease)."""
        return True

    def take_condition(self) -> tuple[str, dict[str, str]]:
        """Extra condition (and attribute names) of the lease's conditional write."""
        return "", {}

    # -- keys ------------------------------------------------------------------------------

    def records_pk(self, org_id: str, legal_entity_id: str) -> str:
        base = partition(org_id, legal_entity_id)
        return f"{base}#{self.kind}" if self.kind else base

    def side(self, org_id: str, legal_entity_id: str, what: str) -> str:
        """The partition of one kind of internal item (markers, id maps): kept apart from
        the records so a marker query reads only markers."""
        return f"{self.records_pk(org_id, legal_entity_id)}#{what}"

    def record_key(self, record: R) -> dict[str, str]:
        return {"pk": self.records_pk(record.org_id, record.legal_entity_id), "sk": record.key}

    # -- reads -----------------------------------------------------------------------------

    def get(self, org_id: str, legal_entity_id: str, key: str) -> R | None:
        item = self._table.get_item(
            Key={"pk": self.records_pk(org_id, legal_entity_id), "sk": key}, ConsistentRead=True
        ).get("Item")
        return self.from_item(plain(item)) if item else None

    def get_many(self, org_id: str, legal_entity_id: str, ids: Iterable[str]) -> list[R]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, R] = {}
        pk = to_dynamo(self.records_pk(org_id, legal_entity_id))
        for start in range(0, len(wanted), 100):
            keys = [{"pk": pk, "sk": to_dynamo(i)} for i in wanted[start : start + 100]]
            request: dict[str, Any] = {self._name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                for raw in answer.get("Responses", {}).get(self._name, []):
                    record = self.from_item(plain(raw))
                    out[record.key] = record
                request = answer.get("UnprocessedKeys") or {}
        return [out[i] for i in wanted if i in out]

    def marked(
        self, org_id: str, legal_entity_id: str, prefix: str, limit: int = 10_000
    ) -> list[dict[str, Any]]:
        """The markers `#<what>#<key>` of one side partition (`id` = the key)."""
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(
                self.side(org_id, legal_entity_id, prefix.strip("#"))
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
        """Queued/exporting records (and crash leftovers), oldest submission first."""
        markers = self.marked(org_id, legal_entity_id, PENDING, limit)
        markers.sort(key=lambda m: (int(m.get("at", 0)), m["id"]))
        return [m["id"] for m in markers]

    def list_page(
        self, org_id: str, legal_entity_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[R], str | None]:
        pk = self.records_pk(org_id, legal_entity_id)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").gte(FIRST_ID_CHAR),
            "Limit": limit,
        }
        if state:
            kwargs["FilterExpression"] = Attr("state").eq(state)
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, pk)
        items: list[R] = []
        # A filter can empty a page: keep reading until the page is full or the log ends.
        while True:
            page = self._table.query(**kwargs)
            items.extend(self.from_item(plain(i)) for i in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if last is None or len(items) >= limit:
                break
            kwargs["ExclusiveStartKey"] = last
            kwargs["Limit"] = limit - len(items)
        return items, (encode_cursor(last) if last else None)

    # -- records and markers -----------------------------------------------------------------

    def put_pending(self, record: R, now: int) -> None:
        """The outbox marker, written *before* the queued record so none lacks one."""
        self._table.put_item(
            Item={
                "pk": self.side(record.org_id, record.legal_entity_id, "pending"),
                "sk": f"{PENDING}{record.key}",
                "gen": record.generation,
                "at": now,
            }
        )

    def drop_pending(
        self,
        org_id: str,
        legal_entity_id: str,
        key: str,
        up_to_generation: int | None,
        older_than: int | None = None,
    ) -> None:
        """Delete a marker of generation ≤ `up_to_generation` (a newer submission's marker
        survives), or of a missing record once it is older than `older_than`."""
        kwargs: dict[str, Any] = {
            "Key": {"pk": self.side(org_id, legal_entity_id, "pending"), "sk": f"{PENDING}{key}"}
        }
        if up_to_generation is not None:
            kwargs["ConditionExpression"] = "gen <= :g"
            kwargs["ExpressionAttributeValues"] = {":g": up_to_generation}
        else:
            kwargs["ConditionExpression"] = "#a < :t"
            kwargs["ExpressionAttributeNames"] = {"#a": "at"}
            kwargs["ExpressionAttributeValues"] = {":t": older_than or 0}
        self._conditional(self._table.delete_item, **kwargs)

    def put_record(self, record: R, previous: R | None) -> bool:
        """Store a new record, or replace `previous` if it is unchanged since it was read.
        False: it was created or changed concurrently."""
        kwargs: dict[str, Any] = {
            "Item": to_dynamo({**self.record_key(record), **record.to_item()})
        }
        if previous is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(sk)"
        else:
            kwargs["ConditionExpression"] = "#s = :s AND payload_hash = :h AND generation = :g"
            kwargs["ExpressionAttributeNames"] = {"#s": "state"}
            kwargs["ExpressionAttributeValues"] = {
                ":s": str(previous.state),
                ":h": getattr(previous, "payload_hash", ""),
                ":g": previous.generation,
            }
        return self._conditional(self._table.put_item, **kwargs)

    def _conditional(self, write: Any, **kwargs: Any) -> bool:
        try:
            write(**kwargs)
            return True
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise

    # -- the push engine's intents (logic.push_engine.PushLogPort) -------------------------

    def take(
        self,
        org_id: str,
        legal_entity_id: str,
        ids: Iterable[str],
        owner: str,
        now: int,
        lease_seconds: int,
    ) -> Taken[R]:
        """Lease the takeable of `ids` (queued, or exporting under a lapsed lease) for
        `owner`, after one consistent read of them all.

        Markers left by a crash between two steps are dropped on the way: of a final
        record (conditional on its generation, so a resubmission's new marker survives),
        or of a record never written (only once older than a lease: a submission may be
        between its steps).
        """
        wanted = list(ids)
        found = {r.key: r for r in self.get_many(org_id, legal_entity_id, wanted)}
        taken: Taken[R] = Taken()
        for key in wanted:
            record = found.get(key)
            if record is None:
                self.drop_pending(
                    org_id, legal_entity_id, key, None, older_than=now - lease_seconds
                )
            elif record.state in FINAL:
                self.drop_pending(org_id, legal_entity_id, key, record.generation)
            elif record.state == ExportState.EXPORTING and (record.lease_until or 0) >= now:
                taken.busy += 1  # a live worker holds it
            elif not self.is_takeable(record, now):
                continue
            elif self.acquire(record, owner, now, lease_seconds):
                taken.leased.append((record, record.state == ExportState.EXPORTING))
        return taken

    def settle(self, record: R, owner: str, outcome: Outcome, now: int) -> bool:
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

    # -- the state machine (the conditional writes `take` and `settle` are made of) ---------

    def acquire(self, record: R, owner: str, now: int, lease_seconds: int) -> bool:
        """queued → exporting, or take over an `exporting` record whose lease ran out.

        Conditional on the generation we read, so a replaced payload is never pushed
        under an old lease.
        """
        extra, extra_names = self.take_condition()
        if self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #s = :exporting, lease_owner = :me, lease_until = :until, "
            "attempts = if_not_exists(attempts, :zero) + :one, updated_at = :at",
            ConditionExpression="generation = :gen AND (#s = :queued OR "
            "(#s = :exporting AND lease_until < :now))" + extra,
            ExpressionAttributeNames={"#s": "state", **extra_names},
            ExpressionAttributeValues={
                ":exporting": str(ExportState.EXPORTING),
                ":queued": str(ExportState.QUEUED),
                ":me": owner,
                ":until": now + lease_seconds,
                ":now": now,
                ":zero": 0,
                ":one": 1,
                ":gen": record.generation,
                ":at": iso(now),
            },
        ):
            return True
        # The condition failed: another worker holds it, or this very write succeeded and
        # its answer was lost (botocore retried it). Only a consistent read tells.
        item = self._table.get_item(Key=self.record_key(record), ConsistentRead=True).get("Item")
        return bool(
            item
            and item.get("state") == str(ExportState.EXPORTING)
            and item.get("lease_owner") == owner
            and int(item.get("generation", 0)) == record.generation
        )

    def hold(
        self, record: R, owner: str, until: int, now: int, last_error: dict[str, Any] | None
    ) -> bool:
        """Keep an `exporting` record leased until `until` (an outcome we do not know yet)."""
        return self.update_leased(
            record,
            owner,
            "SET lease_until = :until, updated_at = :at"
            + (", last_error = :err" if last_error else ""),
            {
                ":until": until,
                ":at": iso(now),
                **({":err": to_dynamo(last_error)} if last_error else {}),
            },
        )

    def requeue(self, record: R, owner: str, now: int, last_error: dict[str, Any] | None) -> bool:
        """exporting → queued: nothing was sent, so nothing can have been created."""
        return self.update_leased(
            record,
            owner,
            "SET #s = :queued, updated_at = :at"
            + (", last_error = :err" if last_error else "")
            + " REMOVE lease_owner, lease_until",
            {
                ":queued": str(ExportState.QUEUED),
                ":at": iso(now),
                **({":err": to_dynamo(last_error)} if last_error else {}),
            },
        )

    def update_leased(
        self,
        record: R,
        owner: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        return self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression=expression,
            ConditionExpression="#s = :exporting AND lease_owner = :me",
            ExpressionAttributeNames={"#s": "state", **(names or {})},
            ExpressionAttributeValues={
                ":exporting": str(ExportState.EXPORTING),
                ":me": owner,
                **values,
            },
        )

    def finish(self, record: R, owner: str, state: ExportState, now: int, **fields: Any) -> bool:
        """exporting → exported | duplicate | failed, only while we hold the lease.

        Order: (1) `before_commit`'s plain puts of values fixed by the QBO object (id
        maps), so a crash after them just leaves the record `exporting` and the
        recovery writes the same items again; (2) the conditional state change, the
        commit point; (3) the outbox marker is dropped (a crash before it leaves a marker
        the next run drops, since its record is final).
        False: the lease was lost (another worker owns the outcome).
        """
        assert state in FINAL
        self.before_commit(record, state, fields)
        sets = ["#s = :state", "updated_at = :at"]
        values: dict[str, Any] = {":state": str(state), ":at": iso(now)}
        names: dict[str, str] = {}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            sets.append(f"#f{i} = :v{i}")
            values[f":v{i}"] = to_dynamo(value)
        generation = record.generation
        if state == ExportState.FAILED:
            # A new submission of a failed record is a new intent: next requestid generation.
            sets.append("generation = generation + :one")
            values[":one"] = 1
            generation += 1
        if not self.update_leased(
            record,
            owner,
            "SET " + ", ".join(sets) + " REMOVE lease_owner, lease_until",
            values,
            names,
        ):
            return False
        self.drop_pending(record.org_id, record.legal_entity_id, record.key, generation)
        return True


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(plain(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, pk: str) -> dict[str, Any]:
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
