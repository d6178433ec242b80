"""The master-data import engine of a sync run.

Plan (chosen once, by the run's first invocation, and kept in the run):
- full (first sync, mode full, a type never imported, or the last success is older than
  CDC's 30-day look-back): page through the type, 1000 rows a page, `Active IN (true,
  false)` so inactive records come too, then mark stored records QBO no longer has;
- incremental: one change-data-capture call for all CDC types since the last successful
  sync minus a small overlap (deletions come as `status: Deleted`), and
  `Metadata.LastUpdatedTime >=` queries for TaxCode/TaxRate, which CDC does not cover;
- partial from a date: the same, from that date (queries only, beyond 30 days).

Few calls: the queries of all types go together in `/batch` requests of up to 30 (see
logic.import_batches): COUNT(*)s and first pages, then the pages the counts call for,
ten pages a request; a failed batch item is asked again alone. A full import of 50k
objects takes 6 requests instead of 58; an incremental one 2 (CDC + one batch).

Frugal: a record whose content hash did not change is not written; a type with nothing
stored is written without looking anything up and is not swept. Resumable: before each
QBO request the engine checks the Lambda's time left; when it is low it stores a
checkpoint (each type's position, in the run) and answers CHECKPOINT.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.bill_payments import read_by_ids
from qbo_connector.logic.import_batches import (
    COUNT,
    MAX_BATCH_ITEMS,
    PAGE,
    Ask,
    BatchPlanner,
    QueryAnswer,
    QueryResume,
    TypePass,
)
from qbo_connector.logic.ports import (
    BillWriteBackPort,
    CreditWriteBackPort,
    PaymentWriteBackPort,
    RecordStorePort,
)
from qbo_connector.logic.purchase_orders import PURCHASE_ORDER, bill_po_links, with_billing
from qbo_connector.logic.sync_context import LeaseLost, RunHandle, SyncContext, iso_now
from qbo_connector.models.faults import (
    QboAuthenticationError,
    QboError,
    QboThrottledError,
    QboUnavailableError,
    ReconnectRequired,
    TokenPersistError,
)
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.object_types import PAYMENT_STATUS, is_active, spec
from qbo_connector.models.record import RecordWrite, content_hash
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import Checkpoint, SyncMode, SyncRun, TypeProgress
from qbo_connector.observability import logger

PAGE_SIZE = 1000
CDC_OVERLAP_SECONDS = 300  # clock skew and objects saved while the last sync started
CDC_MAX_AGE_SECONDS = 30 * 86400
CDC_SAFETY_SECONDS = 3600  # fall back to full a little before Intuit's limit
CDC_MAX_OBJECTS = 1000  # per response; a response this long may be truncated
# One round (a batch of up to BATCH_PAGES pages, then storing them) fits well inside this.
MIN_TIME_LEFT_MS = 90_000
# Pages of one /batch round. Bounds the worker's memory: a round's answer is parsed whole
# (~25 MB for 10,000 of the sandbox's rows, about twice that if real rows are twice as
# large), and is stored before the next round is asked for.
BATCH_PAGES = 10

DONE = "done"
CHECKPOINT = "checkpoint"


# Errors that would fail every further call of this run: stop the run, do not go on.
FATAL: tuple[type[BaseException], ...] = (
    QboAuthenticationError,
    QboThrottledError,
    QboUnavailableError,
    ReconnectRequired,
    TokenPersistError,
    LeaseLost,
)


def qbo_entity(object_type: str) -> str:
    return spec(object_type).qbo_entity


def _cdc(object_type: str) -> bool:
    return spec(object_type).cdc


def parse_time(value: str) -> float:
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def qbo_time(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def display_name(obj: dict[str, Any]) -> str | None:
    for key in ("FullyQualifiedName", "DisplayName", "Name", "Code"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def describe_qbo_error(exc: BaseException, object_type: str | None) -> tuple[str, str]:
    """(code, sentence) for the run's errors: what happened and what to do about it."""
    what = f"importing {object_type}" if object_type else "syncing"
    if isinstance(exc, ReconnectRequired):
        return "reconnect_required", (
            f"QuickBooks no longer accepts this legal entity's connection: {exc.reason} "
            "A System Administrator must reconnect it (Settings → ERP Management → Connect "
            "to QuickBooks); then sync again."
        )
    if isinstance(exc, TokenPersistError):
        return "token_storage_failed", (
            "QuickBooks issued new access tokens but they could not be stored; the sync "
            "stopped to keep the connection safe. Start the sync again in a few minutes."
        )
    if isinstance(exc, QboThrottledError):
        return "quickbooks_throttled", (
            f"QuickBooks kept limiting requests while {what} (the limit is shared with the "
            "other apps connected to this company). Start the sync again later, ideally "
            "outside busy hours."
        )
    if isinstance(exc, QboUnavailableError):
        return "quickbooks_unavailable", (
            f"QuickBooks did not answer while {what}, even after several retries. It is "
            "usually temporary: start the sync again in a few minutes."
        )
    if isinstance(exc, QboAuthenticationError):
        return "quickbooks_rejected_token", (
            f"QuickBooks rejected the connection's access while {what}, even after renewing "
            "it. Reconnect the legal entity to QuickBooks, then sync again."
        )
    if isinstance(exc, QboError):
        code = f" (QuickBooks code {exc.code})" if exc.code else ""
        detail = f": {exc.detail}" if exc.detail and exc.detail != exc.message else ""
        return "quickbooks_error", (
            f"QuickBooks refused {what}{code}: {exc.message}{detail}. If it persists, "
            "contact support with the intuit_tid shown."
        )
    return "unexpected_error", (
        f"An unexpected error stopped {what}; it was logged for support. Start the sync "
        "again; if it fails the same way, contact support with this sync's id."
    )


