"""The fuzz suite's tenant, and its figures printed after the run (also with -q)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fuzz.fuzzing import EXAMPLES, SEED, TALLY, Tenant


@pytest.fixture(scope="module")
def tenant(stack: Any) -> Tenant:
    """One per module: the API fuzzing may disconnect its entity, the body fuzzing
    needs one that stays connected."""
    return Tenant(stack)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not TALLY["answers"]:
        return
    statuses = ", ".join(f"{TALLY[key]} {key}" for key in ("2xx", "3xx", "4xx", "5xx"))
    operations = sum(1 for key in TALLY if key.startswith("operation "))
    callers = sum(1 for key in TALLY if key.startswith("role "))
    terminalreporter.write_line(
        f"fuzz (seed {SEED}, {EXAMPLES} examples each): {TALLY['answers']} cases "
        f"({TALLY['schema cases']} from the OpenAPI document over {operations} operations "
        f"and {callers} callers, {TALLY['body cases']} near-valid bodies); {statuses}; "
        f"{TALLY['violations']} broke the error contract"
    )
