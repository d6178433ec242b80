"""SmartSync bench: API calls and time of a first full sync of a large company, of an
incremental sync after changes, and of a re-sync with no change (record writes).

    .venv/bin/python -m bench.sync_calls [--vendors 5000] [--changes 500]

Runs the real handlers over the local stack (moto + QBO sandbox), in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "layers" / "shared"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vendors", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=500)
    args = parser.parse_args()

    import os

    from local_stack.stack import LocalStack
    from tests.sync.conftest import Entity, _grant_tokens  # the same connect path as tests

    with LocalStack(visibility_timeout=0) as stack:
        os.environ.update(stack.env)
        from qbo_connector import wiring
        from qbo_connector.adapters.legal_entity_store import LegalEntityStore
        from qbo_connector.adapters.token_vault import TokenVault
        from qbo_connector.models.legal_entity import ConnectionState

        wiring.reset()
        sandbox = stack.sandbox.sandbox  # type: ignore[union-attr]
        sandbox.set_limits(enabled=False)
        # Seed the company an hour "ago" on the sandbox's clock, as a real company's data
        # predates its first sync (otherwise every seeded row falls in the CDC overlap).
        sandbox.advance_clock(-3600)
        company = sandbox.create_company(sizes={"Vendor": args.vendors, "Customer": args.customers})
        sandbox.advance_clock(3600)
        entity = Entity(stack, "org-bench", "le-bench", company.realm_id, "")
        assert entity.ops("ops-register-legal-entity.json", name="Bench")["ok"]
        store = LegalEntityStore()
        current = store.get("org-bench", "le-bench")
        assert current is not None
        TokenVault().save("org-bench", "le-bench", _grant_tokens(stack, company.realm_id))
        current.connection_state = ConnectionState.CONNECTED
        current.realm_id = current.data_realm_id = company.realm_id
        store.bind_realm(current)
        assert entity.ops(
            "ops-put-sync-profile.json", profile={"export_bills": False, "import_payments": False}
        )["ok"]
        sizes = {
            t: len(sandbox.list_objects(company.realm_id, t))
            for t in (
                "Vendor",
                "Account",
                "Class",
                "Department",
                "Item",
                "Term",
                "TaxCode",
                "TaxRate",
                "Customer",
                "Currency",
            )
        }

        def sync(label: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            started = time.perf_counter()
            status, answer = entity.start_sync(body)
            assert status == 202, answer
            stack.drain()
            run = entity.run(answer["sync_id"])
            elapsed = time.perf_counter() - started
            objects = run["counts"]
            fetched = sum(p["fetched"] for p in run["progress"].values())
            print(
                json.dumps(
                    {
                        "sync": label,
                        "status": run["status"],
                        "mode": run["effective_mode"],
                        "api_calls": run["api_calls"],
                        "counts": objects,
                        "fetched": fetched,
                        "seconds": round(elapsed, 2),
                        "objects_per_second": round(fetched / elapsed, 1) if elapsed else None,
                    }
                )
            )
            return run

        expected = sum(-(-n // 1000) for n in sizes.values())
        print(json.dumps({"company": sizes, "expected_full_calls_sum_ceil_n_1000": expected}))
        full = sync("first full")
        vendors = [
            v for v in sandbox.list_objects(company.realm_id, "Vendor") if v.get("Active", True)
        ][: args.changes]
        for i, vendor in enumerate(vendors):
            sandbox.update_object(
                company.realm_id, "Vendor", vendor["Id"], {"CompanyName": f"Changed {i}"}
            )
        sync(f"incremental after {len(vendors)} changes")
        full_again = sync("full re-sync, no change", {"mode": "full"})
        print(
            json.dumps(
                {
                    "first_full_calls": full["api_calls"]["total"],
                    "record_writes_on_no_change_resync": full_again["counts"]["new"]
                    + full_again["counts"]["changed"]
                    + full_again["counts"]["deactivated"]
                    + full_again["counts"]["deleted"],
                }
            )
        )


if __name__ == "__main__":
    main()
