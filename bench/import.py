"""SmartSync import bench: QBO calls, DynamoDB work, worker memory and speed of a large
first sync, an incremental sync after changes, and a re-sync with no change.

    .venv/bin/python -m bench.import [--objects 50000] [--changes 500]

Runs the real handlers over the local stack (moto + QBO sandbox); the entity is
connected through the sandbox's consent page like a person would. The sync worker runs
in a process of its own (bench.worker_process), as in Lambda: its peak RSS and its
DynamoDB requests and capacity units (bench.dynamo_meter, by DynamoDB's billing rules)
are the worker's alone.

Goals: full import in fewer QBO calls than singer's tap-quickbooks (22 on the 50k
company) while still reading exactly Σ⌈n/1000⌉ pages; incremental in ≤ 2 calls (CDC +
one batch for TaxCode/TaxRate); a first import reads no record state from DynamoDB;
a no-change re-sync writes 0 records; worker peak RSS < 200 MB at 100k objects.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from local_stack.stack import LocalStack
from local_stack.template import local_function_arn, local_function_name
from qbo_sandbox.browser import consent, forms_of

ROOT = Path(__file__).resolve().parent.parent
WORKER = "SyncWorkerFunction"
TAP_QUICKBOOKS_FULL_CALLS = 22  # singer's tap-quickbooks on the 50k company (issue 13)

EVENTS = Path(__file__).resolve().parent.parent / "events"
ORG, LE = "org-bench", "le-bench"
# How a large company's objects spread over the types AP imports.
SHARES = {
    "Vendor": 0.40,
    "Customer": 0.30,
    "Item": 0.20,
    "Account": 0.05,
    "Class": 0.025,
    "Department": 0.025,
}


def event(sample: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / sample).read_text())
    data.update(changes)
    return data


def api(name: str, claims: dict[str, str], **path: str) -> dict[str, Any]:
    data = event(name)
    for key, value in path.items():  # Powertools routes on rawPath: replace it there too
        sample = data["pathParameters"][key]
        data["rawPath"] = data["rawPath"].replace(f"/{sample}", f"/{value}", 1)
        data["pathParameters"][key] = value
    data["requestContext"]["authorizer"]["jwt"]["claims"].update(claims)
    return data


class WorkerProcesses:
    """Runs each sync-worker invocation of the stack in a process of its own and adds up
    what those processes measured."""

    def __init__(self, stack: LocalStack, layer: str | None = None) -> None:
        self._layer = layer
        runtime = stack.runtime
        assert runtime is not None
        self._runtime = runtime
        self._inline = runtime.invoke
        runtime.invoke = self.invoke  # type: ignore[method-assign]
        self.reset()

    def reset(self) -> None:
        self.invocations = 0
        self.peak_rss_mb = 0.0
        self.record_writes = 0
        self.dynamodb: dict[str, Any] = {
            "requests": 0,
            "by_operation": {},
            "read_units": 0.0,
            "write_units": 0.0,
        }
        self.queries: dict[str, int] = {"pages": 0, "empty_pages": 0, "counts": 0}

    def invoke(self, name: str, event: Any) -> Any:
        logical = self._runtime.logical_id(name)
        if logical != WORKER:
            return self._inline(name, event)
        spec = self._runtime.template.function(logical)
        with tempfile.TemporaryDirectory() as tmp:
            result_file = os.path.join(tmp, "result.json")
            job = {
                "env": self._runtime.environment(logical),
                "paths": [
                    str(p)
                    for p in [
                        *([self._layer] if self._layer else self._runtime.template.layer_dirs()),
                        spec.code_dir,
                    ]
                ],
                "module": spec.module,
                "handler": spec.handler_name,
                "name": local_function_name(logical),
                "arn": local_function_arn(logical),
                "memory_mb": spec.memory_mb,
                "timeout_s": spec.timeout,
                "event": event,
                "result_file": result_file,
            }
            done = subprocess.run(
                [sys.executable, "-m", "bench.worker_process"],
                input=json.dumps(job).encode(),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"the worker process failed ({done.returncode})")
            out = json.loads(Path(result_file).read_text())
        self.invocations += 1
        self.peak_rss_mb = max(self.peak_rss_mb, out["peak_rss_mb"])
        self.record_writes += out["record_writes"]
        for key in ("requests", "read_units", "write_units"):
            self.dynamodb[key] += out["dynamodb"][key]
        ops = self.dynamodb["by_operation"]
        for op, n in out["dynamodb"]["by_operation"].items():
            ops[op] = ops.get(op, 0) + n
        for key, n in out["queries"].items():
            self.queries[key] += n
        return out["result"]


def per_object(value: float, objects: int) -> float:
    return round(value / objects, 3) if objects else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument(
        "--worker-layer",
        help="run the worker on another copy of layers/shared (e.g. an older commit's, to "
        "measure before and after with the same bench)",
    )
    parser.add_argument(
        "--first-only",
        action="store_true",
        help="only the first (full) sync and the worker's peak RSS at this size (make bench "
        "runs it at 100,000 objects, the memory goal's size)",
    )
    args = parser.parse_args()
    claims = {
        "sub": "bench",
        "org_id": ORG,
        "role": "SystemAdministrator",
        "home_org_unit": "root",
        "home_org_unit_is_root": "true",
    }

    with LocalStack(
        visibility_timeout=0, env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING"}
    ) as stack:
        sandbox = stack.sandbox.sandbox  # type: ignore[union-attr]
        sandbox.set_limits(enabled=False)  # this bench measures our side, not Intuit's pacing
        sandbox.create_user("bench", "pw-bench")
        # Seed an hour "ago" on the sandbox clock: a real company's data predates its sync.
        sandbox.advance_clock(-3600)
        started = time.perf_counter()
        sizes = {t: int(args.objects * share) for t, share in SHARES.items()}
        company = sandbox.create_company(admins=["bench"], sizes=sizes)
        seeded = time.perf_counter() - started
        sandbox.advance_clock(3600)
        realm = company.realm_id

        registered = stack.invoke(
            "OpsFunction",
            event(
                "ops-register-legal-entity.json", org_id=ORG, legal_entity_id=LE, name="Bench Co"
            ),
        )
        assert registered["ok"], registered
        start = stack.invoke("OAuthStartFunction", api("oauth-start.json", claims, id=LE))
        assert start["statusCode"] == 200, start
        popup = event("oauth-launch.json")
        popup["queryStringParameters"] = dict(
            parse_qsl(urlparse(json.loads(start["body"])["popup_url"]).query)
        )
        launched = stack.invoke("OAuthStartFunction", popup)
        assert launched["statusCode"] == 302, launched
        redirect = consent(launched["headers"]["Location"], "bench", "pw-bench", realm)
        callback = event("oauth-callback.json")
        callback["queryStringParameters"] = dict(parse_qsl(urlparse(redirect).query))
        callback["cookies"] = [c.split(";", 1)[0] for c in launched["cookies"]]
        asked = stack.invoke("OAuthCallbackFunction", callback)
        assert asked["statusCode"] == 200, asked
        confirm = event("oauth-confirm.json")
        confirm["body"] = urlencode({**forms_of(asked["body"])[0].fields, "decision": "connect"})
        confirm["cookies"] = callback["cookies"]
        assert stack.invoke("OAuthCallbackFunction", confirm)["statusCode"] == 200
        profile = event("ops-put-sync-profile.json", org_id=ORG, legal_entity_id=LE)
        profile["profile"].update(export_bills=False, import_payments=False)
        assert stack.invoke("OpsFunction", profile)["ok"]

        from qbo_connector.models.sync_profile import DEFAULT_OBJECT_TYPES

        counts = {t: len(sandbox.list_objects(realm, t)) for t in DEFAULT_OBJECT_TYPES}
        pages = sum(-(-n // 1000) for n in counts.values())
        print(
            json.dumps(
                {
                    "company_objects": sum(counts.values()),
                    "by_type": counts,
                    "seed_seconds": round(seeded, 1),
                    "pages": f"sum(ceil(n/1000)) = {pages}",
                }
            )
        )
        workers = WorkerProcesses(stack, args.worker_layer)

        def sync(label: str, mode: str) -> dict[str, Any]:
            workers.reset()
            body = api("manual-sync-full.json", claims, id=LE)
            body["body"] = json.dumps({"mode": mode})
            t0 = time.perf_counter()
            answer = stack.invoke("ManualSyncFunction", body)
            assert answer["statusCode"] == 202, answer
            sync_id = json.loads(answer["body"])["sync_id"]
            stack.drain(max_rounds=1000)
            elapsed = time.perf_counter() - t0
            run = json.loads(
                stack.invoke(
                    "EntityApiFunction",
                    api("entity-api-get-sync.json", claims, id=LE, syncId=sync_id),
                )["body"]
            )
            fetched = sum(p["fetched"] for p in run["progress"].values())
            dynamo = workers.dynamodb
            figures = {
                "sync": label,
                "status": run["status"],
                "qbo_calls": run["api_calls"],
                "queries_answered": workers.queries,
                "counts": run["counts"],
                "fetched": fetched,
                "record_writes": workers.record_writes,
                "worker_invocations": workers.invocations,
                "worker_peak_rss_mb": round(workers.peak_rss_mb),
                "dynamodb": {
                    **dynamo,
                    "read_units": round(dynamo["read_units"], 1),
                    "write_units": round(dynamo["write_units"], 1),
                    "requests_per_object": per_object(dynamo["requests"], fetched),
                    "read_units_per_object": per_object(dynamo["read_units"], fetched),
                    "write_units_per_object": per_object(dynamo["write_units"], fetched),
                },
                "seconds": round(elapsed, 1),
                "objects_per_second": round(fetched / elapsed) if elapsed else None,
            }
            if run["status"] != "succeeded":
                figures["errors"] = run.get("errors")
            print(json.dumps(figures))
            return figures

        full = sync("first sync (full)", "full")
        if args.first_only:
            objects = sum(counts.values())
            rss = full["worker_peak_rss_mb"]
            ok = rss < 200 and full["fetched"] == objects
            print(
                f"\n{'ok  ' if ok else 'MISS'} worker peak RSS at {objects} objects, MB"
                f"{rss:>12}   goal: < 200 at 100k objects (all {full['fetched']} records read)"
            )
            return
        vendors = [v for v in sandbox.list_objects(realm, "Vendor") if v.get("Active", True)]
        for i, vendor in enumerate(vendors[: args.changes]):
            sandbox.update_object(realm, "Vendor", vendor["Id"], {"CompanyName": f"Changed {i}"})
        incremental = sync(f"incremental after {args.changes} changes", "incremental")
        again = sync("full re-sync, no change", "full")

        def line(what: str, value: Any, goal: str, ok: bool) -> None:
            print(f"{'ok  ' if ok else 'MISS'} {what:<46} {value!s:>10}   goal: {goal}")

        objects = sum(counts.values())
        print(f"\nFigures at {objects} objects, goals beside them:")
        calls = full["qbo_calls"]["total"]
        line(
            "full-import QBO calls",
            calls,
            f"< {TAP_QUICKBOOKS_FULL_CALLS} (tap-quickbooks)",
            calls < TAP_QUICKBOOKS_FULL_CALLS,
        )
        asked = full["queries_answered"]
        line(
            "full-import pages read (empty pages)",
            f"{asked['pages']} ({asked['empty_pages']})",
            f"= sum(ceil(n/1000)) = {pages}, none empty",
            asked["pages"] == pages,
        )
        line(
            "full import: all records", full["fetched"], f"= {objects}", full["fetched"] == objects
        )
        calls = incremental["qbo_calls"]["total"]
        line("incremental QBO calls", calls, "<= 2 (CDC + one batch)", calls <= 2)
        line(
            "worker peak RSS, MB",
            full["worker_peak_rss_mb"],
            "< 200 at 100k objects",
            full["worker_peak_rss_mb"] < 200,
        )
        first = full["dynamodb"]
        reads = first["by_operation"].get("BatchGetItem", 0)
        line(
            "first sync: BatchGetItem requests", reads, "0 (nothing stored to look up)", reads == 0
        )
        line(
            "first sync: DynamoDB requests / object",
            first["requests_per_object"],
            "≈ 1/25 (one BatchWriteItem per 25 records)",
            first["requests_per_object"] < 0.06,
        )
        line(
            "first sync: read units / object",
            first["read_units_per_object"],
            "≈ 0",
            first["read_units_per_object"] < 0.01,
        )
        line(
            "first sync: write units / object",
            first["write_units_per_object"],
            "≈ record size in KB (one write per record)",
            True,
        )
        line(
            "no-change re-sync: records written",
            again["record_writes"],
            "0",
            again["record_writes"] == 0,
        )
        line(
            "no-change re-sync: read units / object",
            again["dynamodb"]["read_units_per_object"],
            "≤ 1 (look-ups eventually consistent, sweep)",
            again["dynamodb"]["read_units_per_object"] <= 1,
        )


if __name__ == "__main__":
    main()
