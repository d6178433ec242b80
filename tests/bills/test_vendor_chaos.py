"""Chaos over vendors: 150 new AP suppliers (env VENDOR_CHAOS_SUPPLIERS), each with a first
bill naming it by `ap_supplier_id`, through 429 bursts, 500/503, answers after the client's
timeout, connection resets, commit-then-fail and a worker killed between QBO's answer and
our write — the bill chaos test (tests/bills/test_export_chaos.py) over Vendors and the
bills that wait for them, with its helpers.

Each run is a sync run's write-back: the vendor step, then the bill step (which releases
the bills whose vendor now exists). Runs repeat until nothing is queued or exporting.
Every supplier must end `exported` with exactly one QBO Vendor of its name (none doubled,
none lost), recorded as that supplier's export; every bill must end `exported`, exactly
once in QBO, for its supplier's vendor.

Nothing here sleeps: the client's back-off is a no-op, leases (and `settle_seconds` after
unknown outcomes) expire by moving the connector's clock, and between runs the test waits
until the sandbox has finished every request still in flight.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter, defaultdict
from typing import Any

from qbo_connector.adapters.qbo_client import RetryPolicy
from qbo_connector.models.vendor import name_identity
from tests.bills.test_export_chaos import FAULT_KINDS, InFlight, Killed
from tests.bills.test_vendor_wait import bills, by_supplier
from tests.bills.test_vendors import supplier

SUPPLIERS = int(os.environ.get("VENDOR_CHAOS_SUPPLIERS", "150"))


def _all(list_page: Any, entity: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = list_page(entity, None, 200, cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_every_vendor_and_its_waiting_bill_exactly_once_under_chaos(make_world: Any) -> None:
    started = time.perf_counter()
    world = make_world()
    rng = random.Random(15)
    vendors, service = world.vendors(), bills(world)
    names = {f"sup-{i:04d}": f"Chaos Supplier {i:04d}" for i in range(SUPPLIERS)}
    for ap_id, name in names.items():
        assert vendors.submit(world.entity, supplier(ap_id, name))["state"] == "queued"
        body = by_supplier(world, f"bill-{ap_id}", f"CV-{ap_id}", ap_id, amount="77.00")
        assert service.submit(world.entity, body)["state"] == "waiting_for_vendor"

    sandbox = world.sandbox
    inflight = InFlight(sandbox)
    kills = runs = 0
    injected: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    engines = [vendors.engine, service.engine]

    def pending() -> bool:
        return bool(vendors.store.pending_ids(world.org_id, world.le_id)
                    or service.store.pending_ids(world.org_id, world.le_id))

    try:
        for run in range(40):
            if not pending():
                break
            runs += 1
            chaotic = run < 25
            if chaotic and run not in (0, 1):  # runs 0 and 1: a clean kill
                for _ in range(rng.randint(2, 5)):
                    kind = rng.choice(FAULT_KINDS)
                    path = rng.choice(["*/batch", "*/batch", "*/query", "*"])
                    count = rng.randint(1, 3)
                    sandbox.inject_fault(kind, count=count, realm=world.realm, path=path,
                                         seconds=0.3 if kind == "delay" else 0.0)
                    injected[kind] += count
            for engine in engines:
                engine.after_batch = None
            if chaotic and (run in (0, 1) or rng.random() < 0.3):
                # Run 0 kills the vendor step, run 1 the bill step, later runs either.
                pick = {0: 0, 1: 1}.get(run, rng.randint(0, 1))
                target = engines[pick]
                after = 0 if run in (0, 1) else rng.randint(0, 1)
                seen = {"n": 0}

                def kill(_records: Any, _results: Any, after: int = after,
                         seen: dict[str, int] = seen) -> None:
                    seen["n"] += 1
                    if seen["n"] > after:
                        raise Killed()

                target.after_batch = kill
            client = world.client(timeout=(1.0, 0.1), retry=RetryPolicy(max_attempts=3))
            ctx = world.ctx(client)
            try:
                totals.update({f"vendor_{k}": v
                               for k, v in vendors.export_pending(ctx).as_dict().items()
                               if isinstance(v, int)})
                totals.update({f"bill_{k}": v
                               for k, v in service.export_pending(ctx).as_dict().items()
                               if isinstance(v, int)})
            except Killed:
                kills += 1
            sandbox.clear_faults()
            inflight.wait_idle()
            world.clock.advance(vendors.engine.lease_seconds + vendors.engine.settle_seconds)
        for engine in engines:
            engine.after_batch = None
        assert not pending()
    finally:
        inflight.close()
        sandbox.clear_faults()

    # -- every supplier: one QBO vendor of its name, recorded as its export ------------------
    views = {v["ap_supplier_id"]: v for v in _all(vendors.list_page, world.entity)}
    assert set(views) == set(names), "suppliers lost from the log"
    states = Counter(v["state"] for v in views.values())
    assert states == Counter({"exported": SUPPLIERS}), {
        k: (v["state"], v.get("failure"), v.get("duplicate_of"), v.get("last_error"))
        for k, v in views.items() if v["state"] != "exported"}
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for vendor in sandbox.list_objects(world.realm, "Vendor"):
        by_name[name_identity(vendor["DisplayName"])].append(str(vendor["Id"]))
    doubled = {n: ids for n, ids in by_name.items() if n.startswith("chaos") and len(ids) > 1}
    assert doubled == {}, f"vendors created more than once: {doubled}"
    for ap_id, name in names.items():
        assert by_name[name_identity(name)] == [views[ap_id]["qbo_vendor_id"]], ap_id

    # -- every bill: exported once, for its supplier's vendor -------------------------------
    bill_views = {b["ap_invoice_id"]: b for b in _all(service.list_page, world.entity)}
    ours = [b for b in bill_views.values() if b["ap_invoice_id"].startswith("bill-sup-")]
    assert Counter(b["state"] for b in ours) == Counter({"exported": SUPPLIERS}), {
        b["ap_invoice_id"]: (b["state"], b.get("failure"), b.get("waiting"))
        for b in ours if b["state"] != "exported"}
    qbo_bills: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for bill in sandbox.list_objects(world.realm, "Bill"):
        qbo_bills[str(bill.get("DocNumber"))].append(bill)
    for ap_id in names:
        found = qbo_bills[f"CV-{ap_id}"]
        assert len(found) == 1, (ap_id, [b["Id"] for b in found])
        assert found[0]["VendorRef"]["value"] == views[ap_id]["qbo_vendor_id"]
        assert bill_views[f"bill-{ap_id}"]["qbo_bill_id"] == found[0]["Id"]

    assert kills >= 1
    # The killed runs' vendors and bills, created in QBO, were found by a later run's
    # look-up (the recovery a lost answer takes too) and recorded, not created again.
    assert totals["vendor_recovered"] >= 1 and totals["bill_recovered"] >= 1
    print(
        f"\nvendor chaos: {SUPPLIERS} suppliers and their bills, {runs} runs, {kills} kills; "
        f"faults injected {dict(sorted(injected.items()))}; outcomes "
        f"{ {k: v for k, v in sorted(totals.items()) if v} }; "
        f"total {time.perf_counter() - started:.1f} s"
    )
