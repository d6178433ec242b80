"""Rate limits on the sandbox clock, fault injection, and call counting."""

from __future__ import annotations

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError

from qbo_sandbox import SandboxServer

from .helpers import REALM, api

THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="')


def ping(server: SandboxServer, token: str) -> requests.Response:
    return api(server, token, "GET", "query", params={"query": "select * from Term"})


def assert_throttled(resp: requests.Response) -> None:
    assert resp.status_code == 429
    assert resp.headers["Content-Type"].startswith("application/xml")
    assert resp.headers["intuit_tid"]
    text = resp.text
    assert text.startswith(THROTTLE_XML)
    assert '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; ' \
           "errorCode=003001; statusCode=429</Message><Detail>" in text
    assert text.endswith("</Detail></Error></Fault></IntuitResponse>")


def test_ten_per_second(server: SandboxServer, connected: AuthClient) -> None:
    sb = server.sandbox
    sb.freeze_clock(sb.clock.now())  # every request lands in the same instant
    for _ in range(10):
        assert ping(server, connected.access_token).status_code == 200
    assert_throttled(ping(server, connected.access_token))
    sb.advance_clock(1.0)
    assert ping(server, connected.access_token).status_code == 200


def test_five_hundred_per_minute(server: SandboxServer, connected: AuthClient) -> None:
    sb = server.sandbox
    sb.freeze_clock(sb.clock.now())
    session = requests.Session()  # keep-alive: 500 calls stay quick
    url = f"{server.base_url}/v3/company/{REALM}/query"
    headers = {"Authorization": f"Bearer {connected.access_token}"}
    params = {"query": "select * from Term", "minorversion": "75"}
    for _ in range(500):
        sb.advance_clock(0.11)  # under 10/s, and 500 calls within 55 s
        assert session.get(url, headers=headers, params=params, timeout=5).status_code == 200
    sb.advance_clock(0.11)
    resp = session.get(url, headers=headers, params=params, timeout=5)
    assert_throttled(resp)
    assert "per-minute" in resp.text
    sb.advance_clock(60)
    assert ping(server, connected.access_token).status_code == 200


def test_five_hundred_per_minute_lowered(server: SandboxServer, connected: AuthClient) -> None:
    server.sandbox.set_limits(per_minute=5, per_second=100)
    for _ in range(5):
        assert ping(server, connected.access_token).status_code == 200
    resp = ping(server, connected.access_token)
    assert_throttled(resp)
    assert "per-minute" in resp.text


def test_forty_batches_per_minute(server: SandboxServer, connected: AuthClient) -> None:
    sb = server.sandbox
    sb.freeze_clock(sb.clock.now())
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Term"}]}
    for _ in range(40):
        sb.advance_clock(0.2)
        resp = api(server, connected.access_token, "POST", "batch", json=batch)
        assert resp.status_code == 200
    sb.advance_clock(0.2)
    assert_throttled(api(server, connected.access_token, "POST", "batch", json=batch))
    # Ordinary calls still pass: only the batch window is full.
    assert ping(server, connected.access_token).status_code == 200


def test_limits_can_be_switched_off_over_http(server: SandboxServer,
                                              connected: AuthClient) -> None:
    resp = requests.put(server.base_url + "/_sandbox/limits", json={"enabled": False}, timeout=5)
    assert resp.json()["enabled"] is False
    server.sandbox.freeze_clock(server.sandbox.clock.now())
    assert all(ping(server, connected.access_token).status_code == 200 for _ in range(25))


