"""Scheduled sync: an EventBridge schedule rule fired for one legal entity.

Event (the rule target's constant input, or the console sample
events/scheduled-sync.json): {"org_id", "legal_entity_id", "source": "schedule"}.
"""

import os

from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    # The services and their wiring load on the first event, not in the import.
    from qbo_connector import wiring
    from qbo_connector.models.errors import DomainError

    logger.set_correlation_id(context.aws_request_id)
    if not os.environ.get("SCHEDULED_SYNC_FUNCTION_ARN"):
        # The template cannot hand a function its own ARN (circular reference); rules
        # this function recomputes keep targeting the function they invoke.
        os.environ["SCHEDULED_SYNC_FUNCTION_ARN"] = ":".join(
            context.invoked_function_arn.split(":")[:7]
        )
        wiring.reset()
    try:
        result = wiring.scheduled_sync_service().handle(event)
    except DomainError as exc:
        logger.warning("scheduled sync refused", extra={"code": exc.code})
        return {"outcome": "rejected", **exc.to_body()}
    metrics.add_metric(name=f"ScheduledSync_{result['outcome']}", unit="Count", value=1)
    return result
