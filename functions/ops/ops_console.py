"""Ops function: operators invoke it from the console with JSON events (events/ops-*.json)."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    # The actions and their wiring load on the first event, not in the import.
    from qbo_connector.invocations import ops_actions

    logger.set_correlation_id(context.aws_request_id)
    action = event.get("action") if isinstance(event, dict) else None
    logger.info("ops action", extra={"action": action})
    return ops_actions.run(event)
