"""The master-data import engine of a sync run.

Plan (chosen once, by the run's first invocation, and kept in the run):
- full (first sync, mode full, a type never imported, or the last success is older than
  CDC's 30-day look-back): page through the type, 1000 rows a call, `Active IN (true,
  false)` so inactive records come too, then mark stored records QBO no longer has;
- incremental: one change-data-capture call for all CDC types since the last successful
  sync minus a small overlap (deletions come as `status: Deleted`), and
  `Metadata.LastUpdatedTime >=` queries for TaxCode/TaxRate, which CDC does not cover;
- partial from a date: the same, from that date (queries only, beyond 30 days).

Frugal: a record whose content hash did not change is not written. Resumable: before
each QBO call the engine checks the Lambda's time left; when it is low it stores a
checkpoint (type, phase, start position) in the run and answers CHECKPOINT.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from qbo_connector.logic.ports import BillWriteBackPort, RecordStorePort
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
from qbo_connector.models.object_types import PAYMENT_STATUS, spec
from qbo_connector.models.record import RecordWrite, content_hash
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import Checkpoint, SyncMode, SyncRun, TypeProgress
from qbo_connector.observability import logger

PAGE_SIZE = 1000
CDC_OVERLAP_SECONDS = 300  # clock skew and objects saved while the last sync started
CDC_MAX_AGE_SECONDS = 30 * 86400
CDC_SAFETY_SECONDS = 3600  # fall back to full a little before Intuit's limit
CDC_MAX_OBJECTS = 1000  # per response; a response this long may be truncated
MIN_TIME_LEFT_MS = 90_000  # one page of 1000 rows plus saving it fits well inside this

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
    ) -> None:
        self._records = records
        self._bills = bills
        self._page = page_size
        self._min_left = min_time_left_ms
        self._did_work = False

    # -- plan ----------------------------------------------------------------------------

    def plan(self, run: SyncRun, entity: LegalEntity, profile: SyncProfile, now: float) -> None:
        types = list(profile.object_types)
        if entity.preferences.multicurrency_enabled is False:
            # Without multicurrency QBO has no Currency list: don't spend a call learning it.
            types = [t for t in types if not spec(t).needs_multicurrency]
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
        for object_type in run.object_types:
            entry = run.progress[object_type]
            if entry.status in ("done", "failed") or entry.method == "cdc":
                continue
            try:
                if self._query_pass(ctx, handle, profile, object_type) == CHECKPOINT:
                    return CHECKPOINT
            except FATAL:
                raise
            except QboError as exc:
                self._type_failed(handle, object_type, exc)
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
            if payments:
                self._payments(ctx, changes.get("Bill") or [], changes.get("BillPayment") or [])
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

    def _payments(
        self, ctx: SyncContext, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> None:
        if bills or bill_payments:
            self._bills.apply_payment_changes(ctx, bills, bill_payments)

    # -- queries (full / updated since) ---------------------------------------------------

    def _where(
        self, profile: SyncProfile, object_type: str, method: str, since: str | None
    ) -> tuple[str, str]:
        parts: list[str] = []
        if method == "updated_since":
            assert since is not None
            parts.append(f"Metadata.LastUpdatedTime >= '{since}'")
        # Changed-since queries need inactive rows too: that is how deactivations show.
        if profile.include_inactive or method == "updated_since":
            parts.append("Active IN (true, false)")
        if object_type == "Account" and profile.account_types:
            names = ", ".join(f"'{t}'" for t in profile.account_types)
            parts.append(f"AccountType IN ({names})")
        order = "Metadata.LastUpdatedTime" if method == "updated_since" else "Id"
        return " AND ".join(parts), order

    def _query_pass(
        self, ctx: SyncContext, handle: RunHandle, profile: SyncProfile, object_type: str
    ) -> str:
        run = handle.run
        entry = run.progress[object_type]
        checkpoint = run.checkpoint
        start = 1
        if checkpoint and checkpoint.phase == "query" and checkpoint.object_type == object_type:
            start = checkpoint.start_position
        # The sweep needs every Id QBO has; only a pass run in one invocation saw them all.
        seen: set[str] | None = set() if start == 1 and entry.method == "full" else None
        where, order = self._where(profile, object_type, entry.method or "full", run.changed_since)
        entity = qbo_entity(object_type)
        base = f"SELECT * FROM {entity}"  # noqa: S608 - QBO query language, fixed names
        if where:
            base += f" WHERE {where}"
        base += f" ORDERBY {order}"
        handle.progress(object_type, status="running")
        while True:
            if self._time_low(ctx):
                return self._checkpoint(handle, Checkpoint(object_type, "query", start))
            answer = ctx.client.query(f"{base} STARTPOSITION {start} MAXRESULTS {self._page}")
            self._did_work = True
            rows = _rows(answer, entity)
            if seen is not None:
                seen.update(str(r.get("Id")) for r in rows)
            handle.progress(object_type, **self._apply(ctx, handle, profile, object_type, rows))
            start += len(rows)
            if len(rows) < self._page:
                break
            run.checkpoint = Checkpoint(object_type, "query", start)
            handle.save()
        if seen is not None and not (object_type == "Account" and profile.account_types):
            handle.progress(object_type, **self._sweep(ctx, handle, profile, object_type, seen))
        run.checkpoint = None
        handle.progress(object_type, status="done")
        return DONE

    # -- storing -------------------------------------------------------------------------

    def _apply(
        self,
        ctx: SyncContext,
        handle: RunHandle,
        profile: SyncProfile,
        object_type: str,
        rows: list[dict[str, Any]],
    ) -> dict[str, int]:
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
        states = self._records.states(
            ctx.org_id, ctx.legal_entity_id, object_type, [str(r.get("Id")) for r in rows]
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
            active = row.get("Active", True) is not False
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
