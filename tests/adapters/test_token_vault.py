"""TokenVault and TokenManager with real boto3 against moto (server mode) and, for refreshes,
the real local QBO sandbox."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import Any

import pytest

from qbo_connector.adapters import aws, token_cache
from qbo_connector.adapters.intuit_oauth import TokenSet
from qbo_connector.adapters.qbo_auth import TokenManager
from qbo_connector.adapters.token_vault import (
    TokenVault,
    TokenVaultError,
    load_app_credentials,
)
from qbo_connector.models.faults import ReconnectRequired, TokenPersistError

ORG, LE = "org-1", "le-1"


def _tokens(n: int = 1, *, access_expires_at: float = 4_000_000_000.0) -> TokenSet:
    return TokenSet(
        access_token=f"eyJ-access-{n}",
        refresh_token=f"RT1-refresh-{n}",
        access_expires_at=access_expires_at,
        refresh_expires_at=4_100_000_000.0,
        realm_id="9130",
        refresh_hard_expires_at=4_200_000_000.0,
        obtained_at=float(n),
    )


# -- TokenVault ------------------------------------------------------------------------------


def test_save_load_delete(aws_env: dict[str, str]) -> None:
    vault = TokenVault()
    sm = aws.client("secretsmanager")
    assert vault.load(ORG, LE) is None
    vault.save(ORG, LE, _tokens(1))
    name = "qbo-connector/tokens/org-1/le-1"
    desc = sm.describe_secret(SecretId=name)
    assert desc["KmsKeyId"] == aws_env["kms_key_id"]
    tags = {t["Key"]: t["Value"] for t in desc["Tags"]}
    assert tags["org_id"] == ORG and tags["legal_entity_id"] == LE
    assert vault.load(ORG, LE) == _tokens(1)

    vault.save(ORG, LE, _tokens(2))  # a new version of the same secret
    assert vault.load(ORG, LE) == _tokens(2)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert len(versions) == 2

    vault.delete(ORG, LE)
    assert vault.load(ORG, LE) is None
    vault.delete(ORG, LE)  # idempotent
    vault.delete(ORG, "never-connected")
    # Reconnecting after a disconnect stores again.
    vault.save(ORG, LE, _tokens(3))
    assert vault.load(ORG, LE) == _tokens(3)


def test_entities_are_separate_and_names_are_checked(aws_env: dict[str, str]) -> None:
    vault = TokenVault()
    vault.save(ORG, "le-a", _tokens(1))
    vault.save(ORG, "le-b", _tokens(2))
    assert vault.load(ORG, "le-a") == _tokens(1)
    assert vault.load(ORG, "le-b") == _tokens(2)
    with pytest.raises(ValueError):
        vault.secret_name(ORG, "le/../x")
    with pytest.raises(ValueError):
        vault.secret_name("", LE)


def test_unreadable_secret(aws_env: dict[str, str]) -> None:
    aws.client("secretsmanager").create_secret(
        Name="qbo-connector/tokens/org-1/le-1", SecretString="not json")
    with pytest.raises(TokenVaultError) as exc:
        TokenVault().load(ORG, LE)
    assert "not json" not in str(exc.value)


def test_app_credentials_cached_for_a_while(aws_env: dict[str, str]) -> None:
    sm = aws.client("secretsmanager")
    sm.create_secret(Name="qbo-connector/intuit-app",
                     SecretString=json.dumps({"client_id": "cid", "client_secret": "s1"}))
    now = [100.0]
    creds = load_app_credentials(clock=lambda: now[0])
    assert (creds.client_id, creds.client_secret) == ("cid", "s1")
    assert "s1" not in repr(creds)
    sm.put_secret_value(SecretId="qbo-connector/intuit-app",
                        SecretString=json.dumps({"client_id": "cid", "client_secret": "s2"}))
    now[0] += 60
    assert load_app_credentials(clock=lambda: now[0]).client_secret == "s1"
    now[0] += 300
    assert load_app_credentials(clock=lambda: now[0]).client_secret == "s2"


def test_app_credentials_missing_or_malformed(aws_env: dict[str, str]) -> None:
    with pytest.raises(TokenVaultError, match="ResourceNotFound"):
        load_app_credentials()
    aws.client("secretsmanager").create_secret(
        Name="qbo-connector/intuit-app", SecretString=json.dumps({"client_id": "x"}))
    with pytest.raises(TokenVaultError, match="client_secret"):
        load_app_credentials()


# -- TokenManager ------------------------------------------------------------------------------


class NoRefresh:
    def refresh(self, refresh_token: str, realm_id: str = "") -> TokenSet:
        raise AssertionError("no refresh expected")


def test_manager_serves_cached_token_and_reports_not_connected(aws_env: dict[str, str]) -> None:
    vault = TokenVault()
    mgr = TokenManager(ORG, LE, vault=vault, oauth=NoRefresh())
    with pytest.raises(ReconnectRequired) as exc:
        mgr.access_token()
    assert exc.value.not_connected
    vault.save(ORG, LE, _tokens(1))
    assert mgr.access_token() == "eyJ-access-1"
    assert mgr.realm_id == "9130"
    assert "eyJ" not in repr(mgr)


def test_manager_refreshes_near_expiry_and_persists(
    qbo: Any, aws_env: dict[str, str]
) -> None:
    vault = TokenVault()
    # Stored tokens whose access token expires in 200 s: inside the 5-minute margin.
    tokens = dataclasses.replace(qbo.connect(), access_expires_at=time.time() + 200)
    vault.save(ORG, LE, tokens)
    mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth)
    fresh = mgr.access_token()
    assert fresh != tokens.access_token
    assert vault.load(ORG, LE).access_token == fresh  # type: ignore[union-attr]
    # Another manager in the same process (warm Lambda) reuses it without refreshing.
    other = TokenManager(ORG, LE, vault=vault, oauth=NoRefresh())
    assert other.access_token() == fresh


def test_manager_adopts_tokens_rotated_by_another_process(
    qbo: Any, aws_env: dict[str, str]
) -> None:
    vault = TokenVault()
    tokens = qbo.connect()
    vault.save(ORG, LE, tokens)
    mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth)
    assert mgr.access_token() == tokens.access_token
    # "Another process" refreshes a day later (rotating) and stores the result.
    qbo.sandbox.advance_clock(86400 + 60)
    rotated = qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)
    vault.save(ORG, LE, rotated)
    # Our process still holds the dead refresh token; a 401 makes it look at the vault.
    assert mgr.force_refresh(tokens.access_token) == rotated.access_token
    assert vault.load(ORG, LE).refresh_token == rotated.refresh_token  # type: ignore[union-attr]


def test_manager_rereads_vault_after_invalid_grant(qbo: Any, aws_env: dict[str, str]) -> None:
    vault = TokenVault()
    tokens = qbo.connect()
    vault.save(ORG, LE, tokens)
    mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth)
    mgr.access_token()
    qbo.sandbox.advance_clock(86400 + 60)
    rotated = qbo.oauth.refresh(tokens.refresh_token, qbo.realm_id)

    class LateWriter:
        """Stores the other process's tokens between our vault read and our refresh."""

        def __init__(self) -> None:
            self.calls = 0

        def refresh(self, refresh_token: str, realm_id: str = "") -> TokenSet:
            self.calls += 1
            if self.calls == 1:
                vault.save(ORG, LE, rotated)
            return qbo.oauth.refresh(refresh_token, realm_id)  # type: ignore[no-any-return]

    mgr2 = TokenManager(ORG, LE, vault=vault, oauth=LateWriter())
    new_access = mgr2.force_refresh(tokens.access_token)
    assert new_access == rotated.access_token
    assert mgr.access_token() == rotated.access_token


