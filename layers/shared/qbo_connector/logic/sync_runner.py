"""The sync worker's side of a run: claim, import (and export), checkpoint, finish.

Message redelivery is how SQS reports a dead worker: a run whose current step was
already begun by a worker (`claimed_step`) is failed with a reason instead of being run
twice. A lapsed lease taken over by a newer sync fails the old run the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qbo_connector.logic.connection import iso
from qbo_connector.logic.importer import CHECKPOINT, FATAL, ImportEngine, describe_qbo_error
from qbo_connector.logic.ports import (
    BillWriteBackPort,
    CallCounterPort,
    CreditWriteBackPort,
    LegalEntityStorePort,
    PaymentWriteBackPort,
    QboClientPort,
    SyncQueuePort,
    SyncRunStorePort,
    VendorWriteBackPort,
)
from qbo_connector.logic.sync_context import LeaseLost, RunHandle, SyncContext
from qbo_connector.logic.sync_service import DEAD_WORKER_REASON, LEASE_SECONDS, last_sync_summary
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.faults import QboThrottledError, QboUnavailableError
from qbo_connector.models.legal_entity import LegalEntity
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import RunError, RunStatus, SyncRun
from qbo_connector.observability import logger, metrics

MAX_DEFERRALS = 3  # continuations after throttling/outages before the run fails
DEFER_SECONDS = 120


def _field(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"The sync message lacks {name}.", field=name)
    return value


class SyncRunner[CounterT: CallCounterPort]:
    """Runs sync messages. `counter_factory` makes each run's call counter and
    `client_factory` gets that very counter with the entity, to count into it."""

    def __init__(
        self,
        entities: LegalEntityStorePort,
        runs: SyncRunStorePort,
        queue: SyncQueuePort,
        engine: ImportEngine,
        bills: BillWriteBackPort,
        client_factory: Callable[[LegalEntity, CounterT], QboClientPort],
        counter_factory: Callable[[], CounterT],
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
        payments: PaymentWriteBackPort | None = None,
        credits: CreditWriteBackPort | None = None,
        vendors: VendorWriteBackPort | None = None,
    ) -> None:
        self._entities = entities
        self._runs = runs
        self._queue = queue
        self._engine = engine
        self._bills = bills
        self._payments = payments
        self._credits = credits
        self._vendors = vendors
        self._client_factory = client_factory
        self._counter_factory = counter_factory
        self._clock = clock
        self._lease = lease_seconds

    def handle(self, message: dict[str, Any], time_left_ms: Callable[[], int]) -> str:
        """Process one `kind: sync` message; returns what happened (for logs and tests)."""
        org_id = _field(message, "org_id")
        legal_entity_id = _field(message, "legal_entity_id")
        sync_id = _field(message, "sync_id")
        step = int(message.get("step") or 0)
        run = self._runs.get(org_id, legal_entity_id, sync_id)
        if run is None:
            logger.warning("sync message for an unknown run", extra={"sync_id": sync_id})
            return "unknown_run"
        if run.status.finished:
            return "already_finished"  # a duplicate delivery
        if step != run.step:
            return "stale_message"  # an older step delivered twice; the run has moved on
        if run.claimed_step >= step:
            # The worker that began this step is gone (SQS gave its message back).
            self._abandon(run, DEAD_WORKER_REASON)
            return "abandoned"
        entity = self._entities.get(org_id, legal_entity_id)
        if entity is None or entity.running_sync_id != sync_id:
            self._abandon(
                run,
                "The sync waited in the queue longer than its reservation "
                "and another sync of this legal entity started meanwhile; this one "
                "was dropped. See the newer sync in the history.",
            )
            return "superseded"
        now = self._clock()
        if not self._entities.renew_sync_lease(
            org_id, legal_entity_id, sync_id, int(now) + self._lease
        ):
            self._abandon(run, DEAD_WORKER_REASON)
            return "superseded"
        run.claimed_step = step
        profile = SyncProfile.from_dict(entity.sync_profile or {})
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = iso(now)
            run.started_epoch = now
            if entity.data_realm_id != entity.realm_id and entity.realm_id:
                # From now on the entity holds this company's data: connecting it to
                # another company needs an operator's reset first.
                self._entities.update(org_id, legal_entity_id, data_realm_id=entity.realm_id)
            self._engine.plan(run, entity, profile, now)
        self._runs.save(run)

        counter = self._counter_factory()
        handle = RunHandle(
            run,
            save=self._runs.save,
            renew_lease=lambda: self._entities.renew_sync_lease(
                org_id, legal_entity_id, sync_id, int(self._clock()) + self._lease
            ),
            counter=counter,
            clock=self._clock,
        )
        try:
            client = self._client_factory(entity, counter)
            ctx = SyncContext(
                org_id=org_id,
                legal_entity_id=legal_entity_id,
                entity=entity,
                client=client,
                counter=counter,
                run=handle,
                time_left_ms=time_left_ms,
                clock=self._clock,
                profile=profile,
                sync_id=sync_id,
            )
            if self._engine.run(ctx, handle) == CHECKPOINT:
                return self._continue(handle, delay=0)
            self._write_back(ctx, profile)
            return self._finish(handle, fatal=None)
        except LeaseLost:
            logger.warning("sync lease lost", extra={"sync_id": sync_id})
            handle.flush_calls()
            run.errors.append(_error_of(DEAD_WORKER_REASON, "lease_lost", self._clock()))
            self._close(
                run,
                RunStatus.FAILED,
                "The sync lost its reservation of the legal "
                "entity (it took too long without reporting progress) and stopped; "
                "start it again.",
                release=False,
            )
            return "lease_lost"
        except FATAL as exc:
            deferrable = isinstance(exc, QboThrottledError | QboUnavailableError)
            if deferrable and run.deferrals < MAX_DEFERRALS:
                run.deferrals += 1
                logger.warning("QBO busy; sync continues later", extra={"sync_id": sync_id})
                return self._continue(handle, delay=DEFER_SECONDS * run.deferrals)
            return self._finish(handle, fatal=exc)
        except Exception as exc:  # noqa: BLE001 - a bug must end the run as failed, not stuck
            logger.exception("sync failed unexpectedly", extra={"sync_id": sync_id})
            return self._finish(handle, fatal=exc)

    def handle_export_job(self, message: dict[str, Any], time_left_ms: Callable[[], int]) -> str:
        """A `kind: export_bills` message: bill export outside a sync run (issue 7)."""
        org_id = _field(message, "org_id")
        legal_entity_id = _field(message, "legal_entity_id")
        entity = self._entities.get(org_id, legal_entity_id)
        if entity is None:
            logger.warning("export job for an unknown legal entity")
            return "unknown_entity"
        counter = self._counter_factory()
        ctx = SyncContext(
            org_id=org_id,
            legal_entity_id=legal_entity_id,
            entity=entity,
            client=self._client_factory(entity, counter),
            counter=counter,
            run=_LogRecorder(),
            time_left_ms=time_left_ms,
            clock=self._clock,
            profile=SyncProfile.from_dict(entity.sync_profile or {}),
        )
        return str(self._write_back(ctx, ctx.profile or SyncProfile(), job=True))

    def _write_back(
        self, ctx: SyncContext, profile: SyncProfile, job: bool = False
    ) -> dict[str, Any]:
        """Vendors first (a bill may wait for its supplier's vendor), then bills and vendor
        credits, then the payments of bills (a payment waits for its bills' export and may
        apply the credits). An export job (a submission's message) exports the bills
        whatever the profile says."""
        out: dict[str, Any] = {}
        vendors: dict[str, Any] | None = None
        if profile.export_vendors and self._vendors is not None:
            vendors = self._vendors.export_pending(ctx).as_dict()
        if profile.export_bills or job:
            out = self._bills.export_pending(ctx).as_dict()
        if vendors is not None:
            out["vendors"] = vendors
        if profile.export_vendor_credits and self._credits is not None:
            out["vendor_credits"] = self._credits.export_pending(ctx).as_dict()
        if profile.export_payments and self._payments is not None:
            out["payments"] = self._payments.export_pending(ctx).as_dict()
        return out

    def _continue(self, handle: RunHandle, delay: int) -> str:
        run = handle.run
        run.step += 1
        handle.save()
        self._queue.send_sync(
            run.org_id, run.legal_entity_id, run.sync_id, step=run.step, delay_seconds=delay
        )
        return "continued"

    def _finish(self, handle: RunHandle, fatal: BaseException | None) -> str:
        run = handle.run
        handle.flush_calls()
        if fatal is not None:
            code, message = describe_qbo_error(fatal, None)
            run.errors.append(
                _error_of(
                    message,
                    code,
                    self._clock(),
                    getattr(fatal, "intuit_tid", None),
                    str(fatal)[:500],
                )
            )
            for entry in run.progress.values():
                if entry.status in ("pending", "running"):
                    entry.status = "failed"
            status, summary = RunStatus.FAILED, message
        else:
            failed = [t for t in run.object_types if run.progress[t].status == "failed"]
            if not failed:
                status = RunStatus.SUCCEEDED
                summary = _counts_sentence(run)
            elif len(failed) < len(run.object_types):
                status = RunStatus.PARTIALLY_SUCCEEDED
                summary = f"{_counts_sentence(run)} Not imported: {', '.join(failed)} (see errors)."
            else:
                status, summary = RunStatus.FAILED, "Nothing could be imported (see errors)."
        done = [t for t in run.object_types if run.progress[t].status == "done"]
        failed_types = {t for t in run.object_types if run.progress[t].status != "done"}
        entity = self._entities.get(run.org_id, run.legal_entity_id)
        previous = set(((entity.last_sync if entity else None) or {}).get("synced_types") or [])
        # A type that failed may have missed changes: it is imported in full next time.
        run.synced_types = sorted((previous | set(done)) - failed_types)
        if run.summary and status == RunStatus.SUCCEEDED and run.effective_mode == "full":
            summary = f"{run.summary} {summary}"
        self._close(run, status, summary, release=True)
        return str(status)

    def _close(self, run: SyncRun, status: RunStatus, summary: str, release: bool) -> None:
        now = self._clock()
        run.status = status
        run.summary = summary
        run.finished_at = iso(now)
        run.checkpoint = None
        if run.started_epoch is not None:
            run.duration_seconds = round(now - run.started_epoch, 3)
        if self._runs.finish_if_open(run):
            metrics.add_metric(name=f"SyncRuns_{status}", unit="Count", value=1)
            metrics.add_metric(name="QboApiCalls", unit="Count", value=run.total_api_calls())
        if release:
            self._entities.release_sync_lease(
                run.org_id, run.legal_entity_id, run.sync_id, last_sync_summary(run)
            )

    def _abandon(self, run: SyncRun, reason: str) -> None:
        run.errors.append(_error_of(reason, "worker_stopped", self._clock()))
        for entry in run.progress.values():
            if entry.status in ("pending", "running"):
                entry.status = "failed"
        entity = self._entities.get(run.org_id, run.legal_entity_id)
        ours = entity is not None and entity.running_sync_id == run.sync_id
        self._close(run, RunStatus.FAILED, reason, release=ours)


class _LogRecorder:
    """Outside a sync run there is no run record: problems go to the log."""

    def add_error(
        self,
        message: str,
        *,
        code: str,
        object_type: str | None = None,
        intuit_tid: str | None = None,
        detail: str | None = None,
    ) -> None:
        logger.warning(
            message, extra={"code": code, "object_type": object_type, "intuit_tid": intuit_tid}
        )

    def progress(self, object_type: str, **counts: Any) -> None:
        logger.info("progress", extra={"object_type": object_type, **counts})


def _error_of(
    message: str, code: str, now: float, tid: str | None = None, detail: str | None = None
) -> RunError:
    return RunError(message=message, code=code, intuit_tid=tid, at=iso(now), detail=detail)


def _counts_sentence(run: SyncRun) -> str:
    t = run.totals()
    return (
        f"{t['new']} new, {t['changed']} changed, {t['deactivated']} deactivated, "
        f"{t['deleted']} deleted, {t['unchanged']} unchanged; "
        f"{run.total_api_calls()} QuickBooks API calls."
    )
