"""Connecting a legal entity, end to end: real handlers, moto server, QBO sandbox."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
import requests

from qbo_sandbox.browser import consent
from tests.events import api_event, load_event
from tests.flows import (
    admin_claims,
    body_of,
    callback,
    confirm,
    connect,
    intuit_url,
    launch,
    member_claims,
    ops,
    qbo_admin,
    register,
    start,
    status,
)


@pytest.fixture
def entity(stack: Any, ids: dict[str, str]) -> dict[str, str]:
    register(stack, ids["org"], ids["le"])
    ids["qbo_user"] = f"admin-{ids['le']}"
    qbo_admin(stack, ids["qbo_user"], ids["realm"], f"Company {ids['le']}")
    return ids


def sign_in(stack: Any, started: dict[str, Any], entity: dict[str, str]) -> tuple[str, str]:
    """The popup launches, then the entity's QBO administrator signs in and picks its
    company on Intuit's page: (Intuit's redirect, the popup browser's cookie)."""
    url, cookie = intuit_url(stack, started)
    user = entity["qbo_user"]
    return consent(url, user, f"pw-{user}", entity["realm"]), cookie


def token_secret(stack: Any, org: str, le: str) -> dict[str, Any] | None:
    sm = stack.client("secretsmanager")
    name = f"qbo-connector/tokens/{org}/{le}"
    try:
        described = sm.describe_secret(SecretId=name)
        value = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        return None
    return {"described": described, "value": value}


def test_connect_binds_the_chosen_company_and_stores_tokens(stack, entity):
    page = connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])

    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert page["headers"]["Referrer-Policy"] == "no-referrer"
    assert "Connected to QuickBooks" in page["body"]
    assert f"Company {entity['le']}" in page["body"]
    assert json.dumps(stack.frontend_origin) in page["body"]  # postMessage target origin

    shown = status(stack, entity["org"], entity["le"])
    assert shown["statusCode"] == 200
    info = body_of(shown)
    assert info["state"] == "connected"
    assert info["realm_id"] == entity["realm"]
    assert info["company_name"] == f"Company {entity['le']}"
    assert info["country"] == "US"
    assert info["connected_by"]["user_id"] == "user-alice"
    assert info["connected_by"]["intuit_email"] == f"{entity['qbo_user']}@qbo.example"
    checks = {c["check"]: c for c in info["preflight"]}
    assert checks["duplicate_bill_warning"]["status"] == "warning"
    assert (
        "Warn if duplicate bill number is used" in checks["duplicate_bill_warning"]["setting_path"]
    )
    assert checks["home_currency"]["value"] == "USD"

    secret = token_secret(stack, entity["org"], entity["le"])
    assert secret is not None
    assert secret["value"]["realm_id"] == entity["realm"]
    key_id = stack.env.get("TOKEN_KMS_KEY_ID", None)
    assert secret["described"].get("KmsKeyId")
    if key_id:
        assert key_id in secret["described"]["KmsKeyId"]
    # No token reaches a response body.
    assert secret["value"]["access_token"] not in json.dumps(shown)
    assert secret["value"]["refresh_token"] not in page["body"]


def test_duplicate_bill_preference_on_is_reported_ok(stack, ids):
    register(stack, ids["org"], ids["le"])
    qbo_admin(
        stack, "pref-admin-" + ids["le"], ids["realm"], "Prefs Co", warn_duplicate_bill_number=True
    )
    connect(stack, ids["org"], ids["le"], "pref-admin-" + ids["le"], ids["realm"])
    checks = {c["check"]: c for c in body_of(status(stack, ids["org"], ids["le"]))["preflight"]}
    assert checks["duplicate_bill_warning"]["status"] == "ok"


