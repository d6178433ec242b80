"""The guide's screens, driven by a browser over the local stack (issue 17): sign in,
connect through the real popup and the sandbox's consent page (the popup's postMessage
updates the page), run a sync and watch it, a schedule with a field error, bills with a
duplicate and a failure, a user who is not offered Connect; axe-core on every screen."""

from __future__ import annotations

import re
from typing import Any

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.console.conftest import LE, ORG, QBO_USER, REALM, shot, sign_in, support_profile

AXE = Axe()
SERIOUS = {"serious", "critical"}


def accessible(page: Page, screen: str) -> None:
    """No serious or critical axe-core violation on the screen as it is now."""
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert bad == [], f"{screen}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in bad)


def popup_signed_in(page: Page) -> Page:
    """Connect to QuickBooks: the popup, then Intuit's sign-in as the company's admin."""
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect to QuickBooks").click()
    popup = opened.value
    popup.wait_for_load_state()
    popup.locator("#username").fill(QBO_USER)
    popup.locator("#password").fill(f"pw-{QBO_USER}")
    popup.get_by_role("button", name="Sign in").click()
    return popup


def connect_through_the_popup(page: Page) -> Page:
    popup = popup_signed_in(page)
    popup.locator(f"input[name=realmId][value='{REALM}']").check()
    shot(popup, "consent-page")
    popup.get_by_role("button", name="Next").click()
    popup.wait_for_load_state()
    if popup.get_by_role("button", name="Connect").count():  # the confirmation page
        popup.get_by_role("button", name="Connect").click()
    return popup


def service_token(stack: Any) -> str:
    return str(stack.mint_token(user="svc-ap-platform", org=ORG, role="Service",
                                home_org_unit="", home_org_unit_is_root=False))


