"""EventBridge Scheduler adapter: a legal entity's sync schedules, and its migration off
the legacy EventBridge rules.

Every schedule of an entity lives in the stage's schedule group
(``SCHEDULE_GROUP_NAME``) and is named ``{entity prefix}{n}`` (see
``logic.schedule_rules.entity_rule_prefix``), so the entity's schedules are found by
``ListSchedules(GroupName=..., NamePrefix=...)`` and IAM is scoped to the group. Each
has one target, the scheduled-sync function, invoked through the role
``SCHEDULER_ROLE_ARN`` with a constant JSON input identifying the entity, a cron in
the entity's time zone (``ScheduleExpressionTimezone``: Scheduler follows DST) and a
flexible time window (``SCHEDULE_WINDOW_MINUTES``) that spreads the entities sharing
a time over the window instead of firing them all in the same second.

**Migration**: :meth:`SyncSchedules.apply` first creates (or updates) the entity's
schedules, then deletes its legacy EventBridge rules, so there is never a moment with
neither. If one of the old rules fires in the moment between, the second scheduled
sync is refused by the sync lease and recorded as skipped (coalesced): harmless.
:meth:`remove`, :meth:`disable` and :meth:`enable` act on both kinds, so an entity
not migrated yet behaves as before.

API calls (what 10,000 entities cost): a first PUT is one ``CreateSchedule`` per
schedule (usually one) when the caller says what existed before (``previous``) and
that no legacy rules exist (``legacy=False``); a DELETE with ``known`` names is one
``DeleteSchedule`` per schedule.
"""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws
from qbo_connector.adapters.eventbridge_rules import ScheduleRules
from qbo_connector.config import get_settings
from qbo_connector.logic.schedule_rules import (
    ScheduleRule,
    entity_rule_prefix,
    is_entity_rule_name,
)
from qbo_connector.models.faults import ScheduleQuotaExceeded, ScheduleRulesError

log = logging.getLogger("qbo-connector").getChild(__name__)

# Scheduler retries a failed invocation; a scheduled sync that could not start within
# 15 minutes is better skipped (the next one comes, webhooks fill in between).
RETRY_POLICY = {"MaximumEventAgeInSeconds": 900, "MaximumRetryAttempts": 2}
_PAGE = 100  # ListSchedules' MaxResults upper bound


@dataclass(frozen=True)
class ScheduleInfo:
    name: str
    schedule_expression: str
    timezone: str
    state: str  # ENABLED | DISABLED
    description: str
    kind: str = "scheduler"  # "scheduler", or "rule" for a legacy EventBridge rule


