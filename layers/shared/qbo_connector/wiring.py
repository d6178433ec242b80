"""Composition root: builds each service from the real adapters, once per process.

Handlers ask this module for services; tests call `reset()` after pointing
the environment at a fresh local stack.
Adapters are imported inside the factories, so a function loads only what it uses
(cold starts); the annotations name them for the type checker alone.

Each service factory returns its logic type. Logic takes its collaborators typed by
the protocols of logic/ports.py, so handing an adapter to a logic constructor here is
where mypy checks that the adapter has its port's shape: an adapter that drifts from
what logic calls fails `make typecheck`, with no cast or ignore in this module.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING

from qbo_connector.config import get_settings
from qbo_connector.logic.connection import ConnectionService
from qbo_connector.logic.legal_entities import LegalEntityService

if TYPE_CHECKING:
    from qbo_connector.adapters.intuit_oauth import IntuitOAuth
    from qbo_connector.adapters.legal_entity_store import LegalEntityStore
    from qbo_connector.adapters.qbo_auth import TokenManager
    from qbo_connector.adapters.qbo_client import CallCounter, QboClient
    from qbo_connector.adapters.record_store import RecordStore
    from qbo_connector.adapters.sync_run_store import SyncRunStore
    from qbo_connector.logic.bill_export import BillExportService
    from qbo_connector.logic.payment_export import PaymentExportService
    from qbo_connector.logic.purchase_orders import PurchaseOrderService
    from qbo_connector.logic.records import RecordService
    from qbo_connector.logic.scheduled_sync import ScheduledSyncService
    from qbo_connector.logic.sync_profiles import SyncProfileService
    from qbo_connector.logic.sync_runner import SyncRunner
    from qbo_connector.logic.sync_schedule_service import SyncScheduleService
    from qbo_connector.logic.sync_service import SyncService
    from qbo_connector.logic.token_upkeep import TokenUpkeep
    from qbo_connector.logic.vendor_credits import VendorCreditService
    from qbo_connector.logic.vendor_export import VendorExportService
    from qbo_connector.logic.webhooks import WebhookService
    from qbo_connector.models.legal_entity import LegalEntity


def intuit_oauth() -> IntuitOAuth:
    """The process-wide intuitlib client (its discovery document is fetched once)."""
    from qbo_connector.adapters.qbo_auth import default_oauth

    return default_oauth()


@lru_cache(maxsize=1)
def legal_entity_store() -> LegalEntityStore:
    from qbo_connector.adapters.legal_entity_store import LegalEntityStore

    return LegalEntityStore()


@lru_cache(maxsize=1)
def connection_service() -> ConnectionService:
    from qbo_connector.adapters.oauth_attempt_store import OAuthAttemptStore
    from qbo_connector.adapters.qbo_company import QboCompanyReader
    from qbo_connector.adapters.sync_schedules import SyncSchedules
    from qbo_connector.adapters.token_vault import TokenVault

    settings = get_settings()
    return ConnectionService(
        entities=legal_entity_store(),
        attempts=OAuthAttemptStore(),
        vault=TokenVault(),
        oauth=intuit_oauth,
        companies=QboCompanyReader(settings.qbo_api_base_url),
        schedules=SyncSchedules(),
        state_ttl_seconds=settings.oauth_state_ttl_seconds,
        launch_url=oauth_launch_url(settings.oauth_redirect_uri),
    )


def oauth_launch_url(redirect_uri: str) -> str:
    """The popup's first stop, GET /oauth/launch, on the same API as the callback."""
    base = redirect_uri.rsplit("/oauth/callback", 1)[0]
    return f"{base}/oauth/launch"


@lru_cache(maxsize=1)
def sync_schedule_service() -> SyncScheduleService:
    from qbo_connector.adapters.sync_schedules import SyncSchedules
    from qbo_connector.logic.sync_schedule_service import SyncScheduleService

    return SyncScheduleService(
        legal_entity_store(),
        connection_service(),
        SyncSchedules(),
        get_settings().schedule_rule_prefix,
    )


@lru_cache(maxsize=1)
def scheduled_sync_service() -> ScheduledSyncService:
    from qbo_connector.logic.scheduled_sync import ScheduledSyncService

    return ScheduledSyncService(
        legal_entity_store(), sync_run_store(), sync_service(), sync_schedule_service()
    )


