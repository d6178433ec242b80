"""One Logger, Tracer and Metrics per process, shared by handlers and logic.

Names come from POWERTOOLS_* variables (template Globals); the defaults keep
local runs, where modules may be imported before a function's environment is
applied, under the same service name.

Log keys are per unit of work: every handler's `inject_lambda_context` clears the
keys of the previous invocation (`clear_state=True`), and the sync worker handles
each SQS message inside `log_scope`, so a warm process never logs one tenant's
`legal_entity_id` or `sync_id` on another's lines.

Tracing costs nothing when it is off: `tracer` decides by Powertools' own rule
(`tracing_enabled`) without importing the X-Ray SDK, and only when tracing is on
does it create Powertools' Tracer, which imports the SDK and patches botocore and
requests (the libraries the layer calls out with; not everything `patch_all` finds).
Off, its decorators hand the function back unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "qbo-connector")
# What the X-Ray SDK patches when tracing is on: the AWS SDK and Intuit's HTTP calls.
TRACED_MODULES = ("botocore", "requests")
_TRUTHY = {"1", "y", "yes", "t", "true", "on"}

F = TypeVar("F", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    """Powertools' rule (Tracer._is_tracer_disabled), read from the environment alone:
    off when POWERTOOLS_TRACE_DISABLED is true, and outside Lambda or under SAM local."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUTHY:
        return False
    if not os.environ.get("LAMBDA_TASK_ROOT"):
        return False
    return not (os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))


class LazyTracer:
    """Powertools' Tracer, created (X-Ray SDK imported, modules patched) only when a
    traced handler is decorated with tracing on, or when some code asks for more."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._tracer: Tracer | None = None

    @property
    def loaded(self) -> bool:
        return self._tracer is not None

    def powertools(self) -> Tracer:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer(
                service=self.service,
                disabled=not tracing_enabled(),
                patch_modules=TRACED_MODULES,
            )
        return self._tracer

    def capture_lambda_handler(self, handler: F) -> F:
        if not tracing_enabled():
            return handler
        return cast(F, self.powertools().capture_lambda_handler(handler))

    def __getattr__(self, name: str) -> Any:
        # put_annotation, capture_method, ...: Powertools' own, tracing on or off.
        return getattr(self.powertools(), name)


logger = Logger(service=SERVICE)
tracer = LazyTracer(SERVICE)
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
