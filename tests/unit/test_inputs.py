"""The request models (models/inputs.py) and the wording of their errors
(models/input_errors.py): no AWS, no stack.

- the sample events in events/ are valid, and a valid body reaches the parsers as sent;
- the models are never stricter than the domain parsers on the fields they share (what
  ApInvoice.parse, the schedule and sync parsers accept, the models accept);
- the grammars the OpenAPI document shows are the parsers' grammars;
- each kind of Pydantic error reads as which field, why and what to send.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from qbo_connector.logic.sync_service import parse_sync_request
from qbo_connector.models import inputs
from qbo_connector.models.bill import ApInvoice
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.input_errors import Advice, describe, invalid_input, validation_failed
from qbo_connector.models.legal_entity import validate_id
from qbo_connector.models.sync_schedule import validate as validate_schedule
from tests.events import EVENTS, load_event

BILL = json.loads(load_event("api-post-bill.json")["body"])
WEEKLY = json.loads(load_event("entity-api-put-sync-schedule.json")["body"])
INTERVAL = {"kind": "interval", "every_hours": 6, "anchor_minute": 15, "timezone": "UTC"}
SCHEDULE: TypeAdapter[Any] = TypeAdapter(inputs.ScheduleBody)
NOW = 1_795_600_800.0  # 2026-11-25


def refused(root: Any, value: Any, root_name: str = "body") -> InvalidInput:
    adapter = root if isinstance(root, TypeAdapter) else TypeAdapter(root)
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    typed = inputs.OpsEvent if adapter is inputs.OPS_EVENT else root
    return validation_failed(caught.value.errors(), typed, root_name=root_name)


def bill(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BILL)
    body.update(changes)
    return body


def line(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BILL)
    body["lines"][0].update(changes)
    return body


# -- the samples, and what reaches the parsers -------------------------------------------------


def test_the_sample_bodies_are_valid_and_reach_the_parsers_as_sent() -> None:
    parsed = inputs.BillBody.model_validate(BILL)
    assert parsed.model_dump(exclude_unset=True) == BILL
    for schedule in (WEEKLY, INTERVAL):
        assert SCHEDULE.validate_python(schedule).model_dump(exclude_unset=True) == schedule
    for sample in ("manual-sync-full.json", "manual-sync-one.json", "manual-sync-partial.json"):
        body = json.loads(load_event(sample)["body"])
        assert inputs.SyncStartBody.model_validate(body).model_dump(exclude_unset=True) == body


def test_a_default_is_not_added_to_what_the_parsers_see() -> None:
    sent = {"kind": "interval", "every_hours": 4}
    assert SCHEDULE.validate_python(sent).model_dump(exclude_unset=True) == sent
    assert inputs.SyncStartBody.model_validate({}).model_dump(exclude_unset=True) == {}


@pytest.mark.parametrize("sample", sorted(p.name for p in EVENTS.glob("ops-*.json")))
def test_every_ops_sample_event_is_a_valid_event(sample: str) -> None:
    event = load_event(sample)
    assert inputs.OPS_EVENT.validate_python(event).action == event["action"]


@pytest.mark.parametrize("sample", sorted(p.name for p in EVENTS.glob("console-*.json")))
def test_every_console_sync_sample_is_a_valid_event(sample: str) -> None:
    event = load_event(sample)
    assert inputs.ConsoleSyncEvent.model_validate(event).model_dump(exclude_unset=True) == event


def test_every_ops_action_has_a_model() -> None:
    from qbo_connector.invocations.ops_actions import ACTIONS

    members = get_args(get_args(inputs.OpsEvent)[0])  # Annotated[A | B | ..., Field(...)]
    assert set(ACTIONS) == set(members)
    names = {m.model_fields["action"].default for m in members}
    samples = {load_event(p.name)["action"] for p in EVENTS.glob("ops-*.json")}
    assert samples == names  # a sample event for each action, and an action for each


# -- never stricter than the parsers ---------------------------------------------------------

# What a careless or hostile caller puts in a field; every field gets each of them (and
# is left out), a few thousand bodies in all, in about a second.
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    7,
    -1,
    42,
    10**18,
    10**20,
    -(10**20),
    0.5,
    12.5,
    -0.0,
    1e308,
    5e-324,
    "",
    " ",
    "0",
    "12.50",
    "-1",
    "1e3",
    "42",
    "2025-10-01",
    "2025-02-30",
    "USD",
    "07:00",
    "25:00",
    "MON",
    " tue",
    "UTC",
    "Mars/Base",
    "x" * 70,
    "x" * 5000,
    "a\u200bb",
    "nul\x00",
    "\u0661\u0662",
    [],
    [1],
    ["MON"],
    ["07:00", "07:00"],
    {},
    {"a": 1},
]
MISSING = object()


def _parser_accepts(parse: Any, *args: Any) -> bool:
    try:
        parse(*args)
    except (InvalidInput, ValueError):
        return False
    return True


def _bill_variants() -> list[tuple[str, dict[str, Any]]]:
    variants = []
    for where, fields in (
        ("bill", list(inputs.BillBody.model_fields)),
        ("line", list(inputs.BillLineBody.model_fields)),
        ("pdf", list(inputs.PdfBody.model_fields)),
    ):
        for key in fields:
            for value in [*VALUES, MISSING]:
                body = copy.deepcopy(BILL)
                holder = {"bill": body, "line": body["lines"][1], "pdf": body["pdf"]}[where]
                if value is MISSING:
                    holder.pop(key, None)
                else:
                    holder[key] = value
                variants.append((f"{where}.{key}", body))
    return variants


def test_a_bill_the_parser_accepts_the_model_accepts() -> None:
    accepted = 0
    for where, body in _bill_variants():
        if _parser_accepts(ApInvoice.parse, body):
            accepted += 1
            try:
                inputs.BillBody.model_validate(body)
            except ValidationError as stricter:
                raise AssertionError(f"{where}: the model refuses what the parser takes") from (
                    stricter
                )
    assert accepted > 100  # the variants do reach accepted bills


def test_a_schedule_the_parser_accepts_the_model_accepts() -> None:
    keys = ["kind", "days", "times", "timezone", "every_hours", "anchor_minute"]
    accepted = 0
    for schedule in (WEEKLY, INTERVAL):
        for key in keys:
            for value in [*VALUES, MISSING]:
                body = {k: v for k, v in schedule.items() if k != key}
                if value is not MISSING:
                    body[key] = value
                weekly = body.get("kind") == "weekly"
                model = inputs.WeeklyScheduleBody if weekly else inputs.IntervalScheduleBody
                if not set(body) <= set(model.model_fields):
                    continue  # another kind's field: the parser ignores it, the model refuses
                if validate_schedule(body)[0] is not None:
                    accepted += 1
                    SCHEDULE.validate_python(body)
    assert accepted > 10


def test_a_sync_request_the_parser_accepts_the_model_accepts() -> None:
    modes = ["full", "FULL", " partial ", "partial-from-date", "incremental", *VALUES, MISSING]
    sinces = ["2026-11-01", "2026-11-01T10:00:00Z", *VALUES, MISSING]
    accepted = 0
    for mode in modes:
        for since in sinces:
            body = {k: v for k, v in (("mode", mode), ("since", since)) if v is not MISSING}
            if _parser_accepts(parse_sync_request, body, NOW):
                accepted += 1
                inputs.SyncStartBody.model_validate(body)
    assert accepted > 10


# -- the document's grammars are the parsers' grammars ----------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "7",
        "125.50",
        "0.5",
        "9999999999.99",
        "10000000000",
        "-1",
        "1e3",
        "1,000",
        ".5",
        "5.",
        "12.345",
        " 1",
        "1 ",
        "\u0661",
        "\uff11",
        "+1",
        "0x10",
        "",
        "1_0",
    ],
)
def test_the_documented_amount_grammar_is_the_parsers(value: str) -> None:
    documented = re.fullmatch(inputs.AMOUNT_PATTERN.strip("^$"), value) is not None
    body = bill(lines=[{"amount": value, "account_id": "7"}])
    assert documented == _parser_accepts(ApInvoice.parse, body), value


@pytest.mark.parametrize(
    "value",
    ["3", "0.1234567", "1.12345678", "9999999999", "12345678901", "-2", "1e2", "2.", " 2"],
)
def test_the_documented_quantity_grammar_is_the_parsers(value: str) -> None:
    body = copy.deepcopy(BILL)
    body["lines"][1] = {"amount": "1.00", "item_id": "11", "qty": value}
    documented = re.fullmatch(inputs.QUANTITY_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(ApInvoice.parse, body), value


@pytest.mark.parametrize(
    "value", ["7", "NON", "a.b-c_d", "x" * 64, "x" * 65, "a b", "a/b", "42\n", "é", "-"]
)
def test_the_documented_quickbooks_id_grammar_is_the_parsers(value: str) -> None:
    documented = re.fullmatch(inputs.QBO_ID_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(ApInvoice.parse, bill(terms_id=value)), value


@pytest.mark.parametrize(
    "value", ["ap-1", "A", "a" * 64, "a" * 65, "-a", ".a", "a b", "a\n", "é", "a/b", "a_b.c-d"]
)
def test_the_documented_id_grammar_is_the_parsers(value: str) -> None:
    documented = re.fullmatch(inputs.ID_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(validate_id, value, "id")
    assert documented == _parser_accepts(ApInvoice.parse, bill(ap_invoice_id=value)), value


@pytest.mark.parametrize(
    "value",
    [
        "2025-10-01",
        "2099-12-31",
        "1900-01-01",
        "2025-1-01",
        "20251001",
        "2025-W40-3",
        "2025-10-01T00:00:00",
        "\uff12025-10-01",
        "2025/10/01",
    ],
)
def test_a_date_the_parser_accepts_is_written_as_documented(value: str) -> None:
    documented = re.fullmatch(inputs.DATE_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(ApInvoice.parse, bill(invoice_date=value, due_date=None))
    # The calendar and the range are the parser's alone: documented, yet refused.
    assert not _parser_accepts(ApInvoice.parse, bill(invoice_date="2025-02-30", due_date=None))


@pytest.mark.parametrize("value", ["USD", "CAD", "usd", "US", "USDX", "U5D", "ÜSD"])
def test_the_documented_currency_grammar_is_the_parsers(value: str) -> None:
    documented = re.fullmatch(inputs.CURRENCY_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(ApInvoice.parse, bill(currency=value)), value


@pytest.mark.parametrize(
    "value", ["ap-platform-invoices", "abc", "ab", "a" * 63, "a" * 64, "-abc", "abc-", "Abc", "a_b"]
)
def test_the_documented_bucket_grammar_is_the_parsers(value: str) -> None:
    body = bill(pdf={**BILL["pdf"], "bucket": value})
    documented = re.fullmatch(inputs.BUCKET_PATTERN.strip("^$"), value) is not None
    assert documented == _parser_accepts(ApInvoice.parse, body), value


@pytest.mark.parametrize("value", ["07:00", "00:00", "23:59", "24:00", "7:00", "07:60", "0700"])
def test_the_documented_time_grammar_is_the_parsers(value: str) -> None:
    documented = re.fullmatch(inputs.TIME_PATTERN.strip("^$"), value) is not None
    assert documented == (validate_schedule({**WEEKLY, "times": [value]})[0] is not None)


def test_the_documented_days_and_modes_are_the_parsers() -> None:
    schema = inputs.WeeklyScheduleBody.model_json_schema()["properties"]["days"]
    for day in schema["items"]["enum"]:
        assert validate_schedule({**WEEKLY, "days": [day]})[0] is not None
    modes = inputs.SyncStartBody.model_json_schema()["properties"]["mode"]["enum"]
    for mode in modes:
        since = "2026-11-01" if mode == "partial" else None
        assert parse_sync_request({"mode": mode, "since": since}, NOW).mode == mode


# -- the wording: which field, why, what to send --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {k: v for k, v in BILL.items() if k != "vendor_id"},
            "vendor_id",
            "vendor_id is required: the QuickBooks id of the vendor, as listed by "
            "GET /legal-entities/{id}/records/Vendor (or give ap_supplier_id).",
        ),
        (
            bill(invoice_number=None),
            "invoice_number",
            "invoice_number is required: the vendor's invoice number as printed on the invoice "
            "(at most 21 characters, no control or invisible characters).",
        ),
        (
            bill(invoice_number="X" * 22),
            "invoice_number",
            "invoice_number is 22 characters; at most 21 are accepted. Shorten it.",
        ),
        (
            line(amount=["12.00"]),
            "lines[0].amount",
            "lines[0].amount must be a number or a string of digits, not a list; send the "
            "line's amount such as 125.50: a JSON number or a string of ASCII digits, at most "
            "2 decimals, 0 to 9,999,999,999.99.",
        ),
        (
            line(billable="yes"),
            "lines[0].billable",
            'lines[0].billable must be true or false, not "yes"; send whether the line is '
            "billed on to its customer_id.",
        ),
        (
            line(colour="red"),
            "lines[0].colour",
            "lines[0].colour is not a field of a bill line; remove it (a bill line takes: "
            "amount, account_id, item_id, qty, unit_price, class_id, customer_id, billable, "
            "tax_code_id, description, purchase_order_id, purchase_order_line_id).",
        ),
        (
            bill(lines=[]),
            "lines",
            "lines must list at least 1 item: the invoice's lines (1 to 250), each an amount "
            "with a GL account or an item.",
        ),
        (
            bill(lines=[BILL["lines"][0]] * 251),
            "lines",
            "lines has 251 items; at most 250 are accepted. Split the invoice.",
        ),
        (
            bill(lines=[None]),
            "lines[0]",
            "lines[0] must be a JSON object, not null; send one line: an amount with a GL "
            "account (expense line) or an item (item line).",
        ),
        (
            bill(pdf={"bucket": "", "key": "k.pdf"}),
            "pdf.bucket",
            "pdf.bucket is required: the invoice bucket (the stack's InvoiceBucketName).",
        ),
        (
            bill(memo="x" * 4001),
            "memo",
            "memo is 4001 characters; at most 4000 are accepted. Shorten it.",
        ),
        (
            bill(memo="ok \udc00"),
            "memo",
            "memo contains the invalid character U+DC00 (half of a surrogate pair, not a "
            "character) at position 4; remove it.",
        ),
        (
            [BILL],
            "body",
            "body must be a JSON object, not a list; send an approved AP invoice, to be "
            "exported into QuickBooks as a Bill.",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_a_bill_error_names_the_field_why_and_what_to_send(
    body: Any, field: str, message: str
) -> None:
    error = refused(inputs.BillBody, body)
    assert (error.code, error.status, error.field, error.message) == (
        "invalid_input",
        400,
        field,
        message,
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"kind": "monthly"},
            "kind",
            'kind must be "weekly" (days and times) or "interval" (every N hours), not "monthly".',
        ),
        (
            {"days": ["MON"]},
            "kind",
            'kind is required: "weekly" (days and times) or "interval" (every N hours).',
        ),
        (
            {**WEEKLY, "times": [f"{h:02d}:00" for h in range(10)]},
            "times",
            "times has 10 items; at most 6 are accepted. Keep 6 or fewer times (webhooks keep "
            "data fresh between).",
        ),
        (
            {**WEEKLY, "timezone": "x" * 65},
            "timezone",
            "timezone is 65 characters; at most 64 are accepted. Use an IANA time zone name "
            'such as "America/Vancouver".',
        ),
        (
            {**INTERVAL, "every_hours": "4"},
            "every_hours",
            'every_hours must be a whole number, not "4"; send a whole number of hours from 1 '
            "to 24 (runs at local hours 0, N, 2N and so on).",
        ),
        (
            {**INTERVAL, "every_hours": 0},
            "every_hours",
            "every_hours must be at least 1, not 0; send a whole number of hours from 1 to 24 "
            "(runs at local hours 0, N, 2N and so on).",
        ),
        (
            {**INTERVAL, "days": ["MON"]},
            "days",
            "days is not a field of an interval schedule; remove it (an interval schedule "
            "takes: kind, every_hours, anchor_minute, timezone).",
        ),
    ],
)
def test_a_schedule_error_names_the_field_why_and_what_to_send(
    body: Any, field: str, message: str
) -> None:
    error = refused(inputs.ScheduleBody, body)
    assert (error.field, error.message) == (field, message)


def test_a_sync_request_error_names_the_field() -> None:
    lookalike = "sinc\u0435"  # a Cyrillic ie: not the field it looks like
    error = refused(inputs.SyncStartBody, {"mode": "full", lookalike: "2026-11-01"})
    assert error.field == lookalike
    assert "remove it (a sync request takes: mode, since)" in error.message
    error = refused(inputs.SyncStartBody, {"mode": None})
    assert error.field == "mode" and error.message.startswith("mode must be text")


def test_every_problem_is_listed_the_first_one_leads() -> None:
    error = refused(inputs.BillBody, bill(vendor_id=True, memo=5, extra=1))
    assert error.field == "vendor_id"
    assert error.message.endswith(" (2 more problem(s) in details)")
    problems = error.details["problems"]
    assert [p["field"] for p in problems] == ["vendor_id", "memo", "extra"]
    assert all(set(p) == {"field", "message"} and p["message"] for p in problems)


def test_a_caller_s_value_is_never_echoed_at_length() -> None:
    huge = "x" * 100_000
    for body in ({"kind": huge}, {**INTERVAL, "every_hours": huge}):
        error = refused(inputs.ScheduleBody, body)
        assert len(error.message) < 300 and "xxxxxxxxxx" not in error.message
    error = refused(inputs.BillBody, bill(vendor_id=[huge], memo=10**5000))
    assert len(error.message) < 300 and all(
        len(p["message"]) < 300 for p in error.details["problems"]
    )


@pytest.mark.parametrize(
    ("event", "field", "fragment"),
    [
        ({"action": "explode"}, "action", 'not "explode"'),
        ({}, "action", 'action is required: one of "delete_legal_entity", '),
        (
            {"action": "register_legal_entity", "org_id": "org-1", "legal_entity_id": "le-1"},
            "name",
            "name is required: the legal entity's name, 1-200 characters.",
        ),
        (
            {"action": "list_legal_entities", "org_id": "org-1", "legal_entity_id": "le-1"},
            "legal_entity_id",
            "legal_entity_id is not a field of the list_legal_entities action; remove it "
            "(the list_legal_entities action takes: action, org_id).",
        ),
        (
            {
                "action": "put_sync_profile",
                "org_id": "o",
                "legal_entity_id": "l",
                "operator": "jane",
                "profil": {},
            },
            "profil",
            "profil is not a field of the put_sync_profile action; remove it",
        ),
        (
            {"action": "reset_legal_entity", "org_id": "o", "legal_entity_id": 7, "operator": "j"},
            "legal_entity_id",
            "legal_entity_id must be text (a JSON string), not 7; send the legal entity's id",
        ),
        (["list_legal_entities"], "event", "event must be a JSON object, not a list"),
    ],
)
def test_an_ops_event_error_names_the_field(event: Any, field: str, fragment: str) -> None:
    error = refused(inputs.OPS_EVENT, event, root_name="event")
    assert error.field == field
    assert fragment in error.message


def test_the_ops_console_answers_a_bad_event_in_the_error_contract() -> None:
    from qbo_connector.invocations import console_sync, ops_actions

    answer = ops_actions.run({"action": "show_legal_entity", "org_id": "org-1"})
    assert answer == {
        "ok": False,
        "error": {
            "code": "invalid_input",
            "message": "legal_entity_id is required: the legal entity's id (1-64 letters, "
            "digits, '.', '_' or '-').",
            "field": "legal_entity_id",
        },
    }
    answer = console_sync.run({**load_event("console-manual-sync.json"), "colour": "red"})
    assert answer["ok"] is False and answer["error"]["field"] == "colour"
    assert "remove it (a console sync event takes: action, org_id" in answer["error"]["message"]
    answer = console_sync.run({**load_event("console-manual-sync.json"), "action": "go"})
    assert answer["error"]["field"] == "action"
    assert answer["error"]["message"].startswith('action must be "sync", not "go"')


def test_json_invalid_and_unknown_kinds_still_name_a_field() -> None:
    problem = describe({"type": "weird_new_type", "loc": ("a",), "msg": "Odd"}, None)
    assert (problem.field, problem.message) == ("a", "a: Odd. Correct it and send it again.")
    assert invalid_input([]).field == "body"


def test_advice_rides_on_the_field() -> None:
    lines = inputs.BillBody.model_fields["lines"]
    assert Advice("Split the invoice.") in lines.metadata
