"""Queue delivery like Lambda's SQS event source mapping.

For each function with an `SQS` event in the template: receive up to BatchSize
messages, invoke the function with an `aws:sqs` event, delete what succeeded.
A raised exception fails the whole batch; with ReportBatchItemFailures, the
returned `batchItemFailures` fail only those messages. Failed messages stay
in the queue and come back after the visibility timeout (and move to the DLQ
after maxReceiveCount, which moto's redrive does on receive).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from .runtime import LocalLambdaRuntime
from .template import REGION, Physical, SqsBinding

log = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    delivered: int = 0  # messages handed to functions
    succeeded: int = 0  # messages deleted after success
    failed: int = 0  # messages left for redelivery


class QueueDelivery:
    def __init__(
        self,
        runtime: LocalLambdaRuntime,
        bindings: list[SqsBinding],
        physical: dict[str, Physical],
        sqs_client: Any,
        visibility_timeout: int | None = None,
    ) -> None:
        """`visibility_timeout` overrides the queue's (5400 s) so failures come back soon."""
        self.runtime = runtime
        self.bindings = bindings
        self.physical = physical
        self.sqs = sqs_client
        self.visibility_timeout = visibility_timeout
        self.stats = DeliveryStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._round_lock = threading.Lock()

    def deliver_once(self) -> int:
        """One receive per binding; returns how many messages were handed to functions."""
        with self._round_lock:
            return sum(self._deliver(b) for b in self.bindings)

    def _deliver(self, binding: SqsBinding) -> int:
        queue = self.physical[binding.queue_id]
        kwargs: dict[str, Any] = {
            "QueueUrl": queue.ref,
            "MaxNumberOfMessages": min(binding.batch_size, 10),
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
            "WaitTimeSeconds": 0,
        }
        if self.visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = self.visibility_timeout
        messages = self.sqs.receive_message(**kwargs).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [_record(m, queue.attrs["Arn"]) for m in messages]}
        failed_ids = self._invoke(binding, event)
        for m in messages:
            if m["MessageId"] in failed_ids:
                self.stats.failed += 1
            else:
                self.sqs.delete_message(QueueUrl=queue.ref, ReceiptHandle=m["ReceiptHandle"])
                self.stats.succeeded += 1
        self.stats.delivered += len(messages)
        return len(messages)

    def _invoke(self, binding: SqsBinding, event: dict[str, Any]) -> set[str]:
        """Ids of the messages that failed."""
        all_ids = {r["messageId"] for r in event["Records"]}
        try:
            result = self.runtime.invoke(binding.function_id, event)
        except Exception:
            log.exception("queue delivery: %s raised; batch left in queue", binding.function_id)
            return all_ids
        if not binding.report_batch_item_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
        if any(not i or i not in all_ids for i in ids) or len(ids) != len(failures):
            return all_ids  # Lambda treats a malformed response as a failed batch
        return {str(i) for i in ids}

    def drain(self, max_rounds: int = 100, settle_seconds: float = 0.0) -> int:
        """Deliver until every bound queue is empty; returns messages handed to functions.

        Failed messages are waited for only if they become visible again within
        `settle_seconds` (use visibility_timeout=0 in tests).
        """
        total = 0
        for _ in range(max_rounds):
            n = self.deliver_once()
            total += n
            if n:
                continue
            if not self._in_flight() or not self._wait_visible(settle_seconds):
                break
        return total

    def _in_flight(self) -> bool:
        for b in self.bindings:
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=self.physical[b.queue_id].ref,
                AttributeNames=["ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if int(attrs.get("ApproximateNumberOfMessagesNotVisible", "0")):
                return True
        return False

    def _wait_visible(self, seconds: float) -> bool:
        if seconds <= 0:
            return False
        time.sleep(seconds)
        return True

    # -- background poller for the running stack ------------------------------------------
    def start(self, interval: float = 0.2) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._poll, args=(interval,), name="local-sqs-poller", daemon=True
        )
        self._thread.start()

    def _poll(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                n = self.deliver_once()
            except Exception:  # keep polling; the stack must survive a bad round
                log.exception("queue delivery round failed")
                n = 0
            if not n:
                self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attrs = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attrs.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attrs.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attrs.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
            "ApproximateFirstReceiveTimestamp": attrs.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
            **{
                k: v
                for k, v in attrs.items()
                if k
                in (
                    "MessageGroupId",
                    "MessageDeduplicationId",
                    "SequenceNumber",
                    "AWSTraceHeader",
                    "DeadLetterQueueSourceArn",
                )
            },
        },
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    # The event spells the SQS API's StringValue/DataType in camelCase.
    out: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return out
