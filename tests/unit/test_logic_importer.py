"""Sync planning (logic/importer.py, ImportEngine.plan): per type, full / cdc / updated_since.

The plan is chosen once by a run's first invocation and decides how much QuickBooks is
asked: a full read when nothing or too old a sync is known, change-data-capture since
the last success (minus an overlap) otherwise, changed-since queries for the types CDC
does not serve.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from qbo_connector.logic.importer import (
    CDC_MAX_AGE_SECONDS,
    CDC_OVERLAP_SECONDS,
    CDC_SAFETY_SECONDS,
    ImportEngine,
)
from qbo_connector.models.legal_entity import CompanyPreferences
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.models.sync_run import Checkpoint, RunStatus, SyncMode, SyncRun, Trigger
from tests.unit.fakes import LE, ORG, T0, entity

DAY = 86400
TYPES = ("Vendor", "Account", "TaxCode", "Currency")
WINDOW = CDC_MAX_AGE_SECONDS - CDC_SAFETY_SECONDS


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def qbo(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def plan(
    mode: SyncMode = SyncMode.INCREMENTAL,
    *,
    since: str | None = None,
    last_ok: float | None = None,
    synced: tuple[str, ...] = TYPES,
    profile: SyncProfile | None = None,
    multicurrency: bool | None = True,
) -> SyncRun:
    run = SyncRun(ORG, LE, "s-1", Trigger.MANUAL, mode, RunStatus.RUNNING, iso(T0), since=since)
    run.checkpoint = Checkpoint("Vendor", "query", 1001)  # a leftover the plan must clear
    run.cdc_done = True
    e = entity(
        last_successful_sync_at=iso(last_ok) if last_ok is not None else None,
        last_sync={"synced_types": list(synced)},
        preferences=CompanyPreferences(multicurrency_enabled=multicurrency),
    )
    # Planning reads neither records nor bills: the engine's ports are not touched.
    engine = ImportEngine(records=None, bills=None)  # type: ignore[arg-type]
    engine.plan(run, e, profile or SyncProfile(object_types=TYPES), T0)
    return run


def methods(run: SyncRun) -> dict[str, Any]:
    return {t: p.method for t, p in run.progress.items()}


def test_the_first_sync_reads_everything() -> None:
    run = plan(last_ok=None)
    assert run.effective_mode == "full"
    assert set(methods(run).values()) == {"full"}
    assert run.summary and "First sync" in run.summary
    assert run.changed_since is None


def test_an_incremental_sync_uses_cdc_and_queries_for_what_cdc_lacks() -> None:
    last_ok = T0 - 2 * DAY
    run = plan(last_ok=last_ok)
    assert run.effective_mode == "incremental"
    assert methods(run) == {
        "Vendor": "cdc",
        "Account": "cdc",
        "TaxCode": "updated_since",  # CDC does not serve TaxCode
        "Currency": "cdc",
    }
    assert run.changed_since == qbo(last_ok - CDC_OVERLAP_SECONDS)
    # Some overlap before the last success: objects saved while it started are not lost.
    assert qbo(last_ok - 300) >= run.changed_since


def test_a_type_never_imported_is_read_in_full() -> None:
    run = plan(last_ok=T0 - DAY, synced=("Vendor", "TaxCode"))
    assert methods(run) == {
        "Vendor": "cdc",
        "Account": "full",
        "TaxCode": "updated_since",
        "Currency": "full",
    }


def test_a_last_success_beyond_cdcs_history_reads_everything_again() -> None:
    run = plan(last_ok=T0 - 31 * DAY)
    assert run.effective_mode == "full"
    assert set(methods(run).values()) == {"full"}
    assert "more than 30 days" in (run.summary or "")


def test_the_cdc_window_boundary_keeps_a_safety_margin() -> None:
    inside = T0 - WINDOW + CDC_OVERLAP_SECONDS  # exactly at the edge: still CDC
    outside = inside - 1
    assert plan(last_ok=inside).effective_mode == "incremental"
    assert plan(last_ok=outside).effective_mode == "full"
    assert WINDOW < 30 * DAY  # Intuit's limit is never reached


def test_a_full_sync_reads_everything_whatever_was_synced() -> None:
    run = plan(SyncMode.FULL, last_ok=T0 - DAY)
    assert run.effective_mode == "full"
    assert set(methods(run).values()) == {"full"}
    assert run.summary is None
    assert run.changed_since is None


def test_a_recent_partial_sync_uses_cdc_from_its_date() -> None:
    since = iso(T0 - 5 * DAY)
    run = plan(SyncMode.PARTIAL, since=since, last_ok=T0 - DAY)
    assert run.effective_mode == "partial"
    assert methods(run)["Vendor"] == "cdc"
    assert methods(run)["TaxCode"] == "updated_since"
    assert run.changed_since == qbo(T0 - 5 * DAY)  # no overlap: the date asked for


def test_an_old_partial_sync_queries_every_type() -> None:
    run = plan(SyncMode.PARTIAL, since=iso(T0 - 90 * DAY), last_ok=None)
    assert run.effective_mode == "partial"
    assert set(methods(run).values()) == {"updated_since"}


@pytest.mark.parametrize(
    ("multicurrency", "has_currency"), [(False, False), (True, True), (None, True)]
)
def test_currency_is_skipped_only_when_multicurrency_is_known_off(
    multicurrency: bool | None, has_currency: bool
) -> None:
    run = plan(last_ok=T0 - DAY, multicurrency=multicurrency)
    assert ("Currency" in run.object_types) is has_currency
    assert ("Currency" in run.progress) is has_currency


def test_payment_status_needs_a_cdc_window_even_on_a_full_sync() -> None:
    profile = SyncProfile(object_types=TYPES, export_bills=True, import_payments=True)
    run = plan(SyncMode.FULL, profile=profile, last_ok=None)
    assert run.changed_since == qbo(T0 - WINDOW)
    recent = plan(SyncMode.FULL, profile=profile, last_ok=T0 - DAY)
    assert recent.changed_since == qbo(T0 - DAY - CDC_OVERLAP_SECONDS)


def test_a_plan_starts_clean() -> None:
    run = plan(last_ok=T0 - DAY)
    assert run.checkpoint is None
    assert run.cdc_done is False
    assert all(p.status == "pending" and p.fetched == 0 for p in run.progress.values())
    assert run.object_types == list(TYPES)
