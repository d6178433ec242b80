"""Queue delivery behaves like the SQS event source mapping."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.stack import LocalStack


@pytest.fixture
def worker(fixture_stack: LocalStack) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    fixture_stack.invoke("WorkerFunction", {"Records": []})  # loads the fake worker module
    fixture_worker = importlib.import_module("fixture_worker")
    fixture_worker.SEEN.clear()
    yield fixture_stack.client("sqs"), fixture_worker.SEEN
    fixture_stack.drain()
    fixture_worker.SEEN.clear()


def _send(stack: LocalStack, sqs: Any, *bodies: str) -> None:
    url = stack.physical["WorkQueue"].ref
    for body in bodies:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )


def _dlq_bodies(stack: LocalStack, sqs: Any) -> list[str]:
    url = stack.physical["WorkDlq"].ref
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return sorted(m["Body"] for m in messages)


def test_records_have_the_event_source_mapping_shape(
    fixture_stack: LocalStack, worker: tuple[Any, list[dict[str, Any]]]
) -> None:
    sqs, seen = worker
    _send(fixture_stack, sqs, "one")
    assert fixture_stack.drain() == 1
    (record,) = seen
    assert record["body"] == "one"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == fixture_stack.physical["WorkQueue"].attrs["Arn"]
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "test",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert set(record) >= {"messageId", "receiptHandle", "md5OfBody"}


def test_partial_batch_failure_redelivers_only_failed_then_dead_letters(
    fixture_stack: LocalStack, worker: tuple[Any, list[dict[str, Any]]]
) -> None:
    sqs, seen = worker
    _send(fixture_stack, sqs, "ok-1", "fail", "ok-2")
    fixture_stack.drain()
    bodies = [r["body"] for r in seen]
    assert sorted(b for b in bodies if b.startswith("ok")) == ["ok-1", "ok-2"]  # once each
    fail_counts = [r["attributes"]["ApproximateReceiveCount"] for r in seen if r["body"] == "fail"]
    assert fail_counts == ["1", "2"]  # maxReceiveCount 2 in the fixture template
    assert _dlq_bodies(fixture_stack, sqs) == ["fail"]


def test_raised_exception_fails_the_whole_batch(
    fixture_stack: LocalStack, worker: tuple[Any, list[dict[str, Any]]]
) -> None:
    sqs, seen = worker
    _send(fixture_stack, sqs, "boom", "innocent")
    delivery = fixture_stack.delivery
    assert delivery is not None
    succeeded_before = delivery.stats.succeeded
    handed = delivery.deliver_once()
    assert handed == len(seen) >= 1
    assert delivery.stats.succeeded == succeeded_before  # nothing of the batch was deleted
    attrs = sqs.get_queue_attributes(
        QueueUrl=fixture_stack.physical["WorkQueue"].ref, AttributeNames=["All"]
    )["Attributes"]
    assert (
        int(attrs["ApproximateNumberOfMessages"])
        + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        == 2
    )
    fixture_stack.drain()
    assert "boom" in _dlq_bodies(fixture_stack, sqs)


def test_malformed_batch_item_failures_fail_the_batch(
    fixture_stack: LocalStack, worker: tuple[Any, list[dict[str, Any]]]
) -> None:
    sqs, seen = worker
    _send(fixture_stack, sqs, "bad-id")
    fixture_stack.drain()
    assert [r["attributes"]["ApproximateReceiveCount"] for r in seen] == ["1", "2"]
    assert _dlq_bodies(fixture_stack, sqs) == ["bad-id"]
