"""boto3 clients, created once per process, each with timeouts and bounded retries.

`AWS_ENDPOINT_URL` (honoured by boto3 itself) points them at moto locally.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 4, "mode": "standard"},
)


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
