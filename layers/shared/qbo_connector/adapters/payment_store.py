"""DynamoDB log of AP payments: the export-log table's `payments` kind.

Items (`P = "{org_id}#{legal_entity_id}#payments"`), beside adapters.push_log_table's
record and outbox marker:

- QBO id map    `pk = P#qbo`, `sk = "#qbo#{qbo_bill_payment_id}"` → ap_payment_id: a
                BillPayment we created is recognised as ours when QBO reports it back;
- void marker   `pk = P#void`, `sk = "#void#{ap_payment_id}"` while a void waits for
                the worker, so a run finds its voids without reading the whole log.

A payment waiting for its bills stays `queued` with a `waiting` field, and one voided
before it was sent stays `queued` with its `void`: the lease's condition refuses both,
so the engine never sends them; `set_ready` removes `waiting` once every bill is
exported (conditional on the generation we read).
"""

from __future__ import annotations

from typing import Any

from qbo_connector.adapters.dynamo import to_dynamo
from qbo_connector.adapters.push_log_table import PushLogTable, iso
from qbo_connector.config import get_settings
from qbo_connector.models.bill import ExportState, StaleRecord
from qbo_connector.models.payment import PaymentExport, VoidState

_VOID = "#void#"


class PaymentStore(PushLogTable[PaymentExport]):
    kind = "payments"

    def __init__(self, table_name: str | None = None) -> None:
        super().__init__(table_name or get_settings().bill_exports_table)

    def from_item(self, item: dict[str, Any]) -> PaymentExport:
        return PaymentExport.from_item(item)

    def is_takeable(self, record: PaymentExport, now: int) -> bool:
        """Not while waiting for its bills, never once voided before it was sent."""
        return not record.waiting and not record.void

    def take_condition(self) -> tuple[str, dict[str, str]]:
        return " AND attribute_not_exists(waiting) AND attribute_not_exists(#v)", {"#v": "void"}

    def before_commit(
        self, record: PaymentExport, state: ExportState, fields: dict[str, Any]
    ) -> None:
        payment_id = fields.get("qbo_bill_payment_id")
        if state == ExportState.EXPORTED and payment_id:
            self.map_qbo_payment(record, str(payment_id))

    # -- reads --------------------------------------------------------------------------

    def ap_payment_for_qbo_payment(
        self, org_id: str, legal_entity_id: str, qbo_bill_payment_id: str
    ) -> str | None:
        item = self._table.get_item(
            Key={
                "pk": self.side(org_id, legal_entity_id, "qbo"),
                "sk": f"#qbo#{qbo_bill_payment_id}",
            }
        ).get("Item")
        return str(item["ap_payment_id"]) if item else None

    def void_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        return [m["id"] for m in self.marked(org_id, legal_entity_id, _VOID, limit)]

    # -- submission -----------------------------------------------------------------------

    def create(self, record: PaymentExport) -> None:
        """StaleRecord: the AP payment id was created concurrently."""
        if not self.put_record(record, None):
            raise StaleRecord()

    def replace(self, record: PaymentExport, previous: PaymentExport) -> None:
        if not self.put_record(record, previous):
            raise StaleRecord()

    def set_waiting(self, record: PaymentExport, waiting: dict[str, Any], now: int) -> bool:
        """queued → queued, waiting for bills (the lease refuses it meanwhile)."""
        return self._update_queued(
            record, "SET waiting = :w, updated_at = :at", {":w": to_dynamo(waiting)}, now
        )

    def set_ready(self, record: PaymentExport, qbo_bills: dict[str, str], now: int) -> bool:
        """Every bill is exported: fix their QBO ids and let the engine take it."""
        return self._update_queued(
            record,
            "SET qbo_bills = :b, updated_at = :at REMOVE waiting",
            {":b": to_dynamo(qbo_bills)},
            now,
        )

    def _update_queued(
        self, record: PaymentExport, expression: str, values: dict[str, Any], now: int
    ) -> bool:
        return self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression=expression,
            ConditionExpression="#s = :queued AND generation = :g",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":queued": str(ExportState.QUEUED),
                ":g": record.generation,
                ":at": iso(now),
                **values,
            },
        )

    # -- voids ----------------------------------------------------------------------------

    def cancel(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool:
        """A payment never sent (queued or waiting) is voided at once: it never will be."""
        if not self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #v = :v, updated_at = :at, generation = generation + :one",
            ConditionExpression="#s = :queued AND generation = :g",
            ExpressionAttributeNames={"#s": "state", "#v": "void"},
            ExpressionAttributeValues={
                ":v": to_dynamo(void),
                ":queued": str(ExportState.QUEUED),
                ":g": record.generation,
                ":one": 1,
                ":at": iso(now),
            },
        ):
            return False
        # The generation moved on: the marker of the old one goes, and `take` would drop it
        # anyway (a queued record whose marker generation is older is never leased again).
        self.drop_pending(record.org_id, record.legal_entity_id, record.key, record.generation)
        return True

    def request_void(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool:
        """exported → void requested (the worker voids it in QBO). Marker first, so no
        requested void lacks one; a refused void may be requested again."""
        self._table.put_item(
            Item={
                "pk": self.side(record.org_id, record.legal_entity_id, "void"),
                "sk": f"{_VOID}{record.key}",
                "at": now,
            }
        )
        return self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #v = :v, updated_at = :at",
            ConditionExpression="#s = :exported AND (attribute_not_exists(#v) OR #v.#s = :refused)",
            ExpressionAttributeNames={"#s": "state", "#v": "void"},
            ExpressionAttributeValues={
                ":v": to_dynamo(void),
                ":exported": str(ExportState.EXPORTED),
                ":refused": str(VoidState.REFUSED),
                ":at": iso(now),
            },
        )

    def settle_void(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool:
        """requested → voided | refused (conditional: only one worker records it)."""
        done = self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #v = :v, updated_at = :at",
            ConditionExpression="#v.#vs = :requested",
            ExpressionAttributeNames={"#v": "void", "#vs": "state"},
            ExpressionAttributeValues={
                ":v": to_dynamo(void),
                ":requested": str(VoidState.REQUESTED),
                ":at": iso(now),
            },
        )
        self.drop_void(record.org_id, record.legal_entity_id, record.key)
        return done

    def drop_void(self, org_id: str, legal_entity_id: str, ap_payment_id: str) -> None:
        self._table.delete_item(
            Key={"pk": self.side(org_id, legal_entity_id, "void"), "sk": f"{_VOID}{ap_payment_id}"}
        )

    # -- after export -----------------------------------------------------------------------

    def map_qbo_payment(self, record: PaymentExport, qbo_bill_payment_id: str) -> None:
        self._table.put_item(
            Item={
                "pk": self.side(record.org_id, record.legal_entity_id, "qbo"),
                "sk": f"#qbo#{qbo_bill_payment_id}",
                "ap_payment_id": record.ap_payment_id,
            }
        )

    def set_bill_balances(self, record: PaymentExport, balances: dict[str, Any]) -> None:
        self._table.update_item(
            Key=self.record_key(record),
            UpdateExpression="SET bill_balances = :b",
            ConditionExpression="attribute_exists(sk)",
            ExpressionAttributeValues={":b": to_dynamo(balances)},
        )

    def mark_exported(
        self, record: PaymentExport, qbo_bill_payment_id: str, now: int, marked_by: dict[str, Any]
    ) -> None:
        """duplicate → exported against the existing BillPayment (the ops action)."""
        self.map_qbo_payment(record, qbo_bill_payment_id)
        if not self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #s = :exported, qbo_bill_payment_id = :p, exported_at = :at, "
            "updated_at = :at, marked_by = :by",
            ConditionExpression="#s = :duplicate",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":exported": str(ExportState.EXPORTED),
                ":duplicate": str(ExportState.DUPLICATE),
                ":p": qbo_bill_payment_id,
                ":at": iso(now),
                ":by": to_dynamo(marked_by),
            },
        ):
            current = self.get(record.org_id, record.legal_entity_id, record.key)
            if current is None or current.qbo_bill_payment_id != qbo_bill_payment_id:
                raise StaleRecord()
