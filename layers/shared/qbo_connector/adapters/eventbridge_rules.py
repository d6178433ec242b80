"""EventBridge adapter: materialize a legal entity's schedule rules (and nothing else).

Every rule of an entity is named ``{entity prefix}{n}`` (see
``logic.schedule_rules.entity_rule_prefix``), so the entity's rules are found by
``ListRules(NamePrefix=...)`` and IAM can be scoped to ``rule/{SCHEDULE_RULE_PREFIX}*``.
Each rule has exactly one target, the scheduled-sync function, with a constant
JSON input identifying the entity.
"""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws
from qbo_connector.config import get_settings
from qbo_connector.logic.schedule_rules import (
    ScheduleRule,
    entity_rule_prefix,
    is_entity_rule_name,
)
from qbo_connector.models.faults import ScheduleQuotaExceeded, ScheduleRulesError

# A child of the service logger, so lines come out as its structured JSON.
log = logging.getLogger("qbo-connector").getChild(__name__)

TARGET_ID = "scheduled-sync"
TAG_ORG = "qbo-connector:org"
TAG_LEGAL_ENTITY = "qbo-connector:legal-entity"


@dataclass(frozen=True)
class RuleInfo:
    name: str
    schedule_expression: str
    state: str  # ENABLED | DISABLED
    description: str


@dataclass(frozen=True)
class _Snapshot:
    """A rule as it was before this call changed it, to restore on rollback."""

    name: str
    expression: str
    state: str
    description: str
    targets: builtins.list[dict[str, Any]]


