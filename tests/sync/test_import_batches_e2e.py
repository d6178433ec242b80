"""Batched import over the local stack (real record store on moto, the QBO sandbox over
HTTP): the same records as the single-query import, in fewer QBO calls, and a first
import that reads no record state from DynamoDB."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.endpoint
import pytest
from boto3.dynamodb.conditions import Attr

from qbo_connector import wiring
from qbo_connector.adapters.dynamo import table
from qbo_connector.adapters.qbo_client import CallCounter
from qbo_connector.adapters.sync_queue import SyncQueue
from qbo_connector.config import get_settings
from qbo_connector.logic.importer import ImportEngine
from qbo_connector.logic.sync_runner import SyncRunner
from tests.sync.conftest import Entity

PAGE = 7  # several pages per type on the sandbox's default company
TYPES = ["Vendor", "Account", "Class", "Department", "Item", "Term", "TaxCode", "TaxRate"]
TYPES += ["Customer", "Currency"]


@pytest.fixture()
def record_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """DynamoDB requests on the records table, by operation (counted in botocore)."""
    reads: Counter[str] = Counter()
    original = botocore.endpoint.Endpoint.make_request
    name = get_settings().records_table

    def make_request(endpoint: Any, operation_model: Any, request_dict: Any) -> Any:
        if operation_model.service_model.service_name == "dynamodb":
            body = json.loads(request_dict.get("body") or b"{}")
            tables = {body.get("TableName"), *(body.get("RequestItems") or {})}
            if name in tables:
                reads[operation_model.name] += 1

        return original(endpoint, operation_model, request_dict)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", make_request)
    return reads


def _import(entity: Entity, engine: ImportEngine) -> dict[str, Any]:
    status, body = entity.start_sync({"mode": "full"})
    assert status == 202, body
    runner = SyncRunner(
        wiring.legal_entity_store(),
        wiring.sync_run_store(),
        SyncQueue(),
        engine,
        wiring.bill_export_service(),
        client_factory=lambda e, c: wiring.qbo_client_for(e, c),
        counter_factory=CallCounter,
    )
    sqs = entity.stack.client("sqs")
    queue_url = entity.stack.env["SYNC_QUEUE_URL"]
    for _ in range(50):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get(
            "Messages", []
        )
        if not messages:
            break
        runner.handle(json.loads(messages[0]["Body"]), lambda: 900_000)
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
    run = entity.run(body["sync_id"])
    assert run["status"] == "succeeded", run
    return run


def _stored(entity: Entity) -> dict[tuple[str, str], dict[str, Any]]:
    prefix = f"{entity.org_id}#{entity.le_id}#"
    records = table(get_settings().records_table)
    kwargs: dict[str, Any] = {"FilterExpression": Attr("pk").begins_with(prefix)}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    while True:
        page = records.scan(**kwargs)
        for item in page["Items"]:
            kept = {k: v for k, v in item.items() if k not in ("pk", "sk", "sync_id")}
            kept.pop("imported_at")
            found[(str(item["pk"]).removeprefix(prefix), str(item["sk"]))] = kept
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _forget(entity: Entity) -> None:
    """Back to a never-synced entity: no records, no last sync."""
    for object_type in TYPES:
        wiring.record_store().delete_all(entity.org_id, entity.le_id, object_type)
    entity.store().update(entity.org_id, entity.le_id, last_sync=None, last_successful_sync_at=None)


def test_batch_import_equals_the_single_query_import_record_for_record(
    make_entity: Callable[..., Entity], record_reads: Counter[str]
) -> None:
    entity = make_entity()
    records, bills = wiring.record_store(), wiring.bill_export_service()
    single_run = _import(entity, ImportEngine(records, bills, page_size=PAGE, batch=False))
    single = _stored(entity)

    _forget(entity)
    record_reads.clear()
    batch_run = _import(entity, ImportEngine(records, bills, page_size=PAGE))
    reads = Counter(record_reads)
    batched = _stored(entity)

    assert batched == single  # body, hash, name, active, deleted, qbo_updated_at
    qbo = {(t, str(o["Id"])) for t in TYPES for o in entity.sandbox.list_objects(entity.realm, t)}
    assert set(batched) == qbo  # every record, inactive ones included
    assert any(not item["active"] for item in batched.values())
    for t in TYPES:
        assert batch_run["progress"][t]["new"] == single_run["progress"][t]["new"]
    # Single queries: one request a page (and an empty one after full last pages).
    # Batched: a handful of /batch requests, ten pages each at most.
    pages = sum(-(-n // PAGE) for n in Counter(t for t, _ in qbo).values())
    assert single_run["api_calls"]["total"] >= pages
    # (A last round of one page is sent as a plain query.)
    assert batch_run["api_calls"]["total"] <= 1 + -(-pages // 10)
    assert batch_run["api_calls"]["batch"] >= batch_run["api_calls"]["total"] - 1
    # A first import: one probe per type, no look-up of keys that cannot exist, no sweep.
    assert reads["BatchGetItem"] == 0
    assert reads["Query"] == len(TYPES)
    assert reads["Scan"] == 0


def test_a_re_import_reads_states_and_sweeps(
    make_entity: Callable[..., Entity], record_reads: Counter[str]
) -> None:
    entity = make_entity()
    engine = ImportEngine(wiring.record_store(), wiring.bill_export_service())
    _import(entity, engine)
    vendors = entity.sandbox.list_objects(entity.realm, "Vendor")
    entity.sandbox.update_object(entity.realm, "Vendor", vendors[0]["Id"], {"CompanyName": "X"})
    record_reads.clear()
    run = _import(entity, engine)
    assert run["progress"]["Vendor"]["changed"] == 1
    assert record_reads["BatchGetItem"] >= 1  # the existing states are looked up
    assert record_reads["Query"] >= len(TYPES)  # and each type is swept
