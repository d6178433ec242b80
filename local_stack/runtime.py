"""A local Lambda runtime: runs the template's real handlers in this process.

Each invocation gets the function's resolved environment (Globals + function +
local overrides) in `os.environ` and a context object like Lambda's. One
process has one environment, so invocations are serialized with a lock.
Imported modules stay loaded between calls, like a warm Lambda container; the
shared layer's per-process settings cache is cleared before each call because
in AWS every function is its own process with its own settings.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .template import (
    NAME_PREFIX,
    FunctionSpec,
    Resolver,
    Template,
    local_function_arn,
    local_function_name,
)


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


Hook = Callable[[FunctionSpec], None]


_last_function: list[str] = []


def _reset_shared_layer_caches(spec: FunctionSpec) -> None:
    """Each Lambda function is its own process with its own settings and services.

    Settings are re-read on every call; the layer's composed services (which
    captured one function's environment) are rebuilt when another function runs,
    like a different warm process; calls to the same function stay warm.
    """
    config = sys.modules.get("qbo_connector.config")
    if config is not None and hasattr(config, "get_settings"):
        config.get_settings.cache_clear()
    if _last_function and _last_function[0] == spec.logical_id:
        return
    _last_function[:] = [spec.logical_id]
    wiring = sys.modules.get("qbo_connector.wiring")
    if wiring is not None and hasattr(wiring, "reset"):
        wiring.reset()


class LocalLambdaRuntime:
    def __init__(
        self,
        template: Template,
        env_overrides: Mapping[str, str] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.template = template
        self.env_overrides = dict(env_overrides or {})
        self.resolver = resolver or Resolver(template)
        self.before_invoke: list[Hook] = [_reset_shared_layer_caches]
        self._lock = threading.RLock()
        self._modules: dict[str, ModuleType] = {}
        self._last_endpoint: str | None = None
        self.invocations: list[tuple[str, str]] = []  # (logical id, request id), for tests
        # Seconds a function may run, instead of its template Timeout (a local test that
        # wants a worker to checkpoint and continue in several invocations).
        self.timeout_overrides: dict[str, int] = {}

    # -- naming ---------------------------------------------------------------------
    def logical_id(self, name: str) -> str:
        """Accepts a logical id, a local function name or a local function ARN."""
        candidate = name.rsplit(":function:", 1)[-1].split(":")[0]
        if candidate.startswith(NAME_PREFIX):
            candidate = candidate[len(NAME_PREFIX) :]
        if candidate not in self.template.function_ids():
            raise KeyError(f"no function {name!r} in {self.template.path}")
        return candidate

    # -- environment ------------------------------------------------------------------
    def environment(self, name: str) -> dict[str, str]:
        spec = self.template.function(self.logical_id(name))
        resolved = self.resolver.resolve(spec.environment)
        env = {k: str(v) for k, v in resolved.items()}
        env.update(self.env_overrides)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": local_function_name(spec.logical_id),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{local_function_name(spec.logical_id)}",
                "_HANDLER": f"{spec.module}.{spec.handler_name}",
            }
        )
        return env

    @contextmanager
    def _applied_env(self, env: Mapping[str, str]) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    # -- code -------------------------------------------------------------------------
    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        module = self._modules.get(spec.logical_id)
        if module is None:
            for path in [*self.template.layer_dirs(), spec.code_dir]:
                if str(path) not in sys.path:
                    sys.path.insert(0, str(path))
            module = importlib.import_module(spec.module)
            origin = Path(module.__file__ or "").resolve()
            if origin.parent != spec.code_dir:
                raise ImportError(
                    f"{spec.logical_id}: module {spec.module!r} resolved to {origin}, "
                    f"expected one in {spec.code_dir} (two functions share a module name?)"
                )
            self._modules[spec.logical_id] = module
        handler: Callable[[Any, Any], Any] = getattr(module, spec.handler_name)
        return handler

    # -- invoke -----------------------------------------------------------------------
    def invoke(self, name: str, event: Any) -> Any:
        """Run the function like Lambda's synchronous Invoke; handler exceptions propagate.

        Event and result go through JSON as they would over the wire, so a
        handler returning something Lambda cannot serialize fails here too.
        """
        spec = self.template.function(self.logical_id(name))
        payload = json.loads(json.dumps(event))
        with self._lock:
            env = self.environment(spec.logical_id)
            with self._applied_env(env):
                self._reset_clients_if_endpoint_changed(env.get("AWS_ENDPOINT_URL"))
                for hook in self.before_invoke:
                    hook(spec)
                handler = self._handler(spec)
                context = LambdaContext(
                    function_name=local_function_name(spec.logical_id),
                    invoked_function_arn=local_function_arn(spec.logical_id),
                    memory_limit_in_mb=spec.memory_mb,
                    timeout_seconds=self.timeout_overrides.get(spec.logical_id, spec.timeout),
                )
                self.invocations.append((spec.logical_id, context.aws_request_id))
                result = handler(payload, context)
        return json.loads(json.dumps(result))

    def _reset_clients_if_endpoint_changed(self, endpoint: str | None) -> None:
        # The layer caches boto3 clients per process; a new local stack (new moto
        # port) in the same test process must not reuse clients of the old one.
        if endpoint == self._last_endpoint:
            return
        self._last_endpoint = endpoint
        aws = sys.modules.get("qbo_connector.adapters.aws")
        if aws is not None and hasattr(aws, "reset"):
            aws.reset()
