"""`make demo` must keep walking the whole guide: run it as a newcomer would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_walks_the_guide_to_the_end():
    done = subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "The callback page asks: Connect the QuickBooks company" in out
    assert "Clicked Connect; the page says: Connected to QuickBooks (HTTP 200)." in out
    assert "Sync is refused: HTTP 412" in out
    assert "Result: succeeded" in out
    assert "trigger schedule, succeeded" in out
    assert "INV-1001  exported" in out  # same number, two vendors: both exported
    assert "ACC-77    duplicate" in out  # typed into QBO by the accountant: not twice
    assert "is now partially_paid" in out
    assert "The supplier portal onboards Cascade Paper Supply" in out
    # The table's rows: the new vendor, its bill and its credit note, all exported.
    for what in ("vendor Cascade Paper Supply", "bill CPS-1001", "credit note CPS-CN-7"):
        assert re.search(rf"{what}\s+exported", out), what
    assert "the worker creates the vendor first" in out
    assert "PO 1001 is Open: 110.00 billed of 200.00" in out  # a PO-matched bill, read back
    assert "is more than the open amount 50.00 of purchase order 1001" in out
    assert "Web console, to watch the demo live: http://127.0.0.1:" in out
    assert "Done:" in out
    assert '{"level"' not in out  # plain words, not the functions' JSON logs
