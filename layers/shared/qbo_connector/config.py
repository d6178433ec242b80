"""Settings read once per process from the function's environment.

Every value has a local-stack default so tests and the demo need no extra
configuration; template.yaml sets the real values in AWS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    legal_entities_table: str
    oauth_attempts_table: str
    sync_runs_table: str
    records_table: str
    bill_exports_table: str
    sync_queue_url: str
    token_kms_key_id: str
    token_secret_prefix: str
    intuit_app_secret_name: str
    intuit_environment: str
    qbo_api_base_url: str
    oauth_redirect_uri: str
    frontend_origin: str
    oauth_state_ttl_seconds: int
    schedule_rule_prefix: str
    scheduled_sync_function_arn: str
    schedule_group_name: str  # EventBridge Scheduler group of the stage
    scheduler_role_arn: str  # the role Scheduler assumes to invoke the scheduled sync
    schedule_window_minutes: int  # FlexibleTimeWindow: spreads the top of the hour
    webhook_verifier_secret_name: str
    http_timeout_seconds: int
    # The push engine's lease and settle times (logic.push_engine): a lease must outlast a
    # worker's run; shorter only for a local soak whose killed workers must be taken over.
    push_lease_seconds: int
    push_settle_seconds: int
    invoice_bucket: str


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ.get
    return Settings(
        legal_entities_table=env("LEGAL_ENTITIES_TABLE", "qbo-connector-legal-entities"),
        oauth_attempts_table=env("OAUTH_ATTEMPTS_TABLE", "qbo-connector-oauth-attempts"),
        sync_runs_table=env("SYNC_RUNS_TABLE", "qbo-connector-sync-runs"),
        records_table=env("RECORDS_TABLE", "qbo-connector-records"),
        bill_exports_table=env("BILL_EXPORTS_TABLE", "qbo-connector-bill-exports"),
        sync_queue_url=env("SYNC_QUEUE_URL", ""),
        token_kms_key_id=env("TOKEN_KMS_KEY_ID", ""),
        token_secret_prefix=env("TOKEN_SECRET_PREFIX", "qbo-connector/tokens/"),
        intuit_app_secret_name=env("INTUIT_APP_SECRET_NAME", "qbo-connector/intuit-app"),
        # "sandbox", "production", or a discovery-document URL (local sandbox).
        intuit_environment=env("INTUIT_ENVIRONMENT", "sandbox"),
        qbo_api_base_url=env("QBO_API_BASE_URL", "https://sandbox-quickbooks.api.intuit.com/v3"),
        oauth_redirect_uri=env("OAUTH_REDIRECT_URI", ""),
        frontend_origin=env("FRONTEND_ORIGIN", ""),
        oauth_state_ttl_seconds=_int("OAUTH_STATE_TTL_SECONDS", 600),
        schedule_rule_prefix=env("SCHEDULE_RULE_PREFIX", "qbo-connector-sched-"),
        scheduled_sync_function_arn=env("SCHEDULED_SYNC_FUNCTION_ARN", ""),
        schedule_group_name=env("SCHEDULE_GROUP_NAME", "qbo-connector"),
        scheduler_role_arn=env("SCHEDULER_ROLE_ARN", ""),
        schedule_window_minutes=_int("SCHEDULE_WINDOW_MINUTES", 15),
        webhook_verifier_secret_name=env(
            "WEBHOOK_VERIFIER_SECRET_NAME", "qbo-connector/intuit-webhook-verifier"
        ),
        http_timeout_seconds=_int("HTTP_TIMEOUT_SECONDS", 20),
        push_lease_seconds=_int("PUSH_LEASE_SECONDS", 960),
        push_settle_seconds=_int("PUSH_SETTLE_SECONDS", 180),
        # The AP platform's bucket of invoice PDFs (template: InvoiceBucketName).
        invoice_bucket=env("INVOICE_BUCKET", "ap-platform-invoices"),
    )
