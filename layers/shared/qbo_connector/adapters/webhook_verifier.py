"""The Intuit app's webhook verifier token (Secrets Manager), cached per process."""

from __future__ import annotations

import json
import time

from qbo_connector.adapters import aws
from qbo_connector.config import get_settings

TTL_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}


def verifier_token() -> str:
    name = get_settings().webhook_verifier_secret_name
    hit = _cache.get(name)
    if hit and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    secret = aws.client("secretsmanager").get_secret_value(SecretId=name)
    token = str(json.loads(secret["SecretString"])["verifier_token"])
    _cache[name] = (time.monotonic(), token)
    return token
