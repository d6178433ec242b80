"""Bill export throughput per realm under Intuit's limits, on the sandbox's clock.

The sandbox enforces 500 requests/min, 10/s and 40 batch/min per realm on its own
clock, which is frozen here and moved only by the client's pacer/back-off sleeps: the
printed rate is what QBO's limits allow (our DynamoDB time is excluded; moto's is not
representative). Usage: python bench/export.py [bills]   (default 600, no PDFs)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT), str(ROOT / "tests" / "bills")]


def main(bills: int) -> None:
    import conftest as fx  # the bill tests' world builder (moto + sandbox)
    from moto.server import ThreadedMotoServer

    from qbo_connector.adapters.qbo_client import RealmPacer
    from qbo_sandbox.server import SandboxServer

    port = fx._free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    server = SandboxServer(port=0).start()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                           "AWS_DEFAULT_REGION": "us-east-1"})
        mp = __import__("pytest").MonkeyPatch()
        env = fx.aws_env.__wrapped__(f"http://127.0.0.1:{port}", mp)  # type: ignore[attr-defined]
        next(env)
        world = fx.make_world.__wrapped__(None, server)()  # type: ignore[attr-defined]
        sandbox = server.sandbox
        for i in range(bills):
            world.service.submit(world.entity, world.invoice(f"ap-{i}", f"B-{i:05d}"))
        sandbox.freeze_clock(sandbox.clock.now())
        sandbox.set_limits(enabled=True)
        clock = sandbox.clock.now
        client = world.client(pacer=RealmPacer(clock=clock), sleep=sandbox.advance_clock)
        start_sim, start_wall = clock(), time.perf_counter()
        ctx = world.ctx(client)
        while world.service.store.pending_ids(world.org_id, world.le_id):
            world.service.export_pending(ctx)
        sim = max(clock() - start_sim, 1e-9)
        exported = len(world.qbo_bills())
        calls = client.counter.as_dict()
        print(f"bills exported: {exported} (of {bills})")
        if sim < 60:
            print(f"realm time {sim:.1f} s: under a minute, limits never bound; run with more "
                  "bills (>= 2500) for a meaningful rate")
        else:
            print(f"realm time (sandbox clock): {sim:.1f} s -> {exported / sim * 60:.0f} "
                  "bills/min")
        print(f"API calls: {calls['api_calls']} ({calls['api_calls'] / max(exported, 1):.3f} "
              f"per bill); throttled: {calls['throttled']}; breakdown: {calls}")
        print(f"wall time: {time.perf_counter() - start_wall:.1f} s (moto-bound, not QBO)")
        mp.undo()
    finally:
        server.stop()
        moto.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600)