class ScheduleRules:
    """The project's schedule rules in one account and region."""

    def __init__(
        self,
        client: Any | None = None,
        prefix: str | None = None,
        target_arn: str | None = None,
    ) -> None:
        settings = get_settings()
        self._client = client if client is not None else aws.client("events")
        self._prefix = prefix if prefix is not None else settings.schedule_rule_prefix
        self._target_arn = (
            target_arn if target_arn is not None else settings.scheduled_sync_function_arn
        )

    # ------------------------------------------------------------ queries

    def entity_prefix(self, org_id: str, legal_entity_id: str) -> str:
        return entity_rule_prefix(self._prefix, org_id, legal_entity_id)

    def _rules(self, org_id: str, legal_entity_id: str) -> builtins.list[dict[str, Any]]:
        entity_prefix = self.entity_prefix(org_id, legal_entity_id)
        found: builtins.list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"NamePrefix": entity_prefix}
            if token:
                kwargs["NextToken"] = token
            page = self._client.list_rules(**kwargs)
            found.extend(
                r for r in page.get("Rules", []) if is_entity_rule_name(r["Name"], entity_prefix)
            )
            token = page.get("NextToken")
            if not token:
                return sorted(found, key=lambda r: str(r["Name"]))

    def _targets(self, name: str) -> builtins.list[dict[str, Any]]:
        targets: builtins.list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Rule": name}
            if token:
                kwargs["NextToken"] = token
            page = self._client.list_targets_by_rule(**kwargs)
            targets.extend(page.get("Targets", []))
            token = page.get("NextToken")
            if not token:
                return targets

    # ------------------------------------------------------------ changes

    def _target_input(self, org_id: str, legal_entity_id: str, rule: ScheduleRule) -> str:
        return json.dumps(
            {"org_id": org_id, "legal_entity_id": legal_entity_id, "source": rule.source},
            separators=(",", ":"),
        )

    def _tags(self, org_id: str, legal_entity_id: str) -> builtins.list[dict[str, str]]:
        return [
            {"Key": TAG_ORG, "Value": org_id},
            {"Key": TAG_LEGAL_ENTITY, "Value": legal_entity_id},
        ]

    def apply(
        self,
        org_id: str,
        legal_entity_id: str,
        rules: Sequence[ScheduleRule],
        *,
        enabled: bool = True,
    ) -> builtins.list[str]:
        """Make the entity's rules exactly ``rules`` (puts, retargets, deletes the rest).

        ``enabled=False`` stores them disabled (the entity is disconnected). On
        ``LimitExceededException`` every rule this call created is deleted and every
        rule it changed is restored, then :class:`ScheduleQuotaExceeded` is raised.
        Returns the rule names now in place.
        """
        if not self._target_arn:
            raise ScheduleRulesError("SCHEDULED_SYNC_FUNCTION_ARN is not configured")
        entity_prefix = self.entity_prefix(org_id, legal_entity_id)
        for rule in rules:
            if not is_entity_rule_name(rule.name, entity_prefix):
                raise ValueError(
                    f"rule {rule.name} does not belong to legal entity {legal_entity_id}"
                )
        existing = {r["Name"]: r for r in self._rules(org_id, legal_entity_id)}
        state = "ENABLED" if enabled else "DISABLED"
        tags = self._tags(org_id, legal_entity_id)

        created: builtins.list[str] = []
        changed: builtins.list[_Snapshot] = []
        try:
            for rule in rules:
                before = existing.get(rule.name)
                if before is not None:
                    changed.append(
                        _Snapshot(
                            name=rule.name,
                            expression=str(before.get("ScheduleExpression", "")),
                            state=str(before.get("State", "ENABLED")),
                            description=str(before.get("Description", "")),
                            targets=self._targets(rule.name),
                        )
                    )
                response = self._client.put_rule(
                    Name=rule.name,
                    ScheduleExpression=rule.schedule_expression,
                    State=state,
                    Description=rule.description,
                    Tags=tags,
                )
                if before is None:
                    created.append(rule.name)
                else:
                    # PutRule ignores Tags on an existing rule; keep them current.
                    self._client.tag_resource(ResourceARN=response["RuleArn"], Tags=tags)
                result = self._client.put_targets(
                    Rule=rule.name,
                    Targets=[
                        {
                            "Id": TARGET_ID,
                            "Arn": self._target_arn,
                            "Input": self._target_input(org_id, legal_entity_id, rule),
                        }
                    ],
                )
                if result.get("FailedEntryCount"):
                    raise ScheduleRulesError(
                        f"EventBridge refused the target of rule {rule.name}: "
                        f"{result.get('FailedEntries')}"
                    )
        except ClientError as exc:
            self._rollback(created, changed)
            if aws.error_code(exc) == "LimitExceededException":
                raise ScheduleQuotaExceeded(legal_entity_id) from exc
            raise
        except ScheduleRulesError:
            self._rollback(created, changed)
            raise

        wanted = {rule.name for rule in rules}
        for name in sorted(set(existing) - wanted):
            self._delete(name)
        return sorted(wanted)

    def _rollback(self, created: builtins.list[str], changed: builtins.list[_Snapshot]) -> None:
        # Best effort: a failure here is logged, the original error is what the caller sees.
        for name in created:
            try:
                self._delete(name)
            except ClientError:
                log.exception("schedule rollback: could not delete rule %s", name)
        for snap in changed:
            try:
                self._client.put_rule(
                    Name=snap.name,
                    ScheduleExpression=snap.expression,
                    State=snap.state,
                    Description=snap.description,
                )
                current = [t["Id"] for t in self._targets(snap.name)]
                stale = [i for i in current if i not in {t["Id"] for t in snap.targets}]
                if stale:
                    self._client.remove_targets(Rule=snap.name, Ids=stale)
                if snap.targets:
                    self._client.put_targets(Rule=snap.name, Targets=snap.targets)
            except ClientError:
                log.exception("schedule rollback: could not restore rule %s", snap.name)

    def _delete(self, name: str) -> None:
        # A rule with targets cannot be deleted: targets first. Our rules have exactly
        # our one target, so remove it by id (one call, not two); if someone added
        # another target by hand, DeleteRule refuses and we remove whatever is listed.
        self._client.remove_targets(Rule=name, Ids=[TARGET_ID])
        try:
            self._client.delete_rule(Name=name)
        except ClientError as exc:
            if aws.error_code(exc) != "ValidationException":
                raise
            ids = [t["Id"] for t in self._targets(name)]
            if ids:
                self._client.remove_targets(Rule=name, Ids=ids)
            self._client.delete_rule(Name=name)

    def remove(self, org_id: str, legal_entity_id: str) -> int:
        """Delete all the entity's rules (targets first). Returns how many were deleted."""
        names = [r["Name"] for r in self._rules(org_id, legal_entity_id)]
        for name in names:
            self._delete(name)
        return len(names)

    def disable(self, org_id: str, legal_entity_id: str) -> int:
        """Stop the entity's rules firing (disconnect) but keep them for :meth:`enable`."""
        rules = self._rules(org_id, legal_entity_id)
        for rule in rules:
            self._client.disable_rule(Name=rule["Name"])
        return len(rules)

    def enable(self, org_id: str, legal_entity_id: str) -> int:
        """Let the entity's rules fire again (reconnect)."""
        rules = self._rules(org_id, legal_entity_id)
        for rule in rules:
            self._client.enable_rule(Name=rule["Name"])
        return len(rules)

    def list(self, org_id: str, legal_entity_id: str) -> builtins.list[RuleInfo]:
        return [
            RuleInfo(
                name=str(r["Name"]),
                schedule_expression=str(r.get("ScheduleExpression", "")),
                state=str(r.get("State", "")),
                description=str(r.get("Description", "")),
            )
            for r in self._rules(org_id, legal_entity_id)
        ]


# Module-level conveniences bound to the process's client and settings.


def apply(
    org_id: str, legal_entity_id: str, rules: Sequence[ScheduleRule], *, enabled: bool = True
) -> builtins.list[str]:
    return ScheduleRules().apply(org_id, legal_entity_id, rules, enabled=enabled)


def remove(org_id: str, legal_entity_id: str) -> int:
    return ScheduleRules().remove(org_id, legal_entity_id)


def disable(org_id: str, legal_entity_id: str) -> int:
    return ScheduleRules().disable(org_id, legal_entity_id)


def enable(org_id: str, legal_entity_id: str) -> int:
    return ScheduleRules().enable(org_id, legal_entity_id)


def list_rules(org_id: str, legal_entity_id: str) -> builtins.list[RuleInfo]:
    return ScheduleRules().list(org_id, legal_entity_id)


# The brief's name for it; `builtins.list` is used above so the shadowing is harmless.
list = list_rules
