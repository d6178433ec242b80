"""Create the template's tables, queues, KMS key and secrets in moto, from their Properties.

Idempotent: a resource that already exists is looked up, not created again.
Resources that reference others (a queue's redrive policy, an alias's key) are
created once what they reference exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from .template import (
    ACCOUNT_ID,
    NAME_PREFIX,
    REGION,
    Physical,
    Resolver,
    Template,
    UnresolvedReference,
)

SUPPORTED_TYPES = (
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::Scheduler::ScheduleGroup",
)


def local_name(logical_id: str) -> str:
    return f"{NAME_PREFIX}{logical_id}"


class Bootstrapper:
    def __init__(self, template: Template, resolver: Resolver, endpoint_url: str) -> None:
        self.template = template
        self.resolver = resolver
        kw: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": REGION,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.ddb = boto3.client("dynamodb", **kw)
        self.sqs = boto3.client("sqs", **kw)
        self.kms = boto3.client("kms", **kw)
        self.secrets = boto3.client("secretsmanager", **kw)
        self.scheduler = boto3.client("scheduler", **kw)
        self._creators: dict[str, Callable[[str, dict[str, Any]], Physical]] = {
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::Scheduler::ScheduleGroup": self._schedule_group,
        }

    def run(self) -> dict[str, Physical]:
        """Create everything supported; returns logical id -> physical values."""
        pending = {
            lid: res
            for lid, res in self.template.resources.items()
            if res.get("Type") in self._creators and self._wanted(res)
        }
        while pending:
            progressed = False
            for lid, res in list(pending.items()):
                try:
                    props = self.resolver.resolve(res.get("Properties", {}))
                except UnresolvedReference as exc:
                    if exc.logical_id.split(".")[0] in pending:
                        continue  # created in a later pass
                    raise
                self.resolver.physical[lid] = self._creators[res["Type"]](lid, props)
                del pending[lid]
                progressed = True
            if not progressed:
                raise RuntimeError(f"circular references between {sorted(pending)}")
        return self.resolver.physical

    def _wanted(self, res: Mapping[str, Any]) -> bool:
        cond = res.get("Condition")
        return cond is None or self.resolver.condition(cond)

    # -- DynamoDB ---------------------------------------------------------------
    def _table(self, lid: str, props: dict[str, Any]) -> Physical:
        name = props.get("TableName") or local_name(lid)
        try:
            desc = self.ddb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            desc = self.ddb.create_table(**_table_args(name, props))["TableDescription"]
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                self.ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": True,
                    },
                )
            pitr = props.get("PointInTimeRecoverySpecification", {})
            if pitr.get("PointInTimeRecoveryEnabled"):
                self.ddb.update_continuous_backups(
                    TableName=name,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                )
        attrs = {"Arn": desc["TableArn"]}
        if "LatestStreamArn" in desc:
            attrs["StreamArn"] = desc["LatestStreamArn"]
        return Physical(name, attrs)

    # -- EventBridge Scheduler ---------------------------------------------------
    def _schedule_group(self, lid: str, props: dict[str, Any]) -> Physical:
        name = props.get("Name") or local_name(lid)
        try:
            arn = self.scheduler.get_schedule_group(Name=name)["Arn"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            arn = self.scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
        return Physical(name, {"Arn": arn})

    # -- SQS --------------------------------------------------------------------
    def _queue(self, lid: str, props: dict[str, Any]) -> Physical:
        name = props.get("QueueName") or local_name(lid)
        if props.get("FifoQueue") and not name.endswith(".fifo"):
            name += ".fifo"
        attributes: Any = {k: _sqs_value(v) for k, v in props.items() if k in _SQS_ATTRIBUTES}
        try:
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        except ClientError as exc:
            if "NonExistentQueue" not in exc.response["Error"]["Code"]:
                raise
            url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        return Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    # -- KMS --------------------------------------------------------------------
    def _kms_key(self, lid: str, props: dict[str, Any]) -> Physical:
        # A key has no name; a tag with the logical id makes bootstrap idempotent.
        for page in self.kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                tags = self.kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
                if {"TagKey": "local-stack-logical-id", "TagValue": lid} in tags:
                    return Physical(key["KeyId"], {"Arn": key["KeyArn"], "KeyId": key["KeyId"]})
        meta = self.kms.create_key(
            Description=props.get("Description", lid),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            Policy=json.dumps(props["KeyPolicy"]) if "KeyPolicy" in props else _default_policy(),
            Tags=[{"TagKey": "local-stack-logical-id", "TagValue": lid}],
        )["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            self.kms.enable_key_rotation(KeyId=meta["KeyId"])
        return Physical(meta["KeyId"], {"Arn": meta["Arn"], "KeyId": meta["KeyId"]})

    def _kms_alias(self, lid: str, props: dict[str, Any]) -> Physical:
        alias, target = props["AliasName"], props["TargetKeyId"]
        try:
            self.kms.create_alias(AliasName=alias, TargetKeyId=target)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AlreadyExistsException":
                raise
            self.kms.update_alias(AliasName=alias, TargetKeyId=target)
        return Physical(alias, {})

    # -- Secrets Manager ----------------------------------------------------------
    def _secret(self, lid: str, props: dict[str, Any]) -> Physical:
        name = props.get("Name") or local_name(lid)
        try:
            arn = self.secrets.describe_secret(SecretId=name)["ARN"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            args: dict[str, Any] = {"Name": name, "Description": props.get("Description", "")}
            if "KmsKeyId" in props:
                args["KmsKeyId"] = props["KmsKeyId"]
            if "SecretString" in props:
                args["SecretString"] = props["SecretString"]
            elif "GenerateSecretString" in props:
                args["SecretString"] = self._generate(props["GenerateSecretString"])
            arn = self.secrets.create_secret(**args)["ARN"]
        return Physical(arn, {"Id": arn})

    def _generate(self, spec: Mapping[str, Any]) -> str:
        password = self.secrets.get_random_password(
            PasswordLength=int(spec.get("PasswordLength", 32)),
            ExcludeCharacters=spec.get("ExcludeCharacters", ""),
        )["RandomPassword"]
        if "SecretStringTemplate" in spec:
            doc = json.loads(spec["SecretStringTemplate"])
            doc[spec["GenerateStringKey"]] = password
            return json.dumps(doc)
        return str(password)


_SQS_ATTRIBUTES = {
    "ContentBasedDeduplication",
    "DelaySeconds",
    "FifoQueue",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
}


def _sqs_value(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table_args(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if args["BillingMode"] == "PROVISIONED":
        args["ProvisionedThroughput"] = props.get(
            "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            args[key] = props[key]
    sse = props.get("SSESpecification")
    if sse:
        # CloudFormation spells it SSEEnabled; the API spells it Enabled.
        args["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
        if sse.get("SSEType"):
            args["SSESpecification"]["SSEType"] = sse["SSEType"]
        if sse.get("KMSMasterKeyId"):
            args["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def _default_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def bootstrap(template: Template, resolver: Resolver, endpoint_url: str) -> dict[str, Physical]:
    """Create (or find) the template's local resources; returns the physical values."""
    return Bootstrapper(template, resolver, endpoint_url).run()


def template_resources(
    endpoint_url: str, template_path: Path | str | None = None
) -> dict[str, str]:
    """Create the template's resources on a moto server; return the Globals environment
    (table names, queue URL, key id...) that points the connector at them.

    For tests and benches that need the real tables without the whole local stack.
    """
    from .template import DEFAULT_TEMPLATE, Resolver, Template

    template = Template(template_path or DEFAULT_TEMPLATE)
    resolver = Resolver(template)
    resolver.parameters.update(
        {
            "Stage": "local",
            "JwtIssuer": "https://idp.qbo-connector.localhost/",
            "JwtAudience": "qbo-connector-local",
            "FrontendOrigin": "http://localhost:3000",
            "OAuthRedirectUri": "http://localhost/oauth/callback",
        }
    )
    bootstrap(template, resolver, endpoint_url)
    variables = template.globals_fn.get("Environment", {}).get("Variables", {})
    return {k: str(v) for k, v in resolver.resolve(variables).items()}
