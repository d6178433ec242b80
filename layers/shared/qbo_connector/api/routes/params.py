"""Path parameter types shared by the routes (validated before any handler code runs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from qbo_connector.models.input_errors import Advice
from qbo_connector.models.inputs import ID_PATTERN

EntityId = Annotated[
    str,
    Path(
        pattern=ID_PATTERN,
        max_length=64,
        description="The legal entity's id (1-64 letters, digits, '.', '_' or '-')",
    ),
]

# A page's cursor is opaque: the only thing to do with a refused one is send it as given.
CURSOR_ADVICE = Advice("Send the next_cursor of the previous page unchanged.")
