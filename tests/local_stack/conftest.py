"""Local-stack fixtures: one stack per module on a test-only template with fake handlers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.stack import LocalStack

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


@pytest.fixture(scope="module")
def fixture_stack() -> Iterator[LocalStack]:
    stack = LocalStack(
        FIXTURE_TEMPLATE,
        sandbox=False,
        env_overrides={"OVERRIDDEN": "from-override"},
        visibility_timeout=0,
    )
    with stack:
        yield stack


@pytest.fixture(scope="module")
def real_stack() -> Iterator[LocalStack]:
    """The project's template.yaml with a stand-in sandbox URL (handlers are not called)."""
    with LocalStack(sandbox_base_url="http://127.0.0.1:9/sandbox") as stack:
        yield stack
