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

The records, markers, leases and the conditional state machine are the export log's,
shared with every pushed kind (adapters.push_log_table); this module adds what only
bills have. Writes are single conditional puts/updates/deletes, never
TransactWriteItems (cheaper, and moto copies the whole table per transaction item):
each step is repeatable and ordered so a crash between two of them leaves a state the
next step or run recognises (see the "submission" section and `PushLogTable.finish`).
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from qbo_connector.adapters.dynamo import is_condition_failure, to_dynamo
from qbo_connector.adapters.push_log_table import PushLogTable, iso
from qbo_connector.config import get_settings
from qbo_connector.models.bill import (
    BILL,
    BillExport,
    Claim,
    ClaimHeld,
    DocumentKind,
    ExportState,
    StaleRecord,
)


def _claim_sk(vendor_id: str, identity: str) -> str:
    return f"#claim#{vendor_id}#{identity}"


class BillExportStore(PushLogTable[BillExport]):
    """The bills' part of the export log: records, claims, QBO id map, attachments."""

    def __init__(self, table_name: str | None = None, kind: DocumentKind = BILL) -> None:
        super().__init__(table_name or get_settings().bill_exports_table)
        self.kind = kind.log_kind  # vendor credits: the same items in their own partitions

    def from_item(self, item: dict[str, Any]) -> BillExport:
        return BillExport.from_item(item)

    def is_takeable(self, record: BillExport, now: int) -> bool:
        """Not while it waits for its vendor (logic.vendor_wait)."""
        return not record.waiting

    def take_condition(self) -> tuple[str, dict[str, str]]:
        return " AND attribute_not_exists(waiting)", {}

    def before_commit(self, record: BillExport, state: ExportState, fields: dict[str, Any]) -> None:
        """An exported bill's QBO id map and attachment marker (see `finish`)."""
        bill_id = fields.get("qbo_bill_id")
        if state != ExportState.EXPORTED or not bill_id:
            return
        self._map_qbo_bill(record, str(bill_id))
        if record.invoice.get("pdf"):
            self._table.put_item(
                Item={
                    "pk": self.side(record.org_id, record.legal_entity_id, "attach"),
                    "sk": f"#attach#{record.ap_invoice_id}",
                }
            )

    def ap_invoice_for_qbo_bill(
        self, org_id: str, legal_entity_id: str, qbo_bill_id: str
    ) -> str | None:
        item = self._table.get_item(
            Key={"pk": self.side(org_id, legal_entity_id, "qbo"), "sk": f"#qbo#{qbo_bill_id}"}
        ).get("Item")
        return str(item["ap_invoice_id"]) if item else None

    def attachment_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        return [m["id"] for m in self.marked(org_id, legal_entity_id, "#attach#", limit)]

    def claim(
        self, org_id: str, legal_entity_id: str, vendor_id: str, identity: str
    ) -> Claim | None:
        item = self._table.get_item(
            Key={
                "pk": self.side(org_id, legal_entity_id, "claim"),
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
                    "pk": self.side(record.org_id, record.legal_entity_id, "claim"),
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
                Key={"pk": self.side(org_id, legal_entity_id, "claim"), "sk": _claim_sk(*claim)},
                ConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": ap_invoice_id},
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def create(self, record: BillExport) -> None:
        """Store a new record. StaleRecord: the invoice id was created concurrently."""
        if not self.put_record(record, None):
            raise StaleRecord()

    def replace(self, record: BillExport, previous: BillExport) -> None:
        """Replace a not-yet-exported record (a corrected resubmission).
        StaleRecord: it changed since `previous` was read."""
        if not self.put_record(record, previous):
            raise StaleRecord()

    def demote_to_duplicate(
        self, record: BillExport, duplicate_of: dict[str, Any], now: int
    ) -> bool:
        """queued → duplicate when a racing submission took our claim after we wrote."""
        try:
            self._table.update_item(
                Key={
                    "pk": self.records_pk(record.org_id, record.legal_entity_id),
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
                    ":at": iso(now),
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

    def _map_qbo_bill(self, record: BillExport, bill_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": self.side(record.org_id, record.legal_entity_id, "qbo"),
                "sk": f"#qbo#{bill_id}",
                "ap_invoice_id": record.ap_invoice_id,
            }
        )

    def mark_exported(
        self, record: BillExport, qbo_bill_id: str, now: int, marked_by: dict[str, Any]
    ) -> None:
        """duplicate → exported against the existing QBO bill (the ops action).

        The id map first (repeatable); if the record is no longer a duplicate, the map we
        wrote is withdrawn again and StaleRecord raised.
        """
        pk = self.records_pk(record.org_id, record.legal_entity_id)
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
                    ":at": iso(now),
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
                        "pk": self.side(record.org_id, record.legal_entity_id, "qbo"),
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
        pk = self.records_pk(record.org_id, record.legal_entity_id)
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
            Key={
                "pk": self.side(org_id, legal_entity_id, "attach"),
                "sk": f"#attach#{ap_invoice_id}",
            }
        )

    def set_payment(
        self, org_id: str, legal_entity_id: str, ap_invoice_id: str, payment: dict[str, Any]
    ) -> None:
        self._table.update_item(
            Key={"pk": self.records_pk(org_id, legal_entity_id), "sk": ap_invoice_id},
            UpdateExpression="SET payment = :p",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues={":p": to_dynamo(payment)},
        )
