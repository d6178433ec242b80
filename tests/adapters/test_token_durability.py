"""A rotated refresh token is never lost to our own storage failures (issue 18): the
TokenManager over the real vault and fallback, boto3 through the AWS fault proxy
(local_stack.aws_faults) in front of moto, refreshes at the QBO sandbox, which rotates the
refresh token once a day and kills the replaced value at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from local_stack.aws_faults import AwsFaultProxy
from qbo_connector.adapters import aws, token_cache
from qbo_connector.adapters.durable_tokens import FIELD, DurableTokenStore, TokenFallback
from qbo_connector.adapters.qbo_auth import TokenManager
from qbo_connector.adapters.token_vault import TokenVault
from qbo_connector.models.faults import TokenPersistError

ORG, LE = "org-durable", "le-durable"
TABLE = "qbo-legal-entities-durable"
DAY = 86_400 + 60


@pytest.fixture()
def faults(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsFaultProxy]:
    """Every boto3 client of the process goes through the fault proxy; the legal entity's
    item exists (the fallback lives in it)."""
    # botocore's own retries run as configured (adapters.aws), without their sleeps.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    proxy = AwsFaultProxy(aws_env["endpoint"])
    proxy.bind("127.0.0.1", 0)
    proxy.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("LEGAL_ENTITIES_TABLE", TABLE)
    from qbo_connector.config import get_settings

    get_settings.cache_clear()
    aws.reset()
    ddb = aws.client("dynamodb")
    ddb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"ORG#{ORG}"}, "sk": {"S": f"LE#{LE}"},
                                        "name": {"S": "Durable Co"}})
    yield proxy
    proxy.clear()
    proxy.stop()
    aws.reset()


def store() -> DurableTokenStore:
    return DurableTokenStore(TokenVault(), TokenFallback(), sleep=lambda _s: None)


def new_process() -> None:
    """A Lambda recycled: nothing of the last one's memory survives."""
    token_cache.reset_cache()


def manager(qbo: Any, reconnects: list[str]) -> TokenManager:
    return TokenManager(ORG, LE, vault=store(), oauth=qbo.oauth,
                        on_reconnect_required=reconnects.append)


def item() -> dict[str, Any]:
    return dict(aws.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": f"ORG#{ORG}"}, "sk": {"S": f"LE#{LE}"}},
        ConsistentRead=True)["Item"])


def connected(qbo: Any) -> Any:
    tokens = qbo.connect()
    TokenVault().save(ORG, LE, tokens)
    qbo.sandbox.advance_clock(DAY)  # the next refresh rotates the refresh token
    return tokens


def test_a_vault_refusing_once_is_retried_and_no_fallback_is_written(
    qbo: Any, faults: AwsFaultProxy
) -> None:
    old = connected(qbo)
    # Five refusals: more than botocore's own four attempts, fewer than ours.
    faults.inject("5xx", "secretsmanager", "PutSecretValue", count=5)
    reconnects: list[str] = []
    access = manager(qbo, reconnects).force_refresh(rejected=old.access_token)
    stored = TokenVault().load(ORG, LE)
    assert stored is not None and stored.access_token == access
    assert stored.refresh_token != old.refresh_token  # rotated, and in the vault
    assert FIELD not in item() and reconnects == []
    assert faults.injected[("secretsmanager", "PutSecretValue", "5xx")] == 5


def test_a_vault_refusing_repeatedly_keeps_the_rotated_set_in_the_fallback(
    qbo: Any, faults: AwsFaultProxy
) -> None:
    old = connected(qbo)
    faults.inject("5xx", "secretsmanager", "PutSecretValue", count=-1)
    reconnects: list[str] = []
    access = manager(qbo, reconnects).force_refresh(rejected=old.access_token)
    kept = item()[FIELD]["M"]
    assert access not in json.dumps(kept) and old.refresh_token not in json.dumps(kept)
    assert TokenVault().load(ORG, LE).refresh_token == old.refresh_token  # type: ignore[union-attr]
    # The process dies; the next one, the vault still refusing, reads the newest set: the
    # fallback, whose refresh token is the only live one.
    new_process()
    again = manager(qbo, reconnects)
    fresh = again.force_refresh(rejected=access)
    assert fresh != access and reconnects == []
    faults.clear()
    # The vault answers again: the next reader promotes the newest set and drops the copy.
    new_process()
    latest = store().load(ORG, LE)
    assert latest is not None and latest.access_token == fresh
    assert TokenVault().load(ORG, LE).access_token == fresh  # type: ignore[union-attr]
    assert FIELD not in item()
    new_process()
    assert manager(qbo, reconnects).access_token() == fresh and reconnects == []


def test_both_stores_refusing_keeps_the_set_in_memory_until_one_answers(
    qbo: Any, faults: AwsFaultProxy
) -> None:
    old = connected(qbo)
    faults.inject("5xx", "secretsmanager", "PutSecretValue", count=-1)
    faults.inject("throttle", "dynamodb", "UpdateItem", count=-1)
    reconnects: list[str] = []
    mgr = manager(qbo, reconnects)
    with pytest.raises(TokenPersistError):
        mgr.force_refresh(rejected=old.access_token)
    assert TokenVault().load(ORG, LE).refresh_token == old.refresh_token  # type: ignore[union-attr]
    faults.clear()
    # The same process, the stores back: the unsaved set is written before any use.
    access = mgr.access_token()
    assert TokenVault().load(ORG, LE).access_token == access  # type: ignore[union-attr]
    assert reconnects == []


def test_the_answer_of_the_fallback_write_lost_is_the_same_copy_once(
    qbo: Any, faults: AwsFaultProxy
) -> None:
    """The conditional update succeeded but its answer was lost: the retry finds its own
    copy (not older) and does not fail the refresh."""
    old = connected(qbo)
    faults.inject("5xx", "secretsmanager", "PutSecretValue", count=-1)
    faults.inject("lost", "dynamodb", "UpdateItem", count=4)
    reconnects: list[str] = []
    access = manager(qbo, reconnects).force_refresh(rejected=old.access_token)
    assert FIELD in item()
    faults.clear()
    new_process()
    assert store().load(ORG, LE).access_token == access  # type: ignore[union-attr]
    assert reconnects == []


def test_a_disconnected_entity_is_never_brought_back_by_its_fallback(
    qbo: Any, faults: AwsFaultProxy
) -> None:
    old = connected(qbo)
    faults.inject("5xx", "secretsmanager", "PutSecretValue", count=-1)
    manager(qbo, []).force_refresh(rejected=old.access_token)
    faults.clear()
    TokenVault().delete(ORG, LE)  # disconnect
    new_process()
    assert store().load(ORG, LE) is None
    assert FIELD not in item()
