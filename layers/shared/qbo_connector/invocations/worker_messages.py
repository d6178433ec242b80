"""Dispatch of sync-queue messages by kind (the sync worker's only logic).

A message that cannot be understood raises: the worker reports it as a batch-item
failure, SQS retries it and finally moves it to the dead-letter queue (alarmed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from qbo_connector import wiring
from qbo_connector.adapters.sync_queue import KIND_EXPORT_BILLS, KIND_SYNC
from qbo_connector.observability import logger


class BadMessage(ValueError):
    pass


def parse(body: str) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except ValueError:
        raise BadMessage("the message body is not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
        raise BadMessage("the message has no kind")
    return message


def dispatch(body: str, time_left_ms: Callable[[], int]) -> str:
    message = parse(body)
    kind = message["kind"]
    logger.append_keys(
        message_kind=kind,
        legal_entity_id=message.get("legal_entity_id"),
        sync_id=message.get("sync_id"),
    )
    if kind == KIND_SYNC:
        return str(wiring.sync_runner().handle(message, time_left_ms))
    if kind == KIND_EXPORT_BILLS:
        return str(wiring.sync_runner().handle_export_job(message, time_left_ms))
    raise BadMessage(f"unknown message kind {kind!r}")
