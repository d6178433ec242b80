"""DynamoDB log of AP suppliers: the export-log table's `vendors` kind.

Items (`P = "{org_id}#{legal_entity_id}#vendors"`), beside adapters.push_log_table's
record and outbox marker:

- QBO id map     `pk = P#qbo`, `sk = "#qbo#{qbo_vendor_id}"` → ap_supplier_id: one QBO
                 vendor stands for one AP supplier (a second supplier matched to it is a
                 duplicate naming the first);
- update marker  `pk = P#update`, `sk = "#update#{ap_supplier_id}"` while an update or a
                 deactivation waits for the worker, so a run finds them without reading
                 the whole log.

An exported vendor's update lives in its `update` field; the record stays `exported`
(the engine never takes it again). Every write of it is conditional on the update's
attempt, so two workers never both record one.
"""

from __future__ import annotations

from typing import Any

from qbo_connector.adapters.dynamo import to_dynamo
from qbo_connector.adapters.push_log_table import PushLogTable, iso
from qbo_connector.config import get_settings
from qbo_connector.models.bill import ExportState, StaleRecord
from qbo_connector.models.vendor import UpdateState, VendorExport

_UPDATE = "#update#"


class VendorStore(PushLogTable[VendorExport]):
    kind = "vendors"

    def __init__(self, table_name: str | None = None) -> None:
        super().__init__(table_name or get_settings().bill_exports_table)

    def from_item(self, item: dict[str, Any]) -> VendorExport:
        return VendorExport.from_item(item)

    def before_commit(
        self, record: VendorExport, state: ExportState, fields: dict[str, Any]
    ) -> None:
        vendor_id = fields.get("qbo_vendor_id")
        if state == ExportState.EXPORTED and vendor_id:
            self.map_qbo_vendor(record.org_id, record.legal_entity_id, str(vendor_id), record.key)

    # -- reads --------------------------------------------------------------------------

    def ap_supplier_for_qbo_vendor(
        self, org_id: str, legal_entity_id: str, qbo_vendor_id: str
    ) -> str | None:
        item = self._table.get_item(
            Key={"pk": self.side(org_id, legal_entity_id, "qbo"), "sk": f"#qbo#{qbo_vendor_id}"},
            ConsistentRead=True,
        ).get("Item")
        return str(item["ap_supplier_id"]) if item else None

    def update_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]:
        return [m["id"] for m in self.marked(org_id, legal_entity_id, _UPDATE, limit)]

    # -- submission -----------------------------------------------------------------------

    def create(self, record: VendorExport) -> None:
        """StaleRecord: the AP supplier id was created concurrently."""
        if not self.put_record(record, None):
            raise StaleRecord()

    def replace(self, record: VendorExport, previous: VendorExport) -> None:
        if not self.put_record(record, previous):
            raise StaleRecord()

    def map_qbo_vendor(
        self, org_id: str, legal_entity_id: str, qbo_vendor_id: str, ap_supplier_id: str
    ) -> None:
        self._table.put_item(
            Item={
                "pk": self.side(org_id, legal_entity_id, "qbo"),
                "sk": f"#qbo#{qbo_vendor_id}",
                "ap_supplier_id": ap_supplier_id,
            }
        )

    # -- updates of exported vendors --------------------------------------------------------

    def request_update(self, record: VendorExport, update: dict[str, Any], now: int) -> bool:
        """exported → update requested. Marker first, so no requested update lacks one;
        conditional on the update we read (none, or one already settled)."""
        self._table.put_item(
            Item={
                "pk": self.side(record.org_id, record.legal_entity_id, "update"),
                "sk": f"{_UPDATE}{record.key}",
                "at": now,
            }
        )
        previous = (record.update or {}).get("attempt")
        condition = "#s = :exported AND " + (
            "attribute_not_exists(#u)" if previous is None else "#u.attempt = :prev"
        )
        values: dict[str, Any] = {
            ":u": to_dynamo(update),
            ":exported": str(ExportState.EXPORTED),
            ":at": iso(now),
            ":h": record.payload_hash,
            ":sup": to_dynamo(record.supplier),
        }
        if previous is not None:
            values[":prev"] = previous
        return self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET #u = :u, updated_at = :at, payload_hash = :h, supplier = :sup",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "state", "#u": "update"},
            ExpressionAttributeValues=values,
        )

    def settle_update(
        self, record: VendorExport, update: dict[str, Any], now: int, **fields: Any
    ) -> bool:
        """requested → done | conflict | refused, with the vendor's new `sent`, SyncToken
        and `active` (conditional on the attempt: only one worker records it)."""
        sets = ["#u = :u", "updated_at = :at"]
        values: dict[str, Any] = {
            ":u": to_dynamo(update),
            ":at": iso(now),
            ":requested": str(UpdateState.REQUESTED),
            ":attempt": (record.update or {}).get("attempt"),
        }
        names = {"#u": "update", "#us": "state"}
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"] = name
            sets.append(f"#f{i} = :v{i}")
            values[f":v{i}"] = to_dynamo(value)
        done = self._conditional(
            self._table.update_item,
            Key=self.record_key(record),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="#u.#us = :requested AND #u.attempt = :attempt",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        self.drop_update(record.org_id, record.legal_entity_id, record.key)
        return done

    def drop_update(self, org_id: str, legal_entity_id: str, ap_supplier_id: str) -> None:
        self._table.delete_item(
            Key={
                "pk": self.side(org_id, legal_entity_id, "update"),
                "sk": f"{_UPDATE}{ap_supplier_id}",
            }
        )
