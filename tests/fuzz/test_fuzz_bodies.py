"""Near-valid bodies: one field of a good request made wrong, many ways.

The OpenAPI document describes the bodies loosely (objects), so schemathesis rarely
gets past their first check. Here Hypothesis starts from the sample events' good
bill, schedule and sync bodies, replaces or drops one field (top level or inside a line
or the PDF) with a value drawn from what a careless or hostile caller sends (wrong
types, huge and tiny numbers, exponents, 29-digit amounts, control and bidi characters,
dates out of range, nested junk), and checks the answer: accepted, or 400 naming a field
of the body in the error contract; never a 5xx.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.events import load_event
from tests.fuzz.fuzzing import EXAMPLES, SETTINGS, TALLY, Tenant, contract_violation

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-0",
            "1e400",
            "1E5",
            "0x10",
            "12.345",
            "9" * 29,
            "-1.00",
            "١٢٣",  # Arabic-Indic digits
            "\uff11\uff12",  # full-width digits
            "2026-02-30",
            "0001-01-01",
            "9999-12-31",
            "2026-1-5",
            "2026-12-02T00:00:00Z",
            "a\u200bb",
            "\u202eevil",
            "line\nbreak",
            "nul\x00",
            "x" * 5000,
            "../../etc/passwd",
            "NON",
            "USD",
            "MON",
            "25:00",
            "Mars/Olympus",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
MISSING = object()


def record_id(tenant: Tenant, kind: str, **wanted: str) -> str:
    """The id of the first imported record of a kind (whose data has the wanted values)."""
    items = tenant.request("GET", f"/legal-entities/{{id}}/records/{kind}", "service").json()
    for item in items["items"]:
        if all(item["data"].get(key) == value for key, value in wanted.items()):
            return str(item["id"])
    raise AssertionError(f"no {kind} {wanted} in the fuzz company")


_IDS: dict[str, str] = {}


def bill_body(tenant: Tenant) -> dict[str, Any]:
    """The sample event's bill, with the fuzz company's ids and fresh identities."""
    if not _IDS:
        _IDS.update(
            vendor_id=record_id(tenant, "Vendor"),
            terms_id=record_id(tenant, "Term"),
            department_id=record_id(tenant, "Department"),
            account_id=record_id(tenant, "Account", AccountType="Expense"),
            class_id=record_id(tenant, "Class"),
            customer_id=record_id(tenant, "Customer"),
            item_id=record_id(tenant, "Item"),
        )
    body = json.loads(load_event("api-post-bill.json")["body"])
    for key in ("vendor_id", "terms_id", "department_id"):
        body[key] = _IDS[key]
    for line in body["lines"]:
        for key in ("account_id", "class_id", "customer_id", "item_id"):
            if key in line:
                line[key] = _IDS[key]
    body["ap_invoice_id"] = f"fuzz-{uuid.uuid4().hex[:12]}"
    body["invoice_number"] = f"F-{uuid.uuid4().hex[:8]}"
    body["pdf"]["key"] = f"{tenant.org}/{tenant.legal_entity_id}/{body['ap_invoice_id']}.pdf"
    return body


def fields_of(body: Any, prefix: str = "") -> list[str]:
    """Every field path of a body: `lines`, `lines[0]`, `lines[0].amount`, `pdf.key`."""
    paths = []
    items = body.items() if isinstance(body, dict) else enumerate(body)
    for key, value in items:
        path = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else key
        paths.append(path)
        if isinstance(value, dict | list):
            paths += fields_of(value, path)
    return paths


def with_field(body: Any, path: str, value: Any) -> Any:
    """A copy of the body with the field at `path` set to `value` (or dropped)."""
    changed = copy.deepcopy(body)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    holder = changed
    for part in parts[:-1]:
        holder = holder[part]
    if value is MISSING:
        del holder[parts[-1]]
    else:
        holder[parts[-1]] = value
    return changed


_SERVICE_ROUTES = re.compile(r"/(bills|payments|vendor-credits|vendors)\b")


def check(tenant: Tenant, method: str, path: str, body: Any, field: str) -> Any:
    answer = tenant.request(
        method, path, "service" if _SERVICE_ROUTES.search(path) else "root_admin", json=body
    )
    TALLY["body cases"] += 1
    problem = contract_violation(
        path, answer.status_code, answer.headers.get("Content-Type", ""), answer.text
    )
    named = answer.json().get("error", {}).get("field") if answer.status_code == 400 else "-"
    if problem is None and not named:
        problem = "a 400 that names no field"
    assert problem is None, (
        f"{method} {path} with {field} = {body!r:.600}: {problem}\n{answer.text}"
    )
    return answer


def test_the_good_bodies_are_accepted(tenant):
    """The baseline the mutations start from is itself accepted."""
    assert check(tenant, "POST", "/legal-entities/{id}/bills", bill_body(tenant), "-").ok
    schedule = json.loads(load_event("entity-api-put-sync-schedule.json")["body"])
    assert check(tenant, "PUT", "/legal-entities/{id}/sync-schedule", schedule, "-").ok


BILL_FIELDS = fields_of(json.loads(load_event("api-post-bill.json")["body"]))


@given(field=st.sampled_from(BILL_FIELDS), value=st.one_of(JUNK, st.just(MISSING)))
@SETTINGS
def test_a_bill_with_one_field_wrong_is_accepted_or_400_naming_a_field(tenant, field, value):
    body = with_field(bill_body(tenant), field, value)
    check(tenant, "POST", "/legal-entities/{id}/bills", body, field)


PAYMENT = json.loads(load_event("api-post-payment.json")["body"])
CREDIT = json.loads(load_event("api-post-vendor-credit.json")["body"])


@given(field=st.sampled_from(fields_of(PAYMENT)), value=st.one_of(JUNK, st.just(MISSING)))
@SETTINGS
def test_a_payment_with_one_field_wrong_answers_4xx_in_the_contract(tenant, field, value):
    """Payments: wrong types, huge values, odd Unicode, missing fields: 4xx, never 500."""
    check(tenant, "POST", "/legal-entities/{id}/payments", with_field(PAYMENT, field, value), field)


@given(field=st.sampled_from(fields_of(CREDIT)), value=st.one_of(JUNK, st.just(MISSING)))
@SETTINGS
def test_a_vendor_credit_with_one_field_wrong_answers_4xx_in_the_contract(tenant, field, value):
    check(
        tenant, "POST", "/legal-entities/{id}/vendor-credits", with_field(CREDIT, field, value),
        field,
    )


MATCHED = json.loads(load_event("api-post-bill-po-matched.json")["body"])
MATCHED_FIELDS = [*fields_of(MATCHED), "ap_supplier_id"]


@given(field=st.sampled_from(MATCHED_FIELDS), value=st.one_of(JUNK, st.just(MISSING)))
@SETTINGS
def test_a_po_matched_bill_or_one_naming_a_supplier_answers_4xx_in_the_contract(
    tenant, field, value
):
    """The PO line references and ap_supplier_id: wrong types, huge, odd Unicode, missing."""
    body = dict(MATCHED) if field != "ap_supplier_id" else {
        k: v for k, v in MATCHED.items() if k != "vendor_id"}
    if field == "ap_supplier_id" and value is MISSING:
        value = None
    check(tenant, "POST", "/legal-entities/{id}/bills", with_field(body, field, value)
          if field != "ap_supplier_id" else {**body, field: value}, field)


VENDOR = json.loads(load_event("api-post-vendor.json")["body"])
VENDOR_UPDATE = json.loads(load_event("entity-api-put-vendor.json")["body"])


@given(field=st.sampled_from(fields_of(VENDOR)), value=st.one_of(JUNK, st.just(MISSING)))
@SETTINGS
def test_a_supplier_with_one_field_wrong_answers_4xx_in_the_contract(tenant, field, value):
    """Vendors: POST and PUT bodies, one field wrong: 4xx in the contract, never 500."""
    check(tenant, "POST", "/legal-entities/{id}/vendors", with_field(VENDOR, field, value), field)
    if field in VENDOR_UPDATE:
        check(tenant, "PUT", "/legal-entities/{id}/vendors/" + VENDOR["ap_supplier_id"],
              with_field(VENDOR_UPDATE, field, value), field)


SCHEDULES = [
    json.loads(load_event("entity-api-put-sync-schedule.json")["body"]),
    {"kind": "interval", "every_hours": 6, "timezone": "UTC"},
]


@given(
    schedule=st.sampled_from(SCHEDULES),
    field=st.sampled_from(
        ["kind", "days", "days[0]", "times", "times[0]", "timezone", "every_hours"]
    ),
    value=st.one_of(JUNK, st.just(MISSING)),
)
@SETTINGS
def test_a_schedule_with_one_field_wrong_is_accepted_or_400_naming_a_field(
    tenant, schedule, field, value
):
    root = field.split("[")[0]
    if root in schedule:
        body = with_field(schedule, field, value)
    else:  # a field of the other kind of schedule, sent along with this one
        body = {**schedule, root: None if value is MISSING else value}
    check(tenant, "PUT", "/legal-entities/{id}/sync-schedule", body, field)


@given(
    field=st.sampled_from(["mode", "since"]),
    mode=st.sampled_from(["incremental", "full", "partial"]),
    value=JUNK,
)
@SETTINGS
def test_a_sync_request_with_one_field_wrong_is_accepted_or_400_naming_a_field(
    tenant, field, mode, value
):
    body = {"mode": mode, "since": "2026-11-01"} if mode == "partial" else {"mode": mode}
    body[field] = value
    answer = check(tenant, "POST", "/legal-entities/{id}/syncs", body, field)
    assert answer.status_code in (202, 400, 409), answer.text


def test_the_body_fuzzing_ran() -> None:
    assert TALLY["body cases"] >= 2 * EXAMPLES, TALLY
