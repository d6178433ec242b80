"""One Logger, Tracer and Metrics per process, shared by handlers and logic.

Names come from POWERTOOLS_* variables (template Globals); the defaults keep
local runs, where modules may be imported before a function's environment is
applied, under the same service name.

Log keys are per unit of work: every handler's `inject_lambda_context` clears the
keys of the previous invocation (`clear_state=True`), and the sync worker handles
each SQS message inside `log_scope`, so a warm process never logs one tenant's
`legal_entity_id` or `sync_id` on another's lines.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "qbo-connector")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(
    service=SERVICE, namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "QboConnector")
)

_MISSING = object()


@contextmanager
def log_scope(**keys: Any) -> Iterator[None]:
    """Log keys for one unit of work (one queue message): `keys`, and whatever code
    inside appends with `logger.append_keys`, are gone when the block ends, even if it
    raises; keys that were there before get their earlier values back."""
    before = dict(logger.get_current_keys())
    logger.append_keys(**keys)
    try:
        yield
    finally:
        current = logger.get_current_keys()
        logger.remove_keys([key for key in list(current) if key not in before])
        restored = {k: v for k, v in before.items() if current.get(k, _MISSING) is not v}
        if restored:
            logger.append_keys(**restored)
