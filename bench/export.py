"""Bill export throughput per realm under Intuit's limits, on the sandbox's clock.

    .venv/bin/python -m bench.export [--bills 2500]

Self-contained: starts a moto server (the BillExports/Records/LegalEntities tables as
template.yaml defines them) and the QBO sandbox, imports the company's master data into
the RecordsTable, submits the bills through the export service and exports them.

The sandbox enforces 500 requests/min, 10/s and 40 batch requests/min per realm on its
own clock, which is frozen here and moved only by the client's pacer and back-off
sleeps: the printed rate is what QBO's limits allow, without waiting real minutes
(DynamoDB time is excluded from it: moto's speed says nothing about DynamoDB's). The
goal is >= 1,000 bills/min; batches of 30 under 40 batch requests/min cap it at 1,200.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "layers" / "shared", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

ORG, LE = "org-bench", "le-bench"
MASTER_TYPES = ("Vendor", "Account", "Class", "Department", "Item", "Customer", "TaxCode", "Term")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def force_refresh(self, rejected: str | None = None) -> str:
        return self.token


class _Run:
    """The sync run's recorder (errors and progress are not part of the bench)."""

    def add_error(self, message: str, **_kw: Any) -> None:
        print(f"  run error: {message}")

    def progress(self, object_type: str, **counts: Any) -> None:
        pass


class _Ctx:
    def __init__(self, entity: Any, client: Any) -> None:
        self.org_id, self.legal_entity_id = ORG, LE
        self.entity, self.client, self.counter = entity, client, client.counter
        self.run = _Run()
        self.sync_id = "bench"

    def time_left_ms(self) -> int:
        return 900_000


def _access_token(sandbox: Any, realm: str) -> str:
    """A sandbox access token for the realm, as if its administrator had consented."""
    if not sandbox.store.apps:
        sandbox.register_app(["http://localhost/callback"])
    return str(sandbox.grant_tokens(realm)["access_token"])


def _import_master_data(sandbox: Any, realm: str) -> dict[str, dict[str, str]]:
    """The company's master data in the RecordsTable, keyed as the importer keys it."""
    from qbo_connector.adapters import aws

    table = aws.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])
    names: dict[str, dict[str, str]] = {}
    with table.batch_writer() as batch:
        for kind in MASTER_TYPES:
            for obj in sandbox.list_objects(realm, kind):
                name = str(obj.get("DisplayName") or obj.get("Name"))
                active = obj.get("Active", True) is not False
                if active:
                    names.setdefault(kind, {})[name] = str(obj["Id"])
                batch.put_item(
                    Item={
                        "pk": f"{ORG}#{LE}#{kind}",
                        "sk": str(obj["Id"]),
                        "name": name,
                        "active": active,
                        "deleted": False,
                    }
                )
    return names


