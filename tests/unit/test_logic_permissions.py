"""logic/permissions.py and the permission matrix as the services apply it.

Callers: a System Administrator whose home org unit is the root (root_admin), one whose
home org unit is not (branch_admin), an AP clerk (even with the root as home), the AP
platform's service identity, and a root System Administrator of another organization
(stranger), who must not learn that the entity exists. The same matrix runs through the
whole stack in tests/e2e/test_permissions.py; here it runs on fakes in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qbo_connector.logic.connection import ConnectionService
from qbo_connector.logic.permissions import require_root_admin, require_same_org, require_service
from qbo_connector.logic.sync_schedule_service import SyncScheduleService
from qbo_connector.logic.sync_service import SyncService
from qbo_connector.models.caller import SERVICE, SYSTEM_ADMINISTRATOR, Caller
from qbo_connector.models.errors import DomainError, Forbidden, NotFound
from tests.unit.fakes import (
    CALLERS,
    LE,
    ORG,
    OTHER_ORG,
    Attempts,
    Clock,
    Companies,
    Entities,
    OAuth,
    Runs,
    ScheduleRules,
    SyncQueue,
    Vault,
    bill_service,
    branch_admin,
    clerk,
    entity,
    root_admin,
    service,
    stranger,
)

# -- the three rules ----------------------------------------------------------------------------


def caller(role: str, root: bool, org: str = ORG) -> Caller:
    return Caller("u", org, role, "ou", root)


@pytest.mark.parametrize(
    ("role", "root", "code"),
    [
        (SYSTEM_ADMINISTRATOR, True, None),
        (SYSTEM_ADMINISTRATOR, False, "root_org_unit_required"),
        ("APClerk", True, "role_required"),
        ("APClerk", False, "role_required"),
        (SERVICE, True, "role_required"),
        (SERVICE, False, "role_required"),
        ("", True, "role_required"),
        # Roles are exact: a differently spelt role is not the administrator role.
        ("systemadministrator", True, "role_required"),
        ("SystemAdministrator ", True, "role_required"),
    ],
)
def test_require_root_admin(role: str, root: bool, code: str | None) -> None:
    if code is None:
        require_root_admin(caller(role, root))
        return
    with pytest.raises(Forbidden) as raised:
        require_root_admin(caller(role, root))
    assert raised.value.status == 403
    assert raised.value.code == code


def test_role_is_checked_before_the_home_org_unit() -> None:
    # A clerk away from the root is told about the role, the one thing that would help.
    with pytest.raises(Forbidden) as raised:
        require_root_admin(caller("APClerk", False))
    assert raised.value.code == "role_required"
    assert "System Administrator" in raised.value.message


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(SERVICE, True), (SYSTEM_ADMINISTRATOR, False), ("APClerk", False), ("service", False)],
)
def test_require_service(role: str, allowed: bool) -> None:
    for root in (True, False):
        if allowed:
            require_service(caller(role, root))
            continue
        with pytest.raises(Forbidden) as raised:
            require_service(caller(role, root))
        assert raised.value.code == "service_identity_required"


def test_require_same_org_hides_another_tenant_as_not_found() -> None:
    require_same_org(root_admin(ORG), ORG)
    with pytest.raises(NotFound) as raised:
        require_same_org(root_admin(ORG), OTHER_ORG)
    assert raised.value.status == 404
    assert raised.value.code == "legal_entity_not_found"


# -- the matrix through the services --------------------------------------------------------------


SCHEDULE = {"kind": "interval", "every_hours": 6, "timezone": "UTC"}
STORED_SCHEDULE = {**SCHEDULE, "anchor_minute": 0}


class World:
    """Every service that applies a permission, over one set of fakes."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.entities = Entities(entity(sync_schedule=STORED_SCHEDULE))
        self.rules = ScheduleRules()
        self.connections = ConnectionService(
            entities=self.entities,
            attempts=Attempts(),
            vault=Vault(),
            oauth=OAuth,
            companies=Companies(),
            schedules=self.rules,
            state_ttl_seconds=600,
            launch_url="https://api.example/oauth/launch",
            clock=self.clock,
        )
        self.syncs = SyncService(self.entities, Runs(), SyncQueue(), clock=self.clock)
        self.schedules = SyncScheduleService(
            self.entities, self.connections, self.rules, "qbo-", clock=self.clock
        )
        self.bills = bill_service(clock=self.clock)


