"""boto3 clients, created once per process, each with timeouts and bounded retries.

`AWS_ENDPOINT_URL` (honoured by boto3 itself) points them at moto locally.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The one place the AWS retry policy is set (README: AWS-side faults): botocore's
# "standard" mode retries throttles, 5xx, timeouts and dropped connections with
# exponential back-off and jitter, at most 4 attempts per call; never a 4xx answer such as
# a failed condition (ConditionalCheckFailedException is an answer, not a fault). Our own
# code adds retries only where a write must not be lost (adapters.durable_tokens) and
# reads its own conditional writes back where an answer may have been lost
# (adapters.push_log_table.acquire, adapters.sync_run_store.create).
_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 4, "mode": "standard"},
)


# AWS answers that mean "busy, try again" (botocore retried them already, up to
# _CONFIG's max_attempts): throttling codes, and any 5xx.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "SlowDown",
    }
)


def is_transient(exc: BaseException) -> bool:
    """An AWS call that failed for AWS's sake after botocore's retries (throttled, 5xx,
    timed out, connection lost): the caller may send its request again; nothing of ours
    is wrong. A conditional-write failure is not one (it is an answer)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(exc) in THROTTLING_CODES or status >= 500
    return isinstance(exc, BotoConnectionError | HTTPClientError)


def error_code(exc: ClientError) -> str:
    """The AWS error code of a botocore ClientError ("" when the answer has none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def raw_client(service: str) -> Any:
    """A client without botocore's parameter validation, for callers that send requests
    they built and serialised themselves in bulk (adapters.record_store's writes): the
    validation walk over every attribute of every item is most of an import's CPU."""
    config = _CONFIG.merge(Config(parameter_validation=False))
    return boto3.client(service, config=config)  # type: ignore[call-overload]


@cache
def resource(service: str) -> Any:
    return boto3.resource(service, config=_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients (tests point a fresh process-wide endpoint)."""
    client.cache_clear()
    raw_client.cache_clear()
    resource.cache_clear()
