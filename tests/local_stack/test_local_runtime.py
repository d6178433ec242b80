"""The local Lambda runtime: environment, context, naming, serialization."""

from __future__ import annotations

import json
import os

import pytest

from local_stack.stack import LocalStack


def _call(stack: LocalStack, name: str) -> dict[str, object]:
    result = stack.invoke(name, {"rawPath": "/direct"})
    body: dict[str, object] = json.loads(result["body"])
    return body


def test_environment_is_resolved_and_applied_only_during_the_call(
    fixture_stack: LocalStack,
) -> None:
    body = _call(fixture_stack, "EchoFunction")
    env = body["env"]
    assert env == {
        "ITEMS_TABLE": "qbo-connector-local-ItemsTable",
        "WORK_QUEUE_URL": fixture_stack.physical["WorkQueue"].ref,
        "STAGE_LABEL": "stage-local-us-east-1",
        "FLAG_STATE": "enabled",
        "OVERRIDDEN": "from-override",
        "OWN_ARN": (
            "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-local-WorkerFunction"
        ),
        "AWS_ENDPOINT_URL": fixture_stack.moto_url,
        "AWS_LAMBDA_FUNCTION_NAME": "qbo-connector-local-EchoFunction",
    }
    assert body["layer"] == "from-fixture-layer"
    assert "ITEMS_TABLE" not in os.environ
    assert os.environ["AWS_ENDPOINT_URL"] == fixture_stack.moto_url  # set for the test process


def test_context_is_like_lambdas(fixture_stack: LocalStack) -> None:
    ctx = _call(fixture_stack, "EchoFunction")["context"]
    assert isinstance(ctx, dict)
    assert ctx["function_name"] == "qbo-connector-local-EchoFunction"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-local-EchoFunction"
    )
    assert ctx["memory_limit_in_mb"] == 256
    assert ctx["log_group_name"] == "/aws/lambda/qbo-connector-local-EchoFunction"
    assert 0 < int(str(ctx["remaining_ms"])) <= 10_000
    assert len(str(ctx["aws_request_id"])) == 36


def test_invoke_by_logical_id_name_or_arn(fixture_stack: LocalStack) -> None:
    for name in (
        "EchoFunction",
        "qbo-connector-local-EchoFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:qbo-connector-local-EchoFunction",
    ):
        assert _call(fixture_stack, name)["context"]["function_name"] == (  # type: ignore[index]
            "qbo-connector-local-EchoFunction"
        )
    with pytest.raises(KeyError):
        fixture_stack.invoke("NoSuchFunction", {})


def test_handler_errors_propagate_to_direct_callers(fixture_stack: LocalStack) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        fixture_stack.invoke("EchoFunction", {"rawPath": "/shapes/boom"})
    with pytest.raises(TypeError):  # Lambda cannot serialize this result either
        fixture_stack.invoke("EchoFunction", {"rawPath": "/shapes/decimal"})
