"""What template.yaml grants, checked against what the code calls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from local_stack.template import Template

ROOT = Path(__file__).resolve().parents[2]
RULE_ARN = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/${SchedulePrefix}*"


def _statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found.extend(policy["Statement"])
    return found


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _resource(statement: dict[str, Any]) -> Any:
    resource = statement["Resource"]
    return resource.get("Fn::Sub", resource) if isinstance(resource, dict) else resource


def _events_calls() -> set[str]:
    source = (ROOT / "layers/shared/qbo_connector/adapters/schedule_rules.py").read_text()
    names = set(re.findall(r"_client\.([a-z_]+)\(", source))
    return {"events:" + "".join(part.title() for part in n.split("_")) for n in names}


def test_schedule_managers_get_exactly_the_events_actions_the_adapter_calls():
    template = Template(ROOT / "template.yaml")
    used = _events_calls()
    assert "events:PutRule" in used and "events:ListRules" in used
    for name in ("EntityApiFunction", "OpsFunction"):
        granted: set[str] = set()
        for statement in _statements(template.resources[name]):
            actions = {a for a in _actions(statement) if a.startswith("events:")}
            if not actions:
                continue
            if actions == {"events:ListRules"}:
                assert _resource(statement) == "*"  # ListRules has no resource-level scope
            else:
                assert _resource(statement) == RULE_ARN, name
            granted |= actions
        assert granted == used, (name, granted ^ used)


def test_no_function_gets_wildcard_actions():
    template = Template(ROOT / "template.yaml")
    for name, resource in template.resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for statement in _statements(resource):
            assert not any(a.endswith(":*") or a == "*" for a in _actions(statement)), name


def test_eventbridge_may_invoke_only_the_scheduled_sync_function_from_project_rules():
    template = Template(ROOT / "template.yaml")
    permissions = [r for r in template.resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    events = [p for p in permissions if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert len(events) == 1
    props = events[0]["Properties"]
    assert props["FunctionName"] == {"Ref": "ScheduledSyncFunction"}
    assert _resource({"Resource": props["SourceArn"]}) == RULE_ARN
