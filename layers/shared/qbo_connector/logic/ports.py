"""What the domain needs from the outside world, as protocols.

Logic depends on these shapes, not on boto3 or intuitlib; `wiring` plugs the
real adapters in, and pure unit tests can plug in small fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from qbo_connector.models.legal_entity import CompanyPreferences


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


class BillWriteBackPort(Protocol):
    """What a sync run asks of the bill export (logic.bill_export.BillExportService)."""

    def export_pending(self, ctx: Any) -> Any: ...
    def apply_payment_changes(
        self, ctx: Any, bills: list[dict[str, Any]], bill_payments: list[dict[str, Any]]
    ) -> int: ...


class ScheduleRulesPort(Protocol):
    def disable(self, org_id: str, legal_entity_id: str) -> Any: ...
    def enable(self, org_id: str, legal_entity_id: str) -> Any: ...
    def remove(self, org_id: str, legal_entity_id: str) -> Any: ...
