"""What the domain needs from the outside world, as protocols.

Logic depends on these shapes, not on boto3 or intuitlib; `wiring` plugs the
real adapters in (mypy checks there that each adapter has the shape of its port),
and pure unit tests plug in the small fakes of tests/unit/fakes.py.

Each port is what logic really calls, no more: a method no logic calls is not here,
even when the adapter has it. `Any` is left only where the value is free-form JSON
(a QBO object, an answer body, the attributes of a store update).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from qbo_connector.logic.push_engine import PushClientPort, PushLogPort
from qbo_connector.logic.schedule_rules import ScheduleRule
from qbo_connector.models.bill import BillExport, Claim
from qbo_connector.models.faults import QboError
from qbo_connector.models.legal_entity import CompanyPreferences, LegalEntity
from qbo_connector.models.oauth_attempt import Consumed, OAuthAttempt, PendingConnection
from qbo_connector.models.payment import PaymentExport
from qbo_connector.models.record import MasterRecord, RecordWrite, StoredState
from qbo_connector.models.sync_run import SyncMode, SyncRun, Trigger
from qbo_connector.models.tokens import TokenSet


class OAuthPort(Protocol):
    """Intuit's OAuth endpoints (adapters.intuit_oauth.IntuitOAuth)."""

    def authorization_url(self, state: str, scopes: list[str]) -> str: ...
    def exchange_code(self, code: str, realm_id: str) -> TokenSet: ...
    def revoke(self, token: str) -> None: ...
    def user_info(self, access_token: str) -> dict[str, Any]: ...


class TokenVaultPort(Protocol):
    """A connection's tokens, kept secret (adapters.token_vault.TokenVault)."""

    def load(self, org_id: str, legal_entity_id: str) -> TokenSet | None: ...
    def save(self, org_id: str, legal_entity_id: str, tokens: TokenSet) -> None: ...
    def delete(self, org_id: str, legal_entity_id: str) -> None: ...
    # Tokens of a connection waiting for the person's confirmation (kept apart).
    def hold_pending(
        self, org_id: str, legal_entity_id: str, key: str, tokens: TokenSet
    ) -> None: ...
    def take_pending(self, org_id: str, legal_entity_id: str, key: str) -> TokenSet | None: ...
    def drop_pending(self, org_id: str, legal_entity_id: str, key: str) -> None: ...


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
        self,
        org_id: str,
        legal_entity_id: str,
        refs: Iterable[tuple[str, str]],
        with_body: bool = False,
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


class CreditWriteBackPort(Protocol):
    """What a sync run asks of the vendor-credit export (logic.vendor_credits)."""

    def export_pending(self, ctx: Any) -> Any: ...
    def apply_changes(self, ctx: Any, vendor_credits: list[dict[str, Any]]) -> int: ...


class VendorWriteBackPort(Protocol):
    """What a sync run asks of the vendor export (logic.vendor_export)."""

    def export_pending(self, ctx: Any) -> Any: ...


class PaymentWriteBackPort(Protocol):
    """What a sync run asks of the payment export (logic.payment_export)."""

    def export_pending(self, ctx: Any) -> Any: ...
    def apply_changes(self, ctx: Any, bill_payments: list[dict[str, Any]]) -> int: ...


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


