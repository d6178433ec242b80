"""Template loading and intrinsic resolution, and the template's fixed contract."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from local_stack.template import (
    DEFAULT_TEMPLATE,
    Physical,
    Resolver,
    Template,
    UnresolvedReference,
    load_yaml,
)
from qbo_connector.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_short_tags_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub 'a-${X}'\nD: !If [C, [1], !Ref AWS::NoValue]\n"
        "E: !Join ['-', [!Ref X, b]]\nF: !Select [1, !Split [',', 'p,q']]\n"
        "G: !Equals [!Ref X, y]\n"
    )
    data = load_yaml(path)
    assert data["A"] == {"Ref": "X"}
    assert data["B"] == {"Fn::GetAtt": ["Q", "Arn"]}
    assert data["C"] == {"Fn::Sub": "a-${X}"}
    assert data["D"] == {"Fn::If": ["C", [1], {"Ref": "AWS::NoValue"}]}
    assert data["E"] == {"Fn::Join": ["-", [{"Ref": "X"}, "b"]]}
    assert data["F"] == {"Fn::Select": [1, {"Fn::Split": [",", "p,q"]}]}


def test_resolver_evaluates_intrinsics() -> None:
    t = Template(Path(__file__).parent / "fixtures" / "template.yaml")
    r = Resolver(
        t,
        {"Flag": "off"},
        {"WorkQueue": Physical("http://q/url", {"Arn": "arn:q", "QueueName": "q"})},
    )
    assert r.resolve({"Fn::Sub": "${Stage}/${AWS::Region}/${WorkQueue.QueueName}/${!Lit}"}) == (
        "test/us-east-1/q/${Lit}"
    )
    assert r.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "WorkQueue"}}]}) == (
        "http://q/url-test"
    )
    assert r.resolve({"Fn::If": ["FlagOn", "yes", "no"]}) == "no"
    assert r.resolve({"Fn::Join": [",", ["a", {"Ref": "Flag"}]]}) == "a,off"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": ["/", "x/y/z"]}]}) == "y"
    assert r.resolve({"K": {"Ref": "AWS::NoValue"}, "L": [1, {"Ref": "AWS::NoValue"}]}) == {
        "L": [1]
    }
    # Functions and SAM's generated roles exist only in AWS: they get local names.
    assert r.resolve({"Fn::GetAtt": ["EchoFunction", "Arn"]}).endswith(
        ":function:qbo-connector-local-EchoFunction"
    )
    assert r.resolve({"Fn::GetAtt": ["EchoFunctionRole", "Arn"]}).startswith("arn:aws:iam::")
    with pytest.raises(UnresolvedReference):
        r.resolve({"Ref": "ItemsTable"})  # not created yet


def test_template_declares_the_contracted_functions_and_routes() -> None:
    t = Template(DEFAULT_TEMPLATE)
    handlers = {fid: (t.function(fid).code_dir, t.function(fid).module) for fid in t.function_ids()}
    expected = {
        "OAuthStartFunction": ("oauth_start", "oauth_start"),
        "OAuthCallbackFunction": ("oauth_callback", "oauth_callback"),
        "ManualSyncFunction": ("manual_sync", "manual_sync"),
        "ScheduledSyncFunction": ("scheduled_sync", "scheduled_sync"),
        "SyncWorkerFunction": ("sync_worker", "sync_worker"),
        "EntityApiFunction": ("entity_api", "entity_api"),
        "OpsFunction": ("ops", "ops_console"),
        "IntuitWebhookFunction": ("intuit_webhooks", "intuit_webhooks"),
    }
    assert {fid: (d.name, m) for fid, (d, m) in handlers.items()} == expected
    for code_dir, _ in handlers.values():
        assert (code_dir / "requirements.txt").exists()
    routes = {(r.route_key, r.function_id, r.authorized) for r in t.http_routes()}
    assert ("GET /oauth/callback", "OAuthCallbackFunction", False) in routes
    assert ("POST /webhooks/intuit", "IntuitWebhookFunction", False) in routes
    assert ("POST /legal-entities/{id}/connection", "OAuthStartFunction", True) in routes
    assert ("POST /syncs", "ManualSyncFunction", True) in routes
    entity_routes = {k for k, f, a in routes if f == "EntityApiFunction" and a}
    assert entity_routes == {
        "GET /legal-entities",
        "GET /legal-entities/{id}/connection",
        "DELETE /legal-entities/{id}/connection",
        "GET /legal-entities/{id}/syncs",
        "GET /legal-entities/{id}/syncs/{syncId}",
        "PUT /legal-entities/{id}/sync-schedule",
        "GET /legal-entities/{id}/sync-schedule",
        "DELETE /legal-entities/{id}/sync-schedule",
        "GET /legal-entities/{id}/records/{type}",
        "POST /legal-entities/{id}/bills",
        "GET /legal-entities/{id}/bills",
        "GET /legal-entities/{id}/bills/{apInvoiceId}",
        "POST /legal-entities/{id}/payments",
        "GET /legal-entities/{id}/payments",
        "GET /legal-entities/{id}/payments/{apPaymentId}",
        "POST /legal-entities/{id}/payments/{apPaymentId}/void",
        "POST /legal-entities/{id}/vendor-credits",
        "GET /legal-entities/{id}/vendor-credits",
        "GET /legal-entities/{id}/vendor-credits/{apCreditId}",
        "POST /legal-entities/{id}/vendors",
        "GET /legal-entities/{id}/vendors",
        "GET /legal-entities/{id}/vendors/{apSupplierId}",
        "PUT /legal-entities/{id}/vendors/{apSupplierId}",
        "POST /legal-entities/{id}/vendors/{apSupplierId}/deactivate",
        "GET /legal-entities/{id}/purchase-orders",
        "GET /legal-entities/{id}/purchase-orders/{poId}",
    }
    (binding,) = t.sqs_bindings()
    assert (binding.function_id, binding.queue_id, binding.batch_size) == (
        "SyncWorkerFunction",
        "SyncQueue",
        1,
    )
    assert binding.report_batch_item_failures
    assert t.function("SyncWorkerFunction").timeout == 900


def test_template_sets_every_config_variable() -> None:
    t = Template(DEFAULT_TEMPLATE)
    config_names = {f.name.upper() for f in dataclasses.fields(Settings)} - {
        "HTTP_TIMEOUT_SECONDS",  # has a sensible default; not deployment-specific
        # The push engine's lease (960 s, beyond the worker's 900 s timeout) and settle
        # time: fixed by the code's defaults; set only by a local soak (bench/soak.py).
        "PUSH_LEASE_SECONDS",
        "PUSH_SETTLE_SECONDS",
        "SCHEDULED_SYNC_FUNCTION_ARN",  # only for the functions that manage schedules
    }
    for fid in t.function_ids():
        assert config_names <= set(t.function(fid).environment), fid
    for fid in ("EntityApiFunction", "OpsFunction"):
        assert "SCHEDULED_SYNC_FUNCTION_ARN" in t.function(fid).environment
