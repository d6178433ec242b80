"""DynamoDB misbehaving under the functions (throttles, 5xx, answers lost after the write)
while they import and export: the same final states as without faults (issue 18). And an
SQS message delivered twice changes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.events import load_event
from tests.sync.conftest import Entity

SERVICE = {"sub": "svc-ap-platform", "role": "Service", "home_org_unit_is_root": "false"}
NORTON = "Norton Lumber and Building Materials"


def _sync(entity: Entity, tries: int = 3) -> dict[str, Any]:
    """A sync, started again if a fault ended it (as the schedule would)."""
    run: dict[str, Any] = {}
    for _ in range(tries):
        status, started = entity.start_sync()
        while status == 503:  # busy storage: the API says to send it again
            status, started = entity.start_sync()
        assert status == 202, started
        entity.stack.drain()
        run = entity.run(started["sync_id"])
        if run["status"] == "succeeded":
            return run
    return run


def _records(entity: Entity) -> dict[str, list[str]]:
    return {t: sorted(str(r["name"]) for r in entity.records(t))
            for t in ("vendors", "accounts", "items", "customers", "classes", "terms")}


def _storm(stack: Any, count: int) -> None:
    proxy = stack.aws_faults
    for operation in ("BatchWriteItem", "PutItem", "UpdateItem", "Query", "GetItem",
                      "BatchGetItem", "DeleteItem"):
        proxy.inject("throttle", "dynamodb", operation, count=count)
    proxy.inject("5xx", "dynamodb", "*", count=count)
    for operation in ("UpdateItem", "PutItem", "BatchWriteItem"):
        proxy.inject("lost", "dynamodb", operation, count=count)


def test_an_import_under_dynamodb_faults_ends_as_without_them(
    make_entity: Callable[..., Entity], stack: Any
) -> None:
    clean = make_entity()
    assert _sync(clean)["status"] == "succeeded"
    faulty = make_entity()
    _storm(stack, count=3)
    try:
        run = _sync(faulty)
    finally:
        injected = sum(stack.aws_faults.injected.values())
        stack.aws_faults.clear()
    assert run["status"] == "succeeded", run
    assert injected > 0
    assert _records(faulty) == _records(clean)


def _bills(entity: Entity, n: int) -> list[dict[str, Any]]:
    vendor = next(str(o["Id"]) for o in entity.sandbox.list_objects(entity.realm, "Vendor")
                  if o.get("DisplayName") == NORTON)
    account = next(str(o["Id"]) for o in entity.sandbox.list_objects(entity.realm, "Account")
                   if o.get("Name") == "Advertising")
    return [{"ap_invoice_id": f"ap-dyn-{i:03d}", "vendor_id": vendor,
             "invoice_number": f"DYN-{i:03d}", "invoice_date": "2025-10-01",
             "lines": [{"amount": f"{10 + i}.00", "account_id": account}]} for i in range(n)]


def _post(entity: Entity, bill: dict[str, Any]) -> int:
    """As the AP platform sends it: again on 5xx and on 409 changed-concurrently."""
    status = 0
    for _ in range(6):
        status, body = entity.api("EntityApiFunction", "api-post-bill.json", claims=SERVICE,
                                  body=bill)
        if status == 202 or (status == 409 and "concurrently" not in str(body)):
            return status
    return status


def test_an_export_under_dynamodb_faults_ends_as_without_them(
    make_entity: Callable[..., Entity], stack: Any
) -> None:
    entity = make_entity(profile={"export_bills": True})
    assert _sync(entity)["status"] == "succeeded"
    bills = _bills(entity, 20)
    _storm(stack, count=4)
    try:
        statuses = [_post(entity, bill) for bill in bills]
        for _ in range(4):
            entity.stack.drain()
            _sync(entity, tries=1)
    finally:
        injected = sum(stack.aws_faults.injected.values())
        stack.aws_faults.clear()
    assert statuses == [202] * len(bills)
    assert injected > 0
    _sync(entity)
    states: Counter[str] = Counter()
    for bill in bills:
        _, view = entity.api("EntityApiFunction", "entity-api-get-bill.json", claims=SERVICE,
                             extra_path={"apInvoiceId": bill["ap_invoice_id"]})
        states[view["state"]] += 1
    assert states == Counter({"exported": len(bills)}), states
    in_qbo = Counter(str(b.get("DocNumber")) for b in entity.sandbox.list_objects(entity.realm,
                                                                                   "Bill"))
    assert all(in_qbo[b["invoice_number"]] == 1 for b in bills), in_qbo


def test_a_message_delivered_twice_changes_nothing(
    make_entity: Callable[..., Entity], stack: Any
) -> None:
    entity = make_entity(profile={"export_bills": True})
    assert _sync(entity)["status"] == "succeeded"
    bill = _bills(entity, 1)[0]
    assert _post(entity, bill) == 202
    event = load_event("sync-worker-export-bills.json")
    for record in event["Records"]:
        record["body"] = record["body"].replace("org-acme", entity.org_id).replace(
            "le-acme-us", entity.le_id)
    first = stack.invoke("SyncWorkerFunction", event)
    again = stack.invoke("SyncWorkerFunction", event)  # SQS redelivers it
    assert first.get("batchItemFailures") == [] and again.get("batchItemFailures") == []
    entity.stack.drain()
    bills = [b for b in entity.sandbox.list_objects(entity.realm, "Bill")
             if b.get("DocNumber") == bill["invoice_number"]]
    assert len(bills) == 1
