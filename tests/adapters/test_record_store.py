"""adapters/record_store.py on moto: records written through pre-serialised BatchWriteItem
read back exactly as the resource API wrote them, and the first-import probe."""

from __future__ import annotations

from typing import Any

import pytest

from qbo_connector.adapters import aws
from qbo_connector.adapters.record_store import RecordStore, UnprocessedWrites
from qbo_connector.models.record import RecordWrite, StoredState, content_hash

TABLE = "qbo-connector-records"


@pytest.fixture()
def store(aws_env: dict[str, str]) -> RecordStore:
    aws.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return RecordStore(TABLE, sleep=lambda _s: None)


def record(qbo_id: str, **body: Any) -> RecordWrite:
    obj = {"Id": qbo_id, "DisplayName": f"Vendor {qbo_id}", "Balance": 12.5, **body}
    return RecordWrite(qbo_id, content_hash(obj), True, False, obj["DisplayName"], obj, None)


def test_records_round_trip_and_the_probe_sees_them(store: RecordStore) -> None:
    assert store.has_records("o", "le", "Vendor") is False
    writes = [record(str(i)) for i in range(60)]  # three BatchWriteItem requests
    writes.append(record("7", DisplayName="Renamed"))  # the same key twice: the last wins
    assert store.put_many("o", "le", "Vendor", writes, sync_id="s1", imported_at="t") == 60
    assert store.has_records("o", "le", "Vendor") is True
    assert store.has_records("o", "le", "Customer") is False
    states = store.states("o", "le", "Vendor", ["1", "7", "999"])
    assert states["1"] == StoredState(writes[1].hash, True, False)
    assert states["7"].hash == writes[-1].hash
    assert "999" not in states
    items, _ = store.list("o", "le", "Vendor", limit=100)
    by_id = {i["id"]: i for i in items}
    assert len(by_id) == 60
    assert by_id["7"]["data"]["DisplayName"] == "Renamed"
    assert by_id["3"]["data"] == writes[3].body  # numbers kept exactly (JSON text)
    assert by_id["3"]["name"] == "Vendor 3" and by_id["3"]["active"] is True


def test_writes_dynamodb_keeps_refusing_are_reported(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aws.raw_client("dynamodb")

    def refuse(RequestItems: dict[str, Any]) -> dict[str, Any]:
        return {"UnprocessedItems": RequestItems}

    monkeypatch.setattr(client, "batch_write_item", refuse)
    with pytest.raises(UnprocessedWrites):
        store.put_many("o", "le", "Vendor", [record("1")], sync_id="s", imported_at="t")
