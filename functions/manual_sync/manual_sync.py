"""Manual sync: POST /legal-entities/{id}/syncs and POST /syncs (202 with a sync id);
also invoked from the AWS console with a JSON event (events/console-manual-sync.json)."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.api.http import build_resolver
from qbo_connector.api.routes.catalog import MANUAL_SYNC_ROUTERS
from qbo_connector.invocations import console_sync
from qbo_connector.observability import logger, metrics, tracer

app = build_resolver(*MANUAL_SYNC_ROUTERS)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    if console_sync.is_console_event(event):
        logger.set_correlation_id(context.aws_request_id)
        logger.info("console sync", extra={"legal_entity_id": event.get("legal_entity_id")})
        return console_sync.run(event)
    return app.resolve(event, context)
