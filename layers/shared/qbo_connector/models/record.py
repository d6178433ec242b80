"""Imported master data as logic sees it: what a record is, what an import writes.

`adapters/record_store.py` keeps them in DynamoDB; the import engine decides what to
write by `content_hash`, so an unchanged object costs no write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


def content_hash(obj: dict[str, Any]) -> str:
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StoredState:
    hash: str
    active: bool
    deleted: bool


@dataclass(frozen=True)
class MasterRecord:
    name: str | None
    active: bool
    deleted: bool
    # The QBO object as imported, when asked for (`MasterDataPort.lookup(with_body=True)`).
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class RecordWrite:
    qbo_id: str
    hash: str
    active: bool
    deleted: bool
    name: str | None
    body: dict[str, Any]
    qbo_updated_at: str | None
