"""A mixed soak: many legal entities of several organizations, syncs, bill, vendor and
payment exports, token refreshes forced by the sandbox's clock, faults on the QuickBooks
side (the sandbox) and the AWS side (local_stack.aws_faults) at once, and sync workers
killed at random points; then a reconciliation of QuickBooks' contents with our records.

    .venv/bin/python -m bench.soak [--orgs 3] [--entities 2] [--bills 40] [--rounds 12]

`make test` runs a short one (tests/aws_faults/test_soak.py); `make bench` this one.
It prints what was done and what was injected, then the reconciliation:

    0 duplicate   no QBO object created twice (bills by vendor + number, vendors by name,
                  bill payments by their memo marker)
    0 lost        every submitted object exported, each exactly once in QBO
    0 reconnects  no legal entity asked to reconnect because of us
    every object in a final state with a reason
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests

PAYMENT_MARKER = re.compile(r"\[AP payment ([^\]]+)\]")
QBO_FAULTS = ["429", "500", "503", "commit_then_fail"]
AWS_FAULTS = [  # (kind, service, operation)
    ("throttle", "dynamodb", "*"),
    ("5xx", "dynamodb", "UpdateItem"),
    ("lost", "dynamodb", "UpdateItem"),
    ("lost", "dynamodb", "PutItem"),
    ("throttle", "dynamodb", "BatchWriteItem"),
    ("throttle", "secretsmanager", "GetSecretValue"),
    ("5xx", "secretsmanager", "PutSecretValue"),
    ("throttle", "sqs", "SendMessage"),
    ("throttle", "kms", "*"),
]


class Killed(BaseException):
    """A sync worker dies (BaseException: nothing in the connector may swallow it)."""


@dataclass
class Report:
    entities: int = 0
    organizations: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    qbo_faults: Counter[str] = field(default_factory=Counter)
    aws_faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    refreshes: int = 0
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    reconnects: list[str] = field(default_factory=list)
    not_final: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"entities {self.entities} in {self.organizations} organizations; "
            f"operations {dict(sorted(self.operations.items()))}",
            f"faults injected: QuickBooks {dict(sorted(self.qbo_faults.items()))}; "
            f"AWS {dict(sorted(self.aws_faults.items()))}",
            f"workers killed {self.kills}; token refreshes forced {self.refreshes}",
            f"reconciliation: {len(self.duplicates)} duplicate, {len(self.lost)} lost, "
            f"{len(self.reconnects)} reconnects caused by us, {len(self.not_final)} not in a "
            f"final state ({self.seconds:.0f} s)",
        ]


class Soak:
    def __init__(self, stack: Any, orgs: int, entities: int, bills: int, seed: int) -> None:
        self.stack = stack
        self.lease_seconds = int(stack.env.get("PUSH_LEASE_SECONDS", "960"))
        self.rng = random.Random(seed)
        self.bills_each = bills
        self.report = Report(entities=orgs * entities, organizations=orgs)
        self.sandbox = stack.sandbox.sandbox
        self.tenants: list[dict[str, Any]] = []
        self.killing = False
        self.invocations = 0
        run = f"{seed}{int(time.time()) % 100000}"
        for o in range(orgs):
            for e in range(entities):
                self.tenants.append({"org": f"org-soak{run}-{o}", "le": f"le-soak{run}-{o}-{e}"})

    # -- the API, as the AP platform calls it -------------------------------------------
    def _token(self, tenant: dict[str, Any], role: str) -> str:
        root = role != "Service"
        return str(self.stack.mint_token(user=f"{role.lower()}-soak", org=tenant["org"],
                                         role=role, home_org_unit="root" if root else "",
                                         home_org_unit_is_root=root))

    def call(self, tenant: dict[str, Any], method: str, path: str, role: str = "Service",
             body: Any = None) -> tuple[int, Any]:
        """One request, resent as a careful client does on 409 changed-concurrently / 5xx /
        a dropped connection (every submission is idempotent)."""
        url = f"{self.stack.gateway_url}/legal-entities/{tenant['le']}{path}"
        for _ in range(8):
            try:
                answer = requests.request(method, url, json=body, timeout=60, headers={
                    "Authorization": f"Bearer {self._token(tenant, role)}"})
            except requests.RequestException:
                continue
            retry = answer.status_code >= 500 or (
                answer.status_code == 409 and "concurrently" in answer.text)
            if not retry:
                return answer.status_code, answer.json()
        return answer.status_code, answer.json()

    # -- set-up, no faults ----------------------------------------------------------------
    def set_up(self) -> None:
        from tests.flows import connected_tenant, ops

        for n, tenant in enumerate(self.tenants):
            realm = str(9341460000000000 + self.rng.randrange(10**9))
            connected_tenant(self.stack, tenant["org"], tenant["le"], realm,
                             name=f"Soak {n}", company=f"Soak Co {n}")
            tenant["realm"] = realm
            answer = ops(self.stack, "ops-put-sync-profile.json", org_id=tenant["org"],
                         legal_entity_id=tenant["le"], profile={
                             "export_bills": True, "export_payments": True,
                             "export_vendors": True, "import_payments": True,
                             "payment_bank_account_id": self._id(tenant, "Account", "Checking")})
            assert answer["ok"], answer

    def _id(self, tenant: dict[str, Any], kind: str, name: str) -> str:
        return next(str(o["Id"]) for o in self.sandbox.list_objects(tenant["realm"], kind)
                    if name in (o.get("DisplayName"), o.get("Name")))

    # -- the work -------------------------------------------------------------------------
    def submit(self, tenant: dict[str, Any]) -> None:
        norton = self._id(tenant, "Vendor", "Norton Lumber and Building Materials")
        account = self._id(tenant, "Account", "Advertising")
        supplier = f"sup-{tenant['le'][-6:]}"
        status, _ = self.call(tenant, "POST", "/vendors", body={
            "ap_supplier_id": supplier, "display_name": f"Soak Supplier {tenant['le']}"})
        assert status == 202, status
        self.report.operations["vendors"] += 1
        tenant["bills"] = []
        for b in range(self.bills_each):
            waiting = b % 10 == 0  # every tenth bill is the new supplier's, waiting for it
            bill: dict[str, Any] = {
                "ap_invoice_id": f"bill-{b:04d}", "invoice_number": f"SK-{b:04d}",
                "invoice_date": "2026-11-02",
                "lines": [{"amount": f"{100 + b}.00", "account_id": account}]}
            bill.update({"ap_supplier_id": supplier} if waiting else {"vendor_id": norton})
            status, body = self.call(tenant, "POST", "/bills", body=bill)
            assert status == 202, body
            tenant["bills"].append(bill)
            self.report.operations["bills"] += 1
        tenant["payments"] = []
        for p in range(0, self.bills_each, 4):
            bill = tenant["bills"][p]
            if "vendor_id" not in bill:
                continue
            payment = {"ap_payment_id": f"pay-{p:04d}", "vendor_id": norton,
                       "payment_date": "2026-11-20", "amount": f"{100 + p}.00",
                       "bills": [{"ap_invoice_id": bill["ap_invoice_id"],
                                  "amount": f"{100 + p}.00"}]}
            status, body = self.call(tenant, "POST", "/payments", body=payment)
            assert status == 202, body
            tenant["payments"].append(payment)
            self.report.operations["payments"] += 1

    def faults(self) -> None:
        control, proxy = self.sandbox, self.stack.aws_faults
        for tenant in self.rng.sample(self.tenants, k=max(1, len(self.tenants) // 2)):
            kind = self.rng.choice(QBO_FAULTS)
            count = self.rng.randint(1, 3)
            control.inject_fault(kind, count=count, realm=tenant["realm"], path="*")
            self.report.qbo_faults[kind] += count
        for kind, service, operation in self.rng.sample(AWS_FAULTS, k=3):
            count = self.rng.randint(1, 3)
            proxy.inject(kind, service, operation, count=count)
            self.report.aws_faults[f"{service}.{operation}:{kind}"] += count

    def kill_sometimes(self, spec: Any) -> None:
        """before_invoke: every other sync worker, while the faults last, dies between QBO's
        answer and our write (a push engine's after_batch) in the bill, payment or vendor
        step, if that step sends a batch."""
        if spec.logical_id != "SyncWorkerFunction":
            return
        from qbo_connector import wiring

        services = [wiring.bill_export_service(), wiring.payment_export_service(),
                    wiring.vendor_export_service()]
        for service in services:
            service.engine.after_batch = None
        self.invocations += 1
        first = self.invocations <= len(self.tenants)  # the first exports: always one kill
        if not self.killing or (not first and self.rng.random() > 0.5):
            return
        after = 0 if first else self.rng.randint(0, 1)
        seen = {"n": 0}

        def kill(_records: Any, _results: Any) -> None:
            seen["n"] += 1
            if seen["n"] > after:
                raise Killed()

        # Mostly the bill step (it has the most batches), sometimes payments or vendors.
        chosen = services[0] if first else self.rng.choices(services, weights=[3, 1, 1])[0]
        chosen.engine.after_batch = kill
        self.report.operations["kills armed"] += 1

    def rounds(self, n: int) -> None:
        hooks = self.stack.runtime.before_invoke
        hooks.append(self.kill_sometimes)
        self.killing = True
        try:
            for r in range(n):
                calm = r >= n - 3  # the last rounds: no faults, no kills
                if calm:
                    self.killing = False
                    self.sandbox.clear_faults()
                    self.stack.aws_faults.clear()
                    # A killed worker's leases (PUSH_LEASE_SECONDS) and unknown outcomes
                    # (PUSH_SETTLE_SECONDS) run out, so the next run takes them over.
                    time.sleep(self.lease_seconds + 1)
                else:
                    self.faults()
                if r % 3 == 1:  # a day later at Intuit: the next refresh rotates the token
                    self.sandbox.advance_clock(86_400 + 60)
                    self.report.refreshes += 1
                for n, tenant in enumerate(self.tenants):
                    self.trigger(tenant, ("manual", "schedule", "webhook")[(n + r) % 3])
                self._drain()
        finally:
            hooks.remove(self.kill_sometimes)
            self.sandbox.clear_faults()
            self.stack.aws_faults.clear()

    def trigger(self, tenant: dict[str, Any], how: str) -> None:
        """A sync as each trigger starts one: SmartSync's button, the schedule (the
        scheduled-sync function's event) or an Intuit webhook (signed, by realm)."""
        import json

        from local_stack.stack import DEFAULT_VERIFIER_TOKEN
        from qbo_connector.logic.webhooks import signature_of
        from tests.events import load_event

        self.report.operations[f"syncs ({how})"] += 1
        if how == "manual":
            self.call(tenant, "POST", "/syncs", role="SystemAdministrator",
                      body={"mode": "incremental"})
            return
        if how == "schedule":
            event = {**load_event("scheduled-sync.json"), "org_id": tenant["org"],
                     "legal_entity_id": tenant["le"]}
            with contextlib.suppress(Exception):  # a busy moment: the next firing syncs
                self.stack.invoke("ScheduledSyncFunction", event)
            return
        event = load_event("intuit-webhook.json")
        event["body"] = json.dumps({"eventNotifications": [{
            "realmId": tenant["realm"], "dataChangeEvent": {"entities": [{
                "name": "Vendor", "id": "56", "operation": "Update",
                "lastUpdated": "2026-11-25T10:00:00.000Z"}]}}]})
        event["headers"]["intuit-signature"] = signature_of(event["body"].encode(),
                                                            DEFAULT_VERIFIER_TOKEN)
        with contextlib.suppress(Exception):  # Intuit sends it again if we do not answer
            self.stack.invoke("IntuitWebhookFunction", event)

    def _drain(self) -> None:
        for _ in range(50):
            try:
                self.stack.drain()
                return
            except Killed:
                self.report.kills += 1

    # -- the reconciliation ---------------------------------------------------------------
    def reconcile(self) -> None:
        from qbo_connector.adapters.legal_entity_store import LegalEntityStore

        store = LegalEntityStore()
        for tenant in self.tenants:
            realm, name = tenant["realm"], tenant["le"]
            entity = store.get(tenant["org"], tenant["le"])
            if entity is None or entity.connection_state != "connected":
                self.report.reconnects.append(f"{name}: {getattr(entity, 'reconnect_reason', '')}")
            qbo_bills = Counter(str(b.get("DocNumber")) for b in
                                self.sandbox.list_objects(realm, "Bill"))
            for bill in tenant["bills"]:
                _, view = self.call(tenant, "GET", f"/bills/{bill['ap_invoice_id']}",
                                         role="SystemAdministrator")
                where = f"{name} {bill['ap_invoice_id']}"
                if view.get("state") != "exported":
                    self.report.not_final.append(f"{where}: {view.get('state')} "
                                                 f"{view.get('failure') or view.get('last_error')}")
                count = qbo_bills[bill["invoice_number"]]
                if count > 1:
                    self.report.duplicates.append(f"{where} in QBO {count} times")
                if count == 0:
                    self.report.lost.append(f"{where} not in QBO")
            vendors = Counter(v["DisplayName"] for v in self.sandbox.list_objects(realm, "Vendor"))
            supplier = f"Soak Supplier {name}"
            if vendors[supplier] != 1:
                (self.report.duplicates if vendors[supplier] > 1 else self.report.lost).append(
                    f"{name} vendor {supplier} in QBO {vendors[supplier]} times")
            marked = Counter(m for bp in self.sandbox.list_objects(realm, "BillPayment")
                             for m in PAYMENT_MARKER.findall(str(bp.get("PrivateNote") or "")))
            for payment in tenant["payments"]:
                pid = payment["ap_payment_id"]
                _, view = self.call(tenant, "GET", f"/payments/{pid}",
                                         role="SystemAdministrator")
                if view.get("state") != "exported":
                    self.report.not_final.append(f"{name} {pid}: {view.get('state')}")
                if marked[pid] != 1:
                    (self.report.duplicates if marked[pid] > 1 else self.report.lost).append(
                        f"{name} {pid} in QBO {marked[pid]} times")
            paid = sum((Decimal(p["amount"]) for p in tenant["payments"]), Decimal(0))
            tenant["paid"] = paid


def run_soak(stack: Any, orgs: int = 2, entities: int = 2, bills: int = 12, rounds: int = 8,
             seed: int = 18) -> Report:
    started = time.perf_counter()
    soak = Soak(stack, orgs, entities, bills, seed)
    soak.set_up()
    for tenant in soak.tenants:
        soak.submit(tenant)
    soak.rounds(rounds)
    soak.reconcile()
    soak.report.seconds = time.perf_counter() - started
    return soak.report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=3)
    parser.add_argument("--entities", type=int, default=2)
    parser.add_argument("--bills", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    from botocore.retries.standard import ExponentialBackoff

    from local_stack.stack import LocalStack

    ExponentialBackoff.delay_amount = lambda self, context: 0.0  # type: ignore[method-assign]
    quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true",
             "PUSH_LEASE_SECONDS": "3", "PUSH_SETTLE_SECONDS": "1"}
    with LocalStack(visibility_timeout=0, aws_faults=True, env_overrides=quiet) as stack:
        os.environ.update(stack.env)
        os.environ["AWS_ENDPOINT_URL"] = stack.moto_url  # this process: moto, no faults
        report = run_soak(stack, args.orgs, args.entities, args.bills, args.rounds, args.seed)
    print("mixed soak (QBO and AWS faults, killed workers, forced token refreshes)")
    for line in report.lines():
        print(f"  {line}")
    goal = not (report.duplicates or report.lost or report.reconnects or report.not_final)
    print(f"  goal: 0 duplicate, 0 lost, 0 reconnects, all final -> {'met' if goal else 'MISSED'}")
    for problem in [*report.duplicates, *report.lost, *report.reconnects, *report.not_final][:20]:
        print(f"    {problem}")


if __name__ == "__main__":
    main()
