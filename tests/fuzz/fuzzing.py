"""What the fuzz suite shares: the tenant it fuzzes, the contract every answer keeps,
the Hypothesis settings and the tally the summary prints."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from typing import Any

import hypothesis
import requests
from hypothesis import HealthCheck
from jsonschema import Draft202012Validator

from qbo_connector.api.routes.catalog import ERROR_SCHEMA
from tests.flows import claims_for, connected_tenant

# Cases per operation (or per body test); FUZZ_EXAMPLES=500 FUZZ_SEED=random explores
# further than CI does. CI runs one fixed seed, so a red run is reproducible.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SEED = os.environ.get("FUZZ_SEED", "20261202")
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=SEED != "random",
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

ROLES = ["root_admin", "branch_admin", "clerk", "service", "stranger", "anonymous"]
PAGE_PATHS = {"/oauth/launch", "/oauth/callback"}
GATEWAY_401 = {"message": "Unauthorized"}
# The error contract as the OpenAPI document publishes it (one statement of it).
ERROR_CONTRACT = Draft202012Validator(ERROR_SCHEMA)

# What the suite saw; conftest.py prints it after the run.
TALLY: Counter[str] = Counter()


class Tenant:
    """The fuzz organization: one legal entity connected to a sandbox company, with a
    sync profile and its first sync done, and a real token for each role."""

    def __init__(self, stack: Any) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.gateway_url: str = stack.gateway_url
        self.org = f"org-fuzz-{suffix}"
        self.legal_entity_id = f"le-fuzz-{suffix}"
        realm = str(9130360000000000 + int(suffix[:7], 16))
        connected_tenant(
            stack, self.org, self.legal_entity_id, realm, name="Fuzz Co", user=f"fuzz-{suffix}"
        )
        self.tokens = {
            role: stack.mint_token(**claims_for(role, self.org))
            for role in ROLES
            if role != "anonymous"
        }

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def request(self, method: str, path: str, role: str, **kwargs: Any) -> requests.Response:
        url = self.gateway_url + path.format(id=self.legal_entity_id)
        return requests.request(method, url, headers=self.headers(role), timeout=30, **kwargs)


def contract_violation(path: str, status: int, content_type: str, text: str) -> str | None:
    """Why an answer breaks the error contract, or None when it keeps it.

    Never a 5xx; never a stack trace; a 4xx from our functions is JSON
    `{"error": {"code", "message", "field"?, "details"?}}` (non-empty strings, `details`
    an object) and nothing else; the popup's pages answer HTML; the gateway's own 401 is
    `{"message": "Unauthorized"}`.
    """
    TALLY["answers"] += 1
    TALLY[f"{status // 100}xx"] += 1
    problem = _violation(path, status, content_type, text)
    if problem:
        TALLY["violations"] += 1
    return problem


def _violation(path: str, status: int, content_type: str, text: str) -> str | None:
    if status >= 500:
        return f"{status} (a 5xx is a bug)"
    if "Traceback" in text:
        return "a stack trace in the body"
    if status < 400:
        return None
    if path in PAGE_PATHS:
        return None if content_type.startswith("text/html") else f"page answered {content_type!r}"
    try:
        body = json.loads(text)
    except ValueError:
        return f"error body is not JSON: {text[:200]!r}"
    if status == 401 and body == GATEWAY_401:
        return None
    problem = next(iter(ERROR_CONTRACT.iter_errors(body)), None)
    if problem is not None:
        return f"error body breaks the contract ({problem.message}): {body!r}"
    return None