def test_injected_429_500_503(server: SandboxServer, connected: AuthClient) -> None:
    server.sandbox.set_limits(enabled=False)
    admin = server.base_url + "/_sandbox/faults"
    requests.post(admin, json={"kind": "429", "count": 2, "realm": REALM}, timeout=5)
    assert_throttled(ping(server, connected.access_token))
    assert_throttled(ping(server, connected.access_token))
    assert ping(server, connected.access_token).status_code == 200

    requests.post(admin, json={"kind": "500", "realm": REALM}, timeout=5)
    resp = ping(server, connected.access_token)
    assert resp.status_code == 500
    assert resp.json()["Fault"]["type"] == "SystemFault"
    assert resp.json()["Fault"]["Error"][0]["code"] == "10000"

    requests.post(admin, json={"kind": "503", "realm": REALM}, timeout=5)
    resp = ping(server, connected.access_token)
    assert resp.status_code == 503
    assert resp.headers["intuit_tid"]

    # A fault for another path leaves this one alone.
    requests.post(admin, json={"kind": "500", "path": "*/bill"}, timeout=5)
    assert ping(server, connected.access_token).status_code == 200
    assert requests.get(admin, timeout=5).json()["faults"][0]["path"] == "*/bill"
    requests.delete(admin, timeout=5)
    assert requests.get(admin, timeout=5).json()["faults"] == []


def test_injected_delay_times_the_client_out(server: SandboxServer,
                                             connected: AuthClient) -> None:
    server.sandbox.inject_fault("delay", seconds=1.0, realm=REALM)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{server.base_url}/v3/company/{REALM}/preferences", timeout=0.2,
                     headers={"Authorization": f"Bearer {connected.access_token}"})


def test_injected_connection_reset(server: SandboxServer, connected: AuthClient) -> None:
    server.sandbox.inject_fault("reset", realm=REALM)
    with pytest.raises(requests.exceptions.ConnectionError):
        ping(server, connected.access_token)
    assert ping(server, connected.access_token).status_code == 200


def test_commit_then_fail_and_requestid_retry(server: SandboxServer,
                                              connected: AuthClient) -> None:
    sb = server.sandbox
    company = sb.company(REALM)
    vendor = next(i for i, v in company.objects["Vendor"].items()
                  if v["DisplayName"] == "Hicks Hardware")
    account = next(i for i, a in company.objects["Account"].items() if a["Name"] == "Supplies")
    body = {"VendorRef": {"value": vendor}, "DocNumber": "CTF-1",
            "Line": [{"Amount": 9.5, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account}}}]}
    before = len(company.objects["Bill"])
    sb.inject_fault("commit_then_fail", realm=REALM, path="*/bill", method="POST")
    lost = api(server, connected.access_token, "POST", "bill", json=body,
               params={"requestid": "ctf-1"})
    assert lost.status_code == 500
    assert len(company.objects["Bill"]) == before + 1  # the write happened
    retry = api(server, connected.access_token, "POST", "bill", json=body,
                params={"requestid": "ctf-1"})
    assert retry.status_code == 200
    assert retry.json()["Bill"]["DocNumber"] == "CTF-1"
    assert len(company.objects["Bill"]) == before + 1  # and only once


def test_fault_on_token_endpoint(server: SandboxServer, connected: AuthClient) -> None:
    server.sandbox.inject_fault("503", path="/oauth2/v1/tokens/bearer")
    with pytest.raises(AuthClientError) as err:
        connected.refresh()
    assert err.value.status_code == 503
    connected.refresh()


def test_call_counts_per_realm(server: SandboxServer, connected: AuthClient) -> None:
    sb = server.sandbox
    requests.delete(server.base_url + "/_sandbox/calls", timeout=5)
    for _ in range(3):
        ping(server, connected.access_token)
    api(server, connected.access_token, "GET", "preferences")
    assert sb.call_count(REALM) == 4
    assert sb.call_count(REALM, "GET query") == 3
    snap = requests.get(server.base_url + "/_sandbox/calls", params={"realm": REALM},
                        timeout=5).json()
    assert snap["realms"][REALM]["total"] == 4
    assert snap["realms"][REALM]["by_endpoint"] == {"GET query": 3, "GET preferences": 1}
    assert all("?" not in c["path"] for c in snap["recent"])