@pytest.mark.parametrize(
    ("plan", "has", "default_types"),
    [("QuickBooks Online Plus", True, True), ("QuickBooks Online Essentials", False, False)],
)
def test_the_plan_decides_whether_purchase_orders_are_imported(
    stack, ids, plan, has, default_types
):
    """Read at connect (CompanyInfo's OfferingSku), shown in the preflight, and a new profile
    of a company with purchase orders imports them."""
    register(stack, ids["org"], ids["le"])
    user = "plan-admin-" + ids["le"]
    qbo_admin(stack, user, ids["realm"], "Plan Co", plan=plan)
    connect(stack, ids["org"], ids["le"], user, ids["realm"])
    checks = {c["check"]: c for c in body_of(status(stack, ids["org"], ids["le"]))["preflight"]}
    assert checks["purchase_orders"]["value"] is has, checks
    assert ("add PurchaseOrder" in checks["purchase_orders"]["message"]) is has
    created = ops(stack, "ops-put-sync-profile.json", org_id=ids["org"],
                  legal_entity_id=ids["le"], profile={"export_bills": True})
    assert created["ok"], created
    types = created["result"]["sync_profile"]["object_types"]
    assert ("PurchaseOrder" in types) is default_types
    checks = {c["check"]: c for c in body_of(status(stack, ids["org"], ids["le"]))["preflight"]}
    assert checks["purchase_orders"]["status"] == ("ok" if has else "info")


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"role": "APClerk"}, "role_required"),
        ({"home_org_unit": "ou-east", "home_org_unit_is_root": "false"}, "root_org_unit_required"),
    ],
)
def test_only_root_system_administrators_connect(stack, entity, claims, code):
    result = start(stack, entity["org"], entity["le"], {**admin_claims(entity["org"]), **claims})
    assert result["statusCode"] == 403
    assert body_of(result)["error"]["code"] == code


def test_other_organizations_do_not_see_the_entity(stack, entity):
    stranger = admin_claims("org-someone-else")
    assert start(stack, entity["org"], entity["le"], stranger)["statusCode"] == 404
    assert (
        status(stack, entity["org"], entity["le"], member_claims("org-other"))["statusCode"] == 404
    )
    listed = stack.invoke(
        "EntityApiFunction",
        api_event("entity-api-list-legal-entities.json", claims=member_claims("org-other")),
    )
    assert body_of(listed)["items"] == []


def test_list_shows_the_organizations_entities(stack, entity):
    listed = stack.invoke(
        "EntityApiFunction",
        api_event("entity-api-list-legal-entities.json", claims=member_claims(entity["org"])),
    )
    items = body_of(listed)["items"]
    assert [i["legal_entity_id"] for i in items] == [entity["le"]]
    assert items[0]["connection"]["state"] == "not_connected"


def test_one_attempt_per_entity_at_a_time(stack, entity):
    first = start(stack, entity["org"], entity["le"])
    assert first["statusCode"] == 200
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "pending"

    other = start(
        stack, entity["org"], entity["le"], admin_claims(entity["org"], "user-bob", "Bob Boss")
    )
    assert other["statusCode"] == 409
    error = body_of(other)["error"]
    assert error["code"] == "connection_attempt_in_progress"
    assert "Alice Admin" in error["message"]

    # The same user restarting replaces their own attempt: the first state dies.
    again = start(stack, entity["org"], entity["le"])
    assert again["statusCode"] == 200
    stale = launch(stack, body_of(first)["popup_url"])[0]
    assert stale["statusCode"] == 400
    assert "timed out or was already used" in stale["body"]


