"""A PO-matched bill line: both ids or neither, and QBO's LinkedTxn on the line."""

from __future__ import annotations

import json

import pytest

from qbo_connector.models.bill import ApInvoice
from qbo_connector.models.errors import InvalidInput
from qbo_connector.models.inputs import BillBody
from tests.events import load_event

SAMPLE = json.loads(load_event("api-post-bill-po-matched.json")["body"])


def test_the_po_matched_sample_links_each_line_to_its_po_line() -> None:
    BillBody.model_validate(SAMPLE)
    bill = ApInvoice.parse(SAMPLE).to_qbo()
    assert [line["LinkedTxn"] for line in bill["Line"]] == [
        [{"TxnId": "1001", "TxnType": "PurchaseOrder", "TxnLineId": "1"}],
        [{"TxnId": "1001", "TxnType": "PurchaseOrder", "TxnLineId": "2"}],
    ]


@pytest.mark.parametrize("missing", ["purchase_order_id", "purchase_order_line_id"])
def test_a_po_line_needs_both_ids(missing: str) -> None:
    body = json.loads(json.dumps(SAMPLE))
    del body["lines"][0][missing]
    with pytest.raises(InvalidInput) as refused:
        ApInvoice.parse(body)
    assert refused.value.field == f"lines[0].{missing}"


def test_an_unmatched_line_has_no_link() -> None:
    body = json.loads(json.dumps(SAMPLE))
    for key in ("purchase_order_id", "purchase_order_line_id"):
        del body["lines"][1][key]
    assert "LinkedTxn" not in ApInvoice.parse(body).to_qbo()["Line"][1]