class SyncSchedules:
    """The project's sync schedules in one account and region (one group per stage)."""

    def __init__(
        self,
        client: Any | None = None,
        *,
        group: str | None = None,
        prefix: str | None = None,
        target_arn: str | None = None,
        role_arn: str | None = None,
        window_minutes: int | None = None,
        legacy_rules: ScheduleRules | None = None,
    ) -> None:
        settings = get_settings()
        self._client = client if client is not None else aws.client("scheduler")
        self._group = group if group is not None else settings.schedule_group_name
        self._prefix = prefix if prefix is not None else settings.schedule_rule_prefix
        self._target_arn = (
            target_arn if target_arn is not None else settings.scheduled_sync_function_arn
        )
        self._role_arn = role_arn if role_arn is not None else settings.scheduler_role_arn
        self._window = (
            window_minutes if window_minutes is not None else settings.schedule_window_minutes
        )
        self._legacy = legacy_rules if legacy_rules is not None else ScheduleRules()

    @property
    def group(self) -> str:
        return self._group

    # ------------------------------------------------------------ queries

    def entity_prefix(self, org_id: str, legal_entity_id: str) -> str:
        return entity_rule_prefix(self._prefix, org_id, legal_entity_id)

    def _names(self, org_id: str, legal_entity_id: str) -> builtins.list[str]:
        entity_prefix = self.entity_prefix(org_id, legal_entity_id)
        names: builtins.list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "GroupName": self._group,
                "NamePrefix": entity_prefix,
                "MaxResults": _PAGE,
            }
            if token:
                kwargs["NextToken"] = token
            page = self._client.list_schedules(**kwargs)
            names.extend(
                s["Name"]
                for s in page.get("Schedules", [])
                if is_entity_rule_name(s["Name"], entity_prefix)
            )
            token = page.get("NextToken")
            if not token:
                return sorted(names)

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.get_schedule(GroupName=self._group, Name=name))
        except ClientError as exc:
            if aws.error_code(exc) == "ResourceNotFoundException":
                return None
            raise

    # ------------------------------------------------------------ changes

    def _definition(
        self, org_id: str, legal_entity_id: str, rule: ScheduleRule, state: str
    ) -> dict[str, Any]:
        window: dict[str, Any] = (
            {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": self._window}
            if self._window > 0
            else {"Mode": "OFF"}
        )
        return {
            "GroupName": self._group,
            "Name": rule.name,
            "ScheduleExpression": rule.schedule_expression,
            "ScheduleExpressionTimezone": rule.timezone,
            "Description": rule.description,
            "State": state,
            "FlexibleTimeWindow": window,
            "Target": {
                "Arn": self._target_arn,
                "RoleArn": self._role_arn,
                "Input": json.dumps(
                    {"org_id": org_id, "legal_entity_id": legal_entity_id, "source": rule.source},
                    separators=(",", ":"),
                ),
                "RetryPolicy": dict(RETRY_POLICY),
            },
        }

    def apply(
        self,
        org_id: str,
        legal_entity_id: str,
        rules: Sequence[ScheduleRule],
        *,
        enabled: bool = True,
        previous: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> builtins.list[str]:
        """Make the entity's schedules exactly ``rules``, then delete its legacy rules.

        ``previous``: the schedule names stored by the last apply, when the caller
        knows them (``[]`` for a first schedule); ``None`` lists them. ``legacy=False``
        says the entity has no EventBridge rules left (migrated, or never had any).
        ``enabled=False`` stores the schedules disabled (the entity is disconnected).
        New schedules are created before anything is changed: on
        ``ServiceQuotaExceededException`` (or any error while creating) the ones this
        call created are deleted and :class:`ScheduleQuotaExceeded` is raised, with the
        old schedules and rules untouched. Returns the schedule names now in place.
        """
        if not self._target_arn or not self._role_arn:
            raise ScheduleRulesError(
                "SCHEDULED_SYNC_FUNCTION_ARN and SCHEDULER_ROLE_ARN must be configured"
            )
        entity_prefix = self.entity_prefix(org_id, legal_entity_id)
        for rule in rules:
            if not is_entity_rule_name(rule.name, entity_prefix):
                raise ValueError(
                    f"schedule {rule.name} does not belong to legal entity {legal_entity_id}"
                )
        existing = set(self._names(org_id, legal_entity_id) if previous is None else previous)
        state = "ENABLED" if enabled else "DISABLED"
        created: builtins.list[str] = []
        updates: builtins.list[ScheduleRule] = []
        try:
            for rule in rules:
                if rule.name in existing:
                    updates.append(rule)
                    continue
                try:
                    self._client.create_schedule(
                        **self._definition(org_id, legal_entity_id, rule, state)
                    )
                    created.append(rule.name)
                except ClientError as exc:
                    if aws.error_code(exc) != "ConflictException":
                        raise
                    updates.append(rule)  # there after all (a stale ``previous``)
        except ClientError as exc:
            self._rollback(created)
            if aws.error_code(exc) == "ServiceQuotaExceededException":
                raise ScheduleQuotaExceeded(legal_entity_id) from exc
            raise
        for rule in updates:
            self._client.update_schedule(**self._definition(org_id, legal_entity_id, rule, state))
        wanted = {rule.name for rule in rules}
        for name in sorted(existing - wanted):
            self._delete(name)
        if legacy:
            # Only now: the new schedules are in place, so something always fires.
            migrated = self._legacy.remove(org_id, legal_entity_id)
            if migrated:
                log.info(
                    "schedule migrated from EventBridge rules",
                    extra={"legal_entity_id": legal_entity_id, "rules_removed": migrated},
                )
        return sorted(wanted)

    def _rollback(self, created: builtins.list[str]) -> None:
        for name in created:
            try:
                self._delete(name)
            except ClientError:
                log.exception("schedule rollback: could not delete schedule %s", name)

    def _delete(self, name: str) -> bool:
        try:
            self._client.delete_schedule(GroupName=self._group, Name=name)
            return True
        except ClientError as exc:
            if aws.error_code(exc) == "ResourceNotFoundException":
                return False
            raise

    def remove(
        self,
        org_id: str,
        legal_entity_id: str,
        *,
        known: Iterable[str] | None = None,
        legacy: bool = True,
    ) -> int:
        """Delete the entity's schedules (and legacy rules). Returns how many went."""
        names = self._names(org_id, legal_entity_id) if known is None else list(known)
        removed = sum(1 for name in names if self._delete(name))
        if legacy:
            removed += self._legacy.remove(org_id, legal_entity_id)
        return removed

    def _set_state(self, org_id: str, legal_entity_id: str, state: str) -> int:
        count = 0
        for name in self._names(org_id, legal_entity_id):
            current = self._get(name)
            if current is None:
                continue
            # UpdateSchedule replaces the whole definition: send it back as it is.
            fields = (
                "GroupName",
                "Name",
                "ScheduleExpression",
                "ScheduleExpressionTimezone",
                "Description",
                "FlexibleTimeWindow",
                "Target",
            )
            definition = {k: current[k] for k in fields if current.get(k) is not None}
            self._client.update_schedule(**definition, State=state)
            count += 1
        return count

    def disable(self, org_id: str, legal_entity_id: str) -> int:
        """Stop the entity's schedules (and legacy rules) firing: disconnect."""
        return self._set_state(org_id, legal_entity_id, "DISABLED") + self._legacy.disable(
            org_id, legal_entity_id
        )

    def enable(self, org_id: str, legal_entity_id: str) -> int:
        """Let them fire again: reconnect."""
        return self._set_state(org_id, legal_entity_id, "ENABLED") + self._legacy.enable(
            org_id, legal_entity_id
        )

    def list(self, org_id: str, legal_entity_id: str) -> builtins.list[ScheduleInfo]:
        found: builtins.list[ScheduleInfo] = []
        for name in self._names(org_id, legal_entity_id):
            current = self._get(name)
            if current is None:
                continue
            found.append(
                ScheduleInfo(
                    name=name,
                    schedule_expression=str(current.get("ScheduleExpression", "")),
                    timezone=str(current.get("ScheduleExpressionTimezone", "UTC")),
                    state=str(current.get("State", "")),
                    description=str(current.get("Description", "")),
                )
            )
        found.extend(
            ScheduleInfo(
                name=r.name,
                schedule_expression=r.schedule_expression,
                timezone="UTC",
                state=r.state,
                description=r.description,
                kind="rule",
            )
            for r in self._legacy.list(org_id, legal_entity_id)
        )
        return found
