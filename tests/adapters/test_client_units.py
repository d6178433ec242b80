"""Pure unit tests: back-off maths, pacer windows on a fake clock, counters, TokenSet,
OAuth error mapping. No network."""

from __future__ import annotations

import json
import random

import pytest
import requests
from intuitlib.exceptions import AuthClientError

from qbo_connector.adapters.intuit_oauth import (
    IntuitUnavailable,
    OAuthClientInvalid,
    OAuthError,
    OAuthGrantInvalid,
    OAuthTokenRejected,
    TokenSet,
    _error_from_auth_client,
)
from qbo_connector.adapters.qbo_client import CallCounter, RealmPacer, RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# -- back-off -------------------------------------------------------------------------------


def test_backoff_ceiling_grows_exponentially_and_is_capped() -> None:
    p = RetryPolicy(max_attempts=8, base=0.5, cap=4.0, throttle_base=5.0, throttle_cap=60.0)
    assert [p.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [p.ceiling(n, throttled=True) for n in range(1, 6)] == [5.0, 10.0, 20.0, 40.0, 60.0]


def test_backoff_full_jitter_stays_within_bounds() -> None:
    p = RetryPolicy()
    rng = random.Random(7)
    for attempt in range(1, 6):
        for throttled in (False, True):
            delays = [p.delay(attempt, throttled, rng) for _ in range(200)]
            assert all(0.0 <= d <= p.ceiling(attempt, throttled) for d in delays)
            # Full jitter: spread over the whole range, not clustered at the ceiling.
            assert min(delays) < p.ceiling(attempt, throttled) / 4


# -- pacer ----------------------------------------------------------------------------------


def test_pacer_per_second_window() -> None:
    clock = FakeClock()
    pacer = RealmPacer(per_second=10, per_minute=500, clock=clock)
    waits = [pacer.reserve("r1") for _ in range(10)]
    assert waits == [0.0] * 10
    assert pacer.reserve("r1") == pytest.approx(1.0)
    # Another realm has its own budget.
    assert pacer.reserve("r2") == 0.0


def test_pacer_waits_via_injected_sleep_and_queues_callers() -> None:
    clock = FakeClock()
    pacer = RealmPacer(per_second=2, per_minute=500, clock=clock)
    start = clock.now
    for _ in range(6):
        pacer.acquire("r", sleep=clock.sleep)
    # 6 calls at 2/s: slots at 0, 0, 1, 1, 2, 2.
    assert clock.now - start == pytest.approx(2.0)


def test_pacer_per_minute_window() -> None:
    clock = FakeClock()
    pacer = RealmPacer(per_second=1000, per_minute=500, clock=clock)
    for _ in range(500):
        pacer.acquire("r", sleep=clock.sleep)
    assert clock.now == 1000.0
    assert pacer.reserve("r") == pytest.approx(60.0)


def test_pacer_batch_window_and_batches_count_as_calls() -> None:
    clock = FakeClock()
    pacer = RealmPacer(per_second=1000, per_minute=500, batch_per_minute=40, clock=clock)
    for _ in range(40):
        assert pacer.reserve("r", batch=True) == 0.0
    assert pacer.reserve("r") == 0.0  # plain calls are not held by the batch window
    assert pacer.reserve("r", batch=True) == pytest.approx(60.0)


def test_pacer_forgets_old_calls() -> None:
    clock = FakeClock()
    pacer = RealmPacer(per_second=10, per_minute=20, clock=clock)
    for _ in range(20):
        pacer.acquire("r", sleep=clock.sleep)
    clock.now += 61
    assert pacer.reserve("r") == 0.0


# -- counter --------------------------------------------------------------------------------


def test_counter() -> None:
    c = CallCounter()
    c.add("query", 3)
    c.add("create")
    c.add("retries", 2)
    c.add("throttled")
    d = c.as_dict()
    assert d["query"] == 3 and d["create"] == 1 and d["throttled"] == 1
    assert c.api_calls == d["api_calls"] == 6


# -- TokenSet -------------------------------------------------------------------------------


def test_token_set_repr_hides_secrets_and_round_trips() -> None:
    t = TokenSet.from_token_response(
        {
            "access_token": "eyJ-access-SECRET",
            "refresh_token": "AB11-refresh-SECRET",
            "token_type": "bearer",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
            "x_refresh_token_hard_expires_in": 157680000,
        },
        realm_id="9130",
        now=1_000_000.0,
        id_token="id-SECRET",
    )
    assert t.access_expires_at == 1_003_600.0
    assert t.refresh_expires_at == 1_000_000.0 + 8726400
    assert t.refresh_hard_expires_at == 1_000_000.0 + 157680000
    for text in (repr(t), str(t), f"{t}", repr([t])):
        assert "SECRET" not in text
    assert "9130" in repr(t)
    assert TokenSet.from_dict(json.loads(json.dumps(t.to_dict()))) == t
    assert t.access_expires_within(300, 1_003_400.0)
    assert not t.access_expires_within(300, 1_003_000.0)


# -- OAuth error mapping ----------------------------------------------------------------------


def _auth_error(status: int, payload: object, tid: str | None = "tid-1") -> AuthClientError:
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(payload).encode() if payload is not None else b"oops"
    if tid:
        resp.headers["intuit_tid"] = tid
    return AuthClientError(resp)


@pytest.mark.parametrize(
    ("status", "payload", "operation", "cls"),
    [
        (400, {"error": "invalid_grant", "error_description": "Token invalid"}, "refresh",
         OAuthGrantInvalid),
        (400, {"error": "invalid_grant"}, "refresh", OAuthGrantInvalid),
        (401, {"error": "invalid_client"}, "refresh", OAuthClientInvalid),
        (401, None, "userinfo", OAuthTokenRejected),
        (500, None, "refresh", IntuitUnavailable),
        (503, {"error": "temporarily_unavailable"}, "refresh", IntuitUnavailable),
        (429, None, "refresh", IntuitUnavailable),
        (400, {"error": "invalid_request"}, "refresh", OAuthError),
    ],
)
def test_oauth_error_mapping(
    status: int, payload: object, operation: str, cls: type[OAuthError]
) -> None:
    err = _error_from_auth_client(_auth_error(status, payload), operation)
    assert type(err) is cls
    assert err.status_code == status
    assert err.intuit_tid == "tid-1"
    assert "tid-1" in str(err)
