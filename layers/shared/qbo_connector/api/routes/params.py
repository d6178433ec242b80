"""Path parameter types shared by the routes (validated before any handler code runs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

EntityId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="Legal entity id")]
