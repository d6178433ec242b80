"""The short mixed soak (bench/soak.py): several organizations' legal entities, syncs,
bill, vendor and payment exports, forced token refreshes, faults on the QuickBooks and
AWS sides at once and sync workers killed at random; then the reconciliation."""

from __future__ import annotations

from typing import Any

from bench.soak import run_soak


def test_nothing_lost_nothing_twice_no_reconnect_under_mixed_faults(stack: Any) -> None:
    report = run_soak(stack, orgs=2, entities=2, bills=12, rounds=8, seed=18)
    print("\n" + "\n".join(report.lines()))
    assert report.duplicates == [] and report.lost == []
    assert report.reconnects == []
    assert report.not_final == []
    # The soak did what it says: faults on both sides, kills, rotations.
    assert sum(report.aws_faults.values()) > 0 and sum(report.qbo_faults.values()) > 0
    assert report.refreshes >= 2 and report.operations["bills"] == 48
    assert report.kills >= 1
    assert {k for k in report.operations if k.startswith("syncs")} == {
        "syncs (manual)", "syncs (schedule)", "syncs (webhook)"}
