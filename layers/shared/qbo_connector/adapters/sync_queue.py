"""The sync queue (SQS): work for the sync worker, one JSON message per unit.

Message kinds (the worker dispatches on `kind`):
- `{"kind": "sync", "org_id", "legal_entity_id", "sync_id", "step"}`: run (step 0) or
  continue (step n, after a checkpoint) a sync run.
- `{"kind": "export_bills", ...}`: bill export jobs (logic.bill_export defines the rest).
"""

from __future__ import annotations

import json
from typing import Any

from qbo_connector.adapters import aws
from qbo_connector.config import get_settings

KIND_SYNC = "sync"
KIND_EXPORT_BILLS = "export_bills"
MAX_DELAY_SECONDS = 900  # SQS's limit


def sync_message(org_id: str, legal_entity_id: str, sync_id: str, step: int = 0) -> dict[str, Any]:
    return {
        "kind": KIND_SYNC,
        "org_id": org_id,
        "legal_entity_id": legal_entity_id,
        "sync_id": sync_id,
        "step": step,
    }


class SyncQueue:
    def __init__(self, queue_url: str | None = None) -> None:
        self._url = queue_url or get_settings().sync_queue_url

    def send(self, message: dict[str, Any], delay_seconds: int = 0) -> str:
        if not self._url:
            raise RuntimeError("SYNC_QUEUE_URL is not set; the sync queue is unknown.")
        answer = aws.client("sqs").send_message(
            QueueUrl=self._url,
            MessageBody=json.dumps(message, separators=(",", ":")),
            DelaySeconds=max(0, min(int(delay_seconds), MAX_DELAY_SECONDS)),
        )
        return str(answer["MessageId"])

    def send_sync(
        self, org_id: str, legal_entity_id: str, sync_id: str, step: int = 0, delay_seconds: int = 0
    ) -> str:
        return self.send(sync_message(org_id, legal_entity_id, sync_id, step), delay_seconds)
