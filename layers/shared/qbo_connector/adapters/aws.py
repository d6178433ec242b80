"""boto3 clients, created once per process, each with timeouts and bounded retries.

`AWS_ENDPOINT_URL` (honoured by boto3 itself) points them at moto locally.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 4, "mode": "standard"},
)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def resource(service: str) -> Any:
    return boto3.resource(service, config=_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients (tests point a fresh process-wide endpoint)."""
    client.cache_clear()
    resource.cache_clear()
