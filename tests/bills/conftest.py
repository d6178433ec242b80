"""Bill export tests over a moto server (real tables, S3) and the local QBO sandbox.

Until the lead's session-wide `LocalStack` fixture lands this builds its own: the
BillExports/Records/LegalEntities tables as template.yaml defines them, an S3 bucket
for invoice PDFs, a sandbox company per test, and master data in the RecordsTable
exactly as the importer stores it (pk `{org}#{le}#{type}`, sk QBO Id, name, active).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "layers" / "shared", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


from local_stack.bootstrap import template_resources  # noqa: E402
from qbo_connector.adapters import aws  # noqa: E402
from qbo_connector.adapters.bill_export_store import BillExportStore  # noqa: E402
from qbo_connector.adapters.invoice_documents import InvoiceDocuments  # noqa: E402
from qbo_connector.adapters.payment_store import PaymentStore  # noqa: E402
from qbo_connector.adapters.qbo_client import (  # noqa: E402
    CallCounter,
    QboClient,
    RealmPacer,
    RetryPolicy,
)
from qbo_connector.adapters.record_store import RecordStore  # noqa: E402
from qbo_connector.adapters.vendor_store import VendorStore  # noqa: E402
from qbo_connector.logic.bill_export import BillExportService  # noqa: E402
from qbo_connector.logic.payment_export import PaymentExportService  # noqa: E402
from qbo_connector.logic.vendor_credits import VendorCreditService  # noqa: E402
from qbo_connector.logic.vendor_export import VendorExportService  # noqa: E402
from qbo_connector.models.bill import VENDOR_CREDIT  # noqa: E402
from qbo_connector.models.legal_entity import ConnectionState, LegalEntity  # noqa: E402
from qbo_sandbox.server import SandboxServer  # noqa: E402
from tests.moto_server import moto_server, reset_moto  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.ERROR)
PDF_BUCKET = "ap-platform-invoices"  # config INVOICE_BUCKET default (template InvoiceBucketName)
MASTER_TYPES = ["Vendor", "Account", "Class", "Department", "Item", "Customer", "TaxCode", "Term"]
_ids = itertools.count(1)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    reset_moto(moto_url)
    for key, value in {
        "AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    # The tables come from template.yaml itself: no hand-kept copy to drift.
    for key, value in template_resources(moto_url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SYNC_QUEUE_URL", "")  # these tests run export jobs directly
    from qbo_connector import wiring

    wiring.reset()
    aws.client("s3").create_bucket(Bucket=PDF_BUCKET)
    yield
    wiring.reset()


class FakeClock:
    """The connector's clock: tests move it (lease expiry) without sleeping."""

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeRun:
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_error(self, message: str, *, code: str, object_type: str | None = None,
                  intuit_tid: str | None = None, detail: str | None = None) -> None:
        self.errors.append({"message": message, "code": code, "object_type": object_type})

    def progress(self, object_type: str, **counts: Any) -> None:
        bucket = self.counts.setdefault(object_type, {})
        for key, value in counts.items():
            bucket[key] = bucket.get(key, 0) + value if isinstance(value, int) else value


@dataclass
class Ctx:
    """What the sync worker hands to logic.bill_export (logic.sync_context.SyncContext)."""

    org_id: str
    legal_entity_id: str
    entity: LegalEntity
    client: QboClient
    counter: CallCounter
    run: FakeRun
    clock: Callable[[], float]
    sync_id: str | None = None

    def time_left_ms(self) -> int:
        return 600_000


class StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def force_refresh(self, rejected: str | None = None) -> str:
        return self.token


