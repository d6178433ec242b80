"""The one client for the QuickBooks Online Accounting API v3.

Everything that talks to QBO goes through `QboClient`, so limits, retries and counting
are in one place:

- every call has a (connect, read) timeout and sends ``minorversion=75`` and
  ``Accept: application/json``;
- 401 → the token source refreshes once and the call is repeated;
- 429 (often XML) and 5xx / timeouts / connection errors are retried with bounded
  exponential back-off and full jitter — but a write (create, update, delete, batch with
  operations, upload) is resent after a 5xx/timeout/connection error only when it carries
  a ``requestid``: Intuit answers a repeated requestid with the original response, while a
  resend without one may create a second object;
- calls are paced per realm under Intuit's limits (`RealmPacer`);
- every HTTP request is counted into a `CallCounter` the caller owns;
- faults surface as typed `QboError` subclasses (see qbo_faults) with ``intuit_tid``.
"""

from __future__ import annotations

import bisect
import inspect
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import requests

from qbo_connector.adapters.qbo_faults import (
    QboAuthenticationError,
    QboError,
    QboThrottledError,
    QboUnavailableError,
    fault_from_dict,
    parse_fault,
)

# A child of the service logger, so lines come out as its structured JSON.
log = logging.getLogger("qbo-connector").getChild(__name__)

MINOR_VERSION = 75
MAX_PAGE_SIZE = 1000
MAX_BATCH_ITEMS = 30
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
# A batch of queries does up to 30 queries' work in one request: give it longer to answer
# (Intuit times requests out at 120 s).
BATCH_QUERY_READ_TIMEOUT = 60.0
# Above this, a query is POSTed as application/text instead of sent in the URL.
_MAX_GET_QUERY = 1500
_ENTITY = re.compile(r"^[A-Za-z][A-Za-z0-9]*\Z")
_ID = re.compile(r"^[A-Za-z0-9\-_.]+\Z")


class AccessTokenSource(Protocol):
    """What the client needs from token management (see qbo_auth.TokenManager).

    ``force_refresh`` may also accept the rejected access token as its one argument
    (TokenManager does): it is then passed, so concurrent 401s refresh only once.
    """

    def access_token(self) -> str: ...

    def force_refresh(self) -> str: ...


def _takes_rejected(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        for p in params.values()
    )


# --------------------------------------------------------------------------------------
# Counting


class CallCounter:
    """Counts Accounting API traffic for one sync run (thread-safe).

    Operation kinds count logical calls once each (query, read, create, update, delete,
    batch, cdc, upload); ``retries`` counts every extra HTTP request (after 401, 429, 5xx
    or timeouts); ``throttled`` counts 429 answers; ``refresh`` counts token refreshes
    asked for after a 401. ``api_calls`` = HTTP requests sent to the Accounting API.
    """

    OPERATIONS = ("query", "read", "create", "update", "delete", "batch", "cdc", "upload")
    OTHER = ("retries", "throttled", "refresh", "paced")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {k: 0 for k in (*self.OPERATIONS, *self.OTHER)}

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + n

    def get(self, kind: str) -> int:
        with self._lock:
            return self._counts.get(kind, 0)

    @property
    def api_calls(self) -> int:
        with self._lock:
            return sum(self._counts[k] for k in self.OPERATIONS) + self._counts["retries"]

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            out = dict(self._counts)
        out["api_calls"] = sum(out[k] for k in self.OPERATIONS) + out["retries"]
        return out

    def __repr__(self) -> str:
        return f"CallCounter({self.as_dict()})"


