"""Small helpers shared by the DynamoDB stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_connector.adapters import aws


def table(name: str) -> Any:
    return aws.resource("dynamodb").Table(name)


def plain(value: Any) -> Any:
    """DynamoDB hands numbers back as Decimal; the domain wants int/float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def to_dynamo(value: Any) -> Any:
    """floats are not accepted by boto3's serializer; Decimal(str()) keeps the digits."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_dynamo(v) for v in value]
    return value


def is_condition_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in {"ConditionalCheckFailedException", "TransactionCanceledException"}