@dataclass
class World:
    """One legal entity connected to a fresh sandbox company."""

    server: SandboxServer
    realm: str
    org_id: str
    le_id: str
    entity: LegalEntity
    token: str
    clock: FakeClock
    service: BillExportService
    names: dict[str, dict[str, str]]  # type -> name -> id
    seeded_bills: set[str] = field(default_factory=set)  # the seed company's own bills

    @property
    def sandbox(self) -> Any:
        return self.server.sandbox

    def client(self, **kw: Any) -> QboClient:
        kw.setdefault("sleep", lambda _s: None)  # no real back-off waits in tests
        kw.setdefault("timeout", (1.0, 5.0))
        kw.setdefault("pacer", RealmPacer(per_second=10**6, per_minute=10**6,
                                          batch_per_minute=10**6))
        kw.setdefault("retry", RetryPolicy(max_attempts=4))
        return QboClient(self.realm, StaticTokens(self.token), self.server.api_base, **kw)

    def ctx(self, client: QboClient | None = None) -> Ctx:
        client = client or self.client()
        return Ctx(self.org_id, self.le_id, self.entity, client, client.counter, FakeRun(),
                   self.clock, sync_id=f"sync-{next(_ids)}")

    def payments(self, **kw: Any) -> PaymentExportService:
        """The payment export over the same tables, with payments turned on in the profile
        (default accounts: Checking and Mastercard)."""
        self.entity.sync_profile = {
            "export_bills": True,
            "export_payments": True,
            "payment_bank_account_id": self.id_of("Account", "Checking"),
            "payment_card_account_id": self.id_of("Account", "Mastercard"),
            **(self.entity.sync_profile or {}),
        }
        kw.setdefault("credits", BillExportStore(kind=VENDOR_CREDIT))
        return PaymentExportService(PaymentStore(), BillExportStore(), RecordStore(),
                                    clock=self.clock, **kw)

    def vendors(self, **kw: Any) -> VendorExportService:
        """The vendor export over the same tables (policy `existing_vendor`, default match)."""
        return VendorExportService(VendorStore(), RecordStore(), clock=self.clock, **kw)

    def credits(self, **kw: Any) -> VendorCreditService:
        """The credit-note export over the same tables (export_vendor_credits on)."""
        self.entity.sync_profile = {**(self.entity.sync_profile or {}),
                                    "export_vendor_credits": True}
        return VendorCreditService(BillExportService(
            BillExportStore(kind=VENDOR_CREDIT), RecordStore(), InvoiceDocuments(),
            clock=self.clock, kind=VENDOR_CREDIT, **kw))

    def credit(self, ap_id: str, number: str, amount: str = "25.00",
               vendor: str = "Norton Lumber and Building Materials", **extra: Any
               ) -> dict[str, Any]:
        """A credit note body."""
        body: dict[str, Any] = {
            "ap_credit_id": ap_id,
            "vendor_id": self.id_of("Vendor", vendor),
            "credit_number": number,
            "credit_date": "2025-10-15",
            "lines": [{"amount": amount, "account_id": self.id_of("Account", "Advertising"),
                       "description": "Returned flyers"}],
        }
        body.update(extra)
        return body

    def exported_bill(self, ap_id: str, number: str, amount: str = "125.50",
                      **extra: Any) -> dict[str, Any]:
        """Submit a bill and export it; answers its view (qbo_bill_id...)."""
        self.service.submit(self.entity, self.invoice(ap_id, number, amount=amount, **extra))
        self.service.export_pending(self.ctx())
        return self.service.show(self.entity, ap_id)

    def payment(self, ap_payment_id: str, bills: list[tuple[str, str]], **extra: Any
                ) -> dict[str, Any]:
        """A payment body: [(ap_invoice_id, amount)], the amount their sum less credits."""
        from decimal import Decimal
        credits = extra.pop("vendor_credits", None) or []
        total = sum(Decimal(a) for _, a in bills) - sum(Decimal(c["amount"]) for c in credits)
        body: dict[str, Any] = {
            "ap_payment_id": ap_payment_id,
            "vendor_id": self.id_of("Vendor", "Norton Lumber and Building Materials"),
            "payment_date": "2025-11-05",
            "amount": str(total),
            "bills": [{"ap_invoice_id": i, "amount": a} for i, a in bills],
        }
        if credits:
            body["vendor_credits"] = credits
        body.update(extra)
        return body

    def reimport(self) -> None:
        """The master data again, as a sync would after the accountant added records."""
        self.names = seed_master_data(self.server, self.realm, self.org_id, self.le_id)

    def id_of(self, kind: str, name: str) -> str:
        return self.names[kind][name]

    def qbo_bills(self) -> list[dict[str, Any]]:
        """Bills in the sandbox store other than the seed's (read directly, not via the API)."""
        return [b for b in self.sandbox.list_objects(self.realm, "Bill")
                if b["Id"] not in self.seeded_bills]

    def invoice(self, ap_id: str, number: str, vendor: str = "Norton Lumber and Building "
                "Materials", amount: str = "125.50", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ap_invoice_id": ap_id,
            "vendor_id": self.id_of("Vendor", vendor),
            "invoice_number": number,
            "invoice_date": "2025-10-01",
            "lines": [{"amount": amount, "account_id": self.id_of("Account", "Advertising"),
                       "description": "Flyers"}],
        }
        body.update(extra)
        return body


def mint_access_token(server: SandboxServer, realm: str) -> str:
    """A sandbox access token for the realm, as if an administrator had consented."""
    if not server.sandbox.store.apps:
        server.sandbox.register_app(["http://localhost/callback"])
    return str(server.sandbox.grant_tokens(realm)["access_token"])


def seed_master_data(server: SandboxServer, realm: str, org: str, le: str
                     ) -> dict[str, dict[str, str]]:
    """Write the company's master data into the RecordsTable as the importer does."""
    table = aws.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])
    names: dict[str, dict[str, str]] = {}
    with table.batch_writer() as batch:
        for kind in MASTER_TYPES:
            for obj in server.sandbox.list_objects(realm, kind):
                name = obj.get("DisplayName") or obj.get("Name") or obj.get("FullyQualifiedName")
                names.setdefault(kind, {})[str(name)] = str(obj["Id"])
                batch.put_item(Item={
                    "pk": f"{org}#{le}#{kind}", "sk": str(obj["Id"]), "name": str(name),
                    "active": obj.get("Active", True) is not False, "deleted": False,
                    "body": json.dumps(obj, separators=(",", ":"))})
    return names


@pytest.fixture()
def make_world(aws_env: None, sandbox_server: SandboxServer
               ) -> Callable[..., World]:
    def build(warn_duplicate_bill_number: bool = True, multicurrency: bool = False,
              **service_kw: Any) -> World:
        sandbox = sandbox_server.sandbox
        sandbox.set_limits(enabled=False)
        sandbox.clear_faults()
        company = sandbox.create_company(warn_duplicate_bill_number=warn_duplicate_bill_number,
                                         multicurrency=multicurrency)
        n = next(_ids)
        org, le = f"org{n}", f"le{n}"
        entity = LegalEntity(org_id=org, legal_entity_id=le, name=f"Entity {n}",
                             created_at="2025-10-01T00:00:00Z",
                             connection_state=ConnectionState.CONNECTED,
                             realm_id=company.realm_id, data_realm_id=company.realm_id)
        clock = FakeClock()
        service = BillExportService(BillExportStore(), RecordStore(),
                                    InvoiceDocuments(), clock=clock, **service_kw)
        names = seed_master_data(sandbox_server, company.realm_id, org, le)
        seeded = {b["Id"] for b in sandbox.list_objects(company.realm_id, "Bill")}
        return World(sandbox_server, company.realm_id, org, le, entity,
                     mint_access_token(sandbox_server, company.realm_id), clock, service, names,
                     seeded)

    return build
