"""SmartSync import bench: API calls, peak memory and speed of a large first sync,
an incremental sync after changes, and a re-sync with no change.

    .venv/bin/python -m bench.import [--objects 100000] [--changes 500]

Runs the real handlers over the local stack (moto + QBO sandbox) in this process;
the entity is connected through the sandbox's consent page like a person would.
Goals: first-sync API calls = Σ⌈n/1000⌉ over types (+ at most one token call);
incremental = one CDC call + the TaxCode/TaxRate queries; no-change re-sync
writes 0 records.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from local_stack.stack import LocalStack
from qbo_sandbox.browser import consent, forms_of

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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=500)
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
        expected = sum(-(-n // 1000) for n in counts.values())
        print(
            json.dumps(
                {
                    "company_objects": sum(counts.values()),
                    "by_type": counts,
                    "seed_seconds": round(seeded, 1),
                    "expected_first_sync_calls": f"sum(ceil(n/1000)) = {expected}",
                }
            )
        )

        def sync(label: str, mode: str) -> dict[str, Any]:
            from qbo_connector import wiring

            body = api("manual-sync-full.json", claims, id=LE)
            body["body"] = json.dumps({"mode": mode})
            t0 = time.perf_counter()
            answer = stack.invoke("ManualSyncFunction", body)
            assert answer["statusCode"] == 202, answer
            sync_id = json.loads(answer["body"])["sync_id"]
            stack.drain(max_rounds=1000)
            elapsed = time.perf_counter() - t0
            writes = wiring.record_store().writes  # the worker's store, last function run
            run = json.loads(
                stack.invoke(
                    "EntityApiFunction",
                    api("entity-api-get-sync.json", claims, id=LE, syncId=sync_id),
                )["body"]
            )
            fetched = sum(p["fetched"] for p in run["progress"].values())
            print(
                json.dumps(
                    {
                        "sync": label,
                        "status": run["status"],
                        "api_calls": run["api_calls"],
                        "counts": run["counts"],
                        "fetched": fetched,
                        "record_writes": writes,
                        "seconds": round(elapsed, 1),
                        "objects_per_second": round(fetched / elapsed) if elapsed else None,
                        "peak_rss_mb": round(peak_rss_mb()),
                    }
                )
            )
            return run

        sync("first sync (full)", "full")
        vendors = [v for v in sandbox.list_objects(realm, "Vendor") if v.get("Active", True)]
        for i, vendor in enumerate(vendors[: args.changes]):
            sandbox.update_object(realm, "Vendor", vendor["Id"], {"CompanyName": f"Changed {i}"})
        sync(f"incremental after {args.changes} changes", "incremental")
        sync("full re-sync, no change", "full")


if __name__ == "__main__":
    main()
