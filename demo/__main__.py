"""Walk the QuickBooks Online connection guide on the local stack, in plain words.

Run with `make demo`. The front end's part goes over HTTP through the local
gateway with bearer tokens; support's part goes to the ops function as console
JSON events; Intuit's part is the local QBO sandbox's consent page, driven like a
browser would.
"""

from __future__ import annotations

import html
import json
import sys
import warnings
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests

from demo.console import say, step, table, wait_for
from local_stack.stack import LocalStack
from qbo_sandbox.browser import consent, forms_of

ORG, LE, REALM = "org-acme", "le-acme-us", "9130350000000001"
QBO_USER, QBO_PASSWORD = "craig", "pw-craig"
TIMEOUT = 30


class Demo:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.api = stack.gateway_url
        self.admin = stack.mint_token(
            sub="user-alice",
            name="Alice Admin",
            email="alice@acme.example",
            org_id=ORG,
            role="SystemAdministrator",
            home_org_unit="root",
            home_org_unit_is_root=True,
        )
        self.service = stack.mint_token(
            sub="ap-platform",
            name="AP platform",
            org_id=ORG,
            role="Service",
            home_org_unit="root",
            home_org_unit_is_root=True,
        )

    def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.admin}"}
        resp = requests.request(method, f"{self.api}{path}", headers=headers, timeout=TIMEOUT, **kw)
        body = (
            resp.json()
            if resp.headers.get("Content-Type", "").startswith("application/json")
            else resp.text
        )
        return resp.status_code, body

    def ops(self, event: dict[str, Any]) -> Any:
        result = self.stack.invoke("OpsFunction", event)
        if not result.get("ok"):
            raise SystemExit(f"ops action failed: {result}")
        return result["result"]

    # -- the guide ------------------------------------------------------------------------

    def prepare_quickbooks(self) -> None:
        step("QuickBooks Online: an administrator and a company (the sandbox)")
        control = self.stack.sandbox.sandbox  # type: ignore[union-attr]
        control.create_user(
            QBO_USER,
            QBO_PASSWORD,
            email="craig@craigs.example",
            given_name="Craig",
            family_name="Carlson",
        )
        control.create_company(realm_id=REALM, admins=[QBO_USER])
        say(f"QBO user '{QBO_USER}' administers Craig's Design and Landscaping (realm {REALM});")
        say("'Warn if duplicate bill number is used' is OFF, as in many real companies.")

    def register(self) -> None:
        step("Support registers the legal entity (ops function, console event)")
        self.ops(
            {
                "action": "register_legal_entity",
                "org_id": ORG,
                "legal_entity_id": LE,
                "name": "Acme US Inc.",
            }
        )
        say(f"Legal entity {LE} 'Acme US Inc.' of organization {ORG} is registered.")

    def connect(self) -> None:
        step("Settings → ERP Management → Acme US Inc. → Connect to QuickBooks")
        status, body = self.call("POST", f"/legal-entities/{LE}/connection")
        assert status == 200, body
        launched = requests.get(body["popup_url"], allow_redirects=False, timeout=TIMEOUT)
        assert launched.status_code == 302, launched.text
        # The browser keeps this cookie: only this popup can finish the attempt.
        cookie = launched.headers["Set-Cookie"].split(";", 1)[0]
        say(
            "The popup opens our launch page, which binds the attempt to this browser "
            f"(an HttpOnly cookie) and goes on to Intuit's sign-in; it expires at "
            f"{body['expires_at']}."
        )
        redirect = consent(launched.headers["Location"], QBO_USER, QBO_PASSWORD, REALM)
        say("Signed in as the QBO administrator, chose the company, clicked Next.")
        asked = requests.get(redirect, headers={"Cookie": cookie}, timeout=TIMEOUT)
        say(f"The callback page asks: {html.unescape(asked.text.split('<p>')[1].split('</p>')[0])}")
        form = forms_of(asked.text)[0]
        page = requests.post(
            urljoin(asked.url, form.action),
            data={**form.fields, "decision": "connect"},
            headers={"Cookie": cookie},
            timeout=TIMEOUT,
        )
        title = page.text.split("<h1>")[1].split("</h1>")[0]
        say(f"Clicked Connect; the page says: {title} (HTTP {page.status_code}).")
        status, info = self.call("GET", f"/legal-entities/{LE}/connection")
        say(
            f"Status: {info['state']} to '{info['company_name']}' (realm {info['realm_id']}), "
            f"by {info['connected_by']['name']}."
        )
        for check in info["preflight"]:
            marker = "!" if check["status"] == "warning" else "-"
            say(f" {marker} {check['message']}")
            if check.get("setting_path"):
                say(f"   Turn it on in QuickBooks: {check['setting_path']}")

    def sync_profile(self) -> None:
        step("Support creates the API Sync Profile (ops function)")
        status, body = self.call("POST", f"/legal-entities/{LE}/syncs")
        say(f"Before that, Sync is refused: HTTP {status}: {body['error']['message']}")
        with open("events/ops-put-sync-profile.json") as sample:
            event = json.load(sample)
        event.update(org_id=ORG, legal_entity_id=LE)
        self.ops(event)
        types = event["profile"]["object_types"]
        say(f"Profile: import {', '.join(types)}; export bills; import payments.")

    def smartsync(self, mode: str = "full") -> dict[str, Any]:
        status, body = self.call("POST", f"/legal-entities/{LE}/syncs", json={"mode": mode})
        assert status == 202, body
        sync_id = body["sync_id"]
        say(f"HTTP 202 at once: sync {sync_id} is queued; the worker runs it.")
        run: dict[str, Any] = {}

        def progress() -> tuple[bool, str]:
            nonlocal run
            _, run = self.call("GET", f"/legal-entities/{LE}/syncs/{sync_id}")
            types = run.get("progress") or {}
            done = sum(1 for p in types.values() if p["status"] in ("done", "skipped", "failed"))
            finished = run["status"] not in ("queued", "running")
            if not types:
                return finished, f"{run['status']:<10} waiting for the sync worker"
            current = next((t for t, p in types.items() if p["status"] == "running"), "")
            line = (
                f"{run['status']:<10} [{'#' * done}{'-' * (len(types) - done)}] "
                f"{done}/{len(types)} types {current}"
            )
            return finished, line

        wait_for(progress)
        counts = run.get("counts", {})
        say(
            f"Result: {run['status']} in {run.get('duration_seconds')} s, "
            f"{run['api_calls']['total']} QBO API calls; "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + "."
        )
        for error in run.get("errors", []):
            say(f"! {error['message']}")
        return run

    def first_sync(self) -> None:
        step("SmartSync → Acme US Inc. → Sync (the initial, full sync)")
        run = self.smartsync("full")
        rows = [
            {"type": t, "fetched": p["fetched"], "new": p["new"], "method": p["method"]}
            for t, p in run["progress"].items()
        ]
        table(rows, ["type", "method", "fetched", "new"])
        _, vendors = self.call("GET", f"/legal-entities/{LE}/records/Vendor", params={"limit": 3})
        names = ", ".join(v.get("name") or v.get("DisplayName", "?") for v in vendors["items"])
        say(f"The coding screens can now list vendors: {names}, ...")

    def incremental(self) -> None:
        step("An accountant edits QuickBooks; the next Sync brings only the change")
        control = self.stack.sandbox.sandbox  # type: ignore[union-attr]
        vendor = control.list_objects(REALM, "Vendor")[0]
        control.update_object(
            REALM, "Vendor", vendor["Id"], {"DisplayName": vendor["DisplayName"] + " Ltd"}
        )
        say(f"Renamed vendor '{vendor['DisplayName']}' in QuickBooks.")
        self.smartsync("incremental")

    def schedule(self) -> None:
        step("Sync Schedule: weekdays at 07:00 and 13:00 in Vancouver")
        body = {
            "kind": "weekly",
            "days": ["MON", "TUE", "WED", "THU", "FRI"],
            "times": ["07:00", "13:00"],
            "timezone": "America/Vancouver",
        }
        status, shown = self.call("PUT", f"/legal-entities/{LE}/sync-schedule", json=body)
        assert status == 200, shown
        say(f"Saved: {shown['description']}. Next runs:")
        for run in shown["next_runs"][:3]:
            say(f"  {run['local']}  (UTC {run['utc']})")
        say(f"EventBridge Scheduler schedules: {', '.join(shown['schedules'])}")
        first = datetime.fromisoformat(shown["next_runs"][0]["utc"].replace("Z", "+00:00"))
        firer = self.stack.rule_firer
        assert firer is not None
        firer.last_checked = first - timedelta(minutes=1)
        say(f"Fast-forwarding the local rule firer to {first:%a %H:%M} UTC ...")
        for firing in firer.fire_due(first):
            say(
                f"Rule {firing.rule_name} fired the scheduled-sync function: "
                f"{(firing.payload or {}).get('legal_entity_id')}"
            )
        self.wait_idle()
        _, history = self.call("GET", f"/legal-entities/{LE}/syncs", params={"limit": 1})
        latest = history["items"][0]
        say(
            f"Latest run: trigger {latest['trigger']}, {latest['status']}, "
            f"{latest['api_calls']['total']} API calls."
        )

    def bills(self) -> None:
        step("Approved invoices become QBO Bills: exactly once, duplicates refused")
        _, vendors = self.call("GET", f"/legal-entities/{LE}/records/Vendor", params={"limit": 3})
        _, accounts = self.call(
            "GET", f"/legal-entities/{LE}/records/Account", params={"limit": 100}
        )
        v1, v2, v3 = (v["id"] for v in vendors["items"][:3])
        names = {v["id"]: v["name"] for v in vendors["items"]}
        expense = next(
            a["id"]
            for a in accounts["items"]
            if (a.get("data") or {}).get("AccountType") == "Expense"
            or "Expense" in str(a.get("name"))
        )
        control = self.stack.sandbox.sandbox  # type: ignore[union-attr]
        typed = control.create_object(
            REALM,
            "Bill",
            {
                "VendorRef": {"value": v3},
                "DocNumber": "ACC-77",
                "Line": [
                    {
                        "Amount": 80,
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}},
                    }
                ],
            },
        )
        say(
            f"The accountant already typed bill ACC-77 of {names[v3]} into QuickBooks "
            f"(Bill {typed['Id']})."
        )

        def invoice(ap_id: str, vendor: str, number: str, amount: str) -> dict[str, Any]:
            return {
                "ap_invoice_id": ap_id,
                "vendor_id": vendor,
                "invoice_number": number,
                "invoice_date": "2026-11-20",
                "due_date": "2026-12-20",
                "memo": f"Demo {number}",
                "lines": [{"amount": amount, "account_id": expense, "description": "Supplies"}],
            }

        invoices = [
            invoice("ap-1", v1, "INV-1001", "1200.00"),
            invoice("ap-2", v2, "INV-1001", "310.50"),  # same number, another vendor
            invoice("ap-3", v3, "ACC-77", "80.00"),  # typed into QBO already
        ]
        for inv in invoices:
            status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=inv)
            say(
                f"Submitted {inv['ap_invoice_id']} ({names[inv['vendor_id']]}, "
                f"{inv['invoice_number']}): HTTP {status} {body.get('state', '')}"
            )
        again = invoice("ap-4", v1, "INV-1001", "1200.00")
        status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=again)
        outcome = body["error"]["message"] if status >= 400 else body.get("state")
        say(
            f"Submitted ap-4, {names[v1]} INV-1001 again: HTTP {status}: {outcome} "
            f"{json.dumps(body.get('duplicate_of') or '')}"
        )

        def final() -> tuple[bool, str]:
            states = [
                self.call("GET", f"/legal-entities/{LE}/bills/{i['ap_invoice_id']}", self.service)[
                    1
                ]["state"]
                for i in invoices
            ]
            pending = sum(s in ("queued", "exporting") for s in states)
            return pending == 0, f"exporting: {len(states) - pending}/{len(states)} final"

        wait_for(final)
        rows = []
        for inv in invoices:
            _, bill = self.call(
                "GET", f"/legal-entities/{LE}/bills/{inv['ap_invoice_id']}", self.service
            )
            rows.append(
                {
                    "invoice": inv["ap_invoice_id"],
                    "vendor": names[inv["vendor_id"]],
                    "number": inv["invoice_number"],
                    "state": bill["state"],
                    "qbo bill": bill.get("qbo_bill_id")
                    or (bill.get("duplicate_of") or {}).get("qbo_bill_id", ""),
                }
            )
        table(rows, ["invoice", "vendor", "number", "state", "qbo bill"])
        exported = [r for r in rows if r["state"] == "exported"]
        if exported:
            control.pay_bill(REALM, exported[0]["qbo bill"], 500.0)
            say(f"The accountant pays 500.00 of Bill {exported[0]['qbo bill']} in QuickBooks.")
            self.smartsync("incremental")
            _, bill = self.call(
                "GET", f"/legal-entities/{LE}/bills/{exported[0]['invoice']}", self.service
            )
            payment = bill.get("payment") or {}
            say(
                f"{exported[0]['invoice']} is now {payment.get('state')}: paid "
                f"{payment.get('amount_paid')} of {payment.get('total')}, "
                f"balance {payment.get('balance')}."
            )

    def payments(self) -> None:
        step("Released AP payments become QBO Bill Payments; a returned cheque is voided")
        control = self.stack.sandbox.sandbox  # type: ignore[union-attr]
        _, accounts = self.call(
            "GET", f"/legal-entities/{LE}/records/Account", params={"limit": 100}
        )
        checking = next(a["id"] for a in accounts["items"] if a["name"] == "Checking")
        with open("events/ops-put-sync-profile.json") as sample:
            event = json.load(sample)
        event.update(
            org_id=ORG,
            legal_entity_id=LE,
            profile={"export_payments": True, "payment_bank_account_id": checking},
        )
        self.ops(event)
        say(f"Support turns on export_payments; payments are paid from Checking ({checking}).")

        # The open vendor credit RMA-881 in QuickBooks names its vendor: Norton Lumber.
        credit = next(
            c
            for c in control.list_objects(REALM, "VendorCredit")
            if c.get("DocNumber") == "RMA-881"
        )
        norton = credit["VendorRef"]["value"]
        norton_name = control.get_object(REALM, "Vendor", norton)["DisplayName"]
        say(
            f"QuickBooks holds an open vendor credit RMA-881 of {norton_name} "
            f"(VendorCredit {credit['Id']}, balance {credit['Balance']:.2f})."
        )
        expense = next(
            a["id"]
            for a in accounts["items"]
            if (a.get("data") or {}).get("AccountType") == "Expense"
            or "Expense" in str(a.get("name"))
        )
        lumber = {
            "ap_invoice_id": "ap-5",
            "vendor_id": norton,
            "invoice_number": "NL-4410",
            "invoice_date": "2026-11-20",
            "due_date": "2026-12-20",
            "memo": "Demo NL-4410",
            "lines": [{"amount": "180.00", "account_id": expense, "description": "Lumber"}],
        }
        status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=lumber)
        say(f"Submitted ap-5 ({norton_name}, NL-4410, 180.00): HTTP {status} {body['state']}")
        _, ellis = self.call("GET", f"/legal-entities/{LE}/bills/ap-2", self.service)
        ellis_vendor = ellis["vendor_id"]

        payments = [
            {
                "ap_payment_id": "appay-1",
                "vendor_id": ellis_vendor,
                "payment_date": "2026-11-25",
                "amount": "200.00",
                "method": "check",
                "check_number": "10452",
                "memo": "November run",
                "bills": [{"ap_invoice_id": "ap-2", "amount": "200.00"}],
            },
            {
                "ap_payment_id": "appay-2",
                "vendor_id": norton,
                "payment_date": "2026-11-25",
                "amount": "155.00",
                "method": "ach",
                "reference": "ACH-7781",
                "memo": "November run",
                "bills": [{"ap_invoice_id": "ap-5", "amount": "180.00"}],
                "vendor_credits": [{"vendor_credit_id": credit["Id"], "amount": "25.00"}],
            },
        ]
        say("The AP platform releases two payments (as the service, POST .../payments):")
        say("  appay-1: a check of 200.00 for ap-2 (310.50): a partial payment;")
        say("  appay-2: an ACH transfer of 155.00 for ap-5 (180.00), RMA-881's 25.00 applied.")
        for pay in payments:
            status, body = self.call(
                "POST", f"/legal-entities/{LE}/payments", self.service, json=pay
            )
            assert status == 202, body
            say(f"Submitted {pay['ap_payment_id']}: HTTP {status} {body['state']}")
        status, body = self.call(
            "POST", f"/legal-entities/{LE}/payments", self.service, json=payments[0]
        )
        say(f"Submitted appay-1 again, the same body: HTTP {status} {body['state']} (no second).")

        def shown(pay_id: str) -> dict[str, Any]:
            _, body = self.call("GET", f"/legal-entities/{LE}/payments/{pay_id}", self.service)
            return dict(body)

        def exported() -> tuple[bool, str]:
            states = [shown(p["ap_payment_id"])["state"] for p in payments]
            done = sum(s not in ("queued", "waiting_for_bills", "exporting") for s in states)
            return done == len(states), f"exporting payments: {done}/{len(states)} final"

        assert wait_for(exported), "the payments were not exported"
        rows = []
        for pay in payments:
            got = shown(pay["ap_payment_id"])
            balances = got.get("bill_balances") or {}
            bills = ", ".join(b["ap_invoice_id"] for b in got["bills"])
            credits = " less credit 25.00" if got.get("vendor_credits") else ""
            rows.append(
                {
                    "payment": got["ap_payment_id"],
                    "bills": bills + credits,
                    "amount": got["amount"],
                    "state": got["state"],
                    "qbo bill payment": got.get("qbo_bill_payment_id", ""),
                    "balance after": ", ".join(
                        f"{ap} {b['balance']:.2f}" for ap, b in balances.items()
                    ),
                }
            )
        table(rows, ["payment", "bills", "amount", "state", "qbo bill payment", "balance after"])
        left = control.get_object(REALM, "VendorCredit", credit["Id"])["Balance"]
        say(f"RMA-881 is used up in QuickBooks: its balance is {left:.2f}.")

        status, body = self.call(
            "POST",
            f"/legal-entities/{LE}/payments/appay-1/void",
            self.service,
            json={"reason": "Cheque 10452 returned by the bank"},
        )
        say(
            f"Cheque 10452 comes back: void appay-1: HTTP {status}, void "
            f"{(body.get('void') or {}).get('state')}; the worker voids it in QuickBooks."
        )

        def voided() -> tuple[bool, str]:
            state = shown("appay-1")["state"]
            return state == "voided", f"appay-1 {state}"

        assert wait_for(voided), "appay-1 was not voided"
        got = shown("appay-1")
        qbo_payment = control.get_object(REALM, "BillPayment", got["qbo_bill_payment_id"])
        bill = control.get_object(REALM, "Bill", ellis["qbo_bill_id"])
        _, ap2 = self.call("GET", f"/legal-entities/{LE}/bills/ap-2", self.service)
        say(
            f"appay-1 is {got['state']} ({got['void'].get('reason')}); Bill Payment "
            f"{got['qbo_bill_payment_id']} is now {qbo_payment['TotalAmt']:.2f} in QuickBooks."
        )
        say(
            f"ap-2 (Bill {ellis['qbo_bill_id']}) is open again: balance {bill['Balance']:.2f} "
            f"of {bill['TotalAmt']:.2f} in QuickBooks; our bill shows "
            f"{(ap2.get('payment') or {}).get('state')}."
        )

    def onboarding(self) -> None:
        step("A new supplier is onboarded: its vendor, first bill and a credit note at once")
        with open("events/ops-put-sync-profile.json") as sample:
            event = json.load(sample)
        event.update(
            org_id=ORG,
            legal_entity_id=LE,
            profile={"export_vendors": True, "export_vendor_credits": True},
        )
        self.ops(event)
        say("Support turns on export_vendors and export_vendor_credits.")
        with open("events/api-post-vendor.json") as sample:
            supplier = json.loads(json.load(sample)["body"])
        status, body = self.call(
            "POST", f"/legal-entities/{LE}/vendors", self.service, json=supplier
        )
        assert status == 202, body
        name, supplier_id = supplier["display_name"], supplier["ap_supplier_id"]
        say(f"The supplier portal onboards {name} ({supplier_id}): HTTP {status} {body['state']}.")
        _, accounts = self.call(
            "GET", f"/legal-entities/{LE}/records/Account", params={"limit": 100}
        )
        expense = next(
            a["id"]
            for a in accounts["items"]
            if (a.get("data") or {}).get("AccountType") == "Expense"
        )
        bill = {
            "ap_invoice_id": "ap-cps-1",
            "ap_supplier_id": supplier_id,
            "invoice_number": "CPS-1001",
            "invoice_date": "2026-11-26",
            "memo": "Demo CPS-1001",
            "lines": [{"amount": "410.00", "account_id": expense, "description": "Paper"}],
        }
        credit = {
            "ap_credit_id": "apcr-cps-1",
            "ap_supplier_id": supplier_id,
            "credit_number": "CPS-CN-7",
            "credit_date": "2026-11-27",
            "lines": [{"amount": "35.00", "account_id": expense, "description": "Damaged"}],
        }
        status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=bill)
        assert status == 202, body
        say(
            f"Its first invoice CPS-1001 (410.00) names the supplier, not a vendor id: "
            f"HTTP {status} {body['state']}."
        )
        if body.get("waiting"):
            say(f"   {body['waiting']['reason']}")
        else:  # the worker was quicker than the AP platform
            say(f"   The vendor already exists: the bill took its id ({body['vendor_id']}).")
        status, body = self.call(
            "POST", f"/legal-entities/{LE}/vendor-credits", self.service, json=credit
        )
        assert status == 202, body
        say(f"A credit note CPS-CN-7 (35.00) for damaged stock: HTTP {status} {body['state']}.")

        def shown(kind: str, key: str) -> dict[str, Any]:
            _, got = self.call("GET", f"/legal-entities/{LE}/{kind}/{key}", self.service)
            return dict(got)

        def exported() -> tuple[bool, str]:
            states = [
                shown("vendors", supplier_id)["state"],
                shown("bills", "ap-cps-1")["state"],
                shown("vendor-credits", "apcr-cps-1")["state"],
            ]
            done = sum(s not in ("queued", "exporting", "waiting_for_vendor") for s in states)
            return done == 3, f"vendor, bill, credit: {', '.join(states)}"

        assert wait_for(exported), "the supplier's documents were not exported"
        vendor = shown("vendors", supplier_id)
        got_bill, got_credit = shown("bills", "ap-cps-1"), shown("vendor-credits", "apcr-cps-1")
        table(
            [
                {
                    "what": f"vendor {name}",
                    "state": vendor["state"],
                    "quickbooks id": vendor.get("qbo_vendor_id", ""),
                },
                {
                    "what": "bill CPS-1001",
                    "state": got_bill["state"],
                    "quickbooks id": got_bill.get("qbo_bill_id", ""),
                },
                {
                    "what": "credit note CPS-CN-7",
                    "state": got_credit["state"],
                    "quickbooks id": got_credit.get("qbo_vendor_credit_id", ""),
                },
            ],
            ["what", "state", "quickbooks id"],
        )
        say(
            f"Both name Vendor {vendor['qbo_vendor_id']}: the worker creates the vendor "
            "first, then exports what waited for it, in one job."
        )
        remaining = (got_credit.get("credit") or {}).get("remaining")
        say(f"The credit's remaining balance, read back from QuickBooks: {remaining}.")

    def purchase_orders(self) -> None:
        step("Purchase orders: imported for matching, and a bill matched to a PO's lines")
        with open("events/ops-put-sync-profile.json") as sample:
            event = json.load(sample)
        types = [*event["profile"]["object_types"], "PurchaseOrder"]
        event.update(org_id=ORG, legal_entity_id=LE, profile={"object_types": types})
        self.ops(event)
        say(
            "The company is on QuickBooks Online Plus (it has purchase orders): support adds "
            "PurchaseOrder to the profile."
        )
        run = self.smartsync("incremental")
        po_progress = run.get("progress", {}).get("PurchaseOrder", {})
        say(f"PurchaseOrder: {po_progress.get('new', 0)} imported ({po_progress.get('method')}).")
        _, listed = self.call(
            "GET", f"/legal-entities/{LE}/purchase-orders", params={"open_only": "true"}
        )
        table(
            [
                {
                    "po": po["doc_number"],
                    "vendor": po.get("vendor_name") or po["vendor_id"],
                    "status": po["status"],
                    "total": po["total"],
                    "billed": po["billed"],
                    "open": po["open"],
                }
                for po in listed["items"]
            ],
            ["po", "vendor", "status", "total", "billed", "open"],
        )
        po = next(p for p in listed["items"] if p["doc_number"] == "1001")
        sod, materials = po["lines"]
        bill = {
            "ap_invoice_id": "ap-po-1001",
            "vendor_id": po["vendor_id"],
            "invoice_number": "NL-5120",
            "invoice_date": "2026-11-28",
            "memo": "Demo NL-5120 against PO 1001",
            "lines": [
                {
                    "amount": "60.00",
                    "item_id": sod["item_id"],
                    "qty": 4,
                    "unit_price": "15",
                    "description": "Sod, 4 of 10 delivered",
                    "purchase_order_id": po["id"],
                    "purchase_order_line_id": sod["line_id"],
                },
                {
                    "amount": "50.00",
                    "account_id": materials["account_id"],
                    "description": "Job materials",
                    "purchase_order_id": po["id"],
                    "purchase_order_line_id": materials["line_id"],
                },
            ],
        }
        over = {
            **bill,
            "ap_invoice_id": "ap-po-over",
            "invoice_number": "NL-5121",
            "lines": [{**bill["lines"][1], "amount": "80.00"}],
        }
        status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=over)
        say(
            f"A bill for 80.00 of PO 1001's 50.00 job materials: HTTP {status}: "
            f"{body['error']['message']}"
        )
        status, body = self.call("POST", f"/legal-entities/{LE}/bills", self.service, json=bill)
        assert status == 202, body
        say(
            f"NL-5120 matches PO 1001: 4 of its 10 sod (60.00) and all job materials "
            f"(50.00): HTTP {status} {body['state']}."
        )

        def exported() -> tuple[bool, str]:
            _, got = self.call("GET", f"/legal-entities/{LE}/bills/ap-po-1001", self.service)
            return got["state"] not in ("queued", "exporting"), f"NL-5120 {got['state']}"

        assert wait_for(exported), "the PO-matched bill was not exported"
        _, after = self.call("GET", f"/legal-entities/{LE}/purchase-orders/{po['id']}")
        table(
            [
                {
                    "po line": line["line_id"],
                    "ordered": line["amount"],
                    "billed": line["billed_amount"],
                    "open": line["open_amount"],
                    "open qty": line.get("open_qty", ""),
                }
                for line in after["lines"]
            ],
            ["po line", "ordered", "billed", "open", "open qty"],
        )
        say(
            f"PO 1001 is {after['status']}: {after['billed']} billed of {after['total']}, "
            f"{after['open']} open, read back from QuickBooks right after the export."
        )

    def wait_idle(self) -> None:
        def idle() -> tuple[bool, str]:
            _, history = self.call("GET", f"/legal-entities/{LE}/syncs", params={"limit": 1})
            latest = history["items"][0] if history["items"] else {"status": "none"}
            return latest["status"] not in ("queued", "running"), f"sync {latest['status']}"

        wait_for(idle)


def main() -> int:
    print("qbo-connector demo: the QuickBooks Online connection guide on the local stack")
    # The functions' JSON logs and metrics would drown the story; warnings still show.
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with LocalStack(sandbox=True, poll_queues=True, env_overrides=quiet, console=True) as stack:
        say(
            f"Local stack up: API {stack.gateway_url}, QBO sandbox {stack.sandbox_base_url}, "
            f"AWS (moto) {stack.moto_url}"
        )
        say(
            f"Web console, to watch the demo live: {stack.console_url}/signin.html "
            f"(organization {ORG}; the demo stops the stack at its end)"
        )
        demo = Demo(stack)
        demo.prepare_quickbooks()
        demo.register()
        demo.connect()
        demo.sync_profile()
        demo.first_sync()
        demo.incremental()
        demo.schedule()
        demo.bills()
        demo.payments()
        demo.onboarding()
        demo.purchase_orders()
        print(
            "\nDone: connected, synced, scheduled, exported bills and payments, onboarded a "
            "supplier, matched a bill to a purchase order. "
            "The local stack is stopped."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
