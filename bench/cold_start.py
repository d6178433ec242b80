"""Cold start of every handler against a bare `import boto3`, with the layer as it ships.

    .venv/bin/python -m bench.cold_start [--runs 5] [--layer DIR] [--functions DIR] [--tracing]

The layer is built by its own Makefile (layers/shared/Makefile: the pinned requirements
and every module compiled to .pyc), for this machine's platform so that its compiled
wheels import here; the deployed layer differs only in being built for arm64. It is
kept in .local/cold-start-layer and rebuilt when layers/shared/requirements.txt changes
(the package itself is refreshed every run).

Each figure is a fresh interpreter laid out as Lambda lays out a function: the
function's directory and the layer's python/ on sys.path, no site-packages (-S), no
.pyc written (-B: /opt is read-only in Lambda), a Lambda-like environment with tracing
off. The import is timed inside the process (the interpreter's own start is the same
for both sides). Runs alternate: boto3, then every handler, round after round; each
handler's ratio is the median over rounds of its time over that round's boto3 time.
Wall time is the cold start; CPU time says the same on a loaded machine, where wall
time also counts waiting for a core.

The handlers load their heavy parts (request validation, the services, boto3) on first
use: for the API functions the `first request` column adds one request that builds the
resolver with its routes and is refused before any AWS call (a body over the size
limit), so what the import no longer pays is shown where it goes. `--tracing` adds a
column with tracing on (LAMBDA_TASK_ROOT set, POWERTOOLS_TRACE_DISABLED unset): the
X-Ray SDK loads and patches botocore and requests, as in the deployed functions
(template Globals: Tracing Active).

Goal (issue 13): every handler's import <= 1.3x a bare `import boto3`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER_SRC = ROOT / "layers" / "shared"
DEFAULT_LAYER = ROOT / ".local" / "cold-start-layer"
GOAL = 1.3

_CHILD = r"""
import json, sys, time
sys.path[:0] = [{function_dir!r}, {layer_python!r}]
wall, cpu = time.perf_counter(), time.process_time()
import {module}
result = {{"import_wall": time.perf_counter() - wall, "import_cpu": time.process_time() - cpu}}
first = {first_request!r} and hasattr({module}, "app")
if first:
    class Context:
        function_name = "bench"
        function_version = "$LATEST"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        memory_limit_in_mb = 512
        aws_request_id = "bench-request"
        log_group_name = log_stream_name = "bench"
        def get_remaining_time_in_millis(self):
            return 29000
    event = {{
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": {{"content-type": "application/json"}},
        "requestContext": {{"http": {{"method": "POST", "path": "/", "sourceIp": "127.0.0.1"}},
                           "requestId": "bench", "stage": "$default"}},
        "body": "x" * (1024 * 1024 + 1), "isBase64Encoded": False,
    }}
    answer = {module}.handler(event, Context())
    assert answer["statusCode"] == 413, answer