def test_manager_invalid_grant_reconnect_and_fail_fast(
    qbo: Any, aws_env: dict[str, str]
) -> None:
    vault = TokenVault()
    tokens = qbo.connect()
    vault.save(ORG, LE, tokens)
    seen: list[str] = []
    now = [1000.0]
    mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth, on_reconnect_required=seen.append,
                       clock=lambda: now[0])
    qbo.oauth.revoke(tokens.refresh_token)
    with pytest.raises(ReconnectRequired, match="invalid_grant"):
        mgr.force_refresh()
    assert len(seen) == 1 and "invalid_grant" in seen[0]
    with pytest.raises(ReconnectRequired):
        mgr.access_token()
    # The user reconnects in another process (raw write to the secret): noticed after a while.
    fresh = qbo.connect()
    aws.client("secretsmanager").put_secret_value(
        SecretId=vault.secret_name(ORG, LE), SecretString=json.dumps(fresh.to_dict()))
    with pytest.raises(ReconnectRequired):
        mgr.access_token()
    now[0] += 61
    assert mgr.access_token() == fresh.access_token
    assert len(seen) == 1
    # A reconnect saved through the vault in this process is used at once.
    qbo.oauth.revoke(fresh.refresh_token)
    with pytest.raises(ReconnectRequired):
        mgr.force_refresh()
    third = qbo.connect()
    vault.save(ORG, LE, third)
    assert mgr.access_token() == third.access_token
    # Disconnect: the tokens are gone from the vault and from the process cache.
    vault.delete(ORG, LE)
    with pytest.raises(ReconnectRequired) as exc:
        mgr.access_token()
    assert exc.value.not_connected


def test_manager_keeps_unsaved_tokens_until_persisted(
    qbo: Any, aws_env: dict[str, str]
) -> None:
    tokens = qbo.connect()

    class FlakyVault(TokenVault):
        fail = True

        def save(self, org_id: str, legal_entity_id: str, t: TokenSet) -> None:
            if self.fail:
                raise TokenVaultError("storing tokens failed: ThrottlingException")
            super().save(org_id, legal_entity_id, t)

    vault = FlakyVault()
    TokenVault().save(ORG, LE, tokens)
    mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth)
    with pytest.raises(TokenPersistError):
        mgr.force_refresh()
    vault.fail = False
    # Next use stores the refreshed set first, then hands out its access token.
    token = mgr.access_token()
    assert TokenVault().load(ORG, LE).access_token == token  # type: ignore[union-attr]
    assert token != tokens.access_token


def test_concurrent_refreshes_leave_the_newest_token(qbo: Any, aws_env: dict[str, str]) -> None:
    vault = TokenVault()
    tokens = qbo.connect()
    vault.save(ORG, LE, tokens)
    qbo.sandbox.advance_clock(86400 + 60)  # the next refresh rotates
    errors: list[Exception] = []
    results: list[str] = []

    def worker() -> None:
        try:
            mgr = TokenManager(ORG, LE, vault=vault, oauth=qbo.oauth)
            results.append(mgr.force_refresh(tokens.access_token))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = vault.load(ORG, LE)
    assert stored is not None and stored.refresh_token != tokens.refresh_token
    # One refresh in this process; everyone got the same new access token.
    assert set(results) == {stored.access_token}
    token_cache.reset_cache()
    assert qbo.oauth.refresh(stored.refresh_token, qbo.realm_id).refresh_token == (
        stored.refresh_token
    )
