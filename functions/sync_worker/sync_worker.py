"""Sync worker: runs syncs and bill exports from the sync queue (one message per batch).

Failed messages are reported individually (ReportBatchItemFailures) so SQS retries only
them; a run's own failures are recorded in the run, not retried.

Each message is handled in a log scope of its own: the keys its dispatch appends
(`legal_entity_id`, `sync_id`, `message_kind`) end with it, so the next message of the
batch, or of the next invocation of this warm process, never carries them.

The batch processor and the message dispatch (the services, boto3) load on the first
batch, not in the import.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.typing import LambdaContext

from qbo_connector.observability import log_scope, logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


@cache
def processor() -> BatchProcessor:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> str:
    from qbo_connector.invocations import worker_messages

    with log_scope(message_id=record.message_id):
        try:
            outcome = worker_messages.dispatch(
                record.body, lambda_context.get_remaining_time_in_millis
            )
        except Exception:
            # The batch processor reports it for a retry; say which message failed and why.
            logger.exception("message failed")
            raise
        logger.info("message processed", extra={"outcome": outcome})
        return outcome


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> Mapping[str, object]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    logger.set_correlation_id(context.aws_request_id)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor(), context=context
    )
