"""Pages per second: python -m qbo_sandbox.bench [--vendors 100000] [--pages 100]

Serves 1000-row Vendor pages from an embedded sandbox over real HTTP (keep-alive),
the way a full import pages through a large company.
"""

from __future__ import annotations

import argparse
import time

import requests

from .server import SandboxServer

REDIRECT = "http://localhost/callback"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qbo_sandbox.bench")
    parser.add_argument("--vendors", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args(argv)
    with SandboxServer(port=0) as server:
        sb = server.sandbox
        sb.set_limits(enabled=False)  # measure the sandbox, not Intuit's throttling
        sb.register_app([REDIRECT], "bench", "bench-secret")
        sb.create_user("bench", "bench")
        started = time.perf_counter()
        company = sb.create_company("1", "Bench Co", admins=["bench"], seed="empty",
                                    sizes={"Vendor": args.vendors})
        seeded = time.perf_counter() - started
        token = _token(server, company.realm_id)
        session = requests.Session()
        url = f"{server.base_url}/v3/company/{company.realm_id}/query"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        pages = rows = 0
        started = time.perf_counter()
        for n in range(args.pages):
            start = (n * 1000) % max(args.vendors, 1) + 1
            query = (f"SELECT * FROM Vendor ORDERBY Metadata.LastUpdatedTime "  # noqa: S608
                     f"STARTPOSITION {start} MAXRESULTS 1000")
            resp = session.get(url, params={"query": query, "minorversion": "75"},
                               headers=headers, timeout=60)
            resp.raise_for_status()
            rows += len(resp.json()["QueryResponse"].get("Vendor", []))
            pages += 1
        elapsed = time.perf_counter() - started
    print(f"seeded {args.vendors} vendors in {seeded:.1f} s")
    print(f"served {pages} pages ({rows} rows) in {elapsed:.2f} s: "
          f"{pages / elapsed:.1f} pages/s, {rows / elapsed:.0f} rows/s")
    return 0


def _token(server: SandboxServer, realm: str) -> str:
    """Mint a token through the real consent pages and token endpoint."""
    import re
    from urllib.parse import parse_qs, urlparse

    browser = requests.Session()
    base = server.base_url
    page = browser.get(base + "/connect/oauth2", params={
        "client_id": "bench", "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "com.intuit.quickbooks.accounting", "state": "bench"}, timeout=10)
    txn = re.search(r'name="txn" value="([^"]+)"', page.text)
    assert txn is not None
    browser.post(base + "/connect/oauth2/signin", data={
        "txn": txn.group(1), "username": "bench", "password": "bench", "action": "signin"},
        timeout=10)
    done = browser.post(base + "/connect/oauth2/consent", data={
        "txn": txn.group(1), "realmId": realm, "action": "next"}, allow_redirects=False,
        timeout=10)
    code = parse_qs(urlparse(done.headers["Location"]).query)["code"][0]
    tokens = requests.post(base + "/oauth2/v1/tokens/bearer", auth=("bench", "bench-secret"),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT}, timeout=10).json()
    return str(tokens["access_token"])


if __name__ == "__main__":
    raise SystemExit(main())
