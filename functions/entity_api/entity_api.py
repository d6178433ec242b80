"""Read and manage legal entities: status, history, schedule, records, bills."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Router


def routers() -> list[Router]:
    """The routes this function serves, and no other function's."""
    from qbo_connector.api.routes import (
        bills,
        legal_entities,
        payments,
        purchase_orders,
        records,
        sync_history,
        sync_schedule,
        vendor_credits,
        vendors,
    )

    return [
        legal_entities.router,
        sync_schedule.router,
        bills.router,
        payments.router,
        vendor_credits.router,
        sync_history.router,
        records.router,
        vendors.router,
        purchase_orders.router,
    ]


@cache
def app() -> APIGatewayHttpResolver:
    """The resolver, built on the first request: the routes' request validation
    (pydantic, Powertools' OpenAPI models) loads then, not in the import."""
    from qbo_connector.api.http import build_resolver

    return build_resolver(*routers())


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app().resolve(event, context)
