"""What the domain needs from the outside world, as protocols.

Logic depends on these shapes, not on boto3 or intuitlib; `wiring` plugs the
real adapters in, and pure unit tests can plug in small fakes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from qbo_connector.logic.push_engine import PushLogPort
from qbo_connector.models.bill import BillExport, Claim
from qbo_connector.models.legal_entity import CompanyPreferences
from qbo_connector.models.record import MasterRecord


class OAuthPort(Protocol):
    def authorization_url(self, state: str, scopes: list[str]) -> str: ...
    def exchange_code(self, code: str, realm_id: str) -> Any: ...
    def revoke(self, token: str) -> Any: ...
    def user_info(self, access_token: str) -> dict[str, Any]: ...


class TokenVaultPort(Protocol):
    def load(self, org_id: str, legal_entity_id: str) -> Any: ...
    def save(self, org_id: str, legal_entity_id: str, tokens: Any) -> Any: ...
    def delete(self, org_id: str, legal_entity_id: str) -> Any: ...
    # Tokens of a connection waiting for the person's confirmation (kept apart).
    def hold_pending(self, org_id: str, legal_entity_id: str, key: str, tokens: Any) -> Any: ...
    def take_pending(self, org_id: str, legal_entity_id: str, key: str) -> Any: ...
    def drop_pending(self, org_id: str, legal_entity_id: str, key: str) -> Any: ...


@dataclass(frozen=True)
class CompanySnapshot:
    company_name: str
    country: str | None
    preferences: CompanyPreferences


class CompanyAccessRefused(Exception):
    """QBO refused the fresh token for this company (401/403/404): wrong or tampered realm."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class CompanyReaderPort(Protocol):
    def read(self, realm_id: str, access_token: str) -> CompanySnapshot: ...


class MasterDataPort(Protocol):
    """The imported master data (adapters.record_store): references by (type, QBO id)."""

    def lookup(
        self, org_id: str, legal_entity_id: str, refs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], MasterRecord]: ...


class QueuePort(Protocol):
    def send(self, message: dict[str, Any], delay_seconds: int = 0) -> str: ...


class DocumentsPort(Protocol):
    """Invoice PDFs: only from `invoice_bucket`, only below `<org_id>/<legal_entity_id>/`."""

    invoice_bucket: str

    def fetch(self, org_id: str, legal_entity_id: str, bucket: str, key: str) -> bytes: ...


class BillWriteBackPort(Protocol):
    """What a sync run asks of the bill export (logic.bill_export.BillExportService)."""

    def export_pending(self, ctx: Any) -> Any: ...
    def apply_payment_changes(
        self, ctx: Any, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> int: ...


class BillLogPort(Protocol):
    """The bill export log (adapters.bill_export_store) outside the push itself:
    submission's claims and records, reads, the ops mark, attachments, payment state.

    Every write that decides a bill's fate is conditional, so two workers (or a worker
    and a person) never both win; a lost condition answers False or raises
    `ClaimHeld` / `StaleRecord` (models.bill).
    """

    def get(self, org_id: str, legal_entity_id: str, ap_invoice_id: str) -> BillExport | None: ...
    def ap_invoice_for_qbo_bill(
        self, org_id: str, legal_entity_id: str, qbo_bill_id: str
    ) -> str | None: ...
    def attachment_ids(
        self, org_id: str, legal_entity_id: str, limit: int = 10_000
    ) -> list[str]: ...
    def get_many(
        self, org_id: str, legal_entity_id: str, ids: Iterable[str]
    ) -> list[BillExport]: ...
    def list_page(
        self, org_id: str, legal_entity_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[BillExport], str | None]: ...
    def claim(
        self, org_id: str, legal_entity_id: str, vendor_id: str, identity: str
    ) -> Claim | None: ...
    def take_claim(
        self,
        record: BillExport,
        claim: tuple[str, str],
        take_over: Claim | None = None,
        now: int = 0,
    ) -> None: ...
    def release_claim(
        self, org_id: str, legal_entity_id: str, claim: tuple[str, str], ap_invoice_id: str
    ) -> None: ...
    def put_pending(self, record: BillExport, now: int) -> None: ...
    def drop_pending(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_invoice_id: str,
        up_to_generation: int | None,
        older_than: int | None = None,
    ) -> None: ...
    def create(self, record: BillExport) -> None: ...
    def replace(self, record: BillExport, previous: BillExport) -> None: ...
    def demote_to_duplicate(
        self, record: BillExport, duplicate_of: dict[str, Any], now: int
    ) -> bool: ...
    def mark_exported(
        self, record: BillExport, qbo_bill_id: str, now: int, marked_by: dict[str, Any]
    ) -> None: ...
    def set_attachment(
        self, record: BillExport, attachment: dict[str, Any], done: bool
    ) -> None: ...
    def drop_attachment(self, org_id: str, legal_entity_id: str, ap_invoice_id: str) -> None: ...
    def set_payment(
        self, org_id: str, legal_entity_id: str, ap_invoice_id: str, payment: dict[str, Any]
    ) -> None: ...


class BillExportStorePort(BillLogPort, PushLogPort[BillExport], Protocol):
    """The whole export log: what the bill service uses (BillLogPort) and what the push
    engine uses (logic.push_engine.PushLogPort: pending, take, settle)."""


class ScheduleRulesPort(Protocol):
    def disable(self, org_id: str, legal_entity_id: str) -> Any: ...
    def enable(self, org_id: str, legal_entity_id: str) -> Any: ...
    def remove(self, org_id: str, legal_entity_id: str) -> Any: ...
