"""Faults and dead workers over the local stack: retried, failed readably, or taken over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qbo_connector import wiring
from qbo_connector.adapters.intuit_oauth import TokenSet
from qbo_connector.adapters.sync_run_store import SyncRunStore
from qbo_connector.adapters.token_vault import TokenVault
from tests.sync.conftest import Entity


@pytest.fixture()
def no_backoff_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's QBO client without real back-off sleeps (the retry logic is unchanged)."""
    from qbo_connector.adapters.qbo_client import QboClient, RealmPacer

    real = wiring.qbo_client_for

    def client_for(entity: Any, counter: Any = None) -> QboClient:
        client: QboClient = real(entity, counter)
        client._sleep = lambda _s: None  # type: ignore[method-assign]
        client.pacer = RealmPacer(per_second=10**6, per_minute=10**6, batch_per_minute=10**6)
        return client

    monkeypatch.setattr(wiring, "qbo_client_for", client_for)


def _start(entity: Entity) -> str:
    status, body = entity.start_sync()
    assert status == 202, body
    return str(body["sync_id"])


def test_throttling_and_outage_mid_sync_are_retried(
    make_entity: Callable[..., Entity], no_backoff_waits: None
) -> None:
    entity = make_entity()
    entity.sandbox.inject_fault("429", count=2, realm=entity.realm)
    entity.sandbox.inject_fault("503", count=1, realm=entity.realm)
    sync_id = _start(entity)
    entity.stack.drain()
    run = entity.run(sync_id)
    assert run["status"] == "succeeded", run
    assert run["api_calls"]["retries"] == 3
    # One batch request brings the ten types (counts and pages); plus the three retries.
    assert run["api_calls"]["total"] == 1 + 3
    assert run["errors"] == []


def test_dead_connection_fails_the_run_readably(
    make_entity: Callable[..., Entity], no_backoff_waits: None
) -> None:
    entity = make_entity()
    # Tokens Intuit no longer knows: the 401's refresh ends in invalid_grant.
    TokenVault().save(
        entity.org_id,
        entity.le_id,
        TokenSet(
            access_token="eyJ.revoked",
            refresh_token="RT1-revoked",
            access_expires_at=4e9,
            refresh_expires_at=4e9,
            realm_id=entity.realm,
            obtained_at=1.0,
        ),
    )
    from qbo_connector.adapters import token_cache

    token_cache.reset_cache()
    sync_id = _start(entity)
    entity.stack.drain()
    run = entity.run(sync_id)
    assert run["status"] == "failed"
    assert run["errors"][0]["code"] == "reconnect_required"
    assert "reconnect" in run["errors"][0]["message"]
    current = entity.store().get(entity.org_id, entity.le_id)
    assert current is not None
    assert current.running_sync_id is None  # the lease is released
    assert str(current.connection_state) == "reconnect_required"


def test_expired_lease_of_a_dead_worker_lets_the_next_sync_run(
    make_entity: Callable[..., Entity],
) -> None:
    entity = make_entity()
    dead = _start(entity)
    # The worker died with the message; its lease lapses (moved back, no waiting).
    queue_url = entity.stack.env["SYNC_QUEUE_URL"]
    entity.stack.client("sqs").purge_queue(QueueUrl=queue_url)
    entity.store().update(entity.org_id, entity.le_id, sync_lease_expires_at=1)

    status, body = entity.start_sync()
    assert status == 202, body
    entity.stack.drain()
    assert entity.run(body["sync_id"])["status"] == "succeeded"
    abandoned = entity.run(dead)
    assert abandoned["status"] == "failed"
    assert abandoned["errors"][-1]["code"] == "worker_stopped"
    assert "start the sync again" in abandoned["summary"]


def test_redelivered_message_of_a_dead_worker_fails_its_run(
    make_entity: Callable[..., Entity],
) -> None:
    entity = make_entity()
    sync_id = _start(entity)
    runs = SyncRunStore()
    run = runs.get(entity.org_id, entity.le_id, sync_id)
    assert run is not None
    # What a worker that claimed step 0 and then died leaves behind.
    from qbo_connector.models.sync_run import RunStatus

    run.status, run.claimed_step = RunStatus.RUNNING, 0
    runs.save(run)
    entity.stack.drain()  # SQS hands the message out again
    after = entity.run(sync_id)
    assert after["status"] == "failed"
    assert after["errors"][-1]["code"] == "worker_stopped"
    status, body = entity.start_sync()
    assert status == 202, body  # the entity is free again
    entity.stack.drain()


def test_a_lasting_outage_defers_the_run_then_fails_it_readably(
    make_entity: Callable[..., Entity], no_backoff_waits: None
) -> None:
    import json

    from tests.events import load_event

    entity = make_entity()
    entity.sandbox.inject_fault("503", count=10_000, realm=entity.realm)
    sync_id = _start(entity)
    entity.stack.drain()  # first attempt: QBO answers 503 to every retry
    for step in range(1, 5):
        run = entity.run(sync_id)
        if run["status"] == "failed":
            break
        assert run["status"] == "running", run
        # The continuation waits in SQS (DelaySeconds) while QBO recovers; deliver it now,
        # as SQS would after the delay, with the sample event. (The delayed copy left in
        # the queue finds its step already done when it surfaces, and is dropped.)
        event = load_event("sync-worker-continuation.json")
        event["Records"][0]["body"] = json.dumps(
            {
                "kind": "sync",
                "org_id": entity.org_id,
                "legal_entity_id": entity.le_id,
                "sync_id": sync_id,
                "step": step,
            }
        )
        answer = entity.stack.invoke("SyncWorkerFunction", event)
        assert answer == {"batchItemFailures": []}, answer
    run = entity.run(sync_id)
    assert run["status"] == "failed", run
    assert run["errors"], run
    message = run["errors"][-1]["message"]
    assert "QuickBooks did not answer" in message and "start the sync again" in message
    # The first attempt and three deferred continuations each tried QBO, with retries.
    attempts_per_invocation = run["api_calls"]["total"] // 4
    assert attempts_per_invocation > 1 and run["api_calls"]["total"] % 4 == 0, run["api_calls"]
    current = entity.store().get(entity.org_id, entity.le_id)
    assert current is not None and current.running_sync_id is None  # the entity is free
    entity.sandbox.clear_faults()
    assert _start(entity)
