"""Purchase orders for two-way matching: imported with what each line has been billed,
served to the matching screen, and the rules a PO-matched bill line must keep.

What a PO line has been billed is not a field of QBO's PurchaseOrder: QBO links the
bills to the PO (`LinkedTxn` of TxnType Bill on the PO) and each bill line to its PO line
(`LinkedTxn` {TxnId: PO, TxnType: PurchaseOrder, TxnLineId} on the bill line). So a PO is
stored with `_billing` (ours, beside QBO's own fields), computed from its linked bills,
read in one `Id IN` query per 1000 bills for a whole page of POs (`with_billing`)::

    _billing = {"bills": ["130", ...],
                "lines": {"<PO line id>": {"amount": "50.00", "qty": "4"}}}

It is recomputed whenever QBO reports the PO changed (a new linked bill changes the PO),
whenever CDC reports a changed bill linking a PO (an amount edited on a linked bill does
not touch the PO), and right after our own export of a PO-matched bill (`refresh`), so
the figures the next submission is checked against are never older than our own bills.

A PO line's open amount is its Amount less what is billed; its open quantity (item
lines) its Qty less the billed quantity. A matched bill line is refused (`check`), with
the reason in words, when the PO is not imported, unknown, of another vendor, closed
(QBO's POStatus Closed: fully billed or closed by hand, `ManuallyClosed`), has no such
line, or when the line would bill more than is open, beyond `po_tolerance_percent` of the
PO line; bills queued here but not yet exported count as billed already.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from qbo_connector.logic.bill_payments import read_by_ids
from qbo_connector.logic.ports import BillExportStorePort, MasterDataPort, RecordStorePort
from qbo_connector.logic.sync_context import iso_now
from qbo_connector.models.bill import ApInvoice, ExportState
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.object_types import is_active
from qbo_connector.models.record import RecordWrite, content_hash
from qbo_connector.models.sync_profile import SyncProfile

PURCHASE_ORDER = "PurchaseOrder"
BILLING = "_billing"
_CENT = Decimal("0.01")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _text(value: Decimal) -> str:
    """A figure as stored and shown: cents for money, as few digits as needed for qty."""
    normal = value.normalize()
    return format(normal, "f") if normal == normal.to_integral() else str(normal)


def bill_po_links(bill: dict[str, Any]) -> list[tuple[str, str, Decimal, Decimal | None]]:
    """(PO id, PO line id, amount, qty) of every bill line that bills a PO line."""
    out = []
    for line in bill.get("Line") or []:
        qty = (line.get("ItemBasedExpenseLineDetail") or {}).get("Qty")
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == PURCHASE_ORDER and link.get("TxnId"):
                out.append(
                    (
                        str(link["TxnId"]),
                        str(link.get("TxnLineId") or ""),
                        _dec(line.get("Amount")),
                        _dec(qty) if qty is not None else None,
                    )
                )
    return out


def linked_bill_ids(po: dict[str, Any]) -> list[str]:
    return [
        str(link["TxnId"])
        for link in po.get("LinkedTxn") or []
        if link.get("TxnType") == "Bill" and link.get("TxnId")
    ]


def with_billing(client: Any, pos: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The POs with `_billing` from their linked bills (deleted ones as they are)."""
    wanted = sorted({b for po in pos if po.get("status") != "Deleted" for b in linked_bill_ids(po)})
    bills = read_by_ids(client, "Bill", wanted) if wanted else {}
    out = []
    for po in pos:
        if po.get("status") == "Deleted":
            out.append(po)
            continue
        po_id = str(po.get("Id"))
        lines: dict[str, dict[str, Decimal]] = defaultdict(
            lambda: {"amount": Decimal(0), "qty": Decimal(0)}
        )
        billed_by: list[str] = []
        for bill_id in linked_bill_ids(po):
            bill = bills.get(bill_id)
            if bill is None:
                continue  # deleted since: it bills nothing
            billed_by.append(bill_id)
            for linked_po, line_id, amount, qty in bill_po_links(bill):
                if linked_po == po_id:
                    lines[line_id]["amount"] += amount
                    lines[line_id]["qty"] += qty or 0
        billing = {
            "bills": billed_by,
            "lines": {
                line_id: {"amount": str(f["amount"].quantize(_CENT)), "qty": _text(f["qty"])}
                for line_id, f in sorted(lines.items())
            },
        }
        out.append({**{k: v for k, v in po.items() if k != BILLING}, BILLING: billing})
    return out


