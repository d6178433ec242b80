"""Test session setup: import paths exactly as Lambda lays them out.

The shared layer is importable as `qbo_connector`; each function directory is
on the path so handlers import by their own (distinct) module names.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in [ROOT, ROOT / "layers" / "shared", *sorted((ROOT / "functions").glob("*/"))]:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


import re  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The whole local stack (moto server, QBO sandbox, gateway), once per session.

    Tests isolate themselves with fresh organization and legal entity ids.
    """
    from local_stack.stack import LocalStack
    from qbo_connector import wiring

    with LocalStack(sandbox=True) as running:
        wiring.reset()
        yield running
    wiring.reset()


@pytest.fixture
def ids() -> dict[str, str]:
    """Fresh organization / legal entity / realm ids for one test."""
    suffix = uuid.uuid4().hex[:10]
    return {
        "org": f"org-{suffix}",
        "le": f"le-{suffix}",
        "realm": str(9130350000000000 + int(suffix[:7], 16)),
    }


# -- secrets never reach a log line -------------------------------------------------------
# Every sandbox of the session records each code, token and client secret it hands out;
# every test's captured stdout, stderr and log records are kept; at the end, any of those
# secrets appearing in any captured line fails the run.

_SANDBOXES: list[Any] = []
_CAPTURED: list[str] = []
_TOKENISH = re.compile(r"[A-Za-z0-9_\-]{16,}")


def pytest_configure(config: pytest.Config) -> None:
    from qbo_sandbox import app

    original = app.Sandbox.__init__

    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _SANDBOXES.append(self)

    app.Sandbox.__init__ = recording_init  # type: ignore[method-assign]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _CAPTURED.extend((report.capstdout, report.capstderr, report.caplog))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    issued: set[str] = set()
    for sandbox in _SANDBOXES:
        issued |= sandbox.issued_secrets()
    seen = {word for text in _CAPTURED for word in _TOKENISH.findall(text)}
    leaked = issued & seen
    print(
        f"\nsecret leak check: {len(issued)} issued secrets, {len(seen)} distinct words "
        f"in {len(_CAPTURED)} captured outputs, {len(leaked)} leaked"
    )
    if leaked:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            "A code, token or client secret reached captured output "
            f"(showing prefixes): {sorted(s[:6] + '…' for s in leaked)}"
        )