def test_a_callback_works_once(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    redirect, cookie = sign_in(stack, started, entity)
    asked = callback(stack, redirect, cookie)
    assert asked["statusCode"] == 200
    assert confirm(stack, asked, cookie)["statusCode"] == 200
    replay = callback(stack, redirect, cookie)
    assert replay["statusCode"] == 400
    assert "already used" in replay["body"]


def test_an_expired_attempt_says_start_again(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    redirect, cookie = sign_in(stack, started, entity)
    # Age the stored attempt past its expiry (DynamoDB TTL deletion is lazy).
    table = stack.client("dynamodb")
    name = stack.env["OAUTH_ATTEMPTS_TABLE"]
    for item in table.scan(TableName=name)["Items"]:
        if item["legal_entity_id"]["S"] == entity["le"]:
            table.update_item(
                TableName=name,
                Key={"pk": item["pk"]},
                UpdateExpression="SET expires_at = :past",
                ExpressionAttributeValues={":past": {"N": "1"}},
            )
    page = callback(stack, redirect, cookie)
    assert page["statusCode"] == 400
    assert "timed out" in page["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "not_connected"


def test_cancel_on_intuits_page(stack, entity):
    page = connect(
        stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"], cancel=True
    )
    assert page["statusCode"] == 200
    assert "cancelled" in page["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "not_connected"
    # The attempt is over: someone else may start now.
    other = start(stack, entity["org"], entity["le"], admin_claims(entity["org"], "user-bob"))
    assert other["statusCode"] == 200


def test_one_company_is_never_bound_to_two_entities(stack, entity):
    connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    second = f"{entity['le']}-b"
    register(stack, entity["org"], second, "Acme Second")
    page = connect(stack, entity["org"], second, entity["qbo_user"], entity["realm"])
    assert page["statusCode"] == 409
    assert f"legal entity {entity['le']}" in page["body"]
    assert body_of(status(stack, entity["org"], second))["state"] == "not_connected"
    assert token_secret(stack, entity["org"], second) is None


def test_other_tenants_entity_is_not_named_in_the_refusal(stack, entity):
    connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    other_org, other_le = f"{entity['org']}-x", f"{entity['le']}-x"
    register(stack, other_org, other_le)
    started = start(stack, other_org, other_le)
    redirect, cookie = sign_in(stack, started, entity)
    page = callback(stack, redirect, cookie)
    assert page["statusCode"] == 409
    assert "another legal entity" in page["body"]
    assert entity["le"] not in page["body"].replace(other_le, "")


def test_switching_company_with_imported_data_needs_a_reset(stack, entity):
    connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    from qbo_connector.adapters.legal_entity_store import LegalEntityStore

    LegalEntityStore(stack.env["LEGAL_ENTITIES_TABLE"]).update(
        entity["org"], entity["le"], data_realm_id=entity["realm"]
    )
    other_realm = str(int(entity["realm"]) + 7)
    qbo_admin(stack, entity["qbo_user"], other_realm, "Other Co")
    page = connect(stack, entity["org"], entity["le"], entity["qbo_user"], other_realm)
    assert page["statusCode"] == 409
    assert "reset" in page["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["realm_id"] == entity["realm"]


def test_a_forged_state_is_refused(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    redirect, cookie = sign_in(stack, started, entity)
    params = dict(parse_qsl(urlparse(redirect).query))
    forged = callback(stack, redirect.replace(params["state"], "x" * len(params["state"])), cookie)
    assert forged["statusCode"] == 400
    assert "timed out or was already used" in forged["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "pending"


def test_the_popup_gets_a_browser_bound_cookie_once(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    assert "authorization_url" not in body_of(started)  # Intuit's URL goes to no one but
    launched, _ = launch(stack, body_of(started)["popup_url"])  # the popup's browser
    assert launched["statusCode"] == 302
    assert launched["headers"]["Location"].startswith(stack.sandbox_base_url)
    [cookie] = launched["cookies"]
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    assert name_value.startswith("__Host-qbo-connect-")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= set(attributes)
    max_age = int(next(a for a in attributes if a.startswith("Max-Age="))[8:])
    assert 0 < max_age <= 600
    # The launch URL is single use: a copy opened elsewhere gets no cookie and no redirect.
    again, second_cookie = launch(stack, body_of(started)["popup_url"])
    assert again["statusCode"] == 400 and second_cookie == ""
    assert "already used" in again["body"]
    garbage, _ = launch(stack, "https://api.example.com/oauth/launch?attempt=%00%F0%9F%98%80")
    assert garbage["statusCode"] == 400 and "incomplete" in garbage["body"]


def test_a_url_finished_in_another_browser_does_not_connect(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    url, cookie = intuit_url(stack, started)
    # The starter hands Intuit's URL to the administrator of an unrelated QBO company.
    stranger, stranger_realm = f"stranger-{entity['le']}", str(int(entity["realm"]) + 11)
    qbo_admin(stack, stranger, stranger_realm, "Unrelated Co")
    theirs = consent(url, stranger, f"pw-{stranger}", stranger_realm)
    for sent in (None, f"{cookie.split('=', 1)[0]}=forged-{'x' * 40}"):
        page = callback(stack, theirs, sent)
        assert page["statusCode"] == 400
        assert "only be finished in the window that started it" in page["body"]
        assert 'data-outcome="other_browser"' in page["body"]
        assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "pending"
    assert stack.sandbox.sandbox.store.companies[stranger_realm]  # untouched, unbound
    # The attempt is still the starter's: finished in the popup, it connects their company.
    user = entity["qbo_user"]
    mine = consent(url, user, f"pw-{user}", entity["realm"])
    asked = callback(stack, mine, cookie)
    assert 'data-outcome="confirm"' in asked["body"]
    assert not asked.get("cookies")  # the confirmation still needs the cookie
    # Connect pressed in another browser (the page's form copied) does nothing either.
    for sent in (None, f"{cookie.split('=', 1)[0]}=forged-{'x' * 40}"):
        page = confirm(stack, asked, sent)
        assert 'data-outcome="other_browser"' in page["body"]
        assert body_of(status(stack, entity["org"], entity["le"]))["state"] != "connected"
    page = confirm(stack, asked, cookie)
    assert page["statusCode"] == 200, page["body"]
    assert any(c.startswith(cookie.split("=", 1)[0] + "=;") for c in page["cookies"])
    assert any("Max-Age=0" in c for c in page["cookies"])
    assert body_of(status(stack, entity["org"], entity["le"]))["realm_id"] == entity["realm"]


def test_a_tampered_realm_reads_the_same_connected_or_not(stack, entity):
    connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    other = f"{entity['le']}-t"
    register(stack, entity["org"], other, "Acme Tampered")
    user = entity["qbo_user"]
    own_realm = str(int(entity["realm"]) + 13)
    qbo_admin(stack, user, own_realm, "Own Co")
    pages = []
    # realmId replaced with a company connected elsewhere, then with one connected nowhere.
    for tampered in (entity["realm"], str(int(entity["realm"]) + 17)):
        url, cookie = intuit_url(stack, start(stack, entity["org"], other))
        redirect = consent(url, user, f"pw-{user}", own_realm)
        redirect = redirect.replace(f"realmId={own_realm}", f"realmId={tampered}")
        pages.append(callback(stack, redirect, cookie))
    for page in pages:
        assert page["statusCode"] == 400
        assert "could not be completed" in page["body"]
        assert "not answering" not in page["body"]
    strip = [p["body"].split("<script")[0] for p in pages]
    assert strip[0] == strip[1]
    assert body_of(status(stack, entity["org"], other))["state"] == "not_connected"


def test_nothing_is_bound_before_the_person_confirms_the_company(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    redirect, cookie = sign_in(stack, started, entity)
    asked = callback(stack, redirect, cookie)
    assert asked["statusCode"] == 200
    body = asked["body"]
    assert f"Company {entity['le']}" in body and entity["realm"] in body
    assert "Acme US Inc." in body
    assert ">Connect</button>" in body and ">Cancel</button>" in body
    # Seen, not yet bound: no connection, no live tokens, the opener hears nothing yet.
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] != "connected"
    assert token_secret(stack, entity["org"], entity["le"]) is None
    assert f"{entity['org']}/{entity['le']}/pending-" in str(
        stack.client("secretsmanager").list_secrets()["SecretList"]
    )
    page = confirm(stack, asked, cookie)
    assert "Connected to QuickBooks" in page["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "connected"
    assert token_secret(stack, entity["org"], entity["le"]) is not None
    # The confirmation is single use.
    again = confirm(stack, asked, cookie)
    assert again["statusCode"] == 400 and "timed out or was already used" in again["body"]


def pending_tokens(stack: Any, entity: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The pending token secrets of the entity: (name, value)."""
    sm = stack.client("secretsmanager")
    prefix = f"qbo-connector/tokens/{entity['org']}/{entity['le']}/pending-"
    names = [s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].startswith(prefix)]
    return [(n, json.loads(sm.get_secret_value(SecretId=n)["SecretString"])) for n in names]


def intuit_accepts(stack: Any, realm: str, access_token: str) -> bool:
    answer = requests.get(
        f"{stack.sandbox_base_url}/v3/company/{realm}/companyinfo/{realm}",
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        timeout=10,
    )
    return answer.status_code == 200


def test_cancel_on_the_confirmation_page_revokes_intuits_tokens(stack, entity):
    started = start(stack, entity["org"], entity["le"])
    redirect, cookie = sign_in(stack, started, entity)
    asked = callback(stack, redirect, cookie)
    [(_, held)] = pending_tokens(stack, entity)
    assert intuit_accepts(stack, entity["realm"], held["access_token"])
    page = confirm(stack, asked, cookie, decision="cancel")
    assert page["statusCode"] == 200 and 'data-outcome="cancelled"' in page["body"]
    assert any("Max-Age=0" in c for c in page["cookies"])
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "not_connected"
    assert pending_tokens(stack, entity) == []
    assert not intuit_accepts(stack, entity["realm"], held["access_token"])


def test_an_unanswered_confirmation_expires_and_its_tokens_are_revoked(stack, entity):
    def age_confirmations() -> None:
        table, name = stack.client("dynamodb"), stack.env["OAUTH_ATTEMPTS_TABLE"]
        for item in table.scan(TableName=name)["Items"]:
            if item["pk"]["S"].startswith("CONFIRM#") and (
                item["legal_entity_id"]["S"] == entity["le"]
            ):
                table.update_item(
                    TableName=name,
                    Key={"pk": item["pk"]},
                    UpdateExpression="SET expires_at = :past",
                    ExpressionAttributeValues={":past": {"N": "1"}},
                )

    # One window answered too late, one closed and never answered.
    late_page, late_cookie = None, ""
    for _ in range(2):
        redirect, cookie = sign_in(stack, start(stack, entity["org"], entity["le"]), entity)
        late_page, late_cookie = callback(stack, redirect, cookie), cookie
        held = pending_tokens(stack, entity)
    assert len(held) == 2
    age_confirmations()
    late = confirm(stack, late_page, late_cookie)
    assert late["statusCode"] == 400 and "timed out" in late["body"]
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "not_connected"
    [(_, abandoned)] = pending_tokens(stack, entity)
    assert intuit_accepts(stack, entity["realm"], abandoned["access_token"])
    # The daily upkeep revokes what nobody answered.
    result = ops(stack, "ops-keep-tokens-alive.json")
    assert result["result"]["unanswered_confirmations_revoked"] >= 1
    assert pending_tokens(stack, entity) == []
    assert not intuit_accepts(stack, entity["realm"], abandoned["access_token"])
    assert token_secret(stack, entity["org"], entity["le"]) is None


def test_disconnect_then_reconnect_to_the_same_company(stack, entity):
    connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    tokens = token_secret(stack, entity["org"], entity["le"])["value"]
    event = api_event(
        "entity-api-disconnect.json", entity_id=entity["le"], claims=admin_claims(entity["org"])
    )
    result = stack.invoke("EntityApiFunction", event)
    assert result["statusCode"] == 200
    assert body_of(result)["state"] == "not_connected"
    assert body_of(result)["revoked_at_intuit"] is True
    assert token_secret(stack, entity["org"], entity["le"]) is None
    # Intuit (the sandbox) no longer accepts the revoked tokens.
    dead = requests.get(
        f"{stack.sandbox_base_url}/v3/company/{entity['realm']}/companyinfo/{entity['realm']}",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
        timeout=10,
    )
    assert dead.status_code == 401

    clerk = api_event(
        "entity-api-disconnect.json", entity_id=entity["le"], claims=member_claims(entity["org"])
    )
    assert stack.invoke("EntityApiFunction", clerk)["statusCode"] == 403

    page = connect(stack, entity["org"], entity["le"], entity["qbo_user"], entity["realm"])
    assert page["statusCode"] == 200
    assert body_of(status(stack, entity["org"], entity["le"]))["state"] == "connected"


def test_the_flow_over_the_http_gateway(stack, entity):
    token = stack.mint_token(
        sub="user-alice",
        name="Alice Admin",
        org_id=entity["org"],
        role="SystemAdministrator",
        home_org_unit="root",
        home_org_unit_is_root=True,
    )
    url = f"{stack.gateway_url}/legal-entities/{entity['le']}/connection"
    started = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert started.status_code == 200, started.text
    popup = started.json()["popup_url"]
    assert popup.startswith(f"{stack.gateway_url}/oauth/launch?attempt=")
    launched = requests.get(popup, allow_redirects=False, timeout=10)
    assert launched.status_code == 302
    cookie = launched.headers["Set-Cookie"].split(";", 1)[0]
    redirect = consent(
        launched.headers["Location"],
        entity["qbo_user"],
        f"pw-{entity['qbo_user']}",
        entity["realm"],
    )
    assert redirect.startswith(f"{stack.gateway_url}/oauth/callback?")
    assert dict(parse_qsl(urlparse(redirect).query))["realmId"] == entity["realm"]
    # A browser sends the Secure cookie to the https API; plain-http requests would not.
    asked = requests.get(redirect, headers={"Cookie": cookie}, timeout=10)
    assert asked.status_code == 200
    assert f"Company {entity['le']}" in asked.text and "Acme US Inc." in asked.text
    assert "form-action 'self'" in asked.headers["Content-Security-Policy"]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', asked.text))
    assert re.search(r'<form method="post" action="/oauth/callback">', asked.text)
    page = requests.post(
        f"{stack.gateway_url}/oauth/callback",
        data={**fields, "decision": "connect"},
        headers={"Cookie": cookie},
        timeout=10,
    )
    assert page.status_code == 200
    assert "Connected to QuickBooks" in page.text
    assert requests.post(url, timeout=10).status_code == 401  # no bearer token


def test_bad_ids_get_a_clear_400(stack):
    event = api_event("oauth-start.json", entity_id="bad id!", claims=admin_claims("org-x"))
    result = stack.invoke("OAuthStartFunction", event)
    assert result["statusCode"] == 400
    error = body_of(result)["error"]
    assert error["code"] == "invalid_input"
    assert error["field"] == "id"


def test_ops_register_validates_and_is_idempotent(stack, ids):
    bad = ops(
        stack, "ops-register-legal-entity.json", org_id=ids["org"], legal_entity_id="", name="X"
    )
    assert bad == {"ok": False, "error": bad["error"]}
    assert bad["error"]["field"] == "legal_entity_id"
    first = register(stack, ids["org"], ids["le"])
    again = register(stack, ids["org"], ids["le"])
    assert first["result"]["created"] is True
    assert again["result"]["created"] is False
    shown = ops(stack, "ops-show-legal-entity.json", org_id=ids["org"], legal_entity_id=ids["le"])
    assert shown["result"]["name"] == "Acme US Inc."
    unknown = ops(stack, "ops-show-legal-entity.json", org_id=ids["org"], legal_entity_id="nope")
    assert unknown["error"]["code"] == "legal_entity_not_found"
    assert (
        ops(stack, "ops-list-legal-entities.json", action="explode")["error"]["field"] == "action"
    )


def test_the_gateway_serves_the_code_generated_openapi(stack):
    doc = requests.get(f"{stack.gateway_url}/openapi.json", timeout=30).json()
    assert doc["info"]["title"] == "qbo-connector"
    assert "post" in doc["paths"]["/legal-entities/{id}/connection"]
    assert "get" in doc["paths"]["/oauth/callback"]


def test_gateway_and_the_sample_event_give_the_same_answer(stack, entity):
    claims = member_claims(entity["org"])
    token = stack.mint_token(**{**claims, "home_org_unit_is_root": False})
    via_gateway = requests.get(
        f"{stack.gateway_url}/legal-entities/{entity['le']}/connection",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    direct = status(stack, entity["org"], entity["le"], claims)
    assert via_gateway.status_code == direct["statusCode"] == 200
    assert via_gateway.json() == body_of(direct)
    assert via_gateway.headers["Content-Type"] == direct["headers"]["Content-Type"]


def test_console_events_through_the_local_invoke_api(stack, ids):
    """`aws lambda invoke --endpoint-url <gateway>` works on the running local stack."""
    url = f"{stack.gateway_url}/2015-03-31/functions/OpsFunction/invocations"
    event = {
        **load_event("ops-register-legal-entity.json"),
        "org_id": ids["org"],
        "legal_entity_id": ids["le"],
    }
    answer = requests.post(url, json=event, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["ok"] is True
    missing = requests.post(url.replace("OpsFunction", "NoSuchFunction"), json={}, timeout=30)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "",
        "confirmation=%00%F0%9F%98%80&attempt=zz&decision=connect",
        "x" * 100_000,
        "&".join(f"f{i}=1" for i in range(50)),
        '{"confirmation": ["not", "a", "form"]}',
        "confirmation=" + "A" * 43 + "&attempt=0123456789abcdef&decision=connect",
    ],
)
def test_odd_confirmation_posts_get_a_page_not_a_500(stack, body):
    event = api_event("oauth-confirm.json")
    event["body"] = body
    event["cookies"] = ["__Host-qbo-connect-0123456789abcdef=\u202e\u200bforged"]
    page = stack.invoke("OAuthCallbackFunction", event)
    assert page["statusCode"] == 400, page
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert "Connect to QuickBooks again" in page["body"]
