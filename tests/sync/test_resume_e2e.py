"""Resumability: a worker short of time checkpoints, and continuations finish the run."""

from __future__ import annotations

import json
from collections.abc import Callable

from qbo_connector import wiring
from qbo_connector.adapters.qbo_client import CallCounter
from qbo_connector.adapters.sync_queue import SyncQueue
from qbo_connector.logic.importer import ImportEngine
from qbo_connector.logic.sync_runner import SyncRunner
from tests.sync.conftest import Entity


def test_checkpoints_and_continuations_import_everything(
    make_entity: Callable[..., Entity],
) -> None:
    entity = make_entity()
    status, body = entity.start_sync()
    assert status == 202
    sync_id = body["sync_id"]
    # Pages of 10 rows, one page a request, and a Lambda that is always "almost out of
    # time": every invocation imports one round, stores a checkpoint (each type's
    # position) and queues its continuation.
    runner = SyncRunner(
        wiring.legal_entity_store(),
        wiring.sync_run_store(),
        SyncQueue(),
        ImportEngine(
            wiring.record_store(), wiring.bill_export_service(), page_size=10, batch_pages=1
        ),
        wiring.bill_export_service(),
        client_factory=lambda e, c: wiring.qbo_client_for(e, c),
        counter_factory=CallCounter,
    )
    sqs = entity.stack.client("sqs")
    queue_url = entity.stack.env["SYNC_QUEUE_URL"]
    outcomes: list[str] = []
    checkpoints: list[dict] = []
    for _ in range(200):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
        messages = got.get("Messages", [])
        if not messages:
            break
        message = json.loads(messages[0]["Body"])
        outcomes.append(runner.handle(message, lambda: 0))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        progress = entity.run(sync_id)
        if "resumes_at" in progress:
            checkpoints.append(progress["resumes_at"])
    assert outcomes[-1] == "succeeded"
    assert outcomes.count("continued") == len(outcomes) - 1 > 10
    assert {"object_type": "Vendor", "phase": "query"} in checkpoints
    run = entity.run(sync_id)
    assert run["status"] == "succeeded"
    for object_type in ("Vendor", "Account", "Customer"):
        qbo = {o["Id"] for o in entity.sandbox.list_objects(entity.realm, object_type)}
        assert {r["id"] for r in entity.records(object_type)} == qbo
        assert run["progress"][object_type]["new"] == len(qbo)
    current = entity.store().get(entity.org_id, entity.le_id)
    assert current is not None and current.running_sync_id is None
