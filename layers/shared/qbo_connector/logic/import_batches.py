"""How an import asks QBO for pages: many types at once, up to 30 queries a request.

Intuit answers queries as `/batch` items (at most 30 per request, 40 batch requests a
minute per company), each item on its own. A full import therefore needs far fewer
requests than pages:

- round 1: `SELECT COUNT(*)` of every full type (with the same WHERE as its pages, so
  inactive rows are counted when they are imported) and the first page of every type;
- then the pages the counts call for, at most `max_pages` per request (the memory bound:
  a round's answer is parsed whole and stored before the next is asked for).

A type is complete when a page comes back short, or when it has delivered as many rows as
its count said: exactly Σ⌈n/1000⌉ pages, none empty. Rows created after the count are
newer than the run's start, and the next incremental sync (which starts from there)
brings them. A type whose count could not be learned pages on until a short page.

Pure logic: this module builds the queries and keeps each type's position; the engine
(logic.importer) sends them and stores the answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qbo_connector.models.faults import QboError
from qbo_connector.models.sync_run import Checkpoint

MAX_BATCH_ITEMS = 30  # Intuit: at most 30 operations or queries per batch request
COUNT = "count"
PAGE = "page"

# A query's answer: its QueryResponse, the QboError it ended with (after the single-query
# fallback), or None once the engine has stored it and let it go.
QueryAnswer = dict[str, Any] | QboError | None


@dataclass
class TypePass:
    """One type's query pass within one invocation."""

    object_type: str
    entity: str
    where: str
    order: str
    full: bool
    start: int = 1  # STARTPOSITION of the next page
    count: int | None = None  # COUNT(*) when known
    fresh: bool = False  # nothing stored for the type: no look-ups, no sweep
    sweep: bool = False  # mark stored records the pass did not see
    seen: set[str] = field(default_factory=set)
    count_asked: bool = False
    ended: bool = False  # the last page is in
    done: bool = False  # finished (or failed): nothing more to ask

    def _tail(self) -> str:
        return f" WHERE {self.where}" if self.where else ""

    def select(self, start: int, page: int) -> str:
        return (
            f"SELECT * FROM {self.entity}{self._tail()} ORDERBY {self.order} "  # noqa: S608
            f"STARTPOSITION {start} MAXRESULTS {page}"
        )

    def count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM {self.entity}{self._tail()}"  # noqa: S608 - QBO query

    def complete_by_count(self) -> bool:
        return self.count is not None and self.start - 1 >= self.count

    def pages_wanted(self, page: int) -> int:
        if self.count is None:
            return 1  # speculative: one page, then we know more
        return max(0, -(-(self.count - (self.start - 1)) // page))

    def count_answer(self, answer: QueryAnswer) -> None:
        total = answer.get("totalCount") if isinstance(answer, dict) else None
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            self.count = total
        # Otherwise (the count failed even alone): page on until a short page.

    def take(self, rows: list[dict[str, Any]], page: int) -> list[dict[str, Any]]:
        """Advance past a page; returns the rows to store (a fresh pass stores a row
        that moved between pages while we read only once)."""
        self.start += len(rows)
        if len(rows) < page or self.complete_by_count():
            self.ended = True
        if not (self.fresh or self.sweep):
            return rows
        new = rows
        if self.fresh:
            new = [r for r in rows if str(r.get("Id")) not in self.seen]
        self.seen.update(str(r.get("Id")) for r in rows)
        return new


@dataclass(frozen=True)
class Ask:
    type_pass: TypePass
    kind: str  # COUNT | PAGE
    start: int
    sql: str


class BatchPlanner:
    """Chooses the queries of the next request."""

    def __init__(self, page: int, *, max_items: int, max_pages: int, counts: bool) -> None:
        if not 1 <= max_items <= MAX_BATCH_ITEMS:
            raise ValueError(f"max_items must be 1..{MAX_BATCH_ITEMS}")
        self.page = page
        self.max_items = max_items
        self.max_pages = max(1, max_pages)
        self.counts = counts

    def next_round(self, active: list[TypePass]) -> list[Ask]:
        asks: list[Ask] = []
        if self.counts:
            for p in active:
                if p.full and p.count is None and not p.count_asked:
                    if len(asks) >= self.max_items:
                        break
                    p.count_asked = True
                    asks.append(Ask(p, COUNT, 0, p.count_sql()))
        pages = 0
        for p in active:
            for k in range(p.pages_wanted(self.page)):
                if len(asks) >= self.max_items or pages >= self.max_pages:
                    return asks
                start = p.start + k * self.page
                asks.append(Ask(p, PAGE, start, p.select(start, self.page)))
                pages += 1
        return asks


@dataclass
class QueryResume:
    """Where each unfinished type of a query phase resumes (kept in the run's checkpoint:
    `object_type`/`start_position` name the first, `cursor` holds them all)."""

    starts: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, passes: list[TypePass]) -> QueryResume:
        open_ = [p for p in passes if not p.done]
        return cls(
            starts={p.object_type: p.start for p in open_},
            counts={p.object_type: p.count for p in open_ if p.count is not None},
            fresh={p.object_type for p in open_ if p.fresh},
        )

    def encode(self) -> Checkpoint:
        first = next(iter(self.starts.items()), ("", 1))
        cursor = json.dumps(
            {"starts": self.starts, "counts": self.counts, "fresh": sorted(self.fresh)},
            separators=(",", ":"),
        )
        return Checkpoint(first[0], "query", first[1], cursor=cursor)

    @classmethod
    def decode(cls, checkpoint: Checkpoint) -> QueryResume:
        try:
            data = json.loads(checkpoint.cursor or "")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # A checkpoint of one type's pass (written before passes were batched).
            return cls(starts={checkpoint.object_type: checkpoint.start_position})
        return cls(
            starts={str(k): int(v) for k, v in (data.get("starts") or {}).items()},
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            fresh={str(t) for t in data.get("fresh") or []},
        )
