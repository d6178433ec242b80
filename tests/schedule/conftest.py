"""Shared fixtures for the schedule tests: import paths and a moto server for EventBridge."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
# Guarded: a root conftest may already put these on sys.path.
for _path in (_ROOT / "layers" / "shared", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import moto.backends  # noqa: E402
import moto.core.responses  # noqa: E402
import moto.moto_server.werkzeug_app  # noqa: E402

from qbo_connector.adapters import aws  # noqa: E402
from tests.moto_server import moto_server, reset_moto  # noqa: E402

# The adapter tests assert this same ARN.
TARGET_ARN = "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-scheduled-sync"


def _quiet_fast_moto() -> None:
    """Test-only tuning of the in-process moto server (behaviour unchanged).

    moto re-lists its package directory (~175 stat() calls) on every request to
    route it; the listing never changes while the process runs, so cache it. This
    cuts the per-request cost a lot, which matters for the 300-entity rules test
    (~2,000 calls) and the 10,000-schedule test (~20,000). Werkzeug's per-request
    access log is silenced too.
    """
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    # Same for the per-request inspect.getmembers() of the response class.
    moto.core.responses.method_names_from_class = functools.cache(  # type: ignore[assignment]
        moto.core.responses.method_names_from_class
    )
    # And the host -> backend lookup (a regex per backend, twice a request): a pure
    # function of the host for the server's lifetime. Cached per host string.
    dispatcher = moto.moto_server.werkzeug_app.DomainDispatcherApplication
    if not getattr(dispatcher, "_qbo_cached", False):
        lookup = dispatcher.get_backend_for_host
        known: dict[str | None, Any] = {}

        def cached(self: Any, host: str | None) -> Any:
            if host not in known:
                known[host] = lookup(self, host)
            return known[host]

        dispatcher.get_backend_for_host = cached  # type: ignore[method-assign]
        dispatcher._qbo_cached = True  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    _quiet_fast_moto()
    with moto_server() as url:
        yield url


@pytest.fixture()
def events(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real boto3 EventBridge client on a freshly reset moto server."""
    # Each test starts from an empty account (moto's reset endpoint).
    reset_moto(moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("SCHEDULED_SYNC_FUNCTION_ARN", TARGET_ARN)
    monkeypatch.setenv("SCHEDULE_RULE_PREFIX", "qbo-connector-sched-")
    from qbo_connector.config import get_settings

    get_settings.cache_clear()
    aws.reset()
    yield aws.client("events")
    aws.reset()
    get_settings.cache_clear()


GROUP = "qbo-connector-test"
ROLE_ARN = "arn:aws:iam::123456789012:role/qbo-connector-scheduler-invoke"


@pytest.fixture()
def scheduler(events: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real boto3 EventBridge Scheduler client on the same fresh moto server, with the
    stage's schedule group created (the template's SyncScheduleGroup)."""
    monkeypatch.setenv("SCHEDULE_GROUP_NAME", GROUP)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("SCHEDULE_WINDOW_MINUTES", "15")
    from qbo_connector.config import get_settings

    get_settings.cache_clear()
    client = aws.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    yield client


@pytest.fixture()
def moto_process() -> Iterator[str]:
    """A moto server in a process of its own (same tuning): the 10,000-schedule test's
    client and server then use a core each instead of sharing one interpreter."""
    from tests.schedule.moto_process import running

    with running() as url:
        yield url
