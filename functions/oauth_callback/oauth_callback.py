"""OAuth callback: GET /oauth/callback, where Intuit sends the popup after consent."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.api.http import build_resolver
from qbo_connector.api.routes import oauth_callback
from qbo_connector.observability import logger, metrics, tracer

app = build_resolver(oauth_callback.router)


# log_event stays off: the query string carries a one-time authorization code.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