result["first_wall"] = (time.perf_counter() - wall) if first else None
result["first_cpu"] = (time.process_time() - cpu) if first else None
result["xray"] = "aws_xray_sdk" in sys.modules
print("\nBENCH " + json.dumps(result))
"""


def functions() -> list[tuple[str, Path, str]]:
    """(logical id, code dir, module) of every function in template.yaml."""
    text = (ROOT / "template.yaml").read_text()
    found = re.findall(
        r"^  (\w+):\n    Type: AWS::Serverless::Function\n(?:(?!^  \w).*\n)*?"
        r"      CodeUri: (\S+)\n      Handler: (\w+)\.\w+",
        text,
        flags=re.M,
    )
    return [(lid, ROOT / uri, module) for lid, uri, module in found]


def build_layer(layer: Path) -> None:
    """The layer by its Makefile, for this platform; dependencies only when pins change."""
    pins = (LAYER_SRC / "requirements.txt").read_bytes() + sys.version.encode()
    stamp = layer / ".requirements-sha"
    digest = hashlib.sha1(pins).hexdigest()
    target = "build-SharedLayer"
    if stamp.exists() and stamp.read_text() == digest:
        target = "layer-code compile"
    print(f"building the layer ({target}) into {layer} ...", flush=True)
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(LAYER_SRC),
            *target.split(),
            f"ARTIFACTS_DIR={layer}",
            f"PYTHON={sys.executable}",
            "LAYER_PLATFORM=host",
        ],
        check=True,
    )
    stamp.write_text(digest)


def lambda_env(function_dir: Path, name: str, tracing: bool) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "LAMBDA_TASK_ROOT": str(function_dir),
        "POWERTOOLS_SERVICE_NAME": "qbo-connector",
        "POWERTOOLS_METRICS_NAMESPACE": "QboConnector",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        # Tracing on needs a daemon address to configure against (nothing listens).
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


def run_once(
    layer_python: Path, function_dir: Path, module: str, *, first: bool, tracing: bool
) -> dict:
    code = _CHILD.format(
        function_dir=str(function_dir),
        layer_python=str(layer_python),
        module=module,
        first_request=first,
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        env=lambda_env(function_dir, module, tracing),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{module}: {done.stderr[-3000:] or done.stdout[-3000:]}")
    result: dict = json.loads(lines[-1][6:])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layer", type=Path, help="a built layer (its python/ inside)")
    parser.add_argument("--functions", type=Path, help="another functions/ tree")
    parser.add_argument(
        "--baseline-layer",
        type=Path,
        help="where the bare boto3 comes from (default: the layer; give a compiled one "
        "when --layer is a layer without .pyc, as the runtime's own boto3 is compiled)",
    )
    parser.add_argument("--tracing", action="store_true", help="also with tracing on")
    args = parser.parse_args()

    layer = args.layer
    if layer is None:
        layer = DEFAULT_LAYER
        build_layer(layer)
    layer_python = layer / "python"
    pyc = sum(1 for _ in layer_python.rglob("*.pyc"))
    py = sum(1 for _ in layer_python.rglob("*.py"))
    handlers = functions()
    if args.functions:
        handlers = [(lid, args.functions / d.name, m) for lid, d, m in handlers]
    base_python = (args.baseline_layer or layer) / "python"
    rounds: list[dict[str, dict]] = []
    for _ in range(args.runs):
        figures = {"boto3": run_once(base_python, base_python, "boto3", first=False, tracing=False)}
        for lid, code_dir, module in handlers:
            figures[lid] = run_once(layer_python, code_dir, module, first=True, tracing=False)
            if args.tracing:
                figures[lid + "+tracing"] = run_once(
                    layer_python, code_dir, module, first=False, tracing=True
                )
        rounds.append(figures)

    def med(name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rounds)

    def ratio(name: str, key: str) -> float:
        return statistics.median(r[name][key] / r["boto3"][key] for r in rounds)

    print(
        f"\nCold start, median of {args.runs} fresh processes; layer {layer} "
        f"({pyc} .pyc for {py} .py), tracing off"
    )
    print(
        f"bare `import boto3`: {med('boto3', 'import_wall') * 1000:.0f} ms wall, "
        f"{med('boto3', 'import_cpu') * 1000:.0f} ms CPU"
    )
    head = f"{'function':28} {'import ms':>9} {'x boto3':>8} {'cpu x':>6}  {'goal':<9}"
    head += f" {'import + first request ms':>30}"  # import + one request (HTTP functions)
    if args.tracing:
        head += f" {'tracing on x':>12}"
    print(head)
    met = True
    for lid, _, _ in handlers:
        wall = ratio(lid, "import_wall")
        ok = wall <= GOAL
        met &= ok
        line = (
            f"{lid:28} {med(lid, 'import_wall') * 1000:9.0f} {wall:8.2f} "
            f"{ratio(lid, 'import_cpu'):6.2f}  {'<= 1.3 ' + ('ok' if ok else 'NO'):<9}"
        )
        http = rounds[0][lid]["first_wall"] is not None
        first = "n/a (AWS)"
        if http:
            over = statistics.median(
                r[lid]["first_wall"] / r["boto3"]["import_wall"] for r in rounds
            )
            cpu = statistics.median(r[lid]["first_cpu"] / r["boto3"]["import_cpu"] for r in rounds)
            first = f"{med(lid, 'first_wall') * 1000:.0f} ({over:.2f}x, cpu {cpu:.2f}x)"
        line += f" {first:>30}"
        if args.tracing:
            line += f" {ratio(lid + '+tracing', 'import_wall'):12.2f}"
        print(line)
    print(
        f"goal: every handler's import <= {GOAL}x bare import boto3: {'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