def po_record(po: dict[str, Any]) -> RecordWrite:
    """The RecordsTable row of a PO, as the importer writes it."""
    return RecordWrite(
        qbo_id=str(po["Id"]),
        hash=content_hash(po),
        active=is_active(PURCHASE_ORDER, po),
        deleted=False,
        name=f"PO {po['DocNumber']}" if po.get("DocNumber") else f"PO {po['Id']}",
        body=po,
        qbo_updated_at=(po.get("MetaData") or {}).get("LastUpdatedTime"),
    )


# -- the view -------------------------------------------------------------------------------


def _line_view(line: dict[str, Any], billed: dict[str, str]) -> dict[str, Any]:
    item = line.get("ItemBasedExpenseLineDetail")
    account = line.get("AccountBasedExpenseLineDetail")
    detail = item or account or {}
    amount = _dec(line.get("Amount")).quantize(_CENT)
    billed_amount = _dec(billed.get("amount")).quantize(_CENT)
    out: dict[str, Any] = {
        "line_id": str(line.get("Id")),
        "description": line.get("Description"),
        "amount": str(amount),
        "billed_amount": str(billed_amount),
        "open_amount": str(max(amount - billed_amount, Decimal(0))),
    }
    if item:
        out["item_id"] = (item.get("ItemRef") or {}).get("value")
        if item.get("Qty") is not None:
            qty = _dec(item.get("Qty"))
            billed_qty = _dec(billed.get("qty"))
            out.update(
                qty=_text(qty),
                unit_price=_text(_dec(item.get("UnitPrice"))),
                billed_qty=_text(billed_qty),
                open_qty=_text(max(qty - billed_qty, Decimal(0))),
            )
    elif account:
        out["account_id"] = (account.get("AccountRef") or {}).get("value")
    for key, name in (("class_id", "ClassRef"), ("customer_id", "CustomerRef")):
        if (detail.get(name) or {}).get("value"):
            out[key] = detail[name]["value"]
    return {k: v for k, v in out.items() if v is not None}


def po_view(po: dict[str, Any]) -> dict[str, Any]:
    """A PO as the matching screen reads it: header, status, lines billed and open."""
    billing = po.get(BILLING) or {}
    lines = [
        _line_view(line, (billing.get("lines") or {}).get(str(line.get("Id")), {}))
        for line in po.get("Line") or []
        if line.get("DetailType") in ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")
    ]
    total = sum((Decimal(v["amount"]) for v in lines), Decimal(0))
    billed = sum((Decimal(v["billed_amount"]) for v in lines), Decimal(0))
    out: dict[str, Any] = {
        "id": str(po.get("Id")),
        "doc_number": po.get("DocNumber"),
        "vendor_id": (po.get("VendorRef") or {}).get("value"),
        "vendor_name": (po.get("VendorRef") or {}).get("name"),
        "txn_date": po.get("TxnDate"),
        "status": po.get("POStatus") or "Open",
        "manually_closed": bool(po.get("ManuallyClosed")),
        "currency": (po.get("CurrencyRef") or {}).get("value"),
        "total": str(total.quantize(_CENT)),
        "billed": str(billed.quantize(_CENT)),
        "open": str(max(total - billed, Decimal(0)).quantize(_CENT)),
        "ship_to": po.get("ShipAddr"),
        "custom_fields": [
            {"name": f.get("Name"), "value": f.get("StringValue")}
            for f in po.get("CustomField") or []
            if f.get("StringValue") not in (None, "")
        ],
        "memo": po.get("Memo") or po.get("PrivateNote"),
        "lines": lines,
        "bills": list(billing.get("bills") or []),
        "updated_at": (po.get("MetaData") or {}).get("LastUpdatedTime"),
    }
    return {k: v for k, v in out.items() if v not in (None, [])} | {"lines": lines}


# -- the service ----------------------------------------------------------------------------


