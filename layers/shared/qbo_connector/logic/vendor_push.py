"""AP suppliers as a pushed kind: the push engine's spec for a QBO Vendor.

A vendor's identity is its display name (models.vendor.name_identity): QBO keeps one
DisplayName across vendors, customers and employees, compared without regard to case,
and answers 6240 to a second one.

The look-up (`lookup`) is a per-run index of the three name lists, read once per run
at the first chunk (`Vendor`, `Customer`, `Employee WHERE Active IN (true, false)`, paged
by 1,000) and kept current by the run's own creates. An exact `DisplayName IN (...)`
query would miss the case and spacing variants the identity folds (QBO's string
comparison in queries is not documented as case-insensitive), and a 6240 does not name
the holder; the index finds both. Its cost is ⌈n/1000⌉ queries per list per run with
pending suppliers, not per chunk.

Matching (`match`), for a name identity QBO holds:

- a vendor with our exact DisplayName and our CompanyName or e-mail, while recovering,
  is *ours* (an earlier attempt created it: the batch requestid replays it anyway);
- a vendor that is already the export of another AP supplier (the log's QBO id map) is a
  duplicate naming that supplier, whatever the policy;
- an inactive vendor (QBO names it "<name> (deleted)") is a duplicate under both
  policies: matching would make bills for an inactive vendor, creating would make a
  near-twin; the words say to reactivate it in QuickBooks (it is then matched) or rename;
- an active vendor follows the profile's `existing_vendor` policy: `match` records the
  supplier exported against it (`matched: true`; returned as `Ours`, which the engine
  counts as recovered: `matched_keys` lists them and the service reports them as
  `matched`), `refuse` makes it a duplicate;
- a customer or employee holding the name: the create would get 6240, so it is refused
  without sending. The engine's `match` cannot answer `Failed`, so it answers `Theirs`
  with a `_refused` marker; logic.vendor_export's log wrapper records that outcome as
  `failed` (code `name_used_by_customer` / `name_used_by_employee`), which is what it is:
  a person must rename one of them, and a resubmission retries it.

A 6240 in a batch (the accountant typed the name in between) is a conflict (`is_conflict`):
`resolve` reads the lists again and matches as above.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from qbo_connector.logic.bill_submission import iso
from qbo_connector.logic.push_engine import (
    Match,
    New,
    Ours,
    PushClientPort,
    PushContext,
    Theirs,
    digest,
)
from qbo_connector.models.faults import (
    QboDuplicateNameError,
    QboError,
    QboInvalidReferenceError,
    QboNotFoundError,
    QboValidationError,
)
from qbo_connector.models.vendor import (
    DELETED_SUFFIX,
    ELEMENT_FIELDS,
    ApSupplier,
    VendorExport,
    name_identity,
    qbo_fields,
    qbo_vendor_link,
)

PARTIES = ("Vendor", "Customer", "Employee")
ALL_ROWS = "Active IN (true, false)"


def vendor_request_id(
    org_id: str, legal_entity_id: str, ap_supplier_id: str, generation: int
) -> str:
    """One supplier's create intent (≤ 50 chars)."""
    return "ven-" + digest(org_id, legal_entity_id, ap_supplier_id, str(generation))[:32]


def is_duplicate_name(fault: QboError) -> bool:
    return isinstance(fault, QboDuplicateNameError) or (
        fault.code == "6240" and "name" in str(fault.message or "").lower()
    )


