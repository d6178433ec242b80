"""The HTTP control API (used by the demo from another process) and the standalone CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests
from intuitlib.enums import Scopes

from qbo_sandbox import SandboxServer

from .helpers import REDIRECT, api, callback_params, consent

ROOT = Path(__file__).resolve().parents[2]


def test_setup_and_accountant_actions_over_http() -> None:
    with SandboxServer(port=0) as s:
        base = s.base_url + "/_sandbox"
        app = requests.post(base + "/apps", json={"redirect_uris": [REDIRECT],
                                                  "name": "Demo"}, timeout=5).json()
        assert app["client_id"] and app["client_secret"]
        requests.post(base + "/users", json={"username": "ann", "password": "pw",
                                             "email": "ann@example.com", "given_name": "Ann",
                                             "family_name": "Admin"}, timeout=5)
        company = requests.post(base + "/companies", json={
            "realm_id": "555", "name": "Ann's Co", "admins": ["ann"], "seed": "craigs",
            "warn_duplicate_bill_number": True}, timeout=5)
        assert company.status_code == 201
        assert company.json()["counts"]["Vendor"] == 27
        assert company.json()["warn_duplicate_bill_number"] is True

        from intuitlib.client import AuthClient

        client = AuthClient(app["client_id"], app["client_secret"], REDIRECT,
                            environment=s.discovery_url)
        url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="x")
        params = callback_params(consent(url, "ann", "pw", "555"))
        client.get_bearer_token(params["code"], realm_id="555")
        assert [g["realm_id"] for g in requests.get(base + "/grants", timeout=5).json()[
            "grants"]] == ["555"]

        # The accountant types a vendor and a bill into QBO, then pays half of it.
        vendor = requests.post(base + "/companies/555/objects/Vendor",
                               json={"DisplayName": "Typed In Vendor"}, timeout=5).json()
        supplies = next(a for a in requests.get(base + "/companies/555/objects/Account",
                                                timeout=5).json()["Account"]
                        if a["Name"] == "Supplies")
        bill = requests.post(base + "/companies/555/objects/Bill", json={
            "VendorRef": {"value": vendor["Id"]}, "DocNumber": "TYPED-1",
            "Line": [{"Amount": 80, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": supplies["Id"]}}}],
        }, timeout=5).json()
        requests.post(base + f"/companies/555/bills/{bill['Id']}/pay", json={"amount": 30},
                      timeout=5)
        seen = api(s, client.access_token, "GET", f"bill/{bill['Id']}", realm="555").json()
        assert seen["Bill"]["Balance"] == 50.0

        # Deactivate the vendor: the API hides it from default queries.
        requests.delete(base + f"/companies/555/objects/Vendor/{vendor['Id']}", timeout=5)
        names = api(s, client.access_token, "GET", "query", realm="555",
                    params={"query": "select * from Vendor maxresults 1000"}).json()
        assert "Typed In Vendor" not in [v["DisplayName"] for v in
                                         names["QueryResponse"]["Vendor"]]

        prefs = requests.put(base + "/companies/555/preferences",
                             json={"WarnDuplicateBillNumber": False}, timeout=5).json()
        assert {"Name": "WarnDuplicateBillNumber", "Value": "false"} in prefs["Preferences"][
            "OtherPrefs"]["NameValue"]

        clock = requests.put(base + "/clock", json={"advance_seconds": 3600}, timeout=5).json()
        assert clock["offset_seconds"] >= 3600
        expired = api(s, client.access_token, "GET", "preferences", realm="555")
        assert expired.status_code == 401

        summary = requests.get(base, timeout=5).json()
        assert "client_secret" not in summary["apps"][0]
        assert "password" not in summary["users"][0]
        assert requests.get(base + "/nope", timeout=5).status_code == 404
        assert requests.get(s.base_url + "/", timeout=5).status_code == 200


def test_standalone_cli_with_demo_seed() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qbo_sandbox", "--port", "0", "--seed", "demo"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("QBO sandbox on http://127.0.0.1:")
        base = first.rsplit(" ", 1)[-1]
        doc = requests.get(base + "/.well-known/openid-configuration", timeout=5).json()
        assert doc["token_endpoint"] == base + "/oauth2/v1/tokens/bearer"
        companies = requests.get(base + "/_sandbox/companies", timeout=5).json()["companies"]
        assert {c["realm_id"] for c in companies} == {"9341450000000001", "9341450000000002"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
