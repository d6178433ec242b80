"""One sync-worker invocation in a process of its own, as Lambda runs it.

    python -m bench.worker_process < job.json

The job names the handler, its environment (the local stack's resolved one: moto and
the QBO sandbox are reached over HTTP) and the SQS event. Writes to the job's
`result_file`: the handler's answer, this process's peak RSS (so the figure is the
worker's own, without the sandbox and moto of the bench's process), its DynamoDB
requests and units (bench.dynamo_meter) and the records it wrote.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import uuid
from typing import Any


class Context:
    """The part of Lambda's context object the handlers use."""

    def __init__(self, name: str, arn: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = name
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory_mb
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _tally_queries() -> dict[str, int]:
    """Count the queries the worker had answered: pages (and empty ones), COUNT(*)s."""
    from qbo_connector.adapters.qbo_client import QboClient

    tally = {"pages": 0, "empty_pages": 0, "counts": 0}

    def seen(sql: str, answer: dict[str, Any]) -> None:
        if "COUNT(*)" in sql.upper():
            tally["counts"] += 1
            return
        tally["pages"] += 1
        if not any(isinstance(v, list) and v for v in answer.values()):
            tally["empty_pages"] += 1

    single = QboClient.query
    batch = getattr(QboClient, "batch_query", None)  # absent from older layers (--worker-layer)

    def query(self: QboClient, sql: str) -> dict[str, Any]:
        answer = single(self, sql)
        seen(sql, answer)
        return answer

    def batch_query(self: QboClient, sqls: Any) -> Any:
        assert batch is not None
        results = batch(self, sqls)
        for sql, result in zip(sqls, results, strict=True):
            if result.fault is None:
                seen(sql, result.payload or {})
        return results

    QboClient.query = query  # type: ignore[method-assign]
    if batch is not None:
        QboClient.batch_query = batch_query  # type: ignore[method-assign]
    return tally


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM is the high-water mark of the process's own memory
    map; ru_maxrss is not: Linux carries it across exec, so a child started from the
    bench (which holds moto and a 100k-object sandbox) would report the bench's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    job: dict[str, Any] = json.load(sys.stdin)
    os.environ.update(job["env"])
    sys.path[:0] = job["paths"]
    from bench.dynamo_meter import DynamoMeter

    meter = DynamoMeter()
    meter.install()
    queries = _tally_queries()
    module = importlib.import_module(job["module"])
    handler = getattr(module, job["handler"])
    context = Context(job["name"], job["arn"], int(job["memory_mb"]), int(job["timeout_s"]))
    result = handler(job["event"], context)
    from qbo_connector import wiring

    out = {
        "result": result,
        "peak_rss_mb": peak_rss_mb(),
        "dynamodb": meter.snapshot(),
        "record_writes": wiring.record_store().writes,
        "queries": queries,
    }
    with open(job["result_file"], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
