"""QuickBooks' Accounting API as the push engine sees it, in memory, with its faults.

Keeps what exactly-once depends on: a requestid QBO has answered is answered again
the same way without a second create (Intuit's replay); a batch can land and still lose
its answer (commit, then the connection dies); DocNumber clashes answer 6140 unless the
create says `include=allowduplicatedocnum`. Queries understand the few WHERE shapes the
specs send (`F IN (...)`, `F >= '..'`, `F <= '..'`, joined by AND).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qbo_connector.models.faults import (
    QboDuplicateDocNumberError,
    QboError,
    QboUnavailableError,
    QboValidationError,
)


@dataclass(frozen=True)
class Result:
    """adapters.qbo_client.BatchItemResult's shape."""

    bid: str
    payload: dict[str, Any] | None = None
    fault: QboError | None = None


_IN = re.compile(r"(\w+)\s+IN\s+\(([^)]*)\)")
_CMP = re.compile(r"(\w+)\s*(>=|<=)\s*'([^']*)'")
_VALUE = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _field(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, dict):
        value = value.get("value")
    return "" if value is None else str(value)


def _matches(obj: dict[str, Any], where: str) -> bool:
    for clause in re.split(r"\s+AND\s+", where):
        found = _IN.fullmatch(clause.strip())
        if found:
            values = {v.replace("\\'", "'").replace("\\\\", "\\")
                      for v in _VALUE.findall(found.group(2))}
            if _field(obj, found.group(1)) not in values:
                return False
            continue
        found = _CMP.fullmatch(clause.strip())
        if not found:
            raise AssertionError(f"the fake cannot read {clause!r}")
        name, op, value = found.groups()
        have = _field(obj, name)
        if (op == ">=" and have < value) or (op == "<=" and have > value):
            return False
    return True


class FakeQbo:
    def __init__(self, warn_duplicate_doc_number: bool = True) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.warn_duplicate_doc_number = warn_duplicate_doc_number
        self.replies: dict[str, Any] = {}  # requestid -> first answer
        self.calls: list[str] = []  # "batch", "create", "query Bill"...
        self._ids = itertools.count(100)
        # Faults, each used once: raised *before* QBO does anything...
        self.unreachable: set[str] = set()  # "batch" | "create" | "query"
        # ...or *after* QBO did it (the answer is lost on the way back).
        self.answer_lost: set[str] = set()
        # Per-item verdicts by a payload field value (e.g. DocNumber "BAD-1").
        self.refuse: dict[str, QboValidationError] = {}
        self.omit_from_answer: set[str] = set()  # bIds QBO's answer leaves out (not created)
        self.preference_warn: bool | None = None

    # -- helpers for tests -----------------------------------------------------------------

    def add(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An object typed into QBO by the accountant."""
        stored = {"Id": str(next(self._ids)), "SyncToken": "0", **obj}
        self.objects.setdefault(entity, {})[stored["Id"]] = stored
        return stored

    def all(self, entity: str) -> list[dict[str, Any]]:
        return list(self.objects.get(entity, {}).values())

    def _fault(self, kind: str) -> None:
        if kind in self.unreachable:
            self.unreachable.discard(kind)
            raise QboUnavailableError(f"fake: {kind} timed out", http_status=504)

    def _lost(self, kind: str) -> None:
        if kind in self.answer_lost:
            self.answer_lost.discard(kind)
            raise QboUnavailableError(f"fake: {kind} answer lost", http_status=502)

    def _create(
        self, entity: str, body: Mapping[str, Any], allow_duplicate: bool
    ) -> dict[str, Any]:
        for value in body.values():
            if isinstance(value, str) and value in self.refuse:
                raise self.refuse[value]
        number = body.get("DocNumber")
        if number and self.warn_duplicate_doc_number and not allow_duplicate:
            holder = next((o for o in self.all(entity) if o.get("DocNumber") == number), None)
            if holder is not None:
                raise QboDuplicateDocNumberError(
                    "Duplicate Document Number Error", code="6140",
                    existing_txn_id=holder["Id"], http_status=400,
                )
        total = sum(float(line.get("Amount", 0)) for line in body.get("Line") or [])
        return self.add(entity, {**body, "TotalAmt": total, "Balance": total})

    # -- the API -----------------------------------------------------------------------------

    def batch(
        self, items: Sequence[Mapping[str, Any]], request_id: str | None = None
    ) -> list[Result]:
        self.calls.append("batch")
        assert request_id, "the engine always names its batch"
        self._fault("batch")
        if request_id not in self.replies:
            answer: list[Result] = []
            for item in items:
                if item["bId"] in self.omit_from_answer:
                    continue
                entity = next(k for k in item if k not in ("bId", "operation"))
                try:
                    answer.append(Result(item["bId"], self._create(entity, item[entity], False)))
                except QboError as fault:
                    answer.append(Result(item["bId"], fault=fault))
            self.replies[request_id] = answer
        self._lost("batch")
        return list(self.replies[request_id])

    def create(
        self,
        entity: str,
        body: Mapping[str, Any],
        request_id: str | None = None,
        include: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append("create")
        self._fault("create")
        key = request_id or f"none-{len(self.calls)}"
        if key not in self.replies:
            try:
                self.replies[key] = self._create(
                    entity, body, include == "allowduplicatedocnum"
                )
            except QboError as fault:
                self.replies[key] = fault
        self._lost("create")
        reply = self.replies[key]
        if isinstance(reply, QboError):
            raise reply
        return dict(reply)

    def query_all(
        self,
        entity: str,
        where: str | None = None,
        order_by: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]:
        self.calls.append(f"query {entity}")
        self._fault("query")
        yield [o for o in self.all(entity) if not where or _matches(o, where)]

    def upload_attachment(
        self,
        entity_type: str,
        entity_id: str,
        file_name: str,
        content_type: str,
        data: bytes,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append("upload")
        key = request_id or f"none-{len(self.calls)}"
        if key not in self.replies:
            self.replies[key] = self.add("Attachable", {"FileName": file_name,
                                                        "EntityRef": {"value": entity_id}})
        return dict(self.replies[key])

    def preferences(self) -> dict[str, Any]:
        self.calls.append("preferences")
        if self.preference_warn is None:
            return {}
        value = "true" if self.preference_warn else "false"
        return {"OtherPrefs": {"NameValue": [{"Name": "WarnDuplicateBillNumber",
                                              "Value": value}]}}


class NoWrites:
    """The write half of the client for fakes of a reader (the import never writes)."""

    def batch(
        self, items: Sequence[Mapping[str, Any]], request_id: str | None = None
    ) -> list[Result]:
        raise AssertionError("the import never writes")

    def create(
        self,
        entity: str,
        body: Mapping[str, Any],
        request_id: str | None = None,
        include: str | None = None,
    ) -> dict[str, Any]:
        raise AssertionError("the import never writes")

    def upload_attachment(
        self,
        entity_type: str,
        entity_id: str,
        file_name: str,
        content_type: str,
        data: bytes,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        raise AssertionError("the import never writes")

    def query_all(
        self,
        entity: str,
        where: str | None = None,
        order_by: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]:
        raise AssertionError("the import asks through query and batch_query")

    def preferences(self) -> dict[str, Any]:
        raise AssertionError("the import does not read preferences")

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        raise AssertionError("the import reads through query and batch_query")

    def void(
        self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None
    ) -> dict[str, Any]:
        raise AssertionError("the import never writes")

    def update(
        self,
        entity: str,
        body: dict[str, Any],
        request_id: str | None = None,
        sparse: bool = False,
    ) -> dict[str, Any]:
        raise AssertionError("the import never writes")