class PurchaseOrderService:
    """The PO routes, the PO-matching check of a bill, and the refresh after export."""

    def __init__(
        self,
        records: RecordStorePort,
        master: MasterDataPort,
        clock: Callable[[], float],
    ) -> None:
        self.records = records
        self.master = master
        self.clock = clock

    # -- reads --------------------------------------------------------------------------

    @staticmethod
    def imported(entity: LegalEntity) -> bool:
        """The legal entity's profile imports purchase orders."""
        return PURCHASE_ORDER in SyncProfile.from_dict(entity.sync_profile or {}).object_types

    def _imported(self, entity: LegalEntity) -> None:
        if not self.imported(entity):
            raise InvalidInput(
                "Purchase orders are not imported for this legal entity: add PurchaseOrder "
                "to its sync profile's object_types (ops put_sync_profile) and sync.",
                code="purchase_orders_not_imported",
            )

    def list_page(
        self,
        entity: LegalEntity,
        open_only: bool,
        vendor_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> dict[str, Any]:
        """POs, newest first as QBO lists them, filtered on the open ones and a vendor."""
        self._imported(entity)
        if vendor_id is not None:
            validate_id(vendor_id, "vendor_id")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.", field="limit")
        items: list[dict[str, Any]] = []
        next_cursor = cursor
        while True:
            page, next_cursor = self.records.list(
                entity.org_id,
                entity.legal_entity_id,
                PURCHASE_ORDER,
                limit=limit - len(items),
                cursor=next_cursor,
                include_inactive=not open_only,
            )
            for row in page:
                po = po_view(row.get("data") or {})
                if vendor_id is not None and po.get("vendor_id") != vendor_id:
                    continue
                if open_only and po["status"] != "Open":
                    continue
                items.append(po)
            if next_cursor is None or len(items) >= limit:
                break
        return {"items": items, "next_cursor": next_cursor}

    def show(self, entity: LegalEntity, po_id: str) -> dict[str, Any]:
        self._imported(entity)
        validate_id(po_id, "poId")
        found = self.master.lookup(
            entity.org_id, entity.legal_entity_id, [(PURCHASE_ORDER, po_id)], with_body=True
        ).get((PURCHASE_ORDER, po_id))
        if found is None or found.deleted or found.data is None:
            raise NotFound(
                f"No purchase order {po_id} in this legal entity's QuickBooks company (as of "
                "the last sync).",
                code="purchase_order_not_found",
            )
        return po_view(found.data)

    # -- the PO-matching rules of a bill ----------------------------------------------------

    def check(self, entity: LegalEntity, invoice: ApInvoice, pending: BillExportStorePort) -> None:
        """Refuse a PO-matched bill that breaks a rule (module doc), naming the line."""
        matched = [(i, line) for i, line in enumerate(invoice.lines) if line.purchase_order_id]
        if not matched:
            return
        profile = SyncProfile.from_dict(entity.sync_profile or {})
        if not self.imported(entity):
            raise InvalidInput(
                "This legal entity does not import purchase orders, so a bill cannot be "
                "matched to one: add PurchaseOrder to its sync profile's object_types and "
                "sync, or leave purchase_order_id out.",
                field=f"lines[{matched[0][0]}].purchase_order_id",
                code="purchase_orders_not_imported",
            )
        org_id, legal_entity_id = entity.org_id, entity.legal_entity_id
        po_ids = sorted({str(line.purchase_order_id) for _, line in matched})
        found = self.master.lookup(
            org_id, legal_entity_id, [(PURCHASE_ORDER, p) for p in po_ids], with_body=True
        )
        queued = self._queued_here(
            pending, org_id, legal_entity_id, invoice.ap_invoice_id, set(po_ids)
        )
        tolerance = Decimal(profile.po_tolerance_percent) / 100
        asked: dict[tuple[str, str], tuple[Decimal, Decimal]] = defaultdict(
            lambda: (Decimal(0), Decimal(0))
        )
        for i, line in matched:
            where = f"lines[{i}]"
            po_id, line_id = str(line.purchase_order_id), str(line.purchase_order_line_id)
            record = found.get((PURCHASE_ORDER, po_id))
            if record is None or record.deleted or record.data is None:
                raise InvalidInput(
                    f"{where}.purchase_order_id '{po_id}' is not a purchase order of this legal "
                    "entity's QuickBooks company (as of the last sync); run a sync if it was "
                    "just created, or choose another.",
                    field=f"{where}.purchase_order_id",
                    code="unknown_purchase_order",
                )
            po = record.data
            number = po.get("DocNumber") or po_id
            vendor = (po.get("VendorRef") or {}).get("value")
            if vendor != invoice.vendor_id:
                raise Conflict(
                    f"{where}: purchase order {number} is for vendor "
                    f"{(po.get('VendorRef') or {}).get('name') or vendor} ({vendor}), not this "
                    f"bill's vendor ({invoice.vendor_id}); match the line to a purchase order "
                    "of the bill's vendor.",
                    field=f"{where}.purchase_order_id",
                    code="purchase_order_of_another_vendor",
                )
            if po.get("POStatus") == "Closed":
                how = "closed by hand" if po.get("ManuallyClosed") else "fully billed"
                raise Conflict(
                    f"{where}: purchase order {number} is closed in QuickBooks ({how}); it takes "
                    "no more bills. Reopen it in QuickBooks and sync, or leave the line "
                    "unmatched.",
                    field=f"{where}.purchase_order_id",
                    code="purchase_order_closed",
                )
            po_line = next(
                (pl for pl in po.get("Line") or [] if str(pl.get("Id")) == line_id), None
            )
            if po_line is None:
                ids = ", ".join(str(pl.get("Id")) for pl in po.get("Line") or [])
                raise InvalidInput(
                    f"{where}.purchase_order_line_id: purchase order {number} has no line "
                    f"{line_id}; its lines are {ids}.",
                    field=f"{where}.purchase_order_line_id",
                    code="unknown_purchase_order_line",
                )
            view = _line_view(
                po_line, ((po.get(BILLING) or {}).get("lines") or {}).get(line_id, {})
            )
            amount, qty = asked[(po_id, line_id)]
            amount += Decimal(line.amount)
            qty += Decimal(line.qty) if line.qty is not None else 0
            asked[(po_id, line_id)] = (amount, qty)
            here_amount, here_qty = queued.get((po_id, line_id), (Decimal(0), Decimal(0)))
            ordered = Decimal(view["amount"])
            open_amount = ordered - Decimal(view["billed_amount"]) - here_amount
            allowed = open_amount + (ordered * tolerance).quantize(_CENT)
            queued_words = f", {here_amount} in bills queued here" if here_amount else ""
            if amount > allowed:
                raise Conflict(
                    f"{where}.amount: {amount} is more than the open amount "
                    f"{max(open_amount, Decimal(0))} of purchase order {number} line {line_id} "
                    f"(ordered {ordered}, billed {view['billed_amount']}{queued_words}; "
                    f"tolerance {profile.po_tolerance_percent}%). Bill at most {allowed} "
                    "against it, or ask support to raise po_tolerance_percent.",
                    field=f"{where}.amount",
                    code="purchase_order_over_billed",
                    details={
                        "open_amount": str(max(open_amount, Decimal(0))),
                        "allowed": str(allowed),
                    },
                )
            if "qty" in view and line.qty is not None:
                ordered_qty = Decimal(view["qty"])
                open_qty = ordered_qty - Decimal(view["billed_qty"]) - here_qty
                allowed_qty = open_qty + ordered_qty * tolerance
                if qty > allowed_qty:
                    raise Conflict(
                        f"{where}.qty: {_text(qty)} is more than the open quantity "
                        f"{_text(max(open_qty, Decimal(0)))} of purchase order {number} line "
                        f"{line_id} (ordered {view['qty']}, billed {view['billed_qty']}; "
                        f"tolerance {profile.po_tolerance_percent}%).",
                        field=f"{where}.qty",
                        code="purchase_order_over_billed",
                        details={"open_qty": _text(max(open_qty, Decimal(0)))},
                    )

    @staticmethod
    def _queued_here(
        pending: BillExportStorePort,
        org_id: str,
        legal_entity_id: str,
        ap_invoice_id: str,
        po_ids: set[str],
    ) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """What our bills not yet exported bill per PO line (a second bill for a PO line
        is checked against the first one too, before either reaches QuickBooks)."""
        out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        ids = [i for i in pending.pending_ids(org_id, legal_entity_id) if i != ap_invoice_id]
        for record in pending.get_many(org_id, legal_entity_id, ids) if ids else []:
            if record.state not in (ExportState.QUEUED, ExportState.EXPORTING):
                continue
            for line in record.parsed.lines:
                if line.purchase_order_id in po_ids:
                    key = (str(line.purchase_order_id), str(line.purchase_order_line_id))
                    amount, qty = out.get(key, (Decimal(0), Decimal(0)))
                    out[key] = (
                        amount + Decimal(line.amount),
                        qty + (Decimal(line.qty) if line.qty is not None else 0),
                    )
        return out

    # -- after our own export ---------------------------------------------------------------

    def refresh(self, ctx: Any, po_ids: Iterable[str]) -> int:
        """Read the POs again (and their bills) and store them: their billed and open
        figures count the bills this run has just exported."""
        wanted = sorted(set(po_ids))
        if not wanted:
            return 0
        pos = with_billing(
            ctx.client, list(read_by_ids(ctx.client, PURCHASE_ORDER, wanted).values())
        )
        self.records.put_many(
            ctx.org_id,
            ctx.legal_entity_id,
            PURCHASE_ORDER,
            [po_record(po) for po in pos],
            sync_id=ctx.sync_id or "bill-export",
            imported_at=iso_now(self.clock()),
        )
        return len(pos)
