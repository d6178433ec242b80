"""QboClient + TokenManager + TokenVault against the real local QBO sandbox (HTTP) and
real boto3 on moto. Sleeps are recorded, never slept; the pacer runs on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import pytest
import requests

from qbo_connector.adapters.intuit_oauth import TokenSet
from qbo_connector.adapters.qbo_auth import ReconnectRequired, TokenManager
from qbo_connector.adapters.qbo_client import CallCounter, QboClient, RealmPacer, RetryPolicy
from qbo_connector.adapters.qbo_faults import (
    QboDuplicateDocNumberError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboStaleObjectError,
    QboUnavailableError,
    QboValidationError,
)
from qbo_connector.adapters.token_vault import TokenVault

ORG, LE = "org-1", "le-1"


class FakeClock:
    """Pacer clock; sleeping advances it and is recorded."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class SpySession(requests.Session):
    """A real session that notes, for each request, what the vault holds at send time."""

    def __init__(self, probe: Callable[[], str | None]) -> None:
        super().__init__()
        self.probe = probe
        self.sent: list[tuple[str, str, str | None]] = []

    def request(self, method: str, url: str, *args: Any,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        self.sent.append((method, urlparse(url).path, self.probe()))
        return super().request(method, url, *args, **kwargs)


@dataclass
class Rig:
    world: Any
    vault: TokenVault
    initial: TokenSet
    clock: FakeClock
    counter: CallCounter
    session: SpySession
    reconnects: list[str] = field(default_factory=list)

    @property
    def sb(self) -> Any:
        return self.world.sandbox

    @property
    def realm(self) -> str:
        return str(self.world.realm_id)

    def manager(self) -> TokenManager:
        return TokenManager(ORG, LE, vault=self.vault, oauth=self.world.oauth,
                            on_reconnect_required=self.reconnects.append)

    def client(self, **kw: Any) -> QboClient:
        args: dict[str, Any] = {
            "session": self.session,
            "pacer": RealmPacer(clock=self.clock),
            "counter": self.counter,
            "sleep": self.clock.sleep,
            "timeout": (2.0, 5.0),
        }
        args.update(kw)
        return QboClient(self.realm, self.manager(), self.world.api_base, **args)

    def stored_refresh(self) -> str | None:
        t = self.vault.load(ORG, LE)
        return None if t is None else t.refresh_token


def _rig(world: Any) -> Rig:
    vault = TokenVault()
    initial = world.connect()
    vault.save(ORG, LE, initial)
    # The sandbox's real per-second limiter would react to our fake-clock pacing.
    world.sandbox.set_limits(enabled=False)
    clock = FakeClock()
    rig = Rig(world, vault, initial, clock, CallCounter(), SpySession(lambda: None))
    rig.session.probe = rig.stored_refresh
    return rig


@pytest.fixture()
def rig(qbo: Any, aws_env: dict[str, str]) -> Iterator[Rig]:
    r = _rig(qbo)
    yield r
    r.session.close()


def counts(counter: CallCounter) -> dict[str, int]:
    return {k: v for k, v in counter.as_dict().items() if v}


def api_sent(rig: Rig) -> list[tuple[str, str, str | None]]:
    return [s for s in rig.session.sent if "/v3/company/" in s[1]]


# -- basics ----------------------------------------------------------------------------------


def test_reads_and_counter(rig: Rig) -> None:
    client = rig.client()
    info = client.company_info()
    assert info["CompanyName"]
    prefs = client.preferences()
    assert "OtherPrefs" in prefs
    vendors = client.query("SELECT * FROM Vendor MAXRESULTS 5")
    assert len(vendors["Vendor"]) == 5
    assert client.count("Vendor", "Active IN (true, false)") == 27
    one = client.read("Vendor", vendors["Vendor"][0]["Id"])
    assert one["Id"] == vendors["Vendor"][0]["Id"]
    assert client.last_intuit_tid
    assert counts(rig.counter) == {"read": 3, "query": 2, "api_calls": 5}
    # Every call carried minorversion=75 and asked for JSON.
    assert rig.sb.call_count(rig.realm) == 5


def test_empty_query_and_not_found(rig: Rig) -> None:
    client = rig.client()
    assert client.query("SELECT * FROM Vendor WHERE DisplayName = 'Nobody at all'") == {}
    with pytest.raises(QboNotFoundError) as exc:
        client.read("Vendor", "987654")
    assert exc.value.code == "610"
    assert exc.value.intuit_tid
    assert counts(rig.counter) == {"query": 1, "read": 1, "api_calls": 2}


# -- 401 → refresh once ----------------------------------------------------------------------


def test_401_refreshes_once_then_succeeds(rig: Rig) -> None:
    client = rig.client()
    # Intuit's clock says the access token is past its hour; ours does not know yet.
    rig.sb.advance_clock(3700)
    info = client.company_info()
    assert info["CompanyName"]
    assert counts(rig.counter) == {"read": 1, "refresh": 1, "retries": 1, "api_calls": 2}
    sent = api_sent(rig)
    assert len(sent) == 2
    # Within 24 h the refresh token value does not rotate.
    assert rig.stored_refresh() == rig.initial.refresh_token
    assert rig.vault.load(ORG, LE).access_token != rig.initial.access_token  # type: ignore[union-attr]


def test_rotated_refresh_token_is_persisted_before_the_retry(rig: Rig) -> None:
    client = rig.client()
    # A day later: access token dead, and the refresh returns a NEW refresh token.
    rig.sb.advance_clock(86400 + 60)
    client.company_info()
    sent = api_sent(rig)
    assert len(sent) == 2
    first, retry = sent
    assert first[2] == rig.initial.refresh_token
    new_refresh = rig.stored_refresh()
    assert new_refresh and new_refresh != rig.initial.refresh_token
    # When the retried call left, the vault already held the rotated refresh token.
    assert retry[2] == new_refresh
    # ...and the replaced one is dead at Intuit, so persisting first was necessary.
    with pytest.raises(Exception, match="invalid_grant"):
        rig.world.oauth.refresh(rig.initial.refresh_token, rig.realm)
    assert counts(rig.counter) == {"read": 1, "refresh": 1, "retries": 1, "api_calls": 2}


def test_warm_process_reuses_the_access_token(rig: Rig) -> None:
    for _ in range(3):
        rig.client().company_info()
    assert counts(rig.counter) == {"read": 3, "api_calls": 3}
    assert rig.stored_refresh() == rig.initial.refresh_token


def test_invalid_grant_means_reconnect_required(rig: Rig) -> None:
    client = rig.client()
    rig.world.oauth.revoke(rig.initial.refresh_token)
    with pytest.raises(ReconnectRequired) as exc:
        client.company_info()
    assert "invalid_grant" in exc.value.reason
    assert exc.value.org_id == ORG and exc.value.legal_entity_id == LE
    assert len(rig.reconnects) == 1
    assert counts(rig.counter) == {"read": 1, "refresh": 1, "api_calls": 1}
    # Every later use fails fast, without calling QBO or Intuit.
    before = len(rig.session.sent)
    with pytest.raises(ReconnectRequired):
        rig.client().company_info()
    assert len(rig.session.sent) == before
    assert len(rig.reconnects) == 1


# -- throttling and outages ------------------------------------------------------------------


def test_429_xml_is_retried_with_throttle_backoff(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("429", count=2, path="*/query")
    page = client.query("SELECT * FROM Vendor MAXRESULTS 3")
    assert len(page["Vendor"]) == 3
    assert counts(rig.counter) == {"query": 1, "throttled": 2, "retries": 2, "api_calls": 3}
    policy = RetryPolicy()
    assert len(rig.clock.sleeps) == 2
    assert 0 <= rig.clock.sleeps[0] <= policy.ceiling(1, throttled=True)
    assert 0 <= rig.clock.sleeps[1] <= policy.ceiling(2, throttled=True)


def test_5xx_is_retried_for_reads(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("503", count=1, path="*/companyinfo/*")
    rig.sb.inject_fault("500", count=1, path="*/companyinfo/*")
    assert client.company_info()["CompanyName"]
    assert counts(rig.counter) == {"read": 1, "retries": 2, "api_calls": 3}


def test_retries_are_bounded(rig: Rig) -> None:
    client = rig.client(max_attempts=3)
    rig.sb.inject_fault("500", count=10, path="*/preferences")
    with pytest.raises(QboUnavailableError) as exc:
        client.preferences()
    assert exc.value.http_status == 500
    assert exc.value.intuit_tid
    assert len(api_sent(rig)) == 3
    assert counts(rig.counter) == {"read": 1, "retries": 2, "api_calls": 3}


def test_connection_reset_on_read_is_retried(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("reset", count=1, path="*/preferences")
    assert "OtherPrefs" in client.preferences()
    assert counts(rig.counter) == {"read": 1, "retries": 1, "api_calls": 2}


# -- writes and requestid --------------------------------------------------------------------


def _vendors_named(rig: Rig, name: str) -> int:
    return sum(1 for v in rig.sb.list_objects(rig.realm, "Vendor") if v["DisplayName"] == name)


def test_create_without_requestid_is_not_retried_after_500(rig: Rig) -> None:
    client = rig.client()
    # The work is done, only the answer is lost: a resend would create a second vendor.
    rig.sb.inject_fault("commit_then_fail", count=1, path="*/vendor", method="POST")
    with pytest.raises(QboUnavailableError):
        client.create("Vendor", {"DisplayName": "No Requestid Ltd"})
    assert [m for m, _, _ in api_sent(rig)] == ["POST"]
    assert _vendors_named(rig, "No Requestid Ltd") == 1
    assert counts(rig.counter) == {"create": 1, "api_calls": 1}


def test_create_with_requestid_is_retried_and_creates_one_object(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("commit_then_fail", count=1, path="*/vendor", method="POST")
    rig.sb.inject_fault("500", count=1, path="*/vendor", method="POST")
    vendor = client.create("Vendor", {"DisplayName": "Requestid Ltd"}, request_id="rq-vendor-1")
    assert vendor["DisplayName"] == "Requestid Ltd"
    assert _vendors_named(rig, "Requestid Ltd") == 1
    assert counts(rig.counter) == {"create": 1, "retries": 2, "api_calls": 3}
    # The same requestid later replays the original answer, without a second object.
    again = client.create("Vendor", {"DisplayName": "Requestid Ltd"}, request_id="rq-vendor-1")
    assert again["Id"] == vendor["Id"]
    assert _vendors_named(rig, "Requestid Ltd") == 1


def test_read_timeout_on_create_is_retried_with_requestid(rig: Rig) -> None:
    client = rig.client(timeout=(2.0, 0.3))
    rig.sb.inject_fault("delay", count=1, path="*/vendor", method="POST", seconds=1.5)
    vendor = client.create("Vendor", {"DisplayName": "Slow Answer Co"}, request_id="rq-slow-1")
    assert vendor["DisplayName"] == "Slow Answer Co"
    assert counts(rig.counter) == {"create": 1, "retries": 1, "api_calls": 2}
    assert _vendors_named(rig, "Slow Answer Co") == 1


def test_read_timeout_on_create_without_requestid_surfaces(rig: Rig) -> None:
    client = rig.client(timeout=(2.0, 0.3))
    rig.sb.inject_fault("delay", count=1, path="*/vendor", method="POST", seconds=1.0)
    with pytest.raises(QboUnavailableError, match="ReadTimeout"):
        client.create("Vendor", {"DisplayName": "Unknown Outcome Co"})
    assert counts(rig.counter) == {"create": 1, "api_calls": 1}


def test_429_on_a_write_is_retried_even_without_requestid(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("429", count=1, path="*/vendor", method="POST")
    client.create("Vendor", {"DisplayName": "Throttled Write Co"})
    assert _vendors_named(rig, "Throttled Write Co") == 1
    assert counts(rig.counter) == {"create": 1, "throttled": 1, "retries": 1, "api_calls": 2}


def test_update_delete_and_typed_faults(rig: Rig) -> None:
    client = rig.client()
    vendor = client.create("Vendor", {"DisplayName": "Edit Me Inc"}, request_id="rq-e1")
    updated = client.update(
        "Vendor", {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"],
                   "CompanyName": "Edited"}, sparse=True)
    assert updated["CompanyName"] == "Edited"
    with pytest.raises(QboStaleObjectError):
        client.update("Vendor", {"Id": vendor["Id"], "SyncToken": vendor["SyncToken"],
                                 "CompanyName": "Stale"}, sparse=True)
    expense = client.query("SELECT * FROM Account WHERE AccountType = 'Expense' MAXRESULTS 1")
    account_id = expense["Account"][0]["Id"]
    line = {"Amount": 10.0, "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id}}}
    with pytest.raises(QboInvalidReferenceError):
        client.create("Bill", {"VendorRef": {"value": "99999"}, "Line": [line]})
    rig.sb.set_warn_duplicate_bill_number(rig.realm, True)
    bill = client.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "AP-1",
                                  "Line": [line]}, request_id="rq-bill-1")
    with pytest.raises(QboDuplicateDocNumberError) as dup:
        client.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "AP-1",
                               "Line": [line]}, request_id="rq-bill-2")
    assert dup.value.existing_txn_id == bill["Id"]
    second = client.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "AP-1",
                                    "Line": [line]}, request_id="rq-bill-3",
                           include="allowduplicatedocnum")
    assert second["Id"] != bill["Id"]
    gone = client.delete("Bill", second["Id"], second["SyncToken"], request_id="rq-del-1")
    assert gone["status"] == "Deleted"
    assert counts(rig.counter) == {"create": 5, "update": 2, "query": 1, "delete": 1,
                                   "api_calls": 9}


# -- paging, CDC, batch, upload ----------------------------------------------------------------


def test_pager_pulls_2500_vendors_in_3_calls(qbo_big: Any, aws_env: dict[str, str]) -> None:
    rig = _rig(qbo_big)
    client = rig.client()
    pages = list(client.query_all("Vendor", order_by="Id"))
    assert [len(p) for p in pages] == [1000, 1000, 500]
    ids = {v["Id"] for p in pages for v in p}
    assert len(ids) == 2500
    assert counts(rig.counter) == {"query": 3, "api_calls": 3}
    assert rig.sb.call_count(rig.realm, "GET query") == 3


def test_cdc_keeps_deleted_objects(rig: Rig) -> None:
    client = rig.client()
    since = datetime.fromtimestamp(rig.sb.clock.now() - 60, UTC)
    bills = rig.sb.list_objects(rig.realm, "Bill")
    unpaid = next(b for b in bills if float(b["Balance"]) == float(b["TotalAmt"]))
    rig.sb.delete_object(rig.realm, "Bill", unpaid["Id"])
    vendor = rig.sb.list_objects(rig.realm, "Vendor")[0]
    rig.sb.update_object(rig.realm, "Vendor", vendor["Id"], {"Active": False})
    changes = client.cdc(["Vendor", "Bill", "Account"], since)
    assert set(changes) >= {"Vendor", "Bill", "Account"}
    deleted = [b for b in changes["Bill"] if b.get("status") == "Deleted"]
    assert [b["Id"] for b in deleted] == [unpaid["Id"]]
    assert any(v["Id"] == vendor["Id"] and v["Active"] is False for v in changes["Vendor"])
    assert counts(rig.counter) == {"cdc": 1, "api_calls": 1}


def test_batch_items_succeed_or_fail_on_their_own(rig: Rig) -> None:
    client = rig.client()
    results = client.batch(
        [
            {"operation": "create", "Vendor": {"DisplayName": "Batch One"}},
            {"operation": "create", "Vendor": {"DisplayName": "Batch One"}},
            {"Query": "SELECT * FROM Vendor WHERE DisplayName = 'Batch One'"},
            {"bId": "mine", "operation": "create", "Bill": {"Line": []}},
        ],
        request_id="rq-batch-1",
    )
    assert [r.bid for r in results] == ["b1", "b2", "b3", "mine"]
    assert results[0].ok and results[0].entity == "Vendor"
    assert results[0].payload and results[0].payload["DisplayName"] == "Batch One"
    assert not results[1].ok and results[1].fault is not None
    assert results[1].fault.code == "6240"
    assert results[2].entity == "QueryResponse"
    assert isinstance(results[3].fault, QboValidationError)
    assert counts(rig.counter) == {"batch": 1, "api_calls": 1}
    with pytest.raises(ValueError):
        client.batch([{"Query": "SELECT * FROM Vendor"}] * 31)


def test_batch_without_operations_is_a_read_and_retried(rig: Rig) -> None:
    client = rig.client()
    rig.sb.inject_fault("500", count=1, path="*/batch")
    results = client.batch([{"Query": "SELECT * FROM Term"}])
    assert results[0].entity == "QueryResponse"
    assert counts(rig.counter) == {"batch": 1, "retries": 1, "api_calls": 2}


def test_upload_attachment(rig: Rig) -> None:
    client = rig.client()
    bill = rig.sb.list_objects(rig.realm, "Bill")[0]
    pdf = b"%PDF-1.4\n% test invoice\n"
    att = client.upload_attachment("Bill", bill["Id"], "invoice-7.pdf", "application/pdf",
                                   pdf, request_id="rq-upload-1")
    assert att["FileName"] == "invoice-7.pdf"
    assert att["AttachableRef"][0]["EntityRef"] == {"type": "Bill", "value": bill["Id"]}
    assert rig.sb.company(rig.realm).attachments[att["Id"]] == pdf
    assert counts(rig.counter) == {"upload": 1, "api_calls": 1}


def test_tokens_never_in_errors(rig: Rig) -> None:
    # A token QBO does not know: the 401 detail must not echo it, even after a refresh.
    client = rig.client()
    rig.sb.advance_clock(3700)
    rig.sb.inject_fault("500", count=5, path="*/preferences")
    with pytest.raises(QboUnavailableError) as exc:
        client.preferences()
    stored = rig.vault.load(ORG, LE)
    assert stored is not None
    for secret in (rig.initial.access_token, rig.initial.refresh_token, stored.access_token):
        assert secret not in str(exc.value)
        assert secret not in repr(exc.value.to_dict())
