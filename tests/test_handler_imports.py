"""Cold start: importing a handler loads only what it needs. With tracing off nothing
loads the X-Ray SDK or patches botocore (nor loads boto3, pydantic or another
function's routes: those come with the first request or event); with tracing on the
X-Ray SDK patches botocore and requests, and nothing else.

Each probe is a fresh interpreter laid out as Lambda does: the function's directory
and the layer's package on sys.path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "shared"


def handlers() -> list[tuple[str, str]]:
    """(CodeUri directory name, module) of every function in template.yaml."""
    text = (ROOT / "template.yaml").read_text()
    found = re.findall(r"CodeUri: functions/(\w+)/\n\s+Handler: (\w+)\.handler", text)
    assert len(found) >= 8, found
    return found


HANDLERS = handlers()
# Which catalog list each API function serves (api/routes/catalog.py: the OpenAPI document).
CATALOG = {
    "entity_api": "ENTITY_API_ROUTERS",
    "manual_sync": "MANUAL_SYNC_ROUTERS",
    "oauth_start": "connection_start",
    "oauth_callback": "oauth_callback",
    "intuit_webhooks": "webhooks",
}


def probe(directory: str, module: str, code: str, *, tracing: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_SAM"))}
    env.update(
        LAMBDA_TASK_ROOT=str(ROOT / "functions" / directory),
        AWS_LAMBDA_FUNCTION_NAME=module,
        AWS_REGION="us-east-1",
        AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
    )
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(ROOT / 'functions' / directory)!r}, {str(LAYER)!r}]\n"
        f"import {module} as handler_module\n"
        "def patched(cls, name):  # wrapt's wrappers (the X-Ray SDK's patches)\n"
        "    return hasattr(cls.__dict__[name], '__wrapped__')\n"
        "out = {'loaded': sorted(sys.modules)}\n" + code + "print(json.dumps(out))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    result: dict = json.loads(ran.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(("directory", "module"), HANDLERS, ids=[m for _, m in HANDLERS])
def test_a_handler_import_with_tracing_off_loads_no_xray_and_no_heavy_module(directory, module):
    loaded = set(probe(directory, module, "", tracing=False)["loaded"])
    tops = {name.split(".")[0] for name in loaded}
    assert "aws_xray_sdk" not in tops
    # No client code of botocore is loaded, so nothing patched it (Powertools' user-agent
    # hook imports the bare package); boto3 comes with the first call. intuitlib itself
    # is a namespace package its .pth loads into every process.
    assert not tops & {"boto3", "requests", "pydantic"}
    assert not [name for name in loaded if name.startswith("botocore.")]
    assert not [name for name in loaded if name.startswith("intuitlib.")]
    heavy = sorted(
        name
        for name in loaded
        if name.startswith(("qbo_connector.api", "qbo_connector.wiring", "qbo_connector.adapters"))
        or name.startswith("aws_lambda_powertools.event_handler")
    )
    assert heavy == []


@pytest.mark.parametrize(("directory", "module"), HANDLERS, ids=[m for _, m in HANDLERS])
def test_with_tracing_on_botocore_and_requests_are_patched_and_nothing_else(directory, module):
    code = (
        "import botocore.client, requests.sessions, http.client\n"
        "out['botocore'] = patched(botocore.client.BaseClient, '_make_api_call')\n"
        "out['requests'] = patched(requests.sessions.Session, 'request')\n"
        "out['httplib'] = patched(http.client.HTTPConnection, 'getresponse')\n"
    )
    result = probe(directory, module, code, tracing=True)
    assert "aws_xray_sdk" in {name.split(".")[0] for name in result["loaded"]}
    assert (result["botocore"], result["requests"], result["httplib"]) == (True, True, False)


@pytest.mark.parametrize("module", sorted(CATALOG))
def test_an_api_function_serves_its_own_routes_and_loads_no_others(module):
    directory = next(d for d, m in HANDLERS if m == module)
    code = (
        "handler_module.app()\n"
        "routes = 'qbo_connector.api.routes'\n"
        "out['after'] = sorted(n for n in sys.modules if n.startswith(routes))\n"
        "from qbo_connector.api.routes import catalog\n"
        f"wanted = getattr(catalog, {CATALOG[module]!r})\n"
        "wanted = wanted if isinstance(wanted, list) else [wanted.router]\n"
        "out['same'] = handler_module.routers() == wanted\n"
    )
    result = probe(directory, module, code, tracing=False)
    assert result["same"], f"{module}.routers() differs from the catalog's list"
    assert "qbo_connector.api.routes.catalog" not in result["after"]
