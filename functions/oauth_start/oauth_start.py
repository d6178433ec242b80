"""OAuth start: POST /legal-entities/{id}/connection returns Intuit's authorization URL."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.api.http import build_resolver
from qbo_connector.api.routes import connection_start
from qbo_connector.observability import logger, metrics, tracer

app = build_resolver(connection_start.router)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
