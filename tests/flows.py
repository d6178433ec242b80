"""The connector's user flows, driven through the real handlers with the sample events.

Shared by handler tests and kept close to what the demo does.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from qbo_sandbox.browser import consent
from tests.events import api_event, load_event


def admin_claims(org: str, user: str = "user-alice", name: str = "Alice Admin") -> dict[str, str]:
    return {
        "sub": user,
        "name": name,
        "email": f"{user}@example.com",
        "org_id": org,
        "role": "SystemAdministrator",
        "home_org_unit": "root",
        "home_org_unit_is_root": "true",
    }


def member_claims(org: str, user: str = "user-carl") -> dict[str, str]:
    return {
        **admin_claims(org, user, "Carl Clerk"),
        "role": "APClerk",
        "home_org_unit": "ou-east",
        "home_org_unit_is_root": "false",
    }


def claims_for(caller: str, org: str) -> dict[str, Any]:
    """The permission matrix's callers as token claims: root_admin (a System
    Administrator whose home org unit is the root), branch_admin, clerk, the AP
    platform's service identity, and stranger (a root admin of another organization)."""
    base = {
        "sub": f"user-{caller}",
        "name": caller,
        "org_id": org,
        "role": "SystemAdministrator",
        "home_org_unit": "root",
        "home_org_unit_is_root": True,
    }
    return {
        "root_admin": base,
        "branch_admin": {**base, "home_org_unit": "ou-east", "home_org_unit_is_root": False},
        "clerk": {
            **base,
            "role": "APClerk",
            "home_org_unit": "ou-east",
            "home_org_unit_is_root": False,
        },
        "service": {**base, "role": "Service"},
        "stranger": {**base, "org_id": f"{org}-other"},
    }[caller]


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def ops(stack: Any, sample: str, **fields: Any) -> dict[str, Any]:
    event = {**load_event(sample), **fields}
    result: dict[str, Any] = stack.invoke("OpsFunction", event)
    return result


def register(stack: Any, org: str, le: str, name: str = "Acme US Inc.") -> dict[str, Any]:
    result = ops(stack, "ops-register-legal-entity.json", org_id=org, legal_entity_id=le, name=name)
    assert result["ok"], result
    return result


def qbo_admin(stack: Any, username: str, realm: str, company: str, **company_opts: Any) -> None:
    """A QBO user who administers one company in the sandbox."""
    control = stack.sandbox.sandbox
    if username not in control.store.users:  # the user may exist from an earlier test
        control.create_user(username, f"pw-{username}", email=f"{username}@qbo.example")
    control.create_company(realm_id=realm, name=company, admins=[username], **company_opts)


def start(stack: Any, org: str, le: str, claims: dict[str, str] | None = None) -> dict[str, Any]:
    event = api_event("oauth-start.json", entity_id=le, claims=claims or admin_claims(org))
    result: dict[str, Any] = stack.invoke("OAuthStartFunction", event)
    return result


def launch(stack: Any, popup_url: str) -> tuple[dict[str, Any], str]:
    """The popup opens our launch URL: a redirect to Intuit and the browser's cookie.

    Returns the launch answer and the cookie ("name=value") the browser keeps.
    """
    query = dict(parse_qsl(urlparse(popup_url).query))
    result: dict[str, Any] = stack.invoke(
        "OAuthStartFunction", api_event("oauth-launch.json", query=query)
    )
    cookies = [c.split(";", 1)[0] for c in result.get("cookies") or []]
    return result, (cookies[0] if cookies else "")


def callback(stack: Any, redirect_url: str, cookie: str | None = None) -> dict[str, Any]:
    """Deliver Intuit's redirect to the callback handler via the sample event.

    `cookie` is what the browser sends ("name=value" from the launch); None sends none.
    """
    query = dict(parse_qsl(urlparse(redirect_url).query))
    event = api_event("oauth-callback.json", query=query)
    event["cookies"] = [cookie] if cookie else []
    result: dict[str, Any] = stack.invoke("OAuthCallbackFunction", event)
    return result


def confirm(
    stack: Any, page: dict[str, Any], cookie: str | None, decision: str = "connect"
) -> dict[str, Any]:
    """Press Connect (or Cancel) on the callback's confirmation page, as its browser."""
    assert 'data-outcome="confirm"' in page["body"], page["body"]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page["body"]))
    event = api_event("oauth-confirm.json")
    event["body"] = urlencode({**fields, "decision": decision})
    event["cookies"] = [cookie] if cookie else []
    result: dict[str, Any] = stack.invoke("OAuthCallbackFunction", event)
    return result


def intuit_url(stack: Any, started: dict[str, Any]) -> tuple[str, str]:
    """From a started attempt to Intuit's sign-in URL, as the popup's browser: (url, cookie)."""
    assert started["statusCode"] == 200, started
    launched, cookie = launch(stack, body_of(started)["popup_url"])
    assert launched["statusCode"] == 302, launched
    return launched["headers"]["Location"], cookie


def connect(
    stack: Any, org: str, le: str, username: str, realm: str, *, cancel: bool = False
) -> dict[str, Any]:
    """The whole guide: start, the popup (launch, consent page as that QBO user), the
    callback and, when it asks, Connect on its confirmation page."""
    url, cookie = intuit_url(stack, start(stack, org, le))
    redirect = consent(url, username, f"pw-{username}", realm, cancel=cancel)
    page = callback(stack, redirect, cookie)
    if 'data-outcome="confirm"' not in page["body"]:
        return page
    return confirm(stack, page, cookie)


def status(stack: Any, org: str, le: str, claims: dict[str, str] | None = None) -> dict[str, Any]:
    event = api_event(
        "entity-api-connection-status.json", entity_id=le, claims=claims or member_claims(org)
    )
    result: dict[str, Any] = stack.invoke("EntityApiFunction", event)
    return result


def sync(stack: Any, org: str, le: str) -> dict[str, Any]:
    """POST /legal-entities/{id}/syncs (an incremental SmartSync) as a root admin, and run
    it through the sync worker."""
    event = api_event("manual-sync-one.json", entity_id=le, claims=admin_claims(org))
    result: dict[str, Any] = stack.invoke("ManualSyncFunction", event)
    assert result["statusCode"] == 202, result
    stack.drain()
    return dict(body_of(result))


def connected_tenant(
    stack: Any,
    org: str,
    le: str,
    realm: str,
    *,
    name: str = "Acme US Inc.",
    company: str | None = None,
    user: str | None = None,
    **company_opts: Any,
) -> dict[str, Any]:
    """A legal entity ready to work with: registered as `name`, connected through the
    consent page to its own sandbox company `realm` (`company`, `company_opts`) as that
    company's QBO administrator `user`, given the sample API Sync Profile, and its first
    sync done, so its master data is imported. Returns the first sync's answer."""
    register(stack, org, le, name=name)
    user = user or f"ap-{le}"
    qbo_admin(stack, user, realm, company or name, **company_opts)
    answer = connect(stack, org, le, user, realm)
    assert answer["statusCode"] in (200, 302), answer
    profile = ops(stack, "ops-put-sync-profile.json", org_id=org, legal_entity_id=le)
    assert profile["ok"], profile
    return sync(stack, org, le)
