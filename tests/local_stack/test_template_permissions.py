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
    source = (ROOT / "layers/shared/qbo_connector/adapters/eventbridge_rules.py").read_text()
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


SCHEDULE_ARN = (
    "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:"
    "schedule/${SyncScheduleGroup}/*"
)


def _scheduler_calls() -> set[str]:
    source = (ROOT / "layers/shared/qbo_connector/adapters/sync_schedules.py").read_text()
    names = set(re.findall(r"_client\.([a-z_]+)\(", source))
    return {"scheduler:" + "".join(part.title() for part in n.split("_")) for n in names}


def _scheduler_grants(function: dict[str, Any]) -> tuple[set[str], list[dict[str, Any]]]:
    granted: set[str] = set()
    passes: list[dict[str, Any]] = []
    for statement in _statements(function):
        actions = _actions(statement)
        if "iam:PassRole" in actions:
            passes.append(statement)
        actions = {a for a in actions if a.startswith("scheduler:")}
        if not actions:
            continue
        if actions == {"scheduler:ListSchedules"}:
            assert _resource(statement) == "*"  # no resource-level scope
        else:
            assert _resource(statement) == SCHEDULE_ARN  # the stage's group only
        granted |= actions
    return granted, passes


def test_schedule_managers_get_exactly_the_scheduler_actions_and_pass_only_its_role():
    template = Template(ROOT / "template.yaml")
    used = _scheduler_calls()
    assert used == {
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
        "scheduler:ListSchedules",
    }
    for name in ("EntityApiFunction", "OpsFunction"):
        granted, passes = _scheduler_grants(template.resources[name])
        assert granted == used, (name, granted ^ used)
        (passing,) = passes
        assert passing["Resource"] == {"Fn::GetAtt": ["SchedulerInvokeRole", "Arn"]}
        assert passing["Condition"] == {
            "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
        }
    # Reconnect only resumes; a legacy recompute only migrates (and removes orphans).
    reconnect, _ = _scheduler_grants(template.resources["OAuthCallbackFunction"])
    assert reconnect == {
        "scheduler:GetSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:ListSchedules",
    }
    recompute, _ = _scheduler_grants(template.resources["ScheduledSyncFunction"])
    assert recompute == used - {"scheduler:GetSchedule"}
    for name, resource in template.resources.items():
        if resource["Type"] == "AWS::Serverless::Function" and name not in {
            "EntityApiFunction",
            "OpsFunction",
            "OAuthCallbackFunction",
            "ScheduledSyncFunction",
        }:
            assert _scheduler_grants(resource) == (set(), []), name


def test_the_scheduler_role_may_only_invoke_the_scheduled_sync_function():
    template = Template(ROOT / "template.yaml")
    role = template.resources["SchedulerInvokeRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert _resource({"Resource": trust["Condition"]["ArnLike"]["aws:SourceArn"]}) == SCHEDULE_ARN
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    policies = [
        r["Properties"]
        for r in template.resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        and {"Ref": "SchedulerInvokeRole"} in r["Properties"]["Roles"]
    ]
    (policy,) = policies
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["ScheduledSyncFunction", "Arn"]}


def test_the_sync_worker_fan_out_is_bounded():
    template = Template(ROOT / "template.yaml")
    worker = template.resources["SyncWorkerFunction"]["Properties"]
    (queue,) = worker["Events"].values()
    assert queue["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "SyncWorkerMaximumConcurrency"}
    }
    assert int(template.parameter_defaults()["SyncWorkerMaximumConcurrency"]) >= 2
