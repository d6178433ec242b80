"""GET /oauth/callback: Intuit redirects the popup here (no bearer token).

The page tells the opening window the outcome via postMessage, restricted to
the configured front-end origin, then closes; opened on its own it reads well.
"""

from __future__ import annotations

import html
import json
import secrets

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from qbo_connector import wiring
from qbo_connector.config import get_settings
from qbo_connector.logic.connection import CallbackOutcome

router = Router()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;
padding:0 1rem;color:#1b1b1b}}
h1{{font-size:1.4rem}}</style></head>
<body data-outcome="{outcome}"><h1>{title}</h1><p>{message}</p>
<p><small>You can close this window.</small></p>
<script nonce="{nonce}">
(function () {{
  var result = {payload};
  if (window.opener && {origin}) {{
    window.opener.postMessage(result, {origin});
    setTimeout(function () {{ window.close(); }}, 1500);
  }}
}})();
</script></body></html>
"""


def _script_json(value: object) -> str:
    # json.dumps is not HTML-safe by itself: "</script>" must not end the block.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(outcome: CallbackOutcome, origin: str, nonce: str) -> str:
    payload = {
        "source": "qbo-connector",
        "outcome": outcome.outcome,
        "legalEntityId": outcome.legal_entity_id,
        "companyName": outcome.company_name,
        "message": outcome.message,
    }
    return _PAGE.format(
        title=html.escape(outcome.title),
        message=html.escape(outcome.message),
        outcome=html.escape(outcome.outcome),
        payload=_script_json(payload),
        origin=_script_json(origin),
        nonce=nonce,
    )


@router.get(
    "/oauth/callback",
    include_in_schema=True,
    tags=["Connection"],
    summary="Intuit's redirect after consent (HTML page for the popup)",
)
def oauth_callback() -> Response[str]:
    params = dict(router.current_event.query_string_parameters or {})
    outcome = wiring.connection_service().complete(params)
    nonce = secrets.token_urlsafe(16)
    return Response(
        status_code=outcome.status_code,
        content_type="text/html; charset=utf-8",
        body=render(outcome, get_settings().frontend_origin, nonce),
        headers={
            # The URL carried a one-time code: keep it out of caches and referrers.
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
