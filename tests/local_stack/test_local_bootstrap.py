"""The resources in moto are the template's, created from its own Properties."""

from __future__ import annotations

import json
from typing import Any

from local_stack.bootstrap import bootstrap
from local_stack.stack import LocalStack
from local_stack.template import Resolver, Template
from qbo_connector.config import Settings

TABLES = {
    "LegalEntitiesTable": ["pk", "sk"],
    "OAuthAttemptsTable": ["pk"],
    "SyncRunsTable": ["pk", "sk"],
    "RecordsTable": ["pk", "sk"],
    "BillExportsTable": ["pk", "sk"],
}


def _props(stack: LocalStack, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = stack.template.resources[logical_id]["Properties"]
    return props


def test_tables_match_template(real_stack: LocalStack) -> None:
    ddb = real_stack.client("dynamodb")
    for logical_id, keys in TABLES.items():
        name = real_stack.physical[logical_id].ref
        assert name == f"qbo-connector-local-{logical_id}"
        desc = ddb.describe_table(TableName=name)["Table"]
        props = _props(real_stack, logical_id)
        assert desc["KeySchema"] == props["KeySchema"]
        assert [k["AttributeName"] for k in desc["KeySchema"]] == keys
        assert sorted(desc["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    bills = ddb.describe_table(TableName=real_stack.physical["BillExportsTable"].ref)["Table"]
    (gsi,) = bills["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_duplicate_key"
    assert gsi["KeySchema"] == [{"AttributeName": "dup_key", "KeyType": "HASH"}]
    assert gsi["Projection"] == {"ProjectionType": "ALL"}

    ttl = ddb.describe_time_to_live(TableName=real_stack.physical["OAuthAttemptsTable"].ref)
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expires_at",
    }


def test_queue_and_dead_letter_queue_match_template(real_stack: LocalStack) -> None:
    sqs = real_stack.client("sqs")
    url = real_stack.physical["SyncQueue"].ref
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "5400"
    assert attrs["SqsManagedSseEnabled"] == "true"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": real_stack.physical["SyncDeadLetterQueue"].attrs["Arn"],
        "maxReceiveCount": 3,
    }
    dlq = sqs.get_queue_attributes(
        QueueUrl=real_stack.physical["SyncDeadLetterQueue"].ref, AttributeNames=["All"]
    )["Attributes"]
    assert dlq["MessageRetentionPeriod"] == "1209600"


def test_key_alias_and_secrets(real_stack: LocalStack) -> None:
    kms = real_stack.client("kms")
    key_id = real_stack.physical["TokenKey"].ref
    meta = kms.describe_key(KeyId="alias/qbo-connector-local-tokens")["KeyMetadata"]
    assert meta["KeyId"] == key_id
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [
        "AccountAdministration",
        "TokenFunctionsUseViaSecretsManager",
        "TokenFallbackDirectUse",
    ]
    direct = policy["Statement"][2]
    assert direct["Condition"] == {"StringEquals": {"kms:EncryptionContext:use": "qbo-tokens"}}
    assert sorted(direct["Action"]) == ["kms:Decrypt", "kms:Encrypt"]
    sm = real_stack.client("secretsmanager")
    app = json.loads(sm.get_secret_value(SecretId="qbo-connector/local/intuit-app")["SecretString"])
    assert set(app) == {"client_id", "client_secret"}
    verifier = sm.get_secret_value(SecretId="qbo-connector/local/intuit-webhook-verifier")
    assert "verifier_token" in json.loads(verifier["SecretString"])


def test_bootstrap_is_idempotent(real_stack: LocalStack) -> None:
    kms = real_stack.client("kms")
    keys_before = kms.list_keys()["Keys"]
    template = Template(real_stack.template.path)
    resolver = Resolver(template, {"Stage": "local", **_required_params()})
    again = bootstrap(template, resolver, real_stack.moto_url)
    for logical_id in [*TABLES, "SyncQueue", "SyncDeadLetterQueue", "TokenKey"]:
        assert again[logical_id].ref == real_stack.physical[logical_id].ref
    assert kms.list_keys()["Keys"] == keys_before


def test_function_environment_points_at_local_resources(real_stack: LocalStack) -> None:
    config_names = {f.name.upper() for f in Settings.__dataclass_fields__.values()}
    for fid in real_stack.template.function_ids():
        env = real_stack.function_env(fid)
        defaulted = {"HTTP_TIMEOUT_SECONDS", "SCHEDULED_SYNC_FUNCTION_ARN",
                     "PUSH_LEASE_SECONDS", "PUSH_SETTLE_SECONDS"}
        assert config_names - defaulted <= set(env)
        assert env["LEGAL_ENTITIES_TABLE"] == "qbo-connector-local-LegalEntitiesTable"
        assert env["SYNC_QUEUE_URL"] == real_stack.physical["SyncQueue"].ref
        assert env["TOKEN_KMS_KEY_ID"] == real_stack.physical["TokenKey"].ref
        assert env["INTUIT_ENVIRONMENT"] == (
            "http://127.0.0.1:9/sandbox/.well-known/openid-configuration"
        )
        assert env["QBO_API_BASE_URL"] == "http://127.0.0.1:9/sandbox/v3"
        assert env["OAUTH_REDIRECT_URI"] == f"{real_stack.gateway_url}/oauth/callback"
        assert env["AWS_ENDPOINT_URL"] == real_stack.moto_url
        assert env["POWERTOOLS_SERVICE_NAME"] == "qbo-connector"
        assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
        assert env["AWS_LAMBDA_FUNCTION_NAME"] == f"qbo-connector-local-{fid}"
    assert real_stack.function_env("EntityApiFunction")["SCHEDULED_SYNC_FUNCTION_ARN"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-local-ScheduledSyncFunction"
    )


def _required_params() -> dict[str, str]:
    return {"JwtIssuer": "i", "JwtAudience": "a", "FrontendOrigin": "o", "OAuthRedirectUri": "r"}