@lru_cache(maxsize=1)
def webhook_service() -> WebhookService:
    from qbo_connector.adapters.webhook_verifier import verifier_token
    from qbo_connector.logic.webhooks import WebhookService

    return WebhookService(legal_entity_store(), sync_service(), verifier_token)


@lru_cache(maxsize=1)
def token_upkeep() -> TokenUpkeep:
    from qbo_connector.adapters.token_vault import TokenVault
    from qbo_connector.logic.token_upkeep import TokenUpkeep

    return TokenUpkeep(legal_entity_store(), TokenVault(), token_manager)


@lru_cache(maxsize=1)
def legal_entity_service() -> LegalEntityService:
    return LegalEntityService(legal_entity_store(), connection_service(), record_store())


@lru_cache(maxsize=1)
def bill_export_service() -> BillExportService:
    """Bill export (logic.bill_export) over the real tables, S3 and the sync queue."""
    from qbo_connector.adapters.bill_export_store import BillExportStore
    from qbo_connector.adapters.invoice_documents import InvoiceDocuments
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.adapters.vendor_store import VendorStore
    from qbo_connector.logic.bill_export import BillExportService

    return BillExportService(
        BillExportStore(),
        record_store(),
        InvoiceDocuments(),
        queue=SyncQueue() if get_settings().sync_queue_url else None,
        entities=legal_entity_store(),
        suppliers=VendorStore(),
        vendors_enabled=exports_vendors,
        purchase_orders=purchase_order_service(),
        lease_seconds=get_settings().push_lease_seconds,
        settle_seconds=get_settings().push_settle_seconds,
    )


@lru_cache(maxsize=1)
def purchase_order_service() -> PurchaseOrderService:
    """Purchase orders for matching (logic.purchase_orders) over the imported records."""
    from qbo_connector.logic.purchase_orders import PurchaseOrderService

    return PurchaseOrderService(record_store(), record_store(), clock=time.time)


def exports_vendors(entity: LegalEntity) -> bool:
    """The entity's profile creates vendors (export_vendors): then a bill or a credit may
    name the AP supplier of a vendor being created."""
    from qbo_connector.models.sync_profile import SyncProfile

    return SyncProfile.from_dict(entity.sync_profile or {}).export_vendors


@lru_cache(maxsize=1)
def vendor_credit_service() -> VendorCreditService:
    """Credit notes (logic.vendor_credits): the bill export's machinery, VENDOR_CREDIT kind."""
    from qbo_connector.adapters.bill_export_store import BillExportStore
    from qbo_connector.adapters.invoice_documents import InvoiceDocuments
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.adapters.vendor_store import VendorStore
    from qbo_connector.logic.bill_export import BillExportService
    from qbo_connector.logic.vendor_credits import VendorCreditService
    from qbo_connector.models.bill import VENDOR_CREDIT

    return VendorCreditService(
        BillExportService(
            BillExportStore(kind=VENDOR_CREDIT),
            record_store(),
            InvoiceDocuments(),
            queue=SyncQueue() if get_settings().sync_queue_url else None,
            kind=VENDOR_CREDIT,
            suppliers=VendorStore(),
            vendors_enabled=exports_vendors,
            lease_seconds=get_settings().push_lease_seconds,
            settle_seconds=get_settings().push_settle_seconds,
        )
    )


@lru_cache(maxsize=1)
def vendor_export_service() -> VendorExportService:
    """AP suppliers out as Vendors (logic.vendor_export), by each entity's sync profile."""
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.adapters.vendor_store import VendorStore
    from qbo_connector.logic.vendor_export import VendorExportService
    from qbo_connector.models.sync_profile import SyncProfile

    def existing_vendor(entity: LegalEntity) -> str:
        return SyncProfile.from_dict(entity.sync_profile or {}).existing_vendor

    return VendorExportService(
        VendorStore(),
        record_store(),
        existing_vendor=existing_vendor,
        queue=SyncQueue() if get_settings().sync_queue_url else None,
        enabled=exports_vendors,
        lease_seconds=get_settings().push_lease_seconds,
        settle_seconds=get_settings().push_settle_seconds,
    )