# --------------------------------------------------------------------------------------
# Back-off and pacing


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential back-off with full jitter (delay ~ U(0, min(cap, base·2^n)))."""

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    # Intuit suggests waiting about a minute after a 429: start higher, cap at a minute.
    throttle_base: float = 5.0
    throttle_cap: float = 60.0

    def ceiling(self, attempt: int, throttled: bool = False) -> float:
        """Upper bound of the delay after the ``attempt``-th failed attempt (1-based)."""
        base, cap = (self.throttle_base, self.throttle_cap) if throttled else (self.base, self.cap)
        return float(min(cap, base * (2 ** max(0, attempt - 1))))

    def delay(self, attempt: int, throttled: bool, rng: random.Random) -> float:
        return rng.uniform(0.0, self.ceiling(attempt, throttled))


class RealmPacer:
    """In-process sliding-window pacing per realm (Intuit: 10/s, 500/min, 40 batch/min).

    `reserve` books the earliest slot that keeps every window under its limit and returns
    how long the caller must wait for it; slots are booked first come first served, so
    concurrent threads queue up instead of bursting. The caller sleeps (injected sleep).
    """

    def __init__(
        self,
        per_second: int = 10,
        per_minute: int = 500,
        batch_per_minute: int = 40,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = ((per_second, 1.0), (per_minute, 60.0))
        self._batch_window = (batch_per_minute, 60.0)
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[str, list[float]] = {}
        self._batches: dict[str, list[float]] = {}

    @staticmethod
    def _slot(stamps: list[float], limit: int, span: float, t: float) -> float:
        if limit > 0 and len(stamps) >= limit:
            t = max(t, stamps[-limit] + span)
        return t

    def reserve(self, realm_id: str, batch: bool = False) -> float:
        with self._lock:
            now = self._clock()
            calls = self._calls.setdefault(realm_id, [])
            horizon = now - 60.0
            del calls[: bisect.bisect_left(calls, horizon)]
            t = max(now, calls[-1] if calls else now)
            for limit, span in self._windows:
                t = self._slot(calls, limit, span, t)
            if batch:
                batches = self._batches.setdefault(realm_id, [])
                del batches[: bisect.bisect_left(batches, horizon)]
                t = self._slot(batches, *self._batch_window, t)
                batches.append(t)
            calls.append(t)
            return t - now

    def acquire(
        self, realm_id: str, batch: bool = False, sleep: Callable[[float], None] = time.sleep
    ) -> float:
        wait = self.reserve(realm_id, batch)
        if wait > 0:
            sleep(wait)
        return wait


_shared_pacer = RealmPacer()


def shared_pacer() -> RealmPacer:
    """The process-wide pacer (all clients of one process share a realm's budget)."""
    return _shared_pacer


@lru_cache(maxsize=1)
def shared_session() -> requests.Session:
    """One pooled session per process: a warm Lambda reuses its TLS connections."""
    return requests.Session()


# --------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class BatchItemResult:
    """One item of a batch answer: a payload under ``entity`` (e.g. "Bill",
    "QueryResponse") or a parsed fault."""

    bid: str
    entity: str | None = None
    payload: dict[str, Any] | None = None
    fault: QboError | None = None

    @property
    def ok(self) -> bool:
        return self.fault is None


# --------------------------------------------------------------------------------------
# Client


def _check_entity(entity: str) -> str:
    if not _ENTITY.match(entity):
        raise ValueError(f"not an entity name: {entity!r}")
    return entity


def _check_id(value: str, what: str = "id") -> str:
    if not value or not _ID.match(value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


def _check_request_id(request_id: str | None, limit: int = MAX_REQUEST_ID) -> None:
    if request_id is not None and not 0 < len(request_id) <= limit:
        raise ValueError(f"requestid must be 1..{limit} characters")


class QboClient:
    """Accounting API client for one realm (company)."""

    def __init__(
        self,
        realm_id: str,
        tokens: AccessTokenSource,
        base_url: str,
        session: requests.Session | None = None,
        minorversion: int = MINOR_VERSION,
        timeout: tuple[float, float] = (3.05, 30.0),
        pacer: RealmPacer | None = None,
        counter: CallCounter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.realm_id = _check_id(realm_id, "realm id")
        self.tokens = tokens
        self._refresh_takes_rejected = _takes_rejected(tokens.force_refresh)
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else shared_session()
        self.minorversion = minorversion
        self.timeout = timeout
        self.pacer = pacer if pacer is not None else shared_pacer()
        self.counter = counter if counter is not None else CallCounter()
        self._sleep = sleep
        policy = retry or RetryPolicy()
        if max_attempts is not None:
            policy = RetryPolicy(
                max_attempts, policy.base, policy.cap, policy.throttle_base, policy.throttle_cap
            )
        self.retry = policy
        # Jitter only spreads retries out; it needs no cryptographic randomness.
        self._rng = rng or random.Random()  # noqa: S311
        self.last_intuit_tid: str | None = None

    def __repr__(self) -> str:
        return f"QboClient(realm_id={self.realm_id!r}, base_url={self.base_url!r})"

    # -- transport ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}/company/{self.realm_id}/{path}"

    def _backoff(self, attempt: int, throttled: bool, err: QboError, kind: str) -> None:
        delay = self.retry.delay(attempt, throttled, self._rng)
        log.info(
            "QBO call retried",
            extra={
                "kind": kind,
                "attempt": attempt,
                "delay": round(delay, 3),
                "error": type(err).__name__,
                "http_status": err.http_status,
                "intuit_tid": err.intuit_tid,
                "realm_id": self.realm_id,
            },
        )
        self.counter.add("retries")
        self._sleep(delay)

    def _send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        files: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        write: bool = False,
        request_id: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        query: dict[str, str] = dict(params or {})
        query["minorversion"] = str(self.minorversion)
        if request_id is not None:
            query["requestid"] = request_id
        url = self._url(path)
        # Resending is safe for reads, and for writes Intuit can de-duplicate.
        resend_safe = not write or request_id is not None
        self.counter.add(kind)
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            wait = self.pacer.reserve(self.realm_id, batch=kind == "batch")
            if wait > 0:
                self.counter.add("paced")
                self._sleep(wait)
            token = self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if content_type is not None:
                headers["Content-Type"] = content_type
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=query,
                    json=json_body,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=timeout or self.timeout,
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                err: QboError = QboUnavailableError(
                    f"QuickBooks did not answer ({type(exc).__name__})"
                )
                # A connect timeout means nothing reached Intuit: safe to resend any call.
                safe = resend_safe or isinstance(exc, requests.ConnectTimeout)
                if not safe or attempt >= self.retry.max_attempts:
                    raise err from None
                self._backoff(attempt, False, err, kind)
                continue

            tid = resp.headers.get("intuit_tid")
            self.last_intuit_tid = tid
            status = resp.status_code
            if 200 <= status < 300:
                return self._body(resp, token)

            err = parse_fault(status, resp.content, resp.headers, secrets=(token,))
            if status == 401 and not refreshed:
                # Rejected before processing: refresh once and resend (also for writes).
                refreshed = True
                self.counter.add("refresh")
                if self._refresh_takes_rejected:
                    self.tokens.force_refresh(token)  # type: ignore[call-arg]
                else:
                    self.tokens.force_refresh()
                self.counter.add("retries")
                attempt -= 1
                continue
            if isinstance(err, QboThrottledError):
                # Throttled requests were not processed: resending is safe for writes too.
                self.counter.add("throttled")
                if attempt >= self.retry.max_attempts:
                    raise err
                self._backoff(attempt, True, err, kind)
                continue
            if status >= 500 and resend_safe and attempt < self.retry.max_attempts:
                self._backoff(attempt, False, err, kind)
                continue
            if isinstance(err, QboAuthenticationError):
                log.warning(
                    "QBO rejected a freshly refreshed token",
                    extra={"intuit_tid": tid, "realm_id": self.realm_id},
                )
            raise err

    @staticmethod
    def _body(resp: requests.Response, token: str) -> dict[str, Any]:
        tid = resp.headers.get("intuit_tid")
        try:
            body = resp.json()
        except ValueError:
            raise QboError(
                "QuickBooks answered with something that is not JSON",
                http_status=resp.status_code,
                intuit_tid=tid,
            ) from None
        if not isinstance(body, dict):
            raise QboError(
                "QuickBooks answered with an unexpected JSON shape",
                http_status=resp.status_code,
                intuit_tid=tid,
            )
        fault = body.get("Fault", body.get("fault"))
        if isinstance(fault, Mapping):
            raise fault_from_dict(
                fault, http_status=resp.status_code, intuit_tid=tid, secrets=(token,)
            )
        return body

    # -- reads ---------------------------------------------------------------------------

    def query(self, sql: str) -> dict[str, Any]:
        """Run one query; returns the ``QueryResponse`` object ({} when nothing matched)."""
        if len(sql) > _MAX_GET_QUERY:
            body = self._send(
                "query", "POST", "query", data=sql.encode(), content_type="application/text"
            )
        else:
            body = self._send("query", "GET", "query", params={"query": sql})
        qr = body.get("QueryResponse", {})
        return qr if isinstance(qr, dict) else {}

    @staticmethod
    def _rows(qr: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
        rows = qr.get(entity)
        if rows is None:
            # e.g. "Currency" answers under "CompanyCurrency"
            rows = next((v for v in qr.values() if isinstance(v, list)), [])
        return list(rows)

    def query_all(
        self,
        entity: str,
        where: str | None = None,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of ``SELECT *`` results (STARTPOSITION paging; stops on a short page).

        ``where``/``order_by`` are query-language fragments built by the caller.
        """
        _check_entity(entity)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        base = f"SELECT * FROM {entity}"  # noqa: S608 - QBO query language, entity checked
        if where:
            base += f" WHERE {where}"
        if order_by:
            base += f" ORDERBY {order_by}"
        start = 1
        while True:
            qr = self.query(f"{base} STARTPOSITION {start} MAXRESULTS {page_size}")
            rows = self._rows(qr, entity)
            if rows:
                yield rows
            if len(rows) < page_size:
                return
            start += len(rows)

    def count(self, entity: str, where: str | None = None) -> int:
        sql = f"SELECT COUNT(*) FROM {_check_entity(entity)}"  # noqa: S608 - QBO query
        if where:
            sql += f" WHERE {where}"
        return int(self.query(sql).get("totalCount", 0))

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        _check_entity(entity)
        body = self._send("read", "GET", f"{entity.lower()}/{_check_id(entity_id)}")
        return self._one(body, entity)

    def company_info(self) -> dict[str, Any]:
        body = self._send("read", "GET", f"companyinfo/{self.realm_id}")
        return self._one(body, "CompanyInfo")

    def preferences(self) -> dict[str, Any]:
        body = self._send("read", "GET", "preferences")
        return self._one(body, "Preferences")

    def cdc(
        self, entities: Sequence[str], changed_since: datetime | str
    ) -> dict[str, list[dict[str, Any]]]:
        """Changed objects per entity since a time (≤ 30 days back).

        Deleted objects are kept as Intuit sends them (``"status": "Deleted"``). Intuit
        returns at most 1000 objects per response: a list that long may be truncated.
        """
        if not entities:
            return {}
        for e in entities:
            _check_entity(e)
        if isinstance(changed_since, datetime):
            if changed_since.tzinfo is None:
                raise ValueError("changed_since must be timezone-aware")
            since = changed_since.isoformat()
        else:
            since = changed_since
        body = self._send(
            "cdc", "GET", "cdc", params={"entities": ",".join(entities), "changedSince": since}
        )
        out: dict[str, list[dict[str, Any]]] = {e: [] for e in entities}
        for block in body.get("CDCResponse") or []:
            for qr in block.get("QueryResponse") or []:
                if isinstance(qr.get("Fault"), Mapping):
                    raise fault_from_dict(qr["Fault"], intuit_tid=self.last_intuit_tid)
                for key, rows in qr.items():
                    if isinstance(rows, list):
                        out.setdefault(key, []).extend(rows)
        return out

    # -- writes --------------------------------------------------------------------------

    @staticmethod
    def _one(body: Mapping[str, Any], entity: str) -> dict[str, Any]:
        obj = body.get(entity)
        if not isinstance(obj, dict):
            raise QboError(f"QuickBooks answer lacks {entity}")
        return obj

    def create(
        self,
        entity: str,
        body: Mapping[str, Any],
        request_id: str | None = None,
        include: str | None = None,
    ) -> dict[str, Any]:
        """Create an object. Pass ``request_id`` (deterministic per intent) to make the call
        safe to resend; without it, a failed create is never retried."""
        _check_entity(entity)
        _check_request_id(request_id)
        params = {"include": include} if include else None
        answer = self._send(
            "create",
            "POST",
            entity.lower(),
            params=params,
            json_body=dict(body),
            write=True,
            request_id=request_id,
        )
        return self._one(answer, entity)

    def update(
        self,
        entity: str,
        body: Mapping[str, Any],
        request_id: str | None = None,
        sparse: bool = False,
    ) -> dict[str, Any]:
        """Full update (omitted writable fields are cleared) or sparse update."""
        _check_entity(entity)
        _check_request_id(request_id)
        if "Id" not in body or "SyncToken" not in body:
            raise ValueError("update needs Id and SyncToken")
        payload = dict(body)
        if sparse:
            payload["sparse"] = True
        answer = self._send(
            "update", "POST", entity.lower(), json_body=payload, write=True, request_id=request_id
        )
        return self._one(answer, entity)

    def void(
        self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """Void a payment: Intuit's sparse update with `include=void` (Id and SyncToken);
        the transaction stays, zeroed, its memo prefixed "Voided", the bills open again."""
        _check_entity(entity)
        _check_request_id(request_id)
        answer = self._send(
            "void",
            "POST",
            entity.lower(),
            params={"operation": "update", "include": "void"},
            json_body={"Id": _check_id(entity_id), "SyncToken": str(sync_token), "sparse": True},
            write=True,
            request_id=request_id,
        )
        return self._one(answer, entity)

    def delete(
        self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """Delete a transaction (name lists are deactivated with a sparse update)."""
        _check_entity(entity)
        _check_request_id(request_id)
        answer = self._send(
            "delete",
            "POST",
            entity.lower(),
            params={"operation": "delete"},
            json_body={"Id": _check_id(entity_id), "SyncToken": str(sync_token)},
            write=True,
            request_id=request_id,
        )
        return self._one(answer, entity)

    def batch_query(self, queries: Sequence[str]) -> list[BatchItemResult]:
        """Up to 30 queries (pages, ``COUNT(*)``) in one ``/batch`` request.

        One result per query, in the order asked: ``payload`` is the item's
        ``QueryResponse`` ({} when nothing matched), or ``fault`` is the item's own Fault
        (Intuit answers each item on its own). An item the answer leaves out comes back
        as a fault too, so the caller can ask that query alone. Queries only read: the
        request is resent after a 5xx or timeout like a single query.
        """
        if not queries:
            return []
        items = [{"bId": f"q{i}", "Query": sql} for i, sql in enumerate(queries, 1)]
        read = max(self.timeout[1], BATCH_QUERY_READ_TIMEOUT)
        answered = {r.bid: r for r in self.batch(items, timeout=(self.timeout[0], read))}
        out: list[BatchItemResult] = []
        for item in items:
            bid = str(item["bId"])
            found = answered.get(bid)
            if found is None:
                missing = QboError(
                    f"QuickBooks' batch answer lacks item {bid}", intuit_tid=self.last_intuit_tid
                )
                out.append(BatchItemResult(bid, fault=missing))
            elif found.fault is not None:
                out.append(found)
            else:
                payload = found.payload if found.entity == "QueryResponse" else None
                out.append(BatchItemResult(bid, "QueryResponse", payload or {}))
        return out

    def batch(
        self,
        items: Sequence[Mapping[str, Any]],
        request_id: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> list[BatchItemResult]:
        """Up to 30 operations/queries in one request; each succeeds or fails on its own.

        Items without ``bId`` get ``b1``, ``b2``, ... Results come back in request order.
        """
        if not items:
            return []
        if len(items) > MAX_BATCH_ITEMS:
            raise ValueError(f"a batch holds at most {MAX_BATCH_ITEMS} items")
        _check_request_id(request_id, MAX_BATCH_REQUEST_ID)
        request: list[dict[str, Any]] = []
        for i, item in enumerate(items, 1):
            entry = dict(item)
            entry.setdefault("bId", f"b{i}")
            request.append(entry)
        order = [str(e["bId"]) for e in request]
        if len(set(order)) != len(order):
            raise ValueError("bId values must be unique")
        write = any("operation" in e for e in request)
        body = self._send(
            "batch",
            "POST",
            "batch",
            json_body={"BatchItemRequest": request},
            write=write,
            request_id=request_id,
            timeout=timeout,
        )
        tid = self.last_intuit_tid
        results: dict[str, BatchItemResult] = {}
        for raw in body.get("BatchItemResponse") or []:
            bid = str(raw.get("bId", ""))
            fault = raw.get("Fault")
            if isinstance(fault, Mapping):
                results[bid] = BatchItemResult(bid, fault=fault_from_dict(fault, intuit_tid=tid))
                continue
            key = next((k for k, v in raw.items() if k != "bId" and isinstance(v, dict)), None)
            results[bid] = BatchItemResult(bid, key, raw.get(key) if key else None)
        ordered = [results.pop(bid) for bid in order if bid in results]
        return ordered + list(results.values())

    def upload_attachment(
        self,
        entity_type: str,
        entity_id: str,
        file_name: str,
        content_type: str,
        data: bytes,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Attach a file to an object (multipart upload); returns the Attachable."""
        _check_entity(entity_type)
        _check_request_id(request_id)
        metadata = {
            "AttachableRef": [{"EntityRef": {"type": entity_type, "value": _check_id(entity_id)}}],
            "FileName": file_name,
            "ContentType": content_type,
        }
        files = {
            "file_metadata_01": ("metadata.json", json.dumps(metadata), "application/json"),
            "file_content_01": (file_name, data, content_type),
        }
        body = self._send(
            "upload", "POST", "upload", files=files, write=True, request_id=request_id
        )
        answers = body.get("AttachableResponse") or []
        if not answers:
            raise QboError("QuickBooks upload answer is empty", intuit_tid=self.last_intuit_tid)
        first = answers[0]
        if isinstance(first.get("Fault"), Mapping):
            raise fault_from_dict(first["Fault"], intuit_tid=self.last_intuit_tid)
        return self._one(first, "Attachable")
