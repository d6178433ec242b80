"""Log keys are per SQS message: one tenant's legal_entity_id / sync_id never reach the
log lines of the next message, in the same batch or the next invocation of the process."""

from __future__ import annotations

import copy
import io
import json
import logging
import uuid
from typing import Any

import pytest

from qbo_connector.observability import log_scope, logger
from tests.events import load_event


def sync_message(org: str, le: str) -> dict[str, Any]:
    """A sync message for a run that does not exist: the worker logs a warning with the
    message's keys and goes on (outcome unknown_run)."""
    return {"kind": "sync", "org_id": org, "legal_entity_id": le, "sync_id": "1-0abc0abc"}


def worker_event(*bodies: Any) -> tuple[dict[str, Any], list[str]]:
    sample = load_event("sync-worker-sync.json")["Records"][0]
    records, ids = [], []
    for body in bodies:
        record = copy.deepcopy(sample)
        record["messageId"] = str(uuid.uuid4())
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
        ids.append(record["messageId"])
    return {"Records": records}, ids


def lines_of(lines: list[dict[str, Any]], message_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("message_id") == message_id]


def run_and_capture(
    stack: Any, event: dict[str, Any], function: str = "SyncWorkerFunction"
) -> tuple[Any, list[dict[str, Any]]]:
    """Invoke a function; its result (or the exception it raised) and the JSON lines
    the shared Powertools logger wrote meanwhile."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        result: Any = stack.invoke(function, event)
    except Exception as exc:  # noqa: BLE001 - a batch whose every record failed raises
        result = exc
    finally:
        logger.removeHandler(handler)
    return result, [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_one_batch_two_tenants_each_message_logs_only_its_own_keys(stack, ids):
    tenant_a = ("org-a-" + ids["org"], "le-a-" + ids["le"])
    tenant_b = ("org-b-" + ids["org"], "le-b-" + ids["le"])
    event, (first, garbled, second) = worker_event(
        sync_message(*tenant_a), "not json at all", sync_message(*tenant_b)
    )
    result, lines = run_and_capture(stack, event)

    assert result == {"batchItemFailures": [{"itemIdentifier": garbled}]}
    a_lines, garbled_lines, b_lines = (lines_of(lines, m) for m in (first, garbled, second))
    assert a_lines and garbled_lines and b_lines, lines
    assert {line["legal_entity_id"] for line in a_lines} == {tenant_a[1]}
    # The message that could not be read names no tenant at all: not the one before it.
    assert [line["message"] for line in garbled_lines] == ["message failed"]
    assert all("legal_entity_id" not in line and "sync_id" not in line for line in garbled_lines)
    assert {line["legal_entity_id"] for line in b_lines} == {tenant_b[1]}
    later = lines[lines.index(a_lines[-1]) + 1 :]
    assert later and all(line.get("legal_entity_id") != tenant_a[1] for line in later)


def test_the_next_invocation_of_the_warm_worker_starts_without_the_last_tenant(stack, ids):
    tenant_a = (ids["org"], ids["le"])
    first_event, (first,) = worker_event(sync_message(*tenant_a))
    _, first_lines = run_and_capture(stack, first_event)
    assert {line.get("legal_entity_id") for line in lines_of(first_lines, first)} == {ids["le"]}

    second_event, (garbled,) = worker_event('{"kind": 7}')
    result, second_lines = run_and_capture(stack, second_event)
    assert type(result).__name__ == "BatchProcessingError"  # the whole batch is retried
    assert [line["message"] for line in lines_of(second_lines, garbled)] == ["message failed"]
    for line in second_lines:
        assert line.get("legal_entity_id") != ids["le"], line
        assert line.get("sync_id") is None, line
        assert line.get("message_id") != first, line


def test_another_function_in_the_same_process_does_not_inherit_the_workers_keys(stack, ids):
    # Locally every function shares one logger (one process); in Lambda each invocation
    # of a warm function starts from clear_state. Either way: no inherited tenant.
    event, _ = worker_event(sync_message(ids["org"], ids["le"]))
    run_and_capture(stack, event)
    ops_event = {**load_event("ops-list-legal-entities.json"), "org_id": "x"}
    _, lines = run_and_capture(stack, ops_event, "OpsFunction")
    assert lines and all(line.get("legal_entity_id") != ids["le"] for line in lines), lines


def test_log_scope_restores_the_keys_it_found():
    logger.append_keys(outer="kept", shared="before")
    try:
        with pytest.raises(RuntimeError), log_scope(message_id="m1"):
            logger.append_keys(legal_entity_id="le-1", shared="inside")
            assert logger.get_current_keys()["message_id"] == "m1"
            raise RuntimeError("the message failed")
        keys = logger.get_current_keys()
        assert "message_id" not in keys and "legal_entity_id" not in keys
        assert keys["outer"] == "kept" and keys["shared"] == "before"
    finally:
        logger.remove_keys(["outer", "shared"])
