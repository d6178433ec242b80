"""Payment export throughput per realm under Intuit's limits, on the sandbox's clock.

    .venv/bin/python -m bench.payments [--bills 300] [--payments 600]

Self-contained: starts a moto server (the export-log/Records/LegalEntities tables as
template.yaml defines them) and the QBO sandbox, imports the company's master data into
the RecordsTable (with bodies: a payment's paying account is checked by its type),
exports the bills, then submits the AP payments (two partial payments per bill, a third
of them by credit card) through the payment service and exports them as BillPayments.

The sandbox enforces 500 requests/min, 10/s and 40 batch requests/min per realm on its
own clock, which is frozen here and moved only by the client's pacer and back-off
sleeps: the printed rate is what QBO's limits allow, without waiting real minutes
(DynamoDB time is excluded: moto's speed says nothing about DynamoDB's). Bills and
payments share one pacer, as one realm's budget.

Goals, and why. A chunk of <= 30 payments costs one batch create and a look-up of one or
two `Id IN (...)` queries (the chunk's bills; then the BillPayments they list, when they
list any), and each run reads the paid bills' balances back (one query per 100 bills).
So:

- payments/min/realm: the 40 batch requests/min cap the sustained rate at 40 x 30 =
  1,200; the 500 requests/min (2-3 calls per chunk: 160+ chunks/min) and 10/s do not
  bind first. Goal >= 1,000/min, the bills' goal, leaving room for a retry or a short
  chunk (600/min would pass a halved batch size unnoticed);
- QBO calls per payment: 2-3 calls per 30 payments = 0.067-0.10, plus the read-back
  (0.01 at one payment per bill): goal <= 0.15 (0.2 would pass a doubled look-up
  unnoticed; 0.15 leaves room for retries on a bad day).

Intuit's windows slide: the first 40 batches of a realm go through at once, so any run
of a few realm minutes measures mostly that burst (the default 600 payments are 20
batches, under a minute's budget). The headline figure is therefore the sustained rate
the measured calls allow under the limits (for each limit: limit x payments per call of
its kind; the lowest wins), with the measured realm-time rate printed beside it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "layers" / "shared", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.export import LE, ORG, _access_token, _Ctx, _free_port, _Tokens  # noqa: E402

MASTER_TYPES = ("Vendor", "Account", "Class", "Department", "Item", "Customer", "TaxCode", "Term")
GOAL_PER_MINUTE = 1000
GOAL_CALLS_PER_PAYMENT = 0.15
MARKER = re.compile(r"\[AP payment ([^\]]+)\]")


def _import_master_data(sandbox: Any, realm: str) -> dict[str, dict[str, str]]:
    """The company's master data in the RecordsTable as the importer keys it (bodies too)."""
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
                        "body": json.dumps(obj, separators=(",", ":")),
                    }
                )
    return names


def _export_all(service: Any, ctx: Any, what: str) -> int:
    runs = 0
    while service.store.pending_ids(ORG, LE) and runs < 20:
        service.export_pending(ctx)
        runs += 1
    if service.store.pending_ids(ORG, LE):
        print(f"  {what}: still pending after {runs} runs")
    return runs


