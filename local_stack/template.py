"""Read template.yaml (CloudFormation short tags included) and resolve intrinsics.

The local stack has no resource list of its own: everything it creates or runs
comes from the template through this module, so the two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
NAME_PREFIX = "qbo-connector-local-"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref x` into `{"Ref": x}`, `!Sub s` into `{"Fn::Sub": s}`..."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a template")
    return data


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # e.g. /legal-entities/{id}/connection
    function_id: str
    authorized: bool  # False when the event says Auth: Authorizer: NONE

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsBinding:
    function_id: str
    queue_id: str  # logical id of the AWS::SQS::Queue
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    module: str
    handler_name: str
    timeout: int
    memory_mb: int
    environment: dict[str, Any] = field(default_factory=dict)  # unresolved, Globals merged


class Template:
    def __init__(self, path: Path | str = DEFAULT_TEMPLATE) -> None:
        self.path = Path(path).resolve()
        self.base_dir = self.path.parent
        self.data = load_yaml(self.path)
        self.resources: dict[str, dict[str, Any]] = self.data.get("Resources", {})
        self.parameters: dict[str, dict[str, Any]] = self.data.get("Parameters", {})
        self.conditions: dict[str, Any] = self.data.get("Conditions", {})
        self.globals_fn: dict[str, Any] = self.data.get("Globals", {}).get("Function", {})

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == type_name}

    def parameter_defaults(self) -> dict[str, str]:
        return {k: str(v["Default"]) for k, v in self.parameters.items() if "Default" in v}

    def function_ids(self) -> list[str]:
        return list(self.of_type("AWS::Serverless::Function"))

    def function(self, logical_id: str) -> FunctionSpec:
        res = self.resources.get(logical_id)
        if not res or res.get("Type") != "AWS::Serverless::Function":
            raise KeyError(f"no AWS::Serverless::Function {logical_id!r} in {self.path}")
        props = res.get("Properties", {})
        module, _, handler_name = str(props["Handler"]).rpartition(".")
        env: dict[str, Any] = dict(self.globals_fn.get("Environment", {}).get("Variables", {}))
        env.update(props.get("Environment", {}).get("Variables", {}))
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=(self.base_dir / str(props["CodeUri"])).resolve(),
            module=module,
            handler_name=handler_name,
            timeout=int(props.get("Timeout", self.globals_fn.get("Timeout", 3))),
            memory_mb=int(props.get("MemorySize", self.globals_fn.get("MemorySize", 128))),
            environment=env,
        )

    def layer_dirs(self) -> list[Path]:
        layers = self.of_type("AWS::Serverless::LayerVersion")
        return [
            (self.base_dir / str(r["Properties"]["ContentUri"])).resolve() for r in layers.values()
        ]

    def _events(self, logical_id: str) -> dict[str, dict[str, Any]]:
        props = self.resources[logical_id].get("Properties", {})
        events: dict[str, dict[str, Any]] = props.get("Events", {}) or {}
        return events

    def http_routes(self) -> list[HttpRoute]:
        routes = []
        for fid in self.function_ids():
            for event in self._events(fid).values():
                if event.get("Type") != "HttpApi":
                    continue
                p = event.get("Properties", {})
                auth = (p.get("Auth") or {}).get("Authorizer")
                routes.append(
                    HttpRoute(
                        method=str(p.get("Method", "ANY")).upper(),
                        path=str(p.get("Path", "/$default")),
                        function_id=fid,
                        authorized=auth != "NONE" and self.http_api_has_default_authorizer(),
                    )
                )
        return routes

    def http_api(self) -> dict[str, Any]:
        apis = self.of_type("AWS::Serverless::HttpApi")
        return next(iter(apis.values()), {}).get("Properties", {})

    def http_api_has_default_authorizer(self) -> bool:
        return bool(self.http_api().get("Auth", {}).get("DefaultAuthorizer"))

    def sqs_bindings(self) -> list[SqsBinding]:
        out = []
        for fid in self.function_ids():
            for event in self._events(fid).values():
                if event.get("Type") != "SQS":
                    continue
                p = event["Properties"]
                queue = p["Queue"]
                # Queue is `!GetAtt SomeQueue.Arn` in our template; resolve the logical id.
                queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
                out.append(
                    SqsBinding(
                        function_id=fid,
                        queue_id=queue_id,
                        batch_size=int(p.get("BatchSize", 10)),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in (p.get("FunctionResponseTypes") or []),
                    )
                )
        return out


class UnresolvedReference(LookupError):
    """A Ref/GetAtt names a resource with no physical value (yet)."""

    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id


@dataclass
class Physical:
    """What a created (or simulated) resource answers to Ref and GetAtt."""

    ref: str
    attrs: dict[str, str] = field(default_factory=dict)


NO_VALUE = object()  # AWS::NoValue: the enclosing key or list item disappears


def local_function_name(logical_id: str) -> str:
    return f"{NAME_PREFIX}{logical_id}"


def local_function_arn(logical_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{local_function_name(logical_id)}"


class Resolver:
    """Evaluates the intrinsic functions the template uses against local values."""

    def __init__(
        self,
        template: Template,
        parameters: Mapping[str, str] | None = None,
        physical: Mapping[str, Physical] | None = None,
        stack_name: str = "qbo-connector-local",
    ) -> None:
        self.template = template
        self.parameters = {**template.parameter_defaults(), **(parameters or {})}
        self.physical: dict[str, Physical] = dict(physical or {})
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/x",
        }
        self._fns: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": lambda v: str(self.resolve(v[0])).join(str(x) for x in self.resolve(v[1])),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: str(self.resolve(v[1])).split(str(self.resolve(v[0]))),
            "Fn::Equals": lambda v: str(self.resolve(v[0])) == str(self.resolve(v[1])),
            "Fn::Not": lambda v: not self.resolve(v[0]),
            "Fn::And": lambda v: all(self.resolve(x) for x in v),
            "Fn::Or": lambda v: any(self.resolve(x) for x in v),
            "Condition": self.condition,
            "Fn::GetAZs": lambda v: [f"{REGION}a", f"{REGION}b"],
        }

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                fn = self._fns.get(key)
                if fn is not None:
                    return fn(arg)
            out = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        return value

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self._physical(name).ref

    def _get_att(self, arg: Any) -> str:
        logical_id, attr = (self.resolve(x) for x in arg)
        phys = self._physical(logical_id)
        if attr not in phys.attrs:
            raise UnresolvedReference(f"{logical_id}.{attr}")
        return phys.attrs[attr]

    def _physical(self, logical_id: str) -> Physical:
        if logical_id in self.physical:
            return self.physical[logical_id]
        simulated = self._simulated(logical_id)
        if simulated is None:
            raise UnresolvedReference(logical_id)
        return simulated

    def _simulated(self, logical_id: str) -> Physical | None:
        """Resources that exist only in AWS (functions, their roles, the API) get fake names."""
        res = self.template.resources.get(logical_id, {})
        rtype = res.get("Type")
        if rtype == "AWS::Serverless::Function":
            return Physical(
                local_function_name(logical_id), {"Arn": local_function_arn(logical_id)}
            )
        if rtype is None and logical_id.endswith("Role"):
            fn = logical_id[: -len("Role")]
            if fn in self.template.resources:  # SAM's generated <Function>Role
                arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{NAME_PREFIX}{logical_id}"
                return Physical(f"{NAME_PREFIX}{logical_id}", {"Arn": arn})
        if rtype == "AWS::IAM::Role":  # e.g. the role Scheduler assumes; IAM is not emulated
            arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{NAME_PREFIX}{logical_id}"
            return Physical(f"{NAME_PREFIX}{logical_id}", {"Arn": arn})
        if rtype in {"AWS::Serverless::HttpApi", "AWS::Serverless::LayerVersion"}:
            return Physical("local", {})
        if rtype == "AWS::Logs::LogGroup":
            name = f"/local/{logical_id}"
            arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}"
            return Physical(name, {"Arn": arn})
        return None

    _SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = str(arg[0]), {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = str(arg), {}

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self._get_att(name.split(".", 1)))
            return str(self._ref(name))

        return self._SUB_VAR.sub(repl, text).replace("${!", "${")

    def _if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)