class ImportEngine:
    def __init__(
        self,
        records: RecordStorePort,
        bills: BillWriteBackPort,
        *,
        page_size: int = PAGE_SIZE,
        min_time_left_ms: int = MIN_TIME_LEFT_MS,
        batch: bool = True,
        batch_pages: int = BATCH_PAGES,
        payments: PaymentWriteBackPort | None = None,
        credits: CreditWriteBackPort | None = None,
    ) -> None:
        self._records = records
        self._bills = bills
        self._payments_out = payments
        self._credits = credits
        self._page = page_size
        self._batch = batch  # False: one query per request (the fallback's own path)
        self._batch_pages = batch_pages
        self._min_left = min_time_left_ms
        self._did_work = False

    # -- plan ----------------------------------------------------------------------------

    def plan(self, run: SyncRun, entity: LegalEntity, profile: SyncProfile, now: float) -> None:
        types = list(profile.object_types)
        if entity.preferences.multicurrency_enabled is False:
            # Without multicurrency QBO has no Currency list: don't spend a call learning it.
            types = [t for t in types if not spec(t).needs_multicurrency]
        if entity.preferences.purchase_orders is False:
            # A plan without purchase orders has none to import.
            types = [t for t in types if not spec(t).needs_purchase_orders]
        run.object_types = types
        synced = set((entity.last_sync or {}).get("synced_types") or [])
        last_ok = (
            parse_time(entity.last_successful_sync_at) if entity.last_successful_sync_at else None
        )
        cdc_window = CDC_MAX_AGE_SECONDS - CDC_SAFETY_SECONDS
        since: float | None = None
        methods: dict[str, str]
        if run.mode == SyncMode.FULL:
            methods = dict.fromkeys(types, "full")
            run.effective_mode = "full"
            run.summary = None
        elif run.mode == SyncMode.PARTIAL and run.since:
            since = parse_time(run.since)
            within = now - since < cdc_window
            methods = {t: "cdc" if within and _cdc(t) else "updated_since" for t in types}
            run.effective_mode = "partial"
        elif last_ok is None:
            methods = dict.fromkeys(types, "full")
            run.effective_mode = "full"
            run.summary = "First sync of this legal entity: everything is imported."
        elif now - last_ok + CDC_OVERLAP_SECONDS > cdc_window:
            methods = dict.fromkeys(types, "full")
            run.effective_mode = "full"
            run.summary = (
                "The last successful sync is more than 30 days old, beyond QuickBooks' change "
                "history: everything is imported again."
            )
        else:
            since = last_ok - CDC_OVERLAP_SECONDS
            methods = {
                t: "full" if t not in synced else ("cdc" if _cdc(t) else "updated_since")
                for t in types
            }
            run.effective_mode = "incremental"
        if since is None and profile.import_payments:
            # Payment status still comes from CDC: as far back as it allows.
            since = max(last_ok - CDC_OVERLAP_SECONDS if last_ok else 0.0, now - cdc_window)
        run.changed_since = qbo_time(since) if since is not None else None
        run.progress = {t: TypeProgress(method=methods[t]) for t in types}
        run.cdc_done = False
        run.checkpoint = None

    # -- run -----------------------------------------------------------------------------

    def run(self, ctx: SyncContext, handle: RunHandle) -> str:
        run = handle.run
        profile = ctx.profile or SyncProfile()
        self._did_work = False
        if not run.cdc_done and self._cdc_phase(ctx, handle, profile) == CHECKPOINT:
            return CHECKPOINT
        types = [
            t
            for t in run.object_types
            if run.progress[t].status not in ("done", "failed") and run.progress[t].method != "cdc"
        ]
        if types and self._query_phase(ctx, handle, profile, types) == CHECKPOINT:
            return CHECKPOINT
        handle.save()
        return DONE

    def _time_low(self, ctx: SyncContext) -> bool:
        # Always make some progress per invocation, so continuations cannot loop.
        return self._did_work and ctx.time_left_ms() < self._min_left

    def _checkpoint(self, handle: RunHandle, checkpoint: Checkpoint) -> str:
        handle.run.checkpoint = checkpoint
        logger.info(
            "checkpoint",
            extra={
                "sync_id": handle.run.sync_id,
                "object_type": checkpoint.object_type,
                "phase": checkpoint.phase,
                "start_position": checkpoint.start_position,
            },
        )
        return CHECKPOINT

    def _type_failed(self, handle: RunHandle, object_type: str, exc: BaseException) -> None:
        code, message = describe_qbo_error(exc, object_type)
        handle.progress(object_type, status="failed", error=message)
        handle.add_error(
            message,
            code=code,
            object_type=object_type,
            intuit_tid=getattr(exc, "intuit_tid", None),
            detail=str(exc)[:500],
        )

    # -- CDC -----------------------------------------------------------------------------

    def _cdc_phase(self, ctx: SyncContext, handle: RunHandle, profile: SyncProfile) -> str:
        run = handle.run
        cdc_types = [t for t in run.object_types if run.progress[t].method == "cdc"]
        payments = profile.import_payments and run.changed_since is not None
        entities = [qbo_entity(t) for t in cdc_types]
        if payments:
            entities += list(PAYMENT_STATUS)
            if profile.export_vendor_credits and self._credits is not None:
                # Our credit notes' remaining balance, when the accountant applies them.
                entities.append("VendorCredit")
        po_billing = PURCHASE_ORDER in cdc_types
        if po_billing and "Bill" not in entities:
            # A linked bill edited in QBO changes what its PO lines are billed, not the PO.
            entities.append("Bill")
        if not entities:
            run.cdc_done = True
            return DONE
        checkpoint = run.checkpoint if run.checkpoint and run.checkpoint.phase == "cdc" else None
        assert run.changed_since is not None
        since = checkpoint.cursor if checkpoint and checkpoint.cursor else run.changed_since
        for t in cdc_types:
            handle.progress(t, status="running")
        while True:
            if self._time_low(ctx):
                return self._checkpoint(
                    handle, Checkpoint(cdc_types[0] if cdc_types else "Bill", "cdc", cursor=since)
                )
            try:
                changes = ctx.client.cdc(entities, since)
            except FATAL:
                raise
            except QboError as exc:
                for t in cdc_types:
                    self._type_failed(handle, t, exc)
                run.cdc_done = True
                handle.save()
                return DONE
            self._did_work = True
            total = sum(len(rows) for rows in changes.values())
            for t in cdc_types:
                rows = changes.get(qbo_entity(t)) or changes.get(t) or []
                handle.progress(t, **self._apply(ctx, handle, profile, t, rows))
            if po_billing:
                self._po_billing(ctx, handle, profile, changes)
            if payments:
                self._payments(ctx, changes.get("Bill") or [], changes.get("BillPayment") or [])
                if changes.get("VendorCredit") and self._credits is not None:
                    self._credits.apply_changes(ctx, changes["VendorCredit"])
            if total < CDC_MAX_OBJECTS:
                break
            # Possibly truncated: ask again from the newest change seen (overlap is harmless:
            # unchanged records are recognised by their hash).
            newest = max(
                (
                    parse_time(r["MetaData"]["LastUpdatedTime"])
                    for rows in changes.values()
                    for r in rows
                    if (r.get("MetaData") or {}).get("LastUpdatedTime")
                ),
                default=parse_time(since),
            )
            if newest <= parse_time(since):
                # More than one response's worth changed in the same second: only a full
                # pass is certain to see everything.
                for t in cdc_types:
                    handle.progress(t, method="full", status="pending")
                break
            since = qbo_time(newest)
            run.checkpoint = Checkpoint(cdc_types[0] if cdc_types else "Bill", "cdc", cursor=since)
            handle.save()
        for t in cdc_types:
            if run.progress[t].method == "cdc":
                handle.progress(t, status="done")
        run.cdc_done = True
        run.checkpoint = None
        handle.save()
        return DONE

    def _po_billing(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        changes: dict[str, list[dict[str, Any]]],
    ) -> None:
        """The POs that changed bills bill (and CDC did not report themselves): read and
        stored again with their billing (logic.purchase_orders)."""
        seen = {str(r.get("Id")) for r in changes.get(PURCHASE_ORDER) or []}
        linked = {
            po_id for bill in changes.get("Bill") or [] for po_id, *_ in bill_po_links(bill)
        } - seen
        if linked:
            rows = list(read_by_ids(ctx.client, PURCHASE_ORDER, sorted(linked)).values())
            handle.progress(
                PURCHASE_ORDER, **self._apply(ctx, handle, profile, PURCHASE_ORDER, rows)
            )

    def _payments(
        self, ctx: SyncContext, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> None:
        if bills or bill_payments:
            self._bills.apply_payment_changes(ctx, bills, bill_payments)
        if bill_payments and self._payments_out is not None:
            # Ours, voided or deleted in QBO by the accountant, are recorded as voided.
            self._payments_out.apply_changes(ctx, bill_payments)

    # -- queries (full / updated since) ---------------------------------------------------

    def _where(
        self, profile: SyncProfile, object_type: str, method: str, since: str | None
    ) -> tuple[str, str]:
        parts: list[str] = []
        if method == "updated_since":
            assert since is not None
            parts.append(f"Metadata.LastUpdatedTime >= '{since}'")
        # Changed-since queries need inactive rows too: that is how deactivations show.
        # (A purchase order has no Active: QBO refuses the filter.)
        if spec(object_type).has_active and (profile.include_inactive or method == "updated_since"):
            parts.append("Active IN (true, false)")
        if object_type == "Account" and profile.account_types:
            names = ", ".join(f"'{t}'" for t in profile.account_types)
            parts.append(f"AccountType IN ({names})")
        order = "Metadata.LastUpdatedTime" if method == "updated_since" else "Id"
        return " AND ".join(parts), order

    def _open_pass(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        object_type: str,
        resume: QueryResume,
    ) -> TypePass:
        run = handle.run
        method = run.progress[object_type].method or "full"
        where, order = self._where(profile, object_type, method, run.changed_since)
        start = resume.starts.get(object_type, 1)
        synced = set((ctx.entity.last_sync or {}).get("synced_types") or [])
        if start == 1:
            # A type never imported (or reset) has no state to look up and nothing to
            # sweep: one probe instead of a read per record. A type a past sync imported
            # is taken as stored without asking.
            fresh = (
                method == "full"
                and object_type not in synced
                and not self._records.has_records(ctx.org_id, ctx.legal_entity_id, object_type)
            )
        else:
            fresh = object_type in resume.fresh
        p = TypePass(
            object_type,
            qbo_entity(object_type),
            where,
            order,
            full=method == "full",
            start=start,
            count=resume.counts.get(object_type),
            fresh=fresh,
            # The sweep needs every Id QBO has; only a pass run in one invocation saw
            # them all. A first import has nothing stored to sweep.
            sweep=(
                method == "full"
                and start == 1
                and not fresh
                and not (object_type == "Account" and profile.account_types)
            ),
        )
        handle.progress(object_type, status="running")
        return p

    def _query_phase(
        self, ctx: SyncContext, handle: RunHandle, profile: SyncProfile, types: list[str]
    ) -> str:
        """Every full / changed-since type at once: rounds of up to 30 queries in one
        `/batch` request (COUNT(*) of the full types and their first pages, then the
        pages the counts call for), each answer stored before the next is asked for."""
        run = handle.run
        checkpoint = run.checkpoint
        resume = (
            QueryResume.decode(checkpoint)
            if checkpoint and checkpoint.phase == "query"
            else QueryResume()
        )
        passes: list[TypePass] = []
        for object_type in types:
            passes.append(self._open_pass(ctx, handle, profile, object_type, resume))
        planner = BatchPlanner(
            self._page,
            max_items=MAX_BATCH_ITEMS if self._batch else 1,
            max_pages=self._batch_pages if self._batch else 1,
            counts=self._batch,
        )
        while True:
            for p in passes:
                if not p.done and p.complete_by_count():
                    self._finish_pass(ctx, handle, profile, p)
            active = [p for p in passes if not p.done]
            if not active:
                break
            if self._time_low(ctx):
                return self._checkpoint(handle, QueryResume.of(passes).encode())
            asks = planner.next_round(active)
            if not asks:  # cannot happen (a pass wants a page until it is complete)
                raise RuntimeError(f"import planned no query for {[p.object_type for p in active]}")
            answers = self._ask(ctx, [a.sql for a in asks])
            self._did_work = True
            for ask, answer in zip(asks, answers, strict=True):
                if ask.kind == COUNT:
                    ask.type_pass.count_answer(answer)
            for i, (ask, answer) in enumerate(zip(asks, answers, strict=True)):
                answers[i] = None  # let each answer's rows go once stored
                if ask.kind != PAGE or ask.type_pass.done:
                    continue
                self._page_answer(ctx, handle, profile, ask, answer)
            run.checkpoint = QueryResume.of(passes).encode()
            handle.save()
        run.checkpoint = None
        return DONE

    def _ask(self, ctx: SyncContext, queries: list[str]) -> list[QueryAnswer]:
        """Answers in the order asked: a QueryResponse, or the QboError of that query.

        A Fault in one batch item, or a batch QBO refused as a whole (but not a fault
        that dooms every call, see FATAL), is asked again as a single query."""
        if len(queries) > 1:
            try:
                results = ctx.client.batch_query(queries)
            except FATAL:
                raise
            except QboError as exc:
                logger.warning(
                    "batch of queries refused, asking each alone",
                    extra={"error": str(exc)[:300], "queries": len(queries)},
                )
            else:
                out: list[QueryAnswer] = []
                for sql, result in zip(queries, results, strict=True):
                    if result.fault is None:
                        out.append(result.payload or {})
                        continue
                    logger.warning(
                        "batch item failed, asking it alone",
                        extra={"error": str(result.fault)[:300], "query": sql[:200]},
                    )
                    out.append(self._single(ctx, sql))
                return out
        return [self._single(ctx, sql) for sql in queries]

    @staticmethod
    def _single(ctx: SyncContext, sql: str) -> QueryAnswer:
        try:
            answer: dict[str, Any] = ctx.client.query(sql)
        except FATAL:
            raise
        except QboError as exc:
            return exc
        return answer

    def _page_answer(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        ask: Ask,
        answer: QueryAnswer,
    ) -> None:
        p = ask.type_pass
        if isinstance(answer, QboError):
            self._type_failed(handle, p.object_type, answer)
            p.done = True
            return
        if answer is None or ask.start != p.start:
            # An earlier page of this round came back short (rows left QBO meanwhile):
            # the pass is over; a later page cannot be placed.
            return
        rows = _rows(answer, p.entity)
        fetched = len(rows)
        rows = p.take(rows, self._page)
        counts = self._apply(ctx, handle, profile, p.object_type, rows, fresh=p.fresh)
        counts["fetched"] = fetched
        handle.progress(p.object_type, **counts)
        if p.ended:
            self._finish_pass(ctx, handle, profile, p)

    def _finish_pass(
        self, ctx: SyncContext, handle: RunHandle, profile: SyncProfile, p: TypePass
    ) -> None:
        if p.sweep:
            handle.progress(
                p.object_type, **self._sweep(ctx, handle, profile, p.object_type, p.seen)
            )
        p.done = True
        handle.progress(p.object_type, status="done")

    # -- storing -------------------------------------------------------------------------

    def _apply(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        object_type: str,
        rows: list[dict[str, Any]],
        *,
        fresh: bool = False,
    ) -> dict[str, int]:
        """Store what changed; `fresh`: nothing of this type is stored (a first import),
        so there is nothing to look up."""
        counts = {
            "fetched": len(rows),
            "new": 0,
            "changed": 0,
            "deactivated": 0,
            "deleted": 0,
            "unchanged": 0,
        }
        if not rows:
            return counts
        if object_type == PURCHASE_ORDER:
            rows = with_billing(ctx.client, rows)  # what each PO line has been billed
        states = (
            {}
            if fresh
            else self._records.states(
                ctx.org_id, ctx.legal_entity_id, object_type, [str(r.get("Id")) for r in rows]
            )
        )
        writes: list[RecordWrite] = []
        tombstones: list[str] = []
        for row in rows:
            qbo_id = str(row.get("Id"))
            stored = states.get(qbo_id)
            if row.get("status") == "Deleted":
                if stored is not None and not stored.deleted:
                    tombstones.append(qbo_id)
                    counts["deleted"] += 1
                continue
            if (
                object_type == "Account"
                and profile.account_types
                and row.get("AccountType") not in profile.account_types
            ):
                continue
            active = is_active(object_type, row)
            if not active and not profile.include_inactive and (stored is None or stored.deleted):
                continue
            digest = content_hash(row)
            if stored is not None and not stored.deleted and stored.hash == digest:
                counts["unchanged"] += 1
                continue
            if stored is None or stored.deleted:
                counts["new"] += 1
            elif stored.active and not active:
                counts["deactivated"] += 1
            else:
                counts["changed"] += 1
            writes.append(
                RecordWrite(
                    qbo_id=qbo_id,
                    hash=digest,
                    active=active,
                    deleted=False,
                    name=display_name(row),
                    body=row,
                    qbo_updated_at=(row.get("MetaData") or {}).get("LastUpdatedTime"),
                )
            )
        stamp = iso_now(ctx.clock())
        sync_id = handle.run.sync_id
        self._records.put_many(
            ctx.org_id, ctx.legal_entity_id, object_type, writes, sync_id=sync_id, imported_at=stamp
        )
        if tombstones:
            self._records.mark(
                ctx.org_id,
                ctx.legal_entity_id,
                object_type,
                tombstones,
                sync_id=sync_id,
                imported_at=stamp,
                deleted=True,
            )
        return counts

    def _sweep(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        object_type: str,
        seen: Iterable[str],
    ) -> dict[str, int]:
        """Stored records a full pass did not see are gone from QBO (or inactive, when only
        active rows were asked for)."""
        seen_ids = set(seen)
        stored = self._records.all_states(ctx.org_id, ctx.legal_entity_id, object_type)
        missing = [i for i, s in stored.items() if i not in seen_ids and not s.deleted]
        if not missing:
            return {}
        stamp = iso_now(ctx.clock())
        sync_id = handle.run.sync_id
        if profile.include_inactive:
            self._records.mark(
                ctx.org_id,
                ctx.legal_entity_id,
                object_type,
                missing,
                sync_id=sync_id,
                imported_at=stamp,
                deleted=True,
            )
            return {"deleted": len(missing)}
        now_inactive = [i for i in missing if stored[i].active]
        self._records.mark(
            ctx.org_id,
            ctx.legal_entity_id,
            object_type,
            now_inactive,
            sync_id=sync_id,
            imported_at=stamp,
            active=False,
        )
        return {"deactivated": len(now_inactive)}


def _rows(answer: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    rows = answer.get(entity)
    if rows is None:
        rows = next((v for v in answer.values() if isinstance(v, list)), [])
    return list(rows)