def submit_bill(stack: Any, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{stack.gateway_url}/legal-entities/{LE}/bills", json=body,
                           headers={"Authorization": f"Bearer {service_token(stack)}"},
                           timeout=30)
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def test_the_guide_in_a_browser(stack: Any, browser: Any) -> None:
    page = sign_in(browser, stack)
    accessible(page, "ERP Management")
    expect(page.get_by_role("row", name=re.compile("Acme US Inc."))).to_contain_text(
        "Not connected")

    # Settings → ERP Management → the Legal Entity → Connect to QuickBooks (a popup).
    page.get_by_role("button", name="Acme US Inc.").click()
    popup = connect_through_the_popup(page)
    expect(page.locator("#outcome")).to_contain_text("Connected", timeout=15_000)
    popup.wait_for_event("close", timeout=10_000)
    expect(page.locator("dl.facts")).to_contain_text("Craig's Design and Landscaping Services")
    expect(page.locator("dl.facts")).to_contain_text(REALM)
    warning = page.locator("li.check.warning")
    expect(warning).to_contain_text("Warn if duplicate bill number is used")
    expect(page.get_by_role("row", name=re.compile("Acme US Inc."))).to_contain_text("Connected")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()
    shot(page, "erp-management-connected")
    accessible(page, "ERP Management, connected")

    # Support creates the API Sync Profile; SmartSync → the Legal Entity → Sync (full).
    support_profile(stack, export_bills=True)
    control = stack.sandbox.sandbox
    # A slower QuickBooks, so the page is seen mid-sync.
    control.inject_fault("delay", count=2, realm=REALM, path="*/batch", seconds=1.5)
    # A worker with 92 s to live checkpoints after a round (it keeps 90 s in hand) and
    # continues in a new invocation: between the two the page reads the run's progress.
    stack.runtime.timeout_overrides["SyncWorkerFunction"] = 92
    page.get_by_role("link", name="SmartSync").click()
    page.get_by_label("Everything (full)").check()
    page.get_by_role("button", name="Sync").click()
    expect(page.locator("#run-status")).to_contain_text("running", timeout=15_000)
    expect(page.locator("progress").first).to_be_visible()
    shot(page, "smartsync-mid-sync")
    accessible(page, "SmartSync, mid-sync")
    expect(page.locator("#run-status")).to_contain_text("succeeded", timeout=60_000)
    expect(page.locator("#run-status")).to_contain_text("QuickBooks API calls")
    expect(page.locator("li.type", has_text="Vendor")).to_contain_text(re.compile(r"\d{4} new"))
    stack.runtime.timeout_overrides.clear()
    expect(page.locator("#history tbody tr").first).to_contain_text("succeeded")
    page.get_by_label("Search").fill("Norton")
    expect(page.locator("#record-list tbody tr")).to_have_count(1)
    shot(page, "smartsync-finished")
    control.clear_faults()

    # Sync Schedule: a wrong time is shown next to its field, then saved.
    page.get_by_role("link", name="Sync Schedule").click()
    page.get_by_label("Times of day").fill("07:00, 25:00")
    page.get_by_label("Time zone").fill("America/Vancouver")
    page.get_by_role("button", name="Save schedule").click()
    error = page.locator("#times-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("25:00")
    expect(page.get_by_label("Times of day")).to_have_attribute("aria-invalid", "true")
    shot(page, "schedule-field-error")
    accessible(page, "Sync Schedule with a field error")
    page.get_by_label("Times of day").fill("07:00, 13:00")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule-message")).to_contain_text("Saved")
    expect(page.locator("#next-runs tbody tr")).to_have_count(5)
    expect(page.locator("#next-runs tbody tr").first).to_contain_text("Z")

    # Bills: one exported, one a duplicate of the accountant's own bill, one QuickBooks
    # refuses (the account made inactive in QuickBooks after the sync).
    vendors = {v["DisplayName"]: v["Id"] for v in control.list_objects(REALM, "Vendor")}
    accounts = {a["Name"]: a["Id"] for a in control.list_objects(REALM, "Account")}
    norton = vendors["Norton Lumber and Building Materials"]
    typed = control.create_object(REALM, "Bill", {
        "VendorRef": {"value": norton}, "DocNumber": "TYPED-9", "TxnDate": "2026-11-02",
        "Line": [{"Amount": 40.0, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {
                      "AccountRef": {"value": accounts["Advertising"]}}}]})
    line = {"amount": "40.00", "account_id": accounts["Advertising"], "description": "Flyers"}
    submit_bill(stack, {"ap_invoice_id": "ap-1", "vendor_id": norton, "invoice_number": "NL-1",
                        "invoice_date": "2026-11-03", "lines": [line]})
    submit_bill(stack, {"ap_invoice_id": "ap-2", "vendor_id": norton, "invoice_number": "TYPED-9",
                        "invoice_date": "2026-11-02", "lines": [line]})
    legal = accounts["Legal & Professional Fees"]
    control.update_object(REALM, "Account", legal, {"Active": False})
    submit_bill(stack, {"ap_invoice_id": "ap-3", "vendor_id": norton, "invoice_number": "NL-3",
                        "invoice_date": "2026-11-03",
                        "lines": [{**line, "account_id": legal}]})
    page.get_by_role("link", name="Bills and payments").click()

    def states() -> dict[str, str]:
        page.get_by_label("State").select_option("")
        rows = page.locator("#bills table").first.locator("tbody tr")
        return {rows.nth(i).locator("th").inner_text():
                rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}

    expect_states = {"ap-1": "exported", "ap-2": "duplicate", "ap-3": "failed"}
    for _ in range(40):
        if states() == expect_states:
            break
        page.wait_for_timeout(500)
    assert states() == expect_states
    duplicate = page.get_by_role("row", name=re.compile("ap-2"))
    link = duplicate.get_by_role("link", name=f"Open QuickBooks bill {typed['Id']}")
    expect(link).to_have_attribute("href", re.compile(f"txnId={typed['Id']}"))
    expect(page.get_by_role("row", name=re.compile("ap-3"))).to_contain_text("inactive")
    expect(page.get_by_role("row", name=re.compile("ap-1")).get_by_role("link")).to_be_visible()
    shot(page, "bills")
    accessible(page, "Bills and payments")

    # Disconnect asks first; keeping the connection changes nothing.
    page.get_by_role("link", name="ERP Management").click()
    page.get_by_role("button", name="Acme US Inc.").click()
    page.get_by_role("button", name="Disconnect").click()
    page.get_by_role("button", name="Keep connected").click()
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()

    # A role changed while the page was open: the API's 403 is shown in words.
    page.get_by_role("link", name="SmartSync").click()
    sync = page.get_by_role("button", name="Sync")
    expect(sync).to_be_visible()
    page.evaluate("t => sessionStorage.setItem('token', t)", str(stack.mint_token(
        user="alice", org=ORG, role="APClerk", home_org_unit="root", home_org_unit_is_root=True)))
    sync.click()
    expect(page.locator("#sync-form .error")).to_contain_text(
        "Not allowed: This needs the System Administrator role")


def test_a_user_who_may_not_connect_is_not_offered_it(stack: Any, browser: Any) -> None:
    page = sign_in(browser, stack, user="bob", name="Bob Clerk", role="APClerk", unit="ou-east")
    page.get_by_role("button", name="Acme Canada Ltd.").click()
    expect(page.locator("#detail")).to_contain_text("Only a System Administrator")
    expect(page.get_by_role("button", name=re.compile("Connect to QuickBooks"))).to_have_count(0)
    expect(page.get_by_role("button", name="Disconnect")).to_have_count(0)
    page.get_by_role("link", name="SmartSync").click()
    expect(page.get_by_role("button", name="Sync")).to_have_count(0)
    page.get_by_role("link", name="Sync Schedule").click()
    expect(page.get_by_role("button", name="Save schedule")).to_have_count(0)
    accessible(page, "Sync Schedule, read only")


def test_the_console_signs_in_with_an_identity_provider_by_code_and_pkce(
    stack: Any, browser: Any
) -> None:
    """As in AWS (config.json signin "oidc"): the console's own PKCE flow against a
    stand-in identity provider; a code is single use and bound to its verifier."""
    from local_stack.console import ConsoleServer

    oidc = ConsoleServer(stack.issuer, api_url=stack.gateway_url, signin="oidc")
    oidc.bind("127.0.0.1", 0)
    oidc.start()
    stack.gateway.cors_origins.append(oidc.url)
    try:
        page = browser.new_context().new_page()
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.goto(f"{oidc.url}/index.html")
        page.get_by_role("heading", name="AP platform sign-in").wait_for()
        authorize = next(u for u in seen if "/oidc/authorize" in u)
        assert "code_challenge_method=S256" in authorize and "code_challenge=" in authorize
        page.get_by_label("User id").fill("olivia")
        page.get_by_label("Organization id").fill(ORG)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="ERP Management")).to_be_visible()
        expect(page.locator("#who")).to_contain_text("Olivia · SystemAdministrator")
        expect(page.get_by_role("button", name="Acme US Inc.")).to_be_visible()
        assert "code=" not in page.url  # the code is not left in the address bar
        # A code cannot be traded twice, nor without its verifier.
        code = re.search(r"code=([^&]+)", next(u for u in seen if "code=" in u))
        assert code is not None
        replay = requests.post(f"{oidc.url}/oidc/token", timeout=5, data={
            "grant_type": "authorization_code", "code": code.group(1),
            "client_id": "console-local", "redirect_uri": f"{oidc.url}/index.html",
            "code_verifier": "x" * 43})
        assert replay.status_code == 400 and replay.json() == {"error": "invalid_grant"}
    finally:
        stack.gateway.cors_origins.remove(oidc.url)
        oidc.stop()


def test_a_connection_cancelled_in_the_popup_is_said_in_words(stack: Any, browser: Any) -> None:
    page = sign_in(browser, stack)
    page.get_by_role("button", name="Acme Canada Ltd.").click()
    popup_signed_in(page).get_by_role("button", name="Cancel").click()
    expect(page.locator("#outcome")).to_contain_text("cancel", timeout=15_000)
    expect(page.get_by_role("row", name=re.compile("Acme Canada"))).to_contain_text(
        "Not connected")
    expect(page.get_by_role("button", name="Connect to QuickBooks")).to_be_visible()
