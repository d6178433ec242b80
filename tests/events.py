"""Load the sample events in events/ for handler tests, with per-test substitutions.

Handler tests start from the same JSON an operator would paste into the console,
so the samples cannot drift from what the handlers accept.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def api_event(
    name: str,
    *,
    entity_id: str | None = None,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    extra_path: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A sample API Gateway event with the legal entity, caller, query or body replaced."""
    event = copy.deepcopy(load_event(name))
    if entity_id is not None:
        sample = event["pathParameters"]["id"]
        event["pathParameters"]["id"] = entity_id
        for key in ("rawPath",):
            event[key] = event[key].replace(sample, entity_id)
        event["requestContext"]["http"]["path"] = event["rawPath"]
    if extra_path:
        params = event.setdefault("pathParameters", {})
        for key, value in extra_path.items():
            sample = params.get(key)
            if sample:  # Powertools routes on rawPath: replace the sample value there too
                event["rawPath"] = event["rawPath"].replace(f"/{sample}", f"/{value}")
            params[key] = value
        event["requestContext"]["http"]["path"] = event["rawPath"]
    if claims is not None:
        event["requestContext"]["authorizer"]["jwt"]["claims"].update(claims)
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if body is not None:
        event["body"] = json.dumps(body)
    return event
