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


import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The whole local stack (moto server, QBO sandbox, gateway), once per session.

    Tests isolate themselves with fresh organization and legal entity ids.
    """
    from qbo_connector import wiring

    from local_stack.stack import LocalStack

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
