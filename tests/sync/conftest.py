"""SmartSync tests over the real local stack: moto (template tables and queue), the QBO
sandbox, and the real handlers invoked with the JSON samples in events/.

A legal entity is "connected" the way the OAuth callback leaves it: a sandbox grant's
tokens in the vault (Secrets Manager) and the realm bound in the LegalEntities table.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from local_stack.stack import LocalStack
from qbo_connector import wiring
from qbo_connector.adapters.intuit_oauth import TokenSet
from qbo_connector.adapters.legal_entity_store import LegalEntityStore
from qbo_connector.adapters.token_vault import TokenVault
from qbo_connector.models.legal_entity import ConnectionState
from tests.events import api_event, load_event

_ids = itertools.count(1)


@contextmanager
def shared_env(local: LocalStack, **overrides: str) -> Iterator[LocalStack]:
    """The test process reads the tables the functions use (same names, same moto)."""
    saved = {k: os.environ.get(k) for k in [*local.env, *overrides]}
    os.environ.update({**local.env, **overrides})
    wiring.reset()
    try:
        yield local
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        wiring.reset()


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(visibility_timeout=0) as local, shared_env(local):
        yield local


def _grant_tokens(stack: LocalStack, realm: str) -> TokenSet:
    """Tokens for the realm as if its administrator had consented to our app."""
    payload = stack.sandbox.sandbox.grant_tokens(realm)  # type: ignore[union-attr]
    wall = time.time()
    return TokenSet(
        access_token=payload["access_token"],
        refresh_token=payload["refresh_token"],
        access_expires_at=wall + int(payload["expires_in"]),
        refresh_expires_at=wall + int(payload["x_refresh_token_expires_in"]),
        realm_id=realm,
        obtained_at=wall,
    )


@dataclass
class Entity:
    """One registered legal entity and (when connected) its sandbox company."""

    stack: LocalStack
    org_id: str
    le_id: str
    realm: str
    token: str  # the caller's bearer claims are applied to the sample events

    @property
    def sandbox(self) -> Any:
        return self.stack.sandbox.sandbox  # type: ignore[union-attr]

    def claims(self, **overrides: str) -> dict[str, str]:
        return {
            "org_id": self.org_id,
            "sub": "user-alice",
            "role": "SystemAdministrator",
            "home_org_unit_is_root": "true",
            **overrides,
        }

    def api(self, function: str, sample: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        claims = self.claims(**kw.pop("claims", {}))
        sample_params = load_event(sample).get("pathParameters") or {}
        entity_id = self.le_id if "id" in sample_params else None
        event = api_event(sample, entity_id=entity_id, claims=claims, **kw)
        answer = self.stack.invoke(function, event)
        return int(answer["statusCode"]), json.loads(answer.get("body") or "null")

    def start_sync(
        self, body: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[int, dict[str, Any]]:
        sample = "manual-sync-one.json"
        if body is not None:
            kw["body"] = body
        return self.api("ManualSyncFunction", sample, **kw)

    def history(self, **query: str) -> dict[str, Any]:
        status, body = self.api(
            "EntityApiFunction", "entity-api-list-syncs.json", query=query or {"limit": "20"}
        )
        assert status == 200, body
        return body

    def run(self, sync_id: str) -> dict[str, Any]:
        status, body = self.api(
            "EntityApiFunction", "entity-api-get-sync.json", extra_path={"syncId": sync_id}
        )
        assert status == 200, body
        return body

    def records(self, type_name: str, **query: str) -> list[dict[str, Any]]:
        """Every stored record of a type, following next_cursor."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            q = {"limit": "500", **query}
            if cursor:
                q["cursor"] = cursor
            status, body = self.api(
                "EntityApiFunction",
                "entity-api-list-records.json",
                extra_path={"type": type_name},
                query=q,
            )
            assert status == 200, body
            items.extend(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                return items

    def ops(self, sample: str, **fields: Any) -> dict[str, Any]:
        event = {
            **load_event(sample),
            "org_id": self.org_id,
            "legal_entity_id": self.le_id,
            **fields,
        }
        return dict(self.stack.invoke("OpsFunction", event))

    def store(self) -> LegalEntityStore:
        return LegalEntityStore()


@pytest.fixture()
def make_entity(stack: LocalStack) -> Callable[..., Entity]:
    sandbox = stack.sandbox.sandbox  # type: ignore[union-attr]

    def build(
        *,
        connected: bool = True,
        profile: dict[str, Any] | None = None,
        with_profile: bool = True,
        sizes: dict[str, int] | None = None,
    ) -> Entity:
        n = next(_ids)
        org, le = f"org-sync{n}", f"le-sync{n}"
        sandbox.set_limits(enabled=False)
        sandbox.clear_faults()
        company = sandbox.create_company(sizes=sizes)
        entity = Entity(stack, org, le, company.realm_id, "")
        registered = entity.ops("ops-register-legal-entity.json", name=f"Entity {n}")
        assert registered["ok"], registered
        if connected:
            store = LegalEntityStore()
            current = store.get(org, le)
            assert current is not None
            TokenVault().save(org, le, _grant_tokens(stack, company.realm_id))
            current.connection_state = ConnectionState.CONNECTED
            current.realm_id = company.realm_id
            current.data_realm_id = company.realm_id
            current.company_name = company.name
            store.bind_realm(current)
        if with_profile:
            result = entity.ops(
                "ops-put-sync-profile.json",
                profile=profile or {"export_bills": False, "import_payments": False},
            )
            assert result["ok"], result
        return entity

    return build
