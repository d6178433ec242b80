"""Connecting a legal entity (logic/connection.py), step by step, on fakes of Intuit.

start → launch (the popup, sets the browser cookie) → complete (Intuit's callback, same
browser) → confirm (the person's "Connect"); then status and disconnect. Every step is
single use and bound to the launching browser; refusals revoke what Intuit granted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from qbo_connector.logic.connection import CONFIRM_SECONDS, ConnectionService
from qbo_connector.models.errors import Conflict
from qbo_connector.models.legal_entity import ConnectionState
from tests.unit.fakes import (
    LE,
    ORG,
    OTHER_ORG,
    REALM,
    Attempts,
    Clock,
    Companies,
    Entities,
    OAuth,
    ScheduleRules,
    Vault,
    entity,
    root_admin,
)

NEW_REALM = "9130350000000002"
TTL = 600


class Setup:
    def __init__(self, *entities: Any, companies: Companies | None = None) -> None:
        self.clock = Clock()
        self.entities = Entities(
            *(
                entities
                or (
                    entity(
                        connection_state=ConnectionState.NOT_CONNECTED,
                        realm_id=None,
                        data_realm_id=None,
                    ),
                )
            )
        )
        self.attempts = Attempts()
        self.vault = Vault()
        self.oauth = OAuth()
        self.rules = ScheduleRules()
        self.service = ConnectionService(
            entities=self.entities,
            attempts=self.attempts,
            vault=self.vault,
            oauth=lambda: self.oauth,
            companies=companies or Companies(NEW_REALM),
            schedules=self.rules,
            state_ttl_seconds=TTL,
            launch_url="https://api.example/oauth/launch",
            clock=self.clock,
        )

    # the browser's side of the flow
    def launch(self) -> tuple[str, dict[str, str]]:
        popup = self.service.start(root_admin(), LE)["popup_url"]
        token = parse_qs(urlparse(popup).query)["attempt"][0]
        launched = self.service.launch(token)
        assert launched.redirect_to and launched.cookie
        state = parse_qs(urlparse(launched.redirect_to).query)["state"][0]
        return state, {launched.cookie.name: launched.cookie.value}

    def callback(self, realm: str = NEW_REALM, **params: str) -> tuple[Any, dict[str, str]]:
        state, cookies = self.launch()
        outcome = self.service.complete(
            {"state": state, "code": "auth-code", "realmId": realm, **params}, cookies
        )
        return outcome, cookies

    def connect(self, realm: str = NEW_REALM, decision: str = "connect") -> Any:
        outcome, cookies = self.callback(realm)
        assert outcome.outcome == "confirm", outcome
        prompt = outcome.confirm
        form = {
            "confirmation": prompt.confirmation,
            "attempt": prompt.attempt,
            "decision": decision,
        }
        return self.service.confirm(form, cookies)


def test_the_whole_flow_connects_after_the_persons_confirmation() -> None:
    s = Setup()
    outcome, _ = s.callback()
    assert outcome.outcome == "confirm"
    assert f"Company {NEW_REALM}" in outcome.message
    # Nothing is bound before the person confirms.
    assert s.entities.one(ORG, LE).connection_state == ConnectionState.NOT_CONNECTED
    assert s.vault.saved == {}

    s2 = Setup()
    done = s2.connect()
    assert (done.status_code, done.outcome) == (200, "connected")
    connected = s2.entities.one(ORG, LE)
    assert connected.connection_state == ConnectionState.CONNECTED
    assert connected.realm_id == NEW_REALM
    assert connected.connected_by is not None
    assert connected.connected_by["intuit_email"] == "owner@acme.example"
    assert s2.vault.load(ORG, LE) is not None
    assert s2.entities.realm_owner(NEW_REALM) == (ORG, LE)
    assert s2.vault.held == {}  # the pending tokens moved, none left behind
    assert done.clear_cookie  # the browser's cookie is spent


def test_cancelling_on_the_confirmation_page_revokes_the_grant() -> None:
    s = Setup()
    done = s.connect(decision="cancel")
    assert done.outcome == "cancelled"
    assert s.oauth.revoked == ["refresh-1"]
    assert s.vault.saved == {} and s.vault.held == {}
    assert s.entities.one(ORG, LE).connection_state == ConnectionState.NOT_CONNECTED


def test_another_users_live_attempt_blocks_a_second_start() -> None:
    s = Setup()
    s.service.start(root_admin(), LE)
    other = root_admin()
    other = type(other)("u-other", ORG, other.role, "ou-root", True, name="Bob")
    with pytest.raises(Conflict) as raised:
        s.service.start(other, LE)
    assert raised.value.code == "connection_attempt_in_progress"
    s.clock.advance(TTL + 1)
    assert s.service.start(other, LE)["expires_in_seconds"] == TTL  # expired: free again


def test_a_launch_token_is_single_use() -> None:
    s = Setup()
    popup = s.service.start(root_admin(), LE)["popup_url"]
    token = parse_qs(urlparse(popup).query)["attempt"][0]
    assert s.service.launch(token).redirect_to
    again = s.service.launch(token)
    assert again.redirect_to is None and again.page is not None
    assert again.page.outcome == "expired"


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "bad token with spaces!!!!!"])
def test_a_malformed_launch_token_is_an_incomplete_link(token: str) -> None:
    page = Setup().service.launch(token).page
    assert page is not None and page.outcome == "invalid"


def test_the_callback_in_another_browser_connects_nothing() -> None:
    s = Setup()
    state, _ = s.launch()
    outcome = s.service.complete(
        {"state": state, "code": "c", "realmId": NEW_REALM}, {"__Host-qbo-connect-x": "y" * 43}
    )
    assert outcome.outcome == "other_browser"
    assert s.vault.held == {} and s.vault.saved == {}


def test_a_callback_after_the_attempt_expired_connects_nothing() -> None:
    s = Setup()
    state, cookies = s.launch()
    s.clock.advance(TTL + 1)
    outcome = s.service.complete({"state": state, "code": "c", "realmId": NEW_REALM}, cookies)
    assert outcome.outcome == "expired"


def test_a_confirmation_after_it_expired_revokes_and_connects_nothing() -> None:
    s = Setup()
    outcome, cookies = s.callback()
    s.clock.advance(CONFIRM_SECONDS + 1)
    prompt = outcome.confirm
    form = {"confirmation": prompt.confirmation, "attempt": prompt.attempt, "decision": "connect"}
    assert s.service.confirm(form, cookies).outcome == "expired"
    assert s.oauth.revoked == ["refresh-1"]
    assert s.entities.one(ORG, LE).connection_state == ConnectionState.NOT_CONNECTED


def test_the_person_denying_at_intuit_is_cancelled() -> None:
    s = Setup()
    state, cookies = s.launch()
    outcome = s.service.complete({"state": state, "error": "access_denied"}, cookies)
    assert outcome.outcome == "cancelled"


def test_a_realm_the_token_does_not_belong_to_is_refused_and_revoked() -> None:
    s = Setup(companies=Companies())  # QBO refuses the fresh token for any realm
    outcome, _ = s.callback()
    assert (outcome.status_code, outcome.outcome) == (400, "failed")
    assert s.oauth.revoked == ["refresh-1"]


@pytest.mark.parametrize("realm", ["12ab", "-1", "9" * 33])
def test_a_malformed_realm_id_is_refused_without_exchanging(realm: str) -> None:
    s = Setup()
    outcome, _ = s.callback(realm)
    assert outcome.outcome == "failed"
    assert s.vault.held == {}


def test_qbo_down_while_reading_the_company_is_503_and_revoked() -> None:
    s = Setup(companies=Companies(NEW_REALM, down=True))
    outcome, _ = s.callback()
    assert outcome.status_code == 503
    assert s.oauth.revoked == ["refresh-1"]


def test_a_company_connected_to_another_organization_is_refused_without_naming_it() -> None:
    s = Setup(
        entity(connection_state=ConnectionState.NOT_CONNECTED, realm_id=None, data_realm_id=None),
        entity(org_id=OTHER_ORG, legal_entity_id="their-le", realm_id=NEW_REALM),
    )
    outcome, _ = s.callback()
    assert (outcome.status_code, outcome.outcome) == (409, "refused")
    assert "another legal entity" in outcome.message
    assert "their-le" not in outcome.message
    assert s.oauth.revoked == ["refresh-1"]


def test_a_company_connected_to_a_sibling_entity_is_named() -> None:
    s = Setup(
        entity(connection_state=ConnectionState.NOT_CONNECTED, realm_id=None, data_realm_id=None),
        entity(legal_entity_id="le-sibling", realm_id=NEW_REALM),
    )
    outcome, _ = s.callback()
    assert outcome.outcome == "refused"
    assert "le-sibling" in outcome.message


def test_an_entity_holding_another_companys_data_is_refused() -> None:
    s = Setup(entity(connection_state=ConnectionState.NOT_CONNECTED, realm_id=None))
    outcome, _ = s.callback()  # its data_realm_id is the fakes' REALM, not NEW_REALM
    assert (outcome.status_code, outcome.outcome) == (409, "refused")
    assert "reset" in outcome.message


def test_reconnecting_enables_the_schedule() -> None:
    s = Setup(
        entity(
            connection_state=ConnectionState.RECONNECT_REQUIRED,
            realm_id=NEW_REALM,
            data_realm_id=NEW_REALM,
            sync_schedule={"kind": "interval", "every_hours": 6},
        )
    )
    assert s.connect().outcome == "connected"
    assert ("enable", ORG, LE) in s.rules.calls
    assert s.entities.one(ORG, LE).reconnect_reason is None


# -- status and disconnect ------------------------------------------------------------------------


def test_status_shows_a_pending_attempt() -> None:
    s = Setup()
    s.service.start(root_admin(), LE)
    body = s.service.status(root_admin(), LE)
    assert body["state"] == "pending"
    assert body["pending_attempt"]["started_by"] == "Root Admin"


def test_status_warns_when_qbo_does_not_warn_of_duplicate_numbers() -> None:
    s = Setup(entity())
    checks = {c["check"]: c for c in s.service.status(root_admin(), LE)["preflight"]}
    assert checks["duplicate_bill_warning"]["status"] == "warning"


def test_disconnect_revokes_deletes_tokens_frees_the_realm_and_pauses_the_schedule() -> None:
    s = Setup(entity(sync_schedule={"kind": "interval", "every_hours": 6}))
    s.vault.save(ORG, LE, type("T", (), {"refresh_token": "rt-live"})())
    body = s.service.disconnect(root_admin(), LE)
    assert body["state"] == "not_connected"
    assert body["revoked_at_intuit"] is True
    assert s.oauth.revoked == ["rt-live"]
    assert s.vault.load(ORG, LE) is None
    assert s.entities.realm_owner(REALM) is None  # entity()'s realm
    assert ("disable", ORG, LE) in s.rules.calls
    # The data realm stays: the entity cannot silently switch companies.
    assert s.entities.one(ORG, LE).data_realm_id == entity().data_realm_id


def test_disconnect_finishes_locally_when_intuit_is_down() -> None:
    s = Setup(entity())
    s.oauth.revoke_fails = True
    s.vault.save(ORG, LE, type("T", (), {"refresh_token": "rt-live"})())
    body = s.service.disconnect(root_admin(), LE)
    assert body["revoked_at_intuit"] is False
    assert body["last_disconnect"]["revoked_at_intuit"] is False
    assert s.vault.load(ORG, LE) is None