class PartyIndex:
    """name identity → the vendors, customers and employees holding it."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def add(self, entity: str, obj: dict[str, Any]) -> None:
        name = obj.get("DisplayName")
        if not isinstance(name, str) or not name:
            return
        holders = self.by_name.setdefault(name_identity(name), [])
        holders[:] = [(e, o) for e, o in holders if not (e == entity and o["Id"] == obj["Id"])]
        holders.append((entity, obj))

    def holders(self, identity: str) -> list[tuple[str, dict[str, Any]]]:
        return self.by_name.get(identity, [])

    @classmethod
    def read(cls, client: PushClientPort) -> PartyIndex:
        index = cls()
        for entity in PARTIES:
            for page in client.query_all(entity, where=ALL_ROWS):
                for obj in page:
                    index.add(entity, obj)
        return index


class VendorSpec:
    """logic.push_engine.PushSpec for AP suppliers."""

    object_type = "Vendor"
    plural = "vendors"
    include_despite_match: str | None = None

    def __init__(
        self,
        clock: Callable[[], float],
        policy: Callable[[PushContext], str],
        owner_of: Callable[[str, str, str], str | None],
        on_exported: Callable[[PushContext, dict[str, Any]], None] | None = None,
    ) -> None:
        self.clock = clock
        # Called with each vendor QBO holds for a supplier *before* the log records it
        # exported (the master-data write): a crash in between leaves the supplier to be
        # recovered, never a vendor exported in the log but missing from the records.
        self.on_exported = on_exported
        self.policy = policy  # the legal entity's existing_vendor: "match" | "refuse"
        self.owner_of = owner_of  # (org, le, qbo vendor id) → the AP supplier exported to it
        self.index: PartyIndex | None = None
        self.ctx: PushContext | None = None
        self.matched_keys: list[str] = []

    def parse(self, record: VendorExport) -> ApSupplier:
        return record.parsed

    def identity(self, item: ApSupplier) -> Hashable:
        return item.identity

    def payload(self, item: ApSupplier) -> dict[str, Any]:
        return item.to_qbo()

    def request_id(self, ctx: PushContext, record: VendorExport) -> str:
        return vendor_request_id(
            ctx.org_id, ctx.legal_entity_id, record.ap_supplier_id, record.generation
        )

    def describe(self, record: VendorExport) -> str:
        return f"AP supplier {record.ap_supplier_id}"

    def prepare(self, ctx: PushContext) -> None:
        self.index = None
        self.ctx = ctx

    # -- what QBO holds ------------------------------------------------------------------

    def lookup(self, client: PushClientPort, items: Sequence[ApSupplier]) -> PartyIndex:
        if self.index is None:
            self.index = PartyIndex.read(client)
        return self.index

    def match(
        self, record: VendorExport, item: ApSupplier, found: PartyIndex, recovering: bool
    ) -> Match:
        holders = found.holders(item.identity)
        vendors = [o for e, o in holders if e == "Vendor"]
        if recovering:
            for vendor in vendors:
                if self._ours(item, vendor):
                    return Ours(vendor)
        for entity, obj in holders:
            if entity != "Vendor" and obj.get("Active", True) is not False:
                return Theirs({**obj, "_refused": entity})
        active = [v for v in vendors if v.get("Active", True) is not False]
        ctx = self.ctx
        for vendor in active:
            owner = (
                self.owner_of(ctx.org_id, ctx.legal_entity_id, str(vendor["Id"]))
                if ctx is not None
                else None
            )
            if owner and owner != record.key:
                return Theirs({**vendor, "_owner": owner})
            if ctx is not None and self.policy(ctx) == "match":
                self.matched_keys.append(record.key)
                return Ours({**vendor, "_matched": True})
            return Theirs(vendor)
        if vendors:
            return Theirs({**vendors[0], "_inactive": True})
        return New()

    @staticmethod
    def _ours(item: ApSupplier, vendor: dict[str, Any]) -> bool:
        have = qbo_fields(vendor)
        if have.get("display_name") != item.display_name:
            return False
        return bool(
            (item.company_name and have.get("company_name") == item.company_name)
            or (item.email and have.get("email") == item.email)
            or (not item.company_name and not item.email)
        )

    def is_conflict(self, fault: QboError) -> bool:
        return is_duplicate_name(fault)

    def resolve(
        self, ctx: PushContext, conflicts: Sequence[tuple[VendorExport, ApSupplier, QboError]]
    ) -> list[Match]:
        self.index = PartyIndex.read(ctx.client)
        out: list[Match] = []
        for record, item, _ in conflicts:
            match = self.match(record, item, self.index, recovering=False)
            if isinstance(match, New):
                # QBO says the name is taken and no list shows it: do not send it again.
                match = Theirs({"_unknown_holder": True, "DisplayName": item.display_name})
            out.append(match)
        return out

    # -- outcomes in words ------------------------------------------------------------------

    def exported(
        self, ctx: PushContext, record: VendorExport, qbo_object: dict[str, Any]
    ) -> dict[str, Any]:
        vendor = {k: v for k, v in qbo_object.items() if not k.startswith("_")}
        if self.on_exported is not None:
            self.on_exported(ctx, vendor)
        if self.index is not None:
            self.index.add("Vendor", vendor)
        fields: dict[str, Any] = {
            "qbo_vendor_id": str(vendor["Id"]),
            "qbo_sync_token": str(vendor.get("SyncToken", "0")),
            "exported_at": iso(self.clock()),
            # What QBO holds of ours now: the base every later update compares with.
            "sent": {k: v for k, v in qbo_fields(vendor).items() if v is not None},
        }
        tax_id = record.parsed.tax_id
        if tax_id:  # write-only in QBO (masked when read): keep what we wrote
            fields["sent"]["tax_id"] = tax_id
        if qbo_object.get("_matched"):
            fields["matched"] = True
            fields["sent"] = {k: v for k, v in qbo_fields(vendor).items() if v is not None}
        return fields

    def duplicate(
        self, ctx: PushContext, record: VendorExport, existing: dict[str, Any]
    ) -> dict[str, Any]:
        name = str(existing.get("DisplayName") or "")
        if existing.get("_unknown_holder"):
            return {
                "source": "quickbooks",
                "code": "name_in_use",
                "message": (
                    f"QuickBooks says another customer, vendor or employee already uses the "
                    f"name '{name}' (6240), and none of its lists shows it to this app. Choose "
                    "another display_name, or ask the accountant which record holds it."
                ),
            }
        holder_id = str(existing.get("Id"))
        refused = existing.get("_refused")
        if refused:
            kind = str(refused).lower()
            return {
                "_refused": True,
                "code": f"name_used_by_{kind}",
                "message": (
                    f"The name '{record.supplier['display_name']}' is already used by {kind} "
                    f"'{name}' (QuickBooks {refused} {holder_id}); QuickBooks keeps one name "
                    "across vendors, customers and employees. Submit the supplier with another "
                    "display_name (e.g. with ' (Vendor)' added), or rename the "
                    f"{kind} in QuickBooks and submit it again."
                ),
                "holder": {"type": refused, "id": holder_id, "display_name": name},
            }
        out: dict[str, Any] = {
            "source": "quickbooks",
            "qbo_vendor_id": holder_id,
            "qbo_link": qbo_vendor_link(holder_id),
            "display_name": name,
        }
        if existing.get("_owner"):
            out["ap_supplier_id"] = existing["_owner"]
            out["message"] = (
                f"QuickBooks vendor '{name}' ({holder_id}) is already the export of AP supplier "
                f"{existing['_owner']}; one QuickBooks vendor stands for one AP supplier. "
                "Use that supplier, or give this one another display_name."
            )
        elif existing.get("_inactive"):
            base = name[: -len(DELETED_SUFFIX)] if name.endswith(DELETED_SUFFIX) else name
            out["active"] = False
            out["message"] = (
                f"QuickBooks has an inactive vendor '{base}' ({holder_id}); it was not created "
                "again. Reactivate it in QuickBooks and submit the supplier again (it is then "
                "matched or refused by the existing-vendor policy), or choose another "
                "display_name."
            )
        else:
            out["message"] = (
                f"QuickBooks already has vendor '{name}' ({holder_id}); names are compared "
                "without regard to case or spacing, and this legal entity's policy refuses an "
                "existing vendor (existing_vendor: refuse). Use that vendor's id, or choose "
                "another display_name."
            )
        return out

    def failure(
        self,
        ctx: PushContext,
        record: VendorExport,
        item: ApSupplier,
        fault: QboValidationError,
    ) -> dict[str, Any]:
        field_name = ELEMENT_FIELDS.get(str(fault.element or "").lower())
        detail = fault.detail or fault.message
        if is_duplicate_name(fault):
            code = "name_in_use"
            field_name = "display_name"
            message = (
                f"QuickBooks refused the name '{item.display_name}': another customer, vendor "
                "or employee uses it (6240). Choose another display_name."
            )
        elif isinstance(fault, QboInvalidReferenceError | QboNotFoundError):
            code = "invalid_reference"
            field_name = field_name or ("terms_id" if item.terms_id else "currency")
            message = (
                f"QuickBooks does not have (or has made inactive) the {field_name} this "
                f"supplier names ({detail}). Send an active QuickBooks id (GET .../records) "
                "and submit the supplier again."
            )
        elif fault.code == "2050":
            code = "too_long"
            message = (
                f"QuickBooks refused {field_name or 'a field'} as too long ({detail}). "
                "Shorten it and submit the supplier again."
            )
        else:
            code = "rejected_by_quickbooks"
            where = f" (field {field_name})" if field_name else ""
            message = (
                f"QuickBooks refused the supplier{where}: {detail}. Correct it and submit it again."
            )
        out: dict[str, Any] = {
            "code": code,
            "message": message,
            "qbo_error": fault.as_record(),
        }
        if field_name:
            out["field"] = field_name
        return out
