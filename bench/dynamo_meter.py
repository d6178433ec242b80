"""DynamoDB requests and capacity units of a process, metered in botocore.

moto reports no real consumed capacity, so the units are computed here by DynamoDB's
published rules from what each request sends and each answer returns (low-level JSON,
after boto3's own serialisation):

- reads: per item, its *whole* size (projections do not reduce it) rounded up to 4 KB,
  one unit strongly consistent, half a unit eventually consistent; a key that does not
  exist still costs that minimum; a Query rounds the sum of the items it read;
- writes: per item, the larger of its old and new size rounded up to 1 KB.

Item sizes are the attribute names' and values' UTF-8 lengths (numbers ≈ digits/2 + 1).
The meter remembers the size of every item it saw written, so it can price reads of
items through projections. Estimates, but by the rules AWS bills on.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import botocore.endpoint

Key = tuple[str, str, str]


def value_size(value: dict[str, Any]) -> int:
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").strip("0")
        return len(digits) // 2 + 2
    if kind == "B":
        return len(str(inner)) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v).encode()) for v in inner)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def _plain(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    return str(next(iter(value.values())))


class DynamoMeter:
    def __init__(self) -> None:
        self.sizes: dict[Key, int] = {}
        self.requests: Counter[str] = Counter()
        self.read_units = 0.0
        self.write_units = 0.0

    def reset(self) -> None:
        self.requests = Counter()
        self.read_units = 0.0
        self.write_units = 0.0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": sum(self.requests.values()),
            "by_operation": dict(sorted(self.requests.items())),
            "read_units": round(self.read_units, 1),
            "write_units": round(self.write_units, 1),
        }

    def install(self) -> None:
        original = botocore.endpoint.Endpoint.make_request
        meter = self

        def make_request(endpoint: Any, operation_model: Any, request_dict: Any) -> Any:
            result = original(endpoint, operation_model, request_dict)
            if operation_model.service_model.service_name == "dynamodb":
                try:
                    http, _parsed = result
                    body = json.loads(request_dict.get("body") or b"{}")
                    answer = json.loads(http.content or b"{}")
                    if 200 <= http.status_code < 300:
                        meter.record(operation_model.name, body, answer)
                    else:
                        meter.requests[operation_model.name] += 1
                except Exception:  # noqa: BLE001 - metering must never break the worker
                    meter.requests[operation_model.name] += 1
            return result

        botocore.endpoint.Endpoint.make_request = make_request  # type: ignore[method-assign]

    # -- pricing ---------------------------------------------------------------------------

    @staticmethod
    def _key(table: str, item: dict[str, Any]) -> Key:
        return (table, _plain(item.get("pk")), _plain(item.get("sk")))

    def _read(self, size: int | None, consistent: bool) -> float:
        units = max(1, math.ceil((size or 0) / 4096))
        return units * (1.0 if consistent else 0.5)

    def _write(self, key: Key, new: int | None) -> None:
        old = self.sizes.get(key, 0)
        self.write_units += max(1, math.ceil(max(old, new or 0) / 1024))
        if new is None:
            self.sizes.pop(key, None)
        else:
            self.sizes[key] = new

    def record(self, op: str, req: dict[str, Any], answer: dict[str, Any]) -> None:
        self.requests[op] += 1
        table = str(req.get("TableName", ""))
        if op == "PutItem":
            self._write(self._key(table, req["Item"]), item_size(req["Item"]))
        elif op == "DeleteItem":
            self._write(self._key(table, req["Key"]), None)
        elif op == "UpdateItem":
            key = self._key(table, req["Key"])
            values = (req.get("ExpressionAttributeValues") or {}).values()
            grown = sum(value_size(v) for v in values)
            self._write(key, self.sizes.get(key, item_size(req["Key"])) + grown)
        elif op == "BatchWriteItem":
            left = answer.get("UnprocessedItems") or {}
            for name, writes in (req.get("RequestItems") or {}).items():
                pending = {json.dumps(w, sort_keys=True) for w in left.get(name, [])}
                for w in writes:
                    if json.dumps(w, sort_keys=True) in pending:
                        continue
                    if "PutRequest" in w:
                        item = w["PutRequest"]["Item"]
                        self._write(self._key(name, item), item_size(item))
                    else:
                        self._write(self._key(name, w["DeleteRequest"]["Key"]), None)
        elif op == "GetItem":
            key = self._key(table, req["Key"])
            self.read_units += self._read(self.sizes.get(key), bool(req.get("ConsistentRead")))
        elif op == "BatchGetItem":
            left = answer.get("UnprocessedKeys") or {}
            for name, spec in (req.get("RequestItems") or {}).items():
                unread = left.get(name, {}).get("Keys", [])
                skipped = {json.dumps(k, sort_keys=True) for k in unread}
                for k in spec.get("Keys", []):
                    if json.dumps(k, sort_keys=True) in skipped:
                        continue
                    size = self.sizes.get(self._key(name, k))
                    self.read_units += self._read(size, bool(spec.get("ConsistentRead")))
        elif op in ("Query", "Scan"):
            values = [_plain(v) for v in (req.get("ExpressionAttributeValues") or {}).values()]
            total = 0
            for item in answer.get("Items") or []:
                key = self._key(table, item)
                if key[1] == "":  # projected without pk: the key condition names it
                    key = next(
                        ((table, v, key[2]) for v in values if (table, v, key[2]) in self.sizes),
                        key,
                    )
                total += self.sizes.get(key, item_size(item))
            self.read_units += self._read(total, bool(req.get("ConsistentRead")))
        elif op in ("TransactWriteItems",):
            self.write_units += 2 * len(req.get("TransactItems") or [])
        elif op in ("TransactGetItems",):
            self.read_units += 2 * len(req.get("TransactItems") or [])