Operation = Callable[[World, Caller, str], Any]


def _submit_bill(w: World, c: Caller, le: str) -> Any:
    # What POST /legal-entities/{id}/bills does (api/routes/bills.py), on the services.
    require_service(c)
    return w.bills.list_page(w.connections.entity_for(c, le), None, 10, None)


EVERYONE = {"root_admin", "branch_admin", "clerk", "service"}
ADMIN = {"root_admin"}

# operation, who of the organization may do it (the others get 403; the stranger 404)
MATRIX: list[tuple[str, Operation, set[str]]] = [
    ("connection status", lambda w, c, le: w.connections.status(c, le), EVERYONE),
    ("connect", lambda w, c, le: w.connections.start(c, le), ADMIN),
    ("disconnect", lambda w, c, le: w.connections.disconnect(c, le), ADMIN),
    ("start sync", lambda w, c, le: w.syncs.request_sync(c, le, {}), ADMIN),
    ("sync history", lambda w, c, le: w.syncs.history(c, le), EVERYONE),
    ("put schedule", lambda w, c, le: w.schedules.put(c, le, SCHEDULE), ADMIN),
    ("show schedule", lambda w, c, le: w.schedules.show(c, le), EVERYONE),
    ("delete schedule", lambda w, c, le: w.schedules.delete(c, le), ADMIN),
    ("submit bill", _submit_bill, {"service"}),
    (
        "list bills",
        lambda w, c, le: w.bills.list_page(w.connections.entity_for(c, le), None, 10, None),
        EVERYONE,
    ),
]

CASES = [
    pytest.param(op, who, allowed, id=f"{name}-{who}")
    for name, op, allowed in MATRIX
    for who in CALLERS
]


@pytest.mark.parametrize(("operation", "who", "allowed"), CASES)
def test_permission_matrix(operation: Operation, who: str, allowed: set[str]) -> None:
    world = World()
    before = world.entities.get(ORG, LE)
    # The stranger: whom the operation would admit, but of another organization.
    c = CALLERS[min(allowed)](OTHER_ORG) if who == "stranger" else CALLERS[who]()
    if who == "stranger":
        with pytest.raises(NotFound) as not_found:
            operation(world, c, LE)
        assert not_found.value.code == "legal_entity_not_found"
        # ...and nothing of the other organization's entity changed.
        assert world.entities.get(ORG, LE) == before
        return
    if who in allowed:
        operation(world, c, LE)  # no DomainError
        return
    with pytest.raises(Forbidden) as raised:
        operation(world, c, LE)
    expected = {
        "branch_admin": "root_org_unit_required",
        "clerk": "role_required",
        "service": "role_required",
        "root_admin": "service_identity_required",
    }
    if operation is _submit_bill:
        assert raised.value.code == "service_identity_required"
    else:
        assert raised.value.code == expected[who]


@pytest.mark.parametrize("who", ["branch_admin", "clerk", "service"])
@pytest.mark.parametrize(
    "operation",
    [op for name, op, allowed in MATRIX if allowed == ADMIN],
)
def test_a_refusal_does_not_reveal_whether_the_entity_exists(
    operation: Operation, who: str
) -> None:
    """A caller who may not act gets the same answer for an entity that exists and one
    that does not: no oracle for entity ids."""
    answers = []
    for le in (LE, "no-such-entity"):
        with pytest.raises(DomainError) as raised:
            operation(World(), CALLERS[who](), le)
        answers.append((raised.value.status, raised.value.code, raised.value.message))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403


@pytest.mark.parametrize(
    "make", [root_admin, branch_admin, clerk, service], ids=lambda f: f.__name__
)
def test_a_missing_entity_is_404_for_readers(make: Callable[[], Caller]) -> None:
    with pytest.raises(NotFound) as raised:
        World().connections.status(make(), "no-such-entity")
    assert raised.value.code == "legal_entity_not_found"


def test_another_organization_reads_its_own_entity_of_the_same_id() -> None:
    # Isolation is by organization, not by id: the stranger reads their own entity.
    world = World()
    world.entities.put(entity(org_id=OTHER_ORG, realm_id="9130350000000999", data_realm_id=None))
    assert world.connections.status(stranger(), LE)["realm_id"] == "9130350000000999"
    assert world.connections.status(root_admin(), LE)["realm_id"] != "9130350000000999"
