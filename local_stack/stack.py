"""The whole local stack in one object: moto, resources, sandbox, runtime, gateway, queues.

with LocalStack() as stack:
    token = stack.mint_token(user="alice", org="acme")
    requests.get(f"{stack.gateway_url}/legal-entities",
                 headers={"Authorization": f"Bearer {token}"})
    stack.drain()
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import boto3
import requests
from moto.server import ThreadedMotoServer

from .aws_faults import AwsFaultProxy
from .bootstrap import bootstrap
from .console import ConsoleServer
from .delivery import QueueDelivery
from .gateway import Gateway
from .rule_firer import RuleFirer
from .runtime import LocalLambdaRuntime
from .template import DEFAULT_TEMPLATE, REGION, Physical, Resolver, Template
from .tokens import LOCAL_AUDIENCE, LOCAL_ISSUER, TokenIssuer

log = logging.getLogger(__name__)

DEFAULT_FRONTEND_ORIGIN = "http://localhost:3000"
DEFAULT_CLIENT_ID = "local-qbo-client-id"
DEFAULT_CLIENT_SECRET = "local-qbo-client-secret"  # local-only placeholder
DEFAULT_VERIFIER_TOKEN = "local-webhook-verifier-token"  # local-only placeholder
STATE_FILE = "stack.json"


class Sandbox(Protocol):
    @property
    def base_url(self) -> str: ...

    def start(self) -> Any: ...

    def stop(self) -> Any: ...


SandboxFactory = Callable[[int], Sandbox]


def _default_sandbox_factory() -> SandboxFactory | None:
    try:
        from qbo_sandbox import SandboxServer
    except ImportError:
        return None

    def factory(port: int) -> Sandbox:
        server: Sandbox = SandboxServer(port=port)
        return server

    return factory


class LocalStack:
    def __init__(
        self,
        template_path: Path | str = DEFAULT_TEMPLATE,
        *,
        host: str = "127.0.0.1",
        moto_port: int = 0,
        gateway_port: int = 0,
        sandbox: bool | None = None,
        sandbox_port: int = 0,
        sandbox_base_url: str | None = None,
        sandbox_factory: SandboxFactory | None = None,
        state_dir: Path | None = None,
        frontend_origin: str = DEFAULT_FRONTEND_ORIGIN,
        visibility_timeout: int | None = 0,
        poll_queues: bool = False,
        env_overrides: Mapping[str, str] | None = None,
        intuit_client_id: str | None = None,
        intuit_client_secret: str | None = None,
        webhook_verifier_token: str | None = None,
        openapi_provider: Callable[[], dict[str, Any]] | None = None,
        reset_moto: bool = True,
        console: bool = False,
        aws_faults: bool = False,
    ) -> None:
        """`sandbox`: True = start it, False = don't, None = start it if importable.

        `visibility_timeout` replaces the queue's 90 minutes for local delivery
        (0 = a failed message is visible again at once); None keeps the queue's.
        """
        self.template = Template(template_path)
        self.host = host
        self._ports = {"moto": moto_port, "gateway": gateway_port, "sandbox": sandbox_port}
        self._want_sandbox = sandbox
        self._sandbox_factory = sandbox_factory
        self.sandbox_base_url = sandbox_base_url
        self.state_dir = state_dir
        self.frontend_origin = frontend_origin
        self.visibility_timeout = visibility_timeout
        self.poll_queues = poll_queues
        self._extra_env = dict(env_overrides or {})
        self._secrets = {
            "client_id": intuit_client_id,
            "client_secret": intuit_client_secret,
            "verifier_token": webhook_verifier_token,
        }
        self._openapi_provider = openapi_provider
        self.reset_moto = reset_moto
        # The web console (console/) on its own port; it becomes the front-end origin.
        self._want_console = console
        self.console: ConsoleServer | None = None
        self.console_url = ""
        # The functions reach moto through a fault-injecting proxy (local_stack.aws_faults).
        self._want_aws_faults = aws_faults
        self.aws_faults: AwsFaultProxy | None = None

        self.moto: ThreadedMotoServer | None = None
        self.moto_url = ""
        self.gateway_url = ""
        self.sandbox: Sandbox | None = None
        self.issuer: TokenIssuer | None = None
        self.runtime: LocalLambdaRuntime | None = None
        self.gateway: Gateway | None = None
        self.delivery: QueueDelivery | None = None
        self.physical: dict[str, Physical] = {}
        self.env: dict[str, str] = {}
        self._saved_env: dict[str, str | None] = {}
        self.rule_firer: RuleFirer | None = None
        self._firer_stop: threading.Event | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
        self.moto = ThreadedMotoServer(
            ip_address=self.host, port=self._ports["moto"], verbose=False
        )
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        if self.reset_moto:  # moto's backends are per process: start from empty
            requests.post(f"{self.moto_url}/moto-api/reset", timeout=10).raise_for_status()
        if self._want_aws_faults:
            self.aws_faults = AwsFaultProxy(self.moto_url)
            self.aws_faults.bind(self.host, 0)
            self.aws_faults.start()
        self._set_process_env()
        self._start_sandbox()
        self.issuer = (
            TokenIssuer.from_state_dir(self.state_dir) if self.state_dir else TokenIssuer.generate()
        )

        if self._want_console:
            self.console = ConsoleServer(self.issuer)
            self.console_url = self.console.bind(self.host, 0)
            self.frontend_origin = self.console_url  # the popup's postMessage target
        resolver = Resolver(self.template)
        self.runtime = LocalLambdaRuntime(self.template, {}, resolver)
        self.gateway = Gateway(
            self.template,
            self.runtime,
            self.issuer,
            cors_origins=[self.frontend_origin],
            openapi_provider=self._openapi_lookup,
        )
        self.gateway_url = self.gateway.bind(self.host, self._ports["gateway"])
        if self.console is not None:
            self.console.api_url = self.gateway_url

        overrides = self._local_overrides()
        resolver.parameters.update(self._local_parameters())
        self.runtime.env_overrides.update(overrides)
        self.physical = bootstrap(self.template, resolver, self.moto_url)
        self._seed_secrets()
        globals_env = self.template.globals_fn.get("Environment", {}).get("Variables", {})
        self.env = {k: str(v) for k, v in resolver.resolve(globals_env).items()}
        self.env.update(overrides)

        self.delivery = QueueDelivery(
            self.runtime,
            self.template.sqs_bindings(),
            self.physical,
            self.client("sqs"),
            visibility_timeout=self.visibility_timeout,
        )
        self.rule_firer = RuleFirer(
            self.client("events"),
            self.runtime.invoke,
            prefix=self.env.get("SCHEDULE_RULE_PREFIX", "qbo-connector-sched-"),
            scheduler_client=self.client("scheduler"),
        )
        self.gateway.start()
        if self.console is not None:
            self.console.start()
        if self.poll_queues:
            # A running stack (make up / demo) fires schedule rules at their times.
            self.delivery.start()
            self._firer_stop = threading.Event()
            threading.Thread(
                target=self.rule_firer.run_forever,
                kwargs={"poll_seconds": 15.0, "stop": self._firer_stop},
                daemon=True,
            ).start()
        self._write_state()
        return self

    def stop(self) -> None:
        if self._firer_stop is not None:
            self._firer_stop.set()
        if self.delivery is not None:
            self.delivery.stop()
        if self.gateway is not None:
            self.gateway.stop()
        if self.console is not None:
            self.console.stop()
        if self.sandbox is not None and self._sandbox_started:
            self.sandbox.stop()
        if self.aws_faults is not None:
            self.aws_faults.stop()
        if self.moto is not None:
            self.moto.stop()
        self._restore_process_env()
        if self.state_dir is not None:
            (self.state_dir / STATE_FILE).unlink(missing_ok=True)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- conveniences -----------------------------------------------------------------------
    def mint_token(self, **claims: Any) -> str:
        """A bearer token the gateway accepts; see TokenIssuer.mint for the claims."""
        assert self.issuer is not None, "start() first"
        return self.issuer.mint(**claims)

    def invoke(self, name: str, event: Any) -> Any:
        assert self.runtime is not None, "start() first"
        return self.runtime.invoke(name, event)

    def drain(self, max_rounds: int = 100) -> int:
        assert self.delivery is not None, "start() first"
        return self.delivery.drain(max_rounds)

    def function_env(self, name: str) -> dict[str, str]:
        assert self.runtime is not None, "start() first"
        return self.runtime.environment(name)

    def client(self, service: str) -> Any:
        factory: Any = boto3.client  # Any: the stubs only type literal service names
        return factory(
            service,
            endpoint_url=self.moto_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    # -- internals --------------------------------------------------------------------------
    _sandbox_started = False

    def _start_sandbox(self) -> None:
        if self.sandbox_base_url or self._want_sandbox is False:
            return
        factory = self._sandbox_factory or _default_sandbox_factory()
        if factory is None:
            if self._want_sandbox:
                raise RuntimeError("qbo_sandbox.SandboxServer is not importable")
            log.warning("local stack: no QBO sandbox (qbo_sandbox not importable)")
            return
        self.sandbox = factory(self._ports["sandbox"])
        self.sandbox.start()
        self._sandbox_started = True
        self.sandbox_base_url = self.sandbox.base_url.rstrip("/")

    def _local_parameters(self) -> dict[str, str]:
        params = {
            "Stage": "local",
            "JwtIssuer": LOCAL_ISSUER,
            "JwtAudience": LOCAL_AUDIENCE,
            "FrontendOrigin": self.frontend_origin,
            "OAuthRedirectUri": f"{self.gateway_url}/oauth/callback",
        }
        if self.sandbox_base_url:
            params["IntuitEnvironment"] = self.discovery_url
            params["QboApiBaseUrl"] = f"{self.sandbox_base_url}/v3"
        return params

    @property
    def discovery_url(self) -> str:
        return f"{self.sandbox_base_url}/.well-known/openid-configuration"

    def _local_overrides(self) -> dict[str, str]:
        env = {
            # The functions' endpoint: moto, or the fault proxy in front of it.
            "AWS_ENDPOINT_URL": self.aws_faults.url if self.aws_faults else self.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "OAUTH_REDIRECT_URI": f"{self.gateway_url}/oauth/callback",
            "FRONTEND_ORIGIN": self.frontend_origin,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "QboConnectorLocal",
        }
        if self.sandbox_base_url:
            env["INTUIT_ENVIRONMENT"] = self.discovery_url
            env["QBO_API_BASE_URL"] = f"{self.sandbox_base_url}/v3"
        env.update(self._extra_env)
        return env

    def _seed_secrets(self) -> None:
        """Register the app with the sandbox; put its keys in the template's secrets."""
        sm = self.client("secretsmanager")
        app = {
            "client_id": self._secrets["client_id"] or DEFAULT_CLIENT_ID,
            "client_secret": self._secrets["client_secret"] or DEFAULT_CLIENT_SECRET,
        }
        control = getattr(self.sandbox, "sandbox", None)  # qbo_sandbox's control API
        if control is not None and hasattr(control, "register_app"):
            control.register_app(
                [f"{self.gateway_url}/oauth/callback"],
                client_id=app["client_id"],
                client_secret=app["client_secret"],
                name="qbo-connector (local)",
            )
        verifier = self._secrets["verifier_token"] or DEFAULT_VERIFIER_TOKEN
        values = {"IntuitAppSecret": app, "WebhookVerifierSecret": {"verifier_token": verifier}}
        for logical_id, value in values.items():
            if logical_id in self.physical:
                sm.put_secret_value(
                    SecretId=self.physical[logical_id].ref, SecretString=json.dumps(value)
                )

    def _openapi_lookup(self) -> Callable[[], dict[str, Any]] | None:
        if self._openapi_provider is not None:
            return self._openapi_provider
        package = sys.modules.get("local_stack")
        provider: Callable[[], dict[str, Any]] | None = getattr(package, "openapi_provider", None)
        return provider

    def _set_process_env(self) -> None:
        """boto3 in the calling process (tests, demo) talks to moto too."""
        values = {
            "AWS_ENDPOINT_URL": self.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ.pop(key, None)

    def _restore_process_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def _write_state(self) -> None:
        if self.state_dir is None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "gateway_url": self.gateway_url,
            "moto_url": self.moto_url,
            "sandbox_url": self.sandbox_base_url,
            "issuer": LOCAL_ISSUER,
            "audience": LOCAL_AUDIENCE,
            "pid": os.getpid(),
        }
        (self.state_dir / STATE_FILE).write_text(json.dumps(state, indent=2))