def main(bills: int) -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    # The tables come from template.yaml itself (the local stack's bootstrap).
    from local_stack.bootstrap import template_resources

    os.environ.update(template_resources(os.environ["AWS_ENDPOINT_URL"]))
    os.environ["SYNC_QUEUE_URL"] = ""  # the bench drives the export engine directly
    from bench.dynamo_meter import DynamoMeter
    from qbo_connector.adapters.bill_export_store import BillExportStore
    from qbo_connector.adapters.invoice_documents import InvoiceDocuments
    from qbo_connector.adapters.qbo_client import QboClient, RealmPacer
    from qbo_connector.adapters.record_store import RecordStore
    from qbo_connector.logic.bill_export import BillExportService
    from qbo_connector.models.legal_entity import ConnectionState, LegalEntity
    from qbo_sandbox.server import SandboxServer

    server = SandboxServer(port=0).start()
    try:
        sandbox = server.sandbox
        realm = sandbox.create_company(warn_duplicate_bill_number=True).realm_id
        names = _import_master_data(sandbox, realm)
        entity = LegalEntity(
            org_id=ORG,
            legal_entity_id=LE,
            name="Bench Co",
            created_at="2026-01-01T00:00:00Z",
            connection_state=ConnectionState.CONNECTED,
            realm_id=realm,
            data_realm_id=realm,
        )
        service = BillExportService(BillExportStore(), RecordStore(), InvoiceDocuments())
        vendors = sorted(names["Vendor"].values())
        account = names["Account"]["Advertising"]
        meter = DynamoMeter()
        meter.install()
        started = time.perf_counter()
        for i in range(bills):
            service.submit(
                entity,
                {
                    "ap_invoice_id": f"ap-{i:06d}",
                    "vendor_id": vendors[i % len(vendors)],
                    "invoice_number": f"B-{i:06d}",
                    "invoice_date": "2026-01-15",
                    "lines": [{"amount": f"{10 + i % 90}.25", "account_id": account}],
                },
            )
        submitted = time.perf_counter() - started
        print(f"submitted {bills} bills in {submitted:.1f} s wall (moto-bound)")
        submit_db = meter.snapshot()
        meter.reset()

        sandbox.freeze_clock(sandbox.clock.now())
        sandbox.set_limits(enabled=True)
        clock = sandbox.clock.now
        client = QboClient(
            realm,
            _Tokens(_access_token(sandbox, realm)),
            server.api_base,
            pacer=RealmPacer(clock=clock),
            sleep=sandbox.advance_clock,
        )
        ctx = _Ctx(entity, client)
        start_sim, start_wall = clock(), time.perf_counter()
        runs = 0
        while service.store.pending_ids(ORG, LE) and runs < 20:
            service.export_pending(ctx)
            runs += 1
        realm_seconds = max(clock() - start_sim, 1e-9)
        created = [
            b
            for b in sandbox.list_objects(realm, "Bill")
            if str(b.get("DocNumber", "")).startswith("B-")
        ]
        calls = client.counter.as_dict()
        print(f"bills exported: {len(created)} of {bills} in {runs} run(s)")
        if realm_seconds < 60:
            # Within the first minute Intuit's per-minute limits never bind: no rate to report.
            print(
                f"realm time {realm_seconds:.1f} s: too few bills to meet Intuit's limits; "
                "run with --bills 2500 or more for a bills-per-minute figure"
            )
        else:
            print(
                f"realm time (sandbox clock, Intuit's limits enforced): {realm_seconds:.1f} s "
                f"-> {len(created) / realm_seconds * 60:.0f} bills per minute per realm"
            )
        per_bill = max(len(created), 1)
        print(
            f"API calls: {calls['api_calls']} ({calls['api_calls'] / per_bill:.3f}"
            f" per bill); throttled (429): {calls['throttled']}; breakdown: "
            + ", ".join(f"{k}={v}" for k, v in calls.items() if v and k != "api_calls")
        )
        # The duplicate look-up per chunk of 30: one exact `DocNumber IN` query and one
        # vendor + date-window query (paged at 1000), then one batch create.
        print(
            "calls per bill: "
            + ", ".join(
                f"{k} {calls[k] / per_bill:.3f}"
                for k in ("query", "batch", "retries")
                if k in calls
            )
            + f"; look-up queries per 30-bill chunk: "
            f"{calls.get('query', 0) / max(calls.get('batch', 0), 1):.2f}"
        )
        print(f"export wall time: {time.perf_counter() - start_wall:.1f} s (moto-bound)")
        export_db = meter.snapshot()
        for stage, figures in (("submission", submit_db), ("export", export_db)):
            # Every bill's fate is a conditional write, so the goal is the design's floor:
            # submission = the record and reference reads + claim, outbox marker, record;
            # export = a share of the chunk's read + lease, id map, outcome, marker drop.
            print(
                f"DynamoDB per bill, {stage}: "
                f"{figures['requests'] / max(bills, 1):.2f} requests (goal <= 5), "
                f"{figures['read_units'] / max(bills, 1):.2f} read units, "
                f"{figures['write_units'] / max(bills, 1):.2f} write units "
                f"({', '.join(f'{k} {v}' for k, v in figures['by_operation'].items())})"
            )
    finally:
        server.stop()
        moto.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bills", type=int, default=2500)
    main(parser.parse_args().bills)