@lru_cache(maxsize=1)
def payment_export_service() -> PaymentExportService:
    """Payment export (logic.payment_export) over the export-log table and the sync queue."""
    from qbo_connector.adapters.bill_export_store import BillExportStore
    from qbo_connector.adapters.payment_store import PaymentStore
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.logic.payment_export import PaymentExportService

    return PaymentExportService(
        PaymentStore(),
        BillExportStore(),
        record_store(),
        queue=SyncQueue() if get_settings().sync_queue_url else None,
        credits=vendor_credit_service().store,
        lease_seconds=get_settings().push_lease_seconds,
        settle_seconds=get_settings().push_settle_seconds,
    )


@lru_cache(maxsize=1)
def sync_run_store() -> SyncRunStore:
    from qbo_connector.adapters.sync_run_store import SyncRunStore

    return SyncRunStore()


@lru_cache(maxsize=1)
def record_store() -> RecordStore:
    from qbo_connector.adapters.record_store import RecordStore

    return RecordStore()


@lru_cache(maxsize=1)
def sync_service() -> SyncService:
    """SmartSync: start syncs (manual, console, schedule, webhook) and read their history."""
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.logic.sync_service import SyncService

    return SyncService(legal_entity_store(), sync_run_store(), SyncQueue())


@lru_cache(maxsize=1)
def sync_runner() -> SyncRunner[CallCounter]:
    """The sync worker's engine room: import (and bill export) for one run."""
    from qbo_connector.adapters.qbo_client import CallCounter
    from qbo_connector.adapters.sync_queue import SyncQueue
    from qbo_connector.logic.importer import ImportEngine
    from qbo_connector.logic.sync_runner import SyncRunner

    return SyncRunner(
        legal_entity_store(),
        sync_run_store(),
        SyncQueue(),
        ImportEngine(
            record_store(),
            bill_export_service(),
            payments=payment_export_service(),
            credits=vendor_credit_service(),
        ),
        bill_export_service(),
        # Looked up at call time, so tests can swap the client's back-off sleep.
        client_factory=lambda entity, counter: qbo_client_for(entity, counter),
        counter_factory=CallCounter,
        payments=payment_export_service(),
        credits=vendor_credit_service(),
        vendors=vendor_export_service(),
    )


@lru_cache(maxsize=1)
def sync_profile_service() -> SyncProfileService:
    from qbo_connector.logic.sync_profiles import SyncProfileService

    return SyncProfileService(legal_entity_store())


@lru_cache(maxsize=1)
def record_service() -> RecordService:
    from qbo_connector.logic.records import RecordService

    return RecordService(sync_service(), record_store())


def reset() -> None:
    """Forget every cached service and client (tests, after changing the environment)."""
    from qbo_connector.adapters import aws, intuit_oauth, token_vault

    # Every lru_cached factory of this module, so a new service cannot be forgotten here.
    for value in list(globals().values()):
        if callable(value) and hasattr(value, "cache_clear") and value is not get_settings:
            value.cache_clear()
    get_settings.cache_clear()
    aws.reset()
    intuit_oauth.reset_cache()
    token_vault.reset_cache()


def qbo_client_for(entity: LegalEntity, counter: CallCounter | None = None) -> QboClient:
    """A QBO client for a connected legal entity, with its cached access token.

    Refresh-token rotation persists through the vault before use; an
    invalid_grant marks the entity "reconnect required".
    """
    from qbo_connector.adapters.qbo_client import QboClient

    if not entity.realm_id:
        raise ValueError("a QBO client needs a connected legal entity (no realm id)")
    return QboClient(
        entity.realm_id, token_manager(entity), get_settings().qbo_api_base_url, counter=counter
    )


def token_manager(entity: LegalEntity) -> TokenManager:
    """The entity's token manager: refreshes under a cross-process lease, and an
    invalid_grant marks the entity "reconnect required"."""
    from qbo_connector.adapters.qbo_auth import token_manager_for
    from qbo_connector.adapters.refresh_lock import RefreshLock

    def reconnect_required(reason: str) -> None:
        connection_service().mark_reconnect_required(entity.org_id, entity.legal_entity_id, reason)

    lock = RefreshLock()
    return token_manager_for(
        entity.org_id,
        entity.legal_entity_id,
        on_reconnect_required=reconnect_required,
        refresh_guard=lambda: lock.hold(entity.org_id, entity.legal_entity_id),
    )
