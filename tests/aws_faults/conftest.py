"""The local stack with the AWS fault proxy in front of moto (local_stack.aws_faults): the
functions' boto3 clients meet throttles, 5xx, lost answers and resets; botocore's own
retries run as configured (adapters.aws), without their sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.retries.standard import ExponentialBackoff

from local_stack.stack import LocalStack
from tests.sync.conftest import make_entity, shared_env  # noqa: F401 - make_entity: the fixture

LEASE = 3


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    patch = pytest.MonkeyPatch()
    patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    # Leases short enough that a killed worker's records are taken over within the test
    # (invocations here run one at a time: no live worker is ever overtaken).
    leases = {"PUSH_LEASE_SECONDS": str(LEASE), "PUSH_SETTLE_SECONDS": "1"}
    try:
        # The test process itself reads and writes moto directly, not through the faults.
        with (
            LocalStack(visibility_timeout=0, aws_faults=True, env_overrides=leases) as local,
            shared_env(local, AWS_ENDPOINT_URL=local.moto_url),
        ):
            yield local
    finally:
        patch.undo()
