"""The AWS fault proxy in front of moto: each kind as botocore meets it, the service and
operation read from the request, the control API; a lost answer is done upstream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from local_stack.aws_faults import AwsFaultProxy
from tests.moto_server import moto_server, reset_moto

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=2,
                  connect_timeout=2)


@pytest.fixture(scope="module")
def proxy() -> Iterator[AwsFaultProxy]:
    with moto_server() as url:
        reset_moto(url)
        front = AwsFaultProxy(url)
        front.bind("127.0.0.1", 0)
        front.start()
        yield front
        front.stop()


def client(proxy: AwsFaultProxy, service: str) -> Any:
    return boto3.client(service, endpoint_url=proxy.url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=NO_RETRY)


def test_each_kind_as_botocore_meets_it(proxy: AwsFaultProxy) -> None:
    sm = client(proxy, "secretsmanager")
    sm.create_secret(Name="proxy/one", SecretString="v1")
    proxy.inject("throttle", "secretsmanager", "GetSecretValue")
    with pytest.raises(ClientError) as throttled:
        sm.get_secret_value(SecretId="proxy/one")
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    proxy.inject("5xx", "secretsmanager", "*")
    with pytest.raises(ClientError) as failed:
        sm.get_secret_value(SecretId="proxy/one")
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    proxy.inject("reset", "secretsmanager", "PutSecretValue")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        sm.put_secret_value(SecretId="proxy/one", SecretString="v2")
    assert sm.get_secret_value(SecretId="proxy/one")["SecretString"] == "v1"  # not done
    proxy.inject("lost", "secretsmanager", "PutSecretValue")
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        sm.put_secret_value(SecretId="proxy/one", SecretString="v3")
    assert sm.get_secret_value(SecretId="proxy/one")["SecretString"] == "v3"  # done, unanswered
    ddb = client(proxy, "dynamodb")
    proxy.inject("throttle", "dynamodb", "ListTables")
    with pytest.raises(ClientError) as ddb_throttled:
        ddb.list_tables()
    assert ddb_throttled.value.response["Error"]["Code"] == (
        "ProvisionedThroughputExceededException")
    assert ddb.list_tables()["TableNames"] == []  # the rule is used up
    assert proxy.injected[("secretsmanager", "PutSecretValue", "lost")] == 1


def test_the_control_api(proxy: AwsFaultProxy) -> None:
    answer = requests.post(f"{proxy.url}/_faults", timeout=5, json={
        "kind": "latency", "service": "sqs", "operation": "SendMessage", "count": 2,
        "seconds": 0.1})
    assert answer.status_code == 200
    assert answer.json()["rules"][-1]["kind"] == "latency"
    bad = requests.post(f"{proxy.url}/_faults", timeout=5, json={"kind": "explode"})
    assert bad.status_code == 400 and "kind must be one of" in bad.json()["error"]
    assert requests.delete(f"{proxy.url}/_faults", timeout=5).json()["rules"] == []
