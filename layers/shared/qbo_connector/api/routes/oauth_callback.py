"""GET /oauth/callback: Intuit redirects the popup here (no bearer token).

The page tells the opening window the outcome via postMessage, restricted to
the configured front-end origin, then closes; opened on its own it reads well.
The attempt finishes only in the browser that launched it (its cookie, set by
GET /oauth/launch); the cookie is spent on every answer.
"""

from __future__ import annotations

import html
import json
import secrets
from urllib.parse import parse_qsl, urlparse

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from qbo_connector import wiring
from qbo_connector.config import get_settings
from qbo_connector.logic.connection import BrowserCookie, CallbackOutcome

router = Router()

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;
padding:0 1rem;color:#1b1b1b}}
h1{{font-size:1.4rem}}</style></head>
<body data-outcome="{outcome}"><h1>{title}</h1><p>{message}</p>
{form}
<script nonce="{nonce}">
(function () {{
  var result = {payload};
  if (window.opener && {origin} && result.outcome !== "confirm") {{
    window.opener.postMessage(result, {origin});
    setTimeout(function () {{ window.close(); }}, 1500);
  }}
}})();
</script></body></html>
"""


def _script_json(value: object) -> str:
    # json.dumps is not HTML-safe by itself: "</script>" must not end the block.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_FORM = """<form method="post" action="{action}">
<dl><dt>QuickBooks company</dt><dd>{company} (company id {realm})</dd>
<dt>Legal entity</dt><dd>{entity}</dd></dl>
<input type="hidden" name="confirmation" value="{confirmation}">
<input type="hidden" name="attempt" value="{attempt}">
<button type="submit" name="decision" value="connect">Connect</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>"""
_CLOSE = "<p><small>You can close this window.</small></p>"


def _form(outcome: CallbackOutcome) -> str:
    prompt = outcome.confirm
    if prompt is None:
        return _CLOSE
    return _FORM.format(
        action=html.escape(urlparse(get_settings().oauth_redirect_uri).path or "/oauth/callback"),
        company=html.escape(outcome.company_name or ""),
        realm=html.escape(prompt.realm_id),
        entity=html.escape(prompt.entity_name),
        confirmation=html.escape(prompt.confirmation),
        attempt=html.escape(prompt.attempt),
    )


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
        form=_form(outcome),
        origin=_script_json(origin),
        nonce=nonce,
    )


def page_headers(nonce: str) -> dict[str, str]:
    return {
        # The URL carried a one-time code: keep it out of caches and referrers.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    }


def page(outcome: CallbackOutcome) -> Response[str]:
    """The popup's HTML answer; an outcome that spends the attempt's cookie forgets it."""
    nonce = secrets.token_urlsafe(16)
    spent = [browser_cookie(None, outcome.clear_cookie)] if outcome.clear_cookie else []
    return Response(
        status_code=outcome.status_code,
        content_type="text/html; charset=utf-8",
        body=render(outcome, get_settings().frontend_origin, nonce),
        headers=page_headers(nonce),
        cookies=spent,
    )


def browser_cookie(cookie: BrowserCookie | None, name: str | None = None) -> Cookie:
    """The attempt's cookie; without a value, the instruction to forget it."""
    return Cookie(
        name=cookie.name if cookie else str(name),
        value=cookie.value if cookie else "",
        path="/",
        secure=True,
        http_only=True,
        max_age=cookie.max_age if cookie else 0,
        # Lax: sent on Intuit's top-level redirect back to us, never on cross-site posts.
        same_site=SameSite.LAX_MODE,
    )


def request_cookies(raw_event: dict) -> dict[str, str]:
    """Payload 2.0 puts cookies in their own list ("name=value" strings)."""
    jar: dict[str, str] = {}
    for entry in raw_event.get("cookies") or []:
        if isinstance(entry, str) and "=" in entry:
            name, _, value = entry.partition("=")
            jar.setdefault(name.strip(), value.strip())
    return jar


@router.get(
    "/oauth/callback",
    include_in_schema=True,
    tags=["Connection"],
    summary="Intuit's redirect after consent (HTML page for the popup)",
)
def oauth_callback() -> Response[str]:
    event = router.current_event
    params = dict(event.query_string_parameters or {})
    return page(wiring.connection_service().complete(params, request_cookies(event.raw_event)))


# An HTML form's answer is a few hundred bytes; anything longer is not ours.
_FORM_MAX = 2048


@router.post(
    "/oauth/callback",
    include_in_schema=True,
    tags=["Connection"],
    summary="The confirmation page's answer: Connect or Cancel (form post, same browser)",
)
def oauth_confirm() -> Response[str]:
    event = router.current_event
    try:
        raw = event.decoded_body or ""
        form = dict(parse_qsl(raw, max_num_fields=8)) if len(raw) <= _FORM_MAX else {}
    except ValueError:  # not base64, not UTF-8, or too many fields: not our form
        form = {}
    return page(wiring.connection_service().confirm(form, request_cookies(event.raw_event)))
