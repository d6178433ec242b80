"""Several worker processes refreshing one entity at once: one refresh at Intuit,
everyone ends with the same newest tokens, nobody hits invalid_grant."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from local_stack.bootstrap import template_resources
from qbo_connector.adapters.token_vault import TokenVault

ROOT = Path(__file__).resolve().parents[2]
ORG, LE = "org-procs", "le-procs"
WORKERS = 6

WORKER = """
import os, sys, time
sys.path[:0] = [os.environ["LAYER"]]
from qbo_connector.adapters.intuit_oauth import IntuitOAuth
from qbo_connector.adapters.qbo_auth import TokenManager
from qbo_connector.adapters.refresh_lock import RefreshLock
from qbo_connector.adapters.token_vault import TokenVault

oauth = IntuitOAuth(os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"],
                    os.environ["REDIRECT_URI"], os.environ["DISCOVERY_URL"])
lock = RefreshLock()
manager = TokenManager(os.environ["ORG"], os.environ["LE"], vault=TokenVault(), oauth=oauth,
                       refresh_guard=lambda: lock.hold(os.environ["ORG"], os.environ["LE"]))
manager.access_token()  # loaded, like a warm worker holding the old tokens
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
print("ACCESS", manager.force_refresh(os.environ["REJECTED"]))
"""


def test_concurrent_workers_refresh_once_under_the_lease(qbo: Any, aws_env: dict[str, str]):
    resources = template_resources(aws_env["endpoint"])
    os.environ["LEGAL_ENTITIES_TABLE"] = resources["LEGAL_ENTITIES_TABLE"]
    vault = TokenVault()
    tokens = qbo.connect()
    vault.save(ORG, LE, tokens)
    qbo.sandbox.advance_clock(86400 + 60)  # the next refresh rotates; the old one dies

    env = {
        **os.environ,
        "LAYER": str(ROOT / "layers" / "shared"),
        "CLIENT_ID": qbo.client_id,
        "CLIENT_SECRET": qbo.client_secret,
        "REDIRECT_URI": "http://localhost:8000/oauth/callback",
        "DISCOVERY_URL": qbo.server.discovery_url,
        "ORG": ORG,
        "LE": LE,
        "REJECTED": tokens.access_token,
        "START_AT": str(time.time() + 8),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in outputs]
    handed_out = {
        line.split()[1]
        for out, _ in outputs
        for line in out.splitlines()
        if line.startswith("ACCESS ")
    }
    stored = vault.load(ORG, LE)
    assert stored is not None and stored.refresh_token != tokens.refresh_token
    assert handed_out == {stored.access_token}  # everyone uses the newest tokens
    # Exactly one refresh reached Intuit: the others waited for the lease and adopted it.
    assert qbo.sandbox.call_count("oauth", "POST token:refresh_token") == 1
    # The stored refresh token is the live one at Intuit.
    assert qbo.oauth.refresh(stored.refresh_token, qbo.realm_id).refresh_token