def main(bills: int, payments: int) -> None:
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
    from local_stack.bootstrap import template_resources

    os.environ.update(template_resources(os.environ["AWS_ENDPOINT_URL"]))
    os.environ["SYNC_QUEUE_URL"] = ""  # the bench drives the export engine directly
    from bench.dynamo_meter import DynamoMeter
    from qbo_connector.adapters.bill_export_store import BillExportStore
    from qbo_connector.adapters.invoice_documents import InvoiceDocuments
    from qbo_connector.adapters.payment_store import PaymentStore
    from qbo_connector.adapters.qbo_client import QboClient, RealmPacer
    from qbo_connector.adapters.record_store import RecordStore
    from qbo_connector.logic.bill_export import BillExportService
    from qbo_connector.logic.payment_export import PaymentExportService
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
        entity.sync_profile = {
            "export_bills": True,
            "export_payments": True,
            "payment_bank_account_id": names["Account"]["Checking"],
            "payment_card_account_id": names["Account"]["Mastercard"],
        }
        bill_service = BillExportService(BillExportStore(), RecordStore(), InvoiceDocuments())
        vendors = sorted(names["Vendor"].values())
        account = names["Account"]["Advertising"]
        totals: dict[str, Decimal] = {}
        vendor_of: dict[str, str] = {}
        for i in range(bills):
            ap_id = f"ap-{i:06d}"
            totals[ap_id] = Decimal(f"{100 + i % 900}.25")
            vendor_of[ap_id] = vendors[i % len(vendors)]
            bill_service.submit(
                entity,
                {
                    "ap_invoice_id": ap_id,
                    "vendor_id": vendor_of[ap_id],
                    "invoice_number": f"B-{i:06d}",
                    "invoice_date": "2026-01-15",
                    "lines": [{"amount": str(totals[ap_id]), "account_id": account}],
                },
            )

        sandbox.freeze_clock(sandbox.clock.now())
        sandbox.set_limits(enabled=True)
        clock = sandbox.clock.now
        pacer = RealmPacer(clock=clock)  # one realm, one budget: bills and payments
        token = _Tokens(_access_token(sandbox, realm))

        def client() -> Any:
            return QboClient(
                realm, token, server.api_base, pacer=pacer, sleep=sandbox.advance_clock
            )

        bill_runs = _export_all(bill_service, _Ctx(entity, client()), "bills")
        qbo_bill = {ap: str(bill_service.show(entity, ap).get("qbo_bill_id")) for ap in totals}
        exported_bills = sum(1 for q in qbo_bill.values() if q != "None")
        print(f"bills exported: {exported_bills} of {bills} in {bill_runs} run(s)")

        # Two partial payments per bill (40 % and 25 %, so they differ), a third by card.
        service = PaymentExportService(PaymentStore(), BillExportStore(), RecordStore())
        paid: Counter[str] = Counter()
        plan = []
        for p in range(payments):
            ap_id = f"ap-{(p // 2) % bills:06d}"
            share = Decimal("0.40") if p % 2 == 0 else Decimal("0.25")
            amount = (totals[ap_id] * share).quantize(Decimal("0.01"))
            plan.append(f"pay-{p:06d}")
            paid[ap_id] += amount  # type: ignore[assignment]
            body = {
                "ap_payment_id": f"pay-{p:06d}",
                "vendor_id": vendor_of[ap_id],
                "payment_date": "2026-02-01",
                "amount": str(amount),
                "method": "credit_card" if p % 3 == 0 else "check",
                "bills": [{"ap_invoice_id": ap_id, "amount": str(amount)}],
            }
            service.submit(entity, body)
        meter = DynamoMeter()
        meter.install()
        pay_client = client()
        ctx = _Ctx(entity, pay_client)
        start_sim, start_wall = clock(), time.perf_counter()
        runs = _export_all(service, ctx, "payments")
        realm_seconds = max(clock() - start_sim, 1e-9)
        wall = time.perf_counter() - start_wall
        db = meter.snapshot()

        # Exactly once, and the bills' balances: a bench figure is only worth a correct run.
        ours: Counter[str] = Counter()
        for bp in sandbox.list_objects(realm, "BillPayment"):
            ours.update(MARKER.findall(str(bp.get("PrivateNote") or "")))
        states = Counter(str(service.store.get(ORG, LE, p).status) for p in plan)  # type: ignore[union-attr]
        exported = states.get("exported", 0)
        doubled = sum(1 for n in ours.values() if n > 1)
        lost = sum(1 for p in plan if ours[p] == 0)
        off = sum(
            1
            for ap, bill_id in qbo_bill.items()
            if Decimal(str(sandbox.get_object(realm, "Bill", bill_id)["Balance"])).quantize(
                Decimal("0.01")
            )
            != totals[ap] - paid[ap]
        )
        print(
            f"payments exported: {exported} of {payments} in {runs} run(s) "
            f"(states {dict(states)}); in QBO: {doubled} doubled, {lost} lost; "
            f"bill balances off: {off} of {bills}"
        )

        calls = pay_client.counter.as_dict()
        per = max(exported, 1)
        batches = max(calls.get("batch", 0), 1)
        # What Intuit's limits allow these very calls, sustained: each limit divided by
        # the calls of its kind per payment (10/s is 600/min of any call).
        sustained = min(
            40 * exported / batches,
            500 * exported / max(calls["api_calls"], 1),
            600 * exported / max(calls["api_calls"], 1),
        )
        measured = exported / realm_seconds * 60
        print(
            f"realm time (sandbox clock, Intuit's limits enforced): {realm_seconds:.1f} s "
            f"-> {measured:.0f} payments/min measured (a burst: the limits' windows slide)"
        )
        print(
            f"payments per minute per realm: {sustained:.0f} sustained under Intuit's limits "
            f"by these calls (goal >= {GOAL_PER_MINUTE}; cap 40 batches x 30 = 1200) "
            f"{'OK' if sustained >= GOAL_PER_MINUTE else 'BELOW GOAL'}"
        )
        per_payment = calls["api_calls"] / per
        print(
            f"QBO calls per payment: {per_payment:.3f} (goal <= {GOAL_CALLS_PER_PAYMENT}) "
            f"{'OK' if per_payment <= GOAL_CALLS_PER_PAYMENT else 'ABOVE GOAL'}; by kind: "
            + ", ".join(
                f"{k} {v / per:.3f}"
                for k, v in calls.items()
                if v and k not in ("api_calls", "paced")
            )
            + f"; {calls['api_calls']} calls, queries per batch "
            f"{calls.get('query', 0) / batches:.2f} (read-back included), waits paced "
            f"{calls.get('paced', 0)}"
        )
        print(
            f"DynamoDB per payment, export: {db['requests'] / per:.2f} requests, "
            f"{db['read_units'] / per:.2f} read units, {db['write_units'] / per:.2f} write "
            f"units; export wall time {wall:.1f} s (moto-bound)"
        )
    finally:
        server.stop()
        moto.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bills", type=int, default=300)
    parser.add_argument("--payments", type=int, default=600)
    args = parser.parse_args()
    main(args.bills, args.payments)