class PaymentLogPort(PushLogPort[PaymentExport], Protocol):
    """The payments' part of the export log (adapters.payment_store): records, waiting
    for bills, voids, the QBO id map; and the push engine's intents (PushLogPort).
    Every write that decides a payment's fate is conditional (False / StaleRecord)."""

    def get(
        self, org_id: str, legal_entity_id: str, ap_payment_id: str
    ) -> PaymentExport | None: ...
    def get_many(
        self, org_id: str, legal_entity_id: str, ids: Iterable[str]
    ) -> list[PaymentExport]: ...
    def list_page(
        self, org_id: str, legal_entity_id: str, state: str | None, limit: int, cursor: str | None
    ) -> tuple[list[PaymentExport], str | None]: ...
    def ap_payment_for_qbo_payment(
        self, org_id: str, legal_entity_id: str, qbo_bill_payment_id: str
    ) -> str | None: ...
    def void_ids(self, org_id: str, legal_entity_id: str, limit: int = 10_000) -> list[str]: ...
    def put_pending(self, record: PaymentExport, now: int) -> None: ...
    def drop_pending(
        self,
        org_id: str,
        legal_entity_id: str,
        key: str,
        up_to_generation: int | None,
        older_than: int | None = None,
    ) -> None: ...
    def create(self, record: PaymentExport) -> None: ...
    def replace(self, record: PaymentExport, previous: PaymentExport) -> None: ...
    def set_waiting(self, record: PaymentExport, waiting: dict[str, Any], now: int) -> bool: ...
    def set_ready(self, record: PaymentExport, qbo_bills: dict[str, str], now: int) -> bool: ...
    def cancel(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool: ...
    def request_void(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool: ...
    def settle_void(self, record: PaymentExport, void: dict[str, Any], now: int) -> bool: ...
    def drop_void(self, org_id: str, legal_entity_id: str, ap_payment_id: str) -> None: ...
    def set_bill_balances(self, record: PaymentExport, balances: dict[str, Any]) -> None: ...
    def mark_exported(
        self, record: PaymentExport, qbo_bill_payment_id: str, now: int, marked_by: dict[str, Any]
    ) -> None: ...


class ScheduleRulesPort(Protocol):
    """A legal entity's schedules (adapters.sync_schedules.SyncSchedules: EventBridge
    Scheduler, and the legacy EventBridge rules until the entity is migrated).

    Each answers how many rules it touched; `apply` answers the names now in place and
    raises `ScheduleQuotaExceeded` (models.faults) when the account has no room left.
    """

    def apply(
        self,
        org_id: str,
        legal_entity_id: str,
        rules: Sequence[ScheduleRule],
        *,
        enabled: bool = True,
        previous: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> builtins.list[str]:
        """`previous`: the names known to exist (None: list them); `legacy`: look for
        (and, once the schedules exist, delete) the entity's old EventBridge rules."""
        ...

    def disable(self, org_id: str, legal_entity_id: str) -> int: ...
    def enable(self, org_id: str, legal_entity_id: str) -> int: ...
    def remove(
        self,
        org_id: str,
        legal_entity_id: str,
        *,
        known: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> int: ...


# -- the stores --------------------------------------------------------------------------


class LegalEntityStorePort(Protocol):
    """The legal entities, their realm claims and sync leases (adapters.legal_entity_store).

    The writes that decide something are conditional: `bind_realm` raises
    `RealmAlreadyClaimed` (models.faults) for a company another entity holds, and a sync
    lease is taken only when free or lapsed (`acquire_sync_lease` answers the sync that
    holds it), renewed and released only by the sync that holds it.
    """

    def get(self, org_id: str, legal_entity_id: str) -> LegalEntity | None: ...
    def list(self, org_id: str) -> builtins.list[LegalEntity]: ...
    def scan_connected(self) -> Iterable[LegalEntity]: ...
    def create(self, entity: LegalEntity) -> bool: ...
    # Sets each attribute given (None removes it); the values are stored as given.
    def update(self, org_id: str, legal_entity_id: str, **fields: Any) -> None: ...
    def delete(self, org_id: str, legal_entity_id: str) -> None: ...
    def realm_owner(self, realm_id: str) -> tuple[str, str] | None: ...
    def bind_realm(self, entity: LegalEntity) -> None: ...
    def release_realm(self, realm_id: str, org_id: str, legal_entity_id: str) -> None: ...
    def acquire_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, now: int, lease_seconds: int
    ) -> str | None: ...
    def renew_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, expires_at: int
    ) -> bool: ...
    def release_sync_lease(
        self, org_id: str, legal_entity_id: str, sync_id: str, last_sync: dict[str, Any]
    ) -> None: ...


class SyncRunStorePort(Protocol):
    """The sync history (adapters.sync_run_store): one record a run, newest first.

    `finish_if_open` writes a finished run only over a queued or running one, so of two
    writers racing to end a run exactly one wins (it answers True).
    """

    def create(self, run: SyncRun) -> None: ...
    def save(self, run: SyncRun) -> None: ...
    def finish_if_open(self, run: SyncRun) -> bool: ...
    def get(self, org_id: str, legal_entity_id: str, sync_id: str) -> SyncRun | None: ...
    def list(
        self, org_id: str, legal_entity_id: str, limit: int = 20, cursor: str | None = None
    ) -> tuple[builtins.list[SyncRun], str | None]: ...


class OAuthAttemptStorePort(Protocol):
    """The connection attempts (adapters.oauth_attempt_store): single use, browser-bound.

    `begin` answers another person's live attempt that blocks this one; `launch`,
    `consume` and `take` hand out their secret once, `consume` and `take` only to the
    browser whose hash launched it (`Consumed.OTHER_BROWSER` otherwise).
    """

    def pending(self, org_id: str, legal_entity_id: str, now: int) -> OAuthAttempt | None: ...
    def begin(self, attempt: OAuthAttempt, now: int) -> OAuthAttempt | None: ...
    def launch(
        self, attempt_hash: str, state_hash: str, browser_hash: str
    ) -> OAuthAttempt | None: ...
    def consume(
        self, state_hash: str, browser_hash: str
    ) -> tuple[Consumed, OAuthAttempt | None]: ...
    def finish(self, attempt: OAuthAttempt) -> None: ...
    def hold(self, pending: PendingConnection) -> None: ...
    def take(
        self, confirmation_hash: str, browser_hash: str
    ) -> tuple[Consumed, PendingConnection | None]: ...
    def expired_confirmations(self, now: int) -> builtins.list[PendingConnection]: ...
    def forget(self, pending: PendingConnection) -> None: ...


class RecordStorePort(Protocol):
    """Imported QBO master data (adapters.record_store), by type and QuickBooks Id.

    The bill export reads the same records through its own `MasterDataPort` (above).
    """

    def has_records(self, org_id: str, legal_entity_id: str, object_type: str) -> bool:
        """Whether any record of the type is stored (a first import skips the look-ups)."""
        ...

    def states(
        self, org_id: str, legal_entity_id: str, object_type: str, ids: builtins.list[str]
    ) -> dict[str, StoredState]: ...
    def all_states(
        self, org_id: str, legal_entity_id: str, object_type: str
    ) -> dict[str, StoredState]: ...
    def put_many(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        records: builtins.list[RecordWrite],
        *,
        sync_id: str,
        imported_at: str,
    ) -> int: ...
    def mark(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        ids: builtins.list[str],
        *,
        sync_id: str,
        imported_at: str,
        deleted: bool | None = None,
        active: bool | None = None,
    ) -> int: ...
    def delete_all(self, org_id: str, legal_entity_id: str, object_type: str) -> int: ...
    # A page of records as the API shows them (JSON objects), and the next page's cursor.
    def list(
        self,
        org_id: str,
        legal_entity_id: str,
        object_type: str,
        *,
        limit: int = 100,
        cursor: str | None = None,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> tuple[builtins.list[dict[str, Any]], str | None]: ...


# -- the sync queue and QuickBooks -----------------------------------------------------------


class SyncQueuePort(Protocol):
    """The sync queue (adapters.sync_queue.SyncQueue): a run's steps, for the sync worker.

    Answers the message id. (The bill export sends its own jobs through `QueuePort`.)
    """

    def send_sync(
        self,
        org_id: str,
        legal_entity_id: str,
        sync_id: str,
        step: int = 0,
        delay_seconds: int = 0,
    ) -> str: ...


class CallCounterPort(Protocol):
    """The QuickBooks calls of one run so far, by kind (adapters.qbo_client.CallCounter)."""

    def as_dict(self) -> dict[str, int]: ...


class QueryAnswerPort(Protocol):
    """One query's answer in a batch (adapters.qbo_client.BatchItemResult): its
    QueryResponse, or the Fault QBO answered for that item alone."""

    @property
    def payload(self) -> dict[str, Any] | None: ...

    @property
    def fault(self) -> QboError | None: ...


class QboClientPort(PushClientPort, Protocol):
    """One company's Accounting API (adapters.qbo_client.QboClient): what the import asks
    (here) and what the push engine asks (logic.push_engine.PushClientPort).

    Answers are QBO's JSON.
    """

    def query(self, sql: str) -> dict[str, Any]: ...
    def read(self, entity: str, entity_id: str) -> dict[str, Any]: ...
    def update(
        self,
        entity: str,
        body: dict[str, Any],
        request_id: str | None = None,
        sparse: bool = False,
    ) -> dict[str, Any]: ...
    def void(
        self, entity: str, entity_id: str, sync_token: str, request_id: str | None = None
    ) -> dict[str, Any]: ...
    def batch_query(self, queries: Sequence[str]) -> Sequence[QueryAnswerPort]: ...
    def cdc(
        self, entities: Sequence[str], changed_since: str
    ) -> dict[str, builtins.list[dict[str, Any]]]: ...


class TokenManagerPort(Protocol):
    """A connection's token manager (adapters.qbo_auth.TokenManager).

    `force_refresh` persists the rotated refresh token before answering the new access
    token; it raises `ReconnectRequired` (models.faults) once Intuit refuses the grant.
    """

    def force_refresh(self) -> str: ...


# -- logic services, where another service depends on them through a port ------------------


class SyncStarterPort(Protocol):
    """Starting a sync for an entity (logic.sync_service.SyncService), for the schedule and
    the webhook: raises `Conflict` when one runs, `PreconditionFailed` when it cannot."""

    def start_for_entity(
        self,
        org_id: str,
        legal_entity_id: str,
        trigger: Trigger,
        mode: SyncMode = SyncMode.INCREMENTAL,
    ) -> dict[str, Any]: ...


class ScheduleUpkeepPort(Protocol):
    """What a firing rule asks of the schedule (logic.sync_schedule_service.SyncScheduleService)."""

    def recompute(self, org_id: str, legal_entity_id: str) -> bool: ...
    def remove_for_deleted_entity(self, org_id: str, legal_entity_id: str) -> int: ...
