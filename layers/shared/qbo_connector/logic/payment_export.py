"""AP-released payments into QBO as BillPayments: exactly once, duplicates refused, voids.

State machine of one payment (store: adapters.payment_store; views: models.payment)::

    submit ─► waiting_for_bills ──(its bills exported)──► queued ─take─► exporting
              queued ───────────────────────────────────────┘           │  │  │
                                                     exported ◄─────────┘  │  └► failed
                                                     duplicate ◄───────────┘
    void: queued/waiting ─► voided at once (never sent)
          exported ─► void requested ─(worker: QBO void)─► voided | refused (stays exported)

Who does what:

- `submit` (here): idempotent on the AP payment id, validated against the imported
  master data (vendor, the paying account's type), the bills' export and payment state
  (another vendor's bill, a bill fully paid, more than its open balance, a currency
  mismatch) and the closing date — 400/409 naming the field and the record;
- `PushEngine` (logic.push_engine) with `PaymentSpec` (logic.payment_push): the export —
  lease, look-up, batch, unknown-outcome recovery, every failure point — shared with bills;
- `export_pending` (here), the sync run's payment step: waiting payments whose bills are
  now exported become ready, the engine runs, requested voids are done, and the paid
  bills' balances are read back into their payment state.

A void is done by the worker, exactly once: the payment is read first (already voided →
recorded as voided), then voided with a deterministic requestid; QBO's refusal (a
reconciled payment, a closed period) is recorded in words and the payment stays exported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from qbo_connector.logic.bill_payments import BillPayments, money, read_by_ids
from qbo_connector.logic.bill_submission import export_job_message, iso
from qbo_connector.logic.payment_push import PaymentSpec, is_voided
from qbo_connector.logic.ports import BillLogPort, MasterDataPort, PaymentLogPort, QueuePort
from qbo_connector.logic.push_engine import (
    BATCH_SIZE,
    LEASE_SECONDS,
    SETTLE_SECONDS,
    PushCounts,
    PushEngine,
    digest,
)
from qbo_connector.logic.sync_context import SyncContext
from qbo_connector.models.bill import BillExport, ExportState, PaymentState, StaleRecord
from qbo_connector.models.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from qbo_connector.models.faults import QboError, QboValidationError
from qbo_connector.models.legal_entity import LegalEntity, validate_id
from qbo_connector.models.payment import (
    METHOD_WORDS,
    ApPayment,
    PaymentExport,
    PaymentStatus,
    VoidState,
)
from qbo_connector.models.sync_profile import SyncProfile
from qbo_connector.observability import logger

# The QBO AccountType a payment pays from, by BillPayment.PayType.
PAYING_ACCOUNT_TYPES = {"Check": "Bank", "CreditCard": "Credit Card"}


def void_request_id(
    org_id: str, legal_entity_id: str, ap_payment_id: str, payment_id: str, attempt: int
) -> str:
    """One void intent: a void asked again after QBO refused it is a new intent (QBO
    would replay its refusal to the old requestid)."""
    return "void-" + digest(org_id, legal_entity_id, ap_payment_id, payment_id, str(attempt))[:32]


class PaymentExportService:
    """The payment log's service: submission, reads, voids, the ops mark, and the sync
    run's payment step."""

    def __init__(
        self,
        store: PaymentLogPort,
        bills: BillLogPort,
        master_data: MasterDataPort,
        queue: QueuePort | None = None,
        clock: Callable[[], float] = time.time,
        lease_seconds: int = LEASE_SECONDS,
        settle_seconds: int = SETTLE_SECONDS,
        batch_size: int = BATCH_SIZE,
        after_batch: Callable[[list[PaymentExport], Sequence[Any]], None] | None = None,
        credits: BillLogPort | None = None,
    ) -> None:
        self.store = store
        self.bills = bills
        # The AP credit notes' log (logic.vendor_credits): credits applied by ap_credit_id.
        self.credits = credits
        self.credit_payments = BillPayments(credits) if credits is not None else None
        self.master = master_data
        self.queue = queue
        self.clock = clock
        self.spec = PaymentSpec(clock)
        self.engine: PushEngine[PaymentExport, PaymentExport] = PushEngine(
            self.spec, store, clock, lease_seconds, settle_seconds, batch_size, after_batch
        )
        self.bill_payments = BillPayments(bills)

    # -- submission ---------------------------------------------------------------------

    def submit(self, entity: LegalEntity, body: Any) -> dict[str, Any]:
        """Queue an AP payment; idempotent on ap_payment_id (module doc)."""
        if not (entity.realm_id or entity.data_realm_id):
            raise PreconditionFailed(
                f"{entity.name} is not connected to QuickBooks; connect it and export its "
                "bills before submitting payments.",
                code="not_connected",
            )
        profile = SyncProfile.from_dict(entity.sync_profile or {})
        if not profile.export_payments:
            raise PreconditionFailed(
                "Payments are not exported for this legal entity: export_payments is off in "
                "its sync profile. Ask support to turn it on (put_sync_profile).",
                code="payments_not_enabled",
            )
        sent = ApPayment.parse(body)
        org_id, legal_entity_id = entity.org_id, entity.legal_entity_id
        digest_sent = sent.payload_hash()
        existing = self.store.get(org_id, legal_entity_id, sent.ap_payment_id)
        if (
            existing is not None
            and existing.payload_hash == digest_sent
            and existing.state != ExportState.FAILED
        ):
            return existing.view()
        if existing is not None and (
            existing.state in (ExportState.EXPORTED, ExportState.EXPORTING) or existing.void
        ):
            raise Conflict(
                f"AP payment {sent.ap_payment_id} was already "
                f"{str(existing.status).replace('_', ' ')} with different content; a payment "
                "is never changed after export. Void it and submit the correction as a new "
                "AP payment.",
                code="payment_already_exported",
                details={
                    "state": str(existing.status),
                    "qbo_bill_payment_id": existing.qbo_bill_payment_id,
                },
            )
        payment = self._with_defaults(sent, profile)
        payment = self._resolve_credits(org_id, legal_entity_id, payment)
        self._check_master_data(org_id, legal_entity_id, payment)
        bills = self._check_bills(entity, payment)
        if payment.credits and profile.vendor_credits == "refuse":
            raise InvalidInput(
                "This legal entity's sync profile refuses vendor credits in payments "
                "(vendor_credits: refuse); send the payment without vendor_credits.",
                field="vendor_credits",
            )
        closed = entity.preferences.book_close_date
        if closed and payment.payment_date <= closed:
            raise Conflict(
                f"payment_date {payment.payment_date} is on or before {closed}, the date the "
                "books are closed in QuickBooks; QuickBooks refuses it. Date the payment "
                "later, or ask the accountant to reopen the period.",
                code="period_closed",
                field="payment_date",
            )
        now = int(self.clock())
        record = PaymentExport(
            org_id=org_id,
            legal_entity_id=legal_entity_id,
            ap_payment_id=payment.ap_payment_id,
            payment=payment.to_dict(),
            payload_hash=digest_sent,
            generation=(existing.generation + 1) if existing else 1,
            submitted_at=iso(now),
            updated_at=iso(now),
        )
        record = self._readiness(record, bills)
        self.store.put_pending(record, now)
        try:
            if existing is None:
                self.store.create(record)
            else:
                self.store.replace(record, existing)
        except StaleRecord:
            raise Conflict(
                f"AP payment {payment.ap_payment_id} changed while this request was "
                "processed; send it again.",
                code="payment_changed_concurrently",
            ) from None
        self._enqueue(entity)
        return record.view()

    @staticmethod
    def _with_defaults(payment: ApPayment, profile: SyncProfile) -> ApPayment:
        if payment.pay_type == "Check" and not payment.bank_account_id:
            if not profile.payment_bank_account_id:
                raise InvalidInput(
                    f"bank_account_id is required for a {METHOD_WORDS[payment.method]} "
                    "payment: this legal entity's sync profile has no default bank account "
                    "(payment_bank_account_id).",
                    field="bank_account_id",
                )
            return replace(payment, bank_account_id=profile.payment_bank_account_id)
        if payment.pay_type == "CreditCard" and not payment.card_account_id:
            if not profile.payment_card_account_id:
                raise InvalidInput(
                    f"card_account_id is required for a {METHOD_WORDS[payment.method]} "
                    "payment: this legal entity's sync profile has no default credit-card "
                    "account (payment_card_account_id).",
                    field="card_account_id",
                )
            return replace(payment, card_account_id=profile.payment_card_account_id)
        return payment

    def _resolve_credits(self, org_id: str, legal_entity_id: str, payment: ApPayment) -> ApPayment:
        """Credits named by ap_credit_id: exported credit notes of this vendor, applied at
        most up to what remains of them."""
        named = [c for c in payment.credits if c.ap_credit_id]
        if not named:
            return payment
        found = (
            {
                r.ap_invoice_id: r
                for r in self.credits.get_many(
                    org_id, legal_entity_id, [str(c.ap_credit_id) for c in named]
                )
            }
            if self.credits is not None
            else {}
        )
        resolved = []
        for i, credit in enumerate(payment.credits):
            where = f"vendor_credits[{i}]"
            if not credit.ap_credit_id:
                resolved.append(credit)
                continue
            record = found.get(credit.ap_credit_id)
            if record is None or record.state != ExportState.EXPORTED or not record.qbo_bill_id:
                now = "never submitted" if record is None else str(record.state)
                raise Conflict(
                    f"{where}.ap_credit_id {credit.ap_credit_id} is not an exported vendor "
                    f"credit of this legal entity ({now}); apply it once it is exported.",
                    field=f"{where}.ap_credit_id",
                    code="credit_not_exported",
                )
            if record.parsed.vendor_id != payment.vendor_id:
                raise InvalidInput(
                    f"{where}: AP credit {credit.ap_credit_id} is a credit of vendor "
                    f"{record.parsed.vendor_id}, not {payment.vendor_id}.",
                    field=f"{where}.ap_credit_id",
                    code="credit_of_another_vendor",
                )
            remaining = money((record.payment or {}).get("balance", record.parsed.total))
            if Decimal(credit.amount) > remaining:
                raise Conflict(
                    f"{where}.amount {credit.amount} is more than the {remaining} that remains "
                    f"of AP credit {credit.ap_credit_id}; apply at most that.",
                    field=f"{where}.amount",
                    code="amount_above_remaining_credit",
                    details={"remaining": str(remaining)},
                )
            resolved.append(replace(credit, vendor_credit_id=str(record.qbo_bill_id)))
        return replace(payment, credits=tuple(resolved))

    def _check_master_data(self, org_id: str, legal_entity_id: str, payment: ApPayment) -> None:
        account_field = "bank_account_id" if payment.pay_type == "Check" else "card_account_id"
        account_id = payment.paying_account_id or ""
        found = self.master.lookup(
            org_id,
            legal_entity_id,
            [("Vendor", payment.vendor_id), ("Account", account_id)],
            with_body=True,
        )
        vendor = found.get(("Vendor", payment.vendor_id))
        if vendor is None or vendor.deleted or not vendor.active:
            state = "inactive" if vendor is not None and not vendor.deleted else "not a vendor"
            raise InvalidInput(
                f"vendor_id '{payment.vendor_id}' is {state} in this legal entity's "
                "QuickBooks company (as of the last sync); pay an active vendor.",
                field="vendor_id",
                code="unknown_reference",
            )
        account = found.get(("Account", account_id))
        wanted = PAYING_ACCOUNT_TYPES[payment.pay_type]
        if account is None or account.deleted or not account.active:
            raise InvalidInput(
                f"{account_field} '{account_id}' is not an active account in this legal "
                "entity's QuickBooks company (as of the last sync); choose a "
                f"{wanted} account.",
                field=account_field,
                code="unknown_reference",
            )
        kind = (account.data or {}).get("AccountType")
        if kind != wanted:
            raise InvalidInput(
                f"{account_field} '{account_id}' is the {kind or 'unknown'} account "
                f"'{account.name}'; a {METHOD_WORDS[payment.method]} payment is paid from a "
                f"{wanted} account.",
                field=account_field,
                code="wrong_account_type",
            )
        vendor_currency = ((vendor.data or {}).get("CurrencyRef") or {}).get("value")
        if payment.currency and vendor_currency and payment.currency != vendor_currency:
            raise InvalidInput(
                f"currency {payment.currency} is not the currency of vendor "
                f"'{vendor.name}' ({vendor_currency}); QuickBooks pays a vendor in its own "
                "currency.",
                field="currency",
                code="currency_mismatch",
            )

    def _check_bills(self, entity: LegalEntity, payment: ApPayment) -> dict[str, BillExport]:
        org_id, legal_entity_id = entity.org_id, entity.legal_entity_id
        records = {
            r.ap_invoice_id: r
            for r in self.bills.get_many(
                org_id, legal_entity_id, [b.ap_invoice_id for b in payment.bills]
            )
        }
        home = entity.preferences.home_currency
        for i, paid in enumerate(payment.bills):
            where = f"bills[{i}]"
            record = records.get(paid.ap_invoice_id)
            if record is None:
                raise InvalidInput(
                    f"{where}.ap_invoice_id {paid.ap_invoice_id} was never submitted to this "
                    "legal entity as a bill; submit the bill first, then its payment.",
                    field=f"{where}.ap_invoice_id",
                    code="unknown_bill",
                )
            invoice = record.parsed
            if invoice.vendor_id != payment.vendor_id:
                raise InvalidInput(
                    f"{where}: AP invoice {paid.ap_invoice_id} is a bill of vendor "
                    f"{invoice.vendor_id}, not {payment.vendor_id}; one payment pays one "
                    "vendor's bills.",
                    field=f"{where}.ap_invoice_id",
                    code="bill_of_another_vendor",
                )
            bill_currency = invoice.currency or home
            pay_currency = payment.currency or home
            if bill_currency and pay_currency and bill_currency != pay_currency:
                raise InvalidInput(
                    f"{where}: AP invoice {paid.ap_invoice_id} is in {bill_currency}, the "
                    f"payment in {pay_currency}; pay it in {bill_currency}.",
                    field="currency",
                    code="currency_mismatch",
                )
            if record.state in (ExportState.FAILED, ExportState.DUPLICATE):
                raise Conflict(
                    f"{where}: AP invoice {paid.ap_invoice_id} is {record.state} and will not "
                    "be exported as it is; resolve it (see GET .../bills/"
                    f"{paid.ap_invoice_id}) before paying it.",
                    field=f"{where}.ap_invoice_id",
                    code="bill_not_exportable",
                )
            state = record.payment or {}
            if record.state == ExportState.EXPORTED and state.get("state") == PaymentState.PAID:
                raise Conflict(
                    f"{where}: AP invoice {paid.ap_invoice_id} (QuickBooks bill "
                    f"{record.qbo_bill_id}) is already fully paid in QuickBooks; it is not "
                    "paid twice.",
                    field=f"{where}.ap_invoice_id",
                    code="bill_already_paid",
                )
            open_balance = (
                money(state.get("balance", invoice.total))
                if record.state == ExportState.EXPORTED
                else money(invoice.total)
            )
            if Decimal(paid.amount) > open_balance:
                raise Conflict(
                    f"{where}.amount {paid.amount} is more than the open balance "
                    f"{open_balance} of AP invoice {paid.ap_invoice_id}; pay at most the "
                    "open balance.",
                    field=f"{where}.amount",
                    code="amount_above_open_balance",
                    details={"open_balance": str(open_balance)},
                )
        return records

    def _readiness(self, record: PaymentExport, bills: dict[str, BillExport]) -> PaymentExport:
        """Ready (QBO bill ids fixed) when every bill is exported, else waiting."""
        waiting = [
            b["ap_invoice_id"]
            for b in record.payment["bills"]
            if not (
                (bill := bills.get(b["ap_invoice_id"])) is not None
                and bill.state == ExportState.EXPORTED
                and bill.qbo_bill_id
            )
        ]
        if waiting:
            return replace(
                record,
                waiting={
                    "ap_invoice_ids": waiting,
                    "reason": (
                        f"Waiting for the export of AP invoice{'s' if len(waiting) > 1 else ''} "
                        f"{', '.join(waiting)}; the payment is exported right after."
                    ),
                },
                qbo_bills=None,
            )
        qbo = {
            b["ap_invoice_id"]: str(bills[b["ap_invoice_id"]].qbo_bill_id)
            for b in record.payment["bills"]
        }
        return replace(record, waiting=None, qbo_bills=qbo)

    def _enqueue(self, entity: LegalEntity) -> None:
        if self.queue is None:
            return
        try:
            self.queue.send(export_job_message(entity.org_id, entity.legal_entity_id))
        except Exception as exc:  # noqa: BLE001 - safely queued; the next sync exports it
            logger.warning("export job not enqueued", extra={"error_type": type(exc).__name__})

    # -- reads ------------------------------------------------------------------------------

    def show(self, entity: LegalEntity, ap_payment_id: str) -> dict[str, Any]:
        return self._get(entity, ap_payment_id).view()

    def _get(self, entity: LegalEntity, ap_payment_id: str) -> PaymentExport:
        validate_id(ap_payment_id, "apPaymentId")
        record = self.store.get(entity.org_id, entity.legal_entity_id, ap_payment_id)
        if record is None:
            raise NotFound(
                f"No AP payment {ap_payment_id} was submitted to this legal entity.",
                code="payment_not_found",
            )
        return record

    def list_page(
        self, entity: LegalEntity, state: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        wanted = {str(s) for s in PaymentStatus}
        if state is not None and state not in wanted:
            raise InvalidInput(f"state must be one of {', '.join(sorted(wanted))}.", field="state")
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be between 1 and 200.", field="limit")
        # Derived states (waiting, voided) live beside the engine's: filter on the view.
        stored = state if state in {str(s) for s in ExportState} - {"queued", "exported"} else None
        items: list[dict[str, Any]] = []
        next_cursor = cursor
        while True:
            page, next_cursor = self.store.list_page(
                entity.org_id, entity.legal_entity_id, stored, limit - len(items), next_cursor
            )
            items += [r.view() for r in page if state is None or str(r.status) == state]
            if next_cursor is None or len(items) >= limit:
                break
        return {"items": items, "next_cursor": next_cursor}

    # -- voids ----------------------------------------------------------------------------

    def void(self, entity: LegalEntity, ap_payment_id: str, reason: str | None) -> dict[str, Any]:
        """Void a payment (a returned cheque, a failed transfer): one never sent is voided
        at once; an exported one is voided in QBO by the worker, exactly once."""
        record = self._get(entity, ap_payment_id)
        now = int(self.clock())
        void: dict[str, Any] = {"state": str(VoidState.REQUESTED), "requested_at": iso(now)}
        if reason:
            void["reason"] = reason
        status = record.status
        if status == PaymentStatus.VOIDED:
            return record.view()
        if record.state == ExportState.QUEUED:
            done = {
                **void,
                "state": str(VoidState.VOIDED),
                "voided_at": iso(now),
                "message": "Voided before it was sent to QuickBooks; nothing was recorded there.",
            }
            if not self.store.cancel(record, done, now):
                raise self._raced(ap_payment_id)
        elif record.state == ExportState.EXPORTED:
            if (record.void or {}).get("state") == VoidState.REQUESTED:
                return record.view()
            void["attempt"] = int((record.void or {}).get("attempt", 0)) + 1
            if not self.store.request_void(record, void, now):
                raise self._raced(ap_payment_id)
            self._enqueue(entity)
        else:
            raise Conflict(
                f"AP payment {ap_payment_id} is {status}; "
                + (
                    "it is being sent to QuickBooks, void it once it is exported."
                    if status == PaymentStatus.EXPORTING
                    else "nothing was recorded in QuickBooks, so there is nothing to void."
                ),
                code="payment_not_voidable",
            )
        return self._get(entity, ap_payment_id).view()

    @staticmethod
    def _raced(ap_payment_id: str) -> Conflict:
        return Conflict(
            f"AP payment {ap_payment_id} changed while this request was processed; look at "
            "its state and send the request again.",
            code="payment_changed_concurrently",
        )

    def _do_voids(self, ctx: SyncContext, counts: dict[str, int]) -> list[str]:
        """Requested voids, in QBO: answers the keys of the payments voided."""
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        ids = self.store.void_ids(org_id, legal_entity_id)
        touched: list[str] = []
        for record in self.store.get_many(org_id, legal_entity_id, ids):
            void = dict(record.void or {})
            if void.get("state") != VoidState.REQUESTED or not record.qbo_bill_payment_id:
                self.store.drop_void(org_id, legal_entity_id, record.key)
                continue
            now = int(self.clock())
            try:
                current = ctx.client.read("BillPayment", record.qbo_bill_payment_id)
                if not is_voided(current):
                    current = ctx.client.void(
                        "BillPayment",
                        record.qbo_bill_payment_id,
                        str(current.get("SyncToken", "0")),
                        request_id=void_request_id(
                            org_id,
                            legal_entity_id,
                            record.key,
                            record.qbo_bill_payment_id,
                            int(void.get("attempt", 1)),
                        ),
                    )
            except QboValidationError as fault:
                void.update(
                    state=str(VoidState.REFUSED),
                    refused_at=iso(now),
                    message=(
                        f"QuickBooks refused to void bill payment {record.qbo_bill_payment_id}: "
                        f"{fault.detail or fault.message}. The payment stays recorded; void it "
                        "in QuickBooks by hand once that is resolved, or request the void again."
                    ),
                    qbo_error={"code": fault.code, "intuit_tid": fault.intuit_tid},
                )
                self.store.settle_void(record, void, now)
                counts["void_refused"] = counts.get("void_refused", 0) + 1
                ctx.run.add_error(
                    f"AP payment {record.key}: {void['message']}",
                    code="void_refused",
                    object_type="BillPayment",
                    intuit_tid=fault.intuit_tid,
                )
                continue
            except QboError as err:
                # Unknown outcome: the void stays requested; the same requestid replays it.
                logger.warning("void not answered", extra={"error_type": type(err).__name__})
                continue
            void.update(state=str(VoidState.VOIDED), voided_at=iso(now))
            self.store.settle_void(record, void, now)
            counts["voided"] = counts.get("voided", 0) + 1
            touched.append(record.key)
        return touched

    # -- the sync run's payment step ---------------------------------------------------------

    def export_pending(self, ctx: SyncContext) -> PushCounts:
        """Ready what waited, push what is queued, void what was asked, read balances."""
        self._ready_waiting(ctx)
        counts = self.engine.run(ctx)
        extra: dict[str, int] = {}
        voided = self._do_voids(ctx, extra)
        self._read_back(ctx, [*counts.exported_keys, *voided])
        ctx.run.progress(
            "BillPayment",
            status="done",
            method="export",
            **{k: v for k, v in {**counts.as_dict(), **extra}.items() if v},
        )
        return counts

    def _ready_waiting(self, ctx: SyncContext) -> None:
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        records = self.store.get_many(
            org_id, legal_entity_id, self.store.pending_ids(org_id, legal_entity_id)
        )
        waiting = [r for r in records if r.state == ExportState.QUEUED and r.waiting and not r.void]
        if not waiting:
            return
        bills = {
            b.ap_invoice_id: b
            for b in self.bills.get_many(
                org_id,
                legal_entity_id,
                {p["ap_invoice_id"] for r in waiting for p in r.payment["bills"]},
            )
        }
        now = int(self.clock())
        for record in waiting:
            ready = self._readiness(record, bills)
            if ready.waiting is None and ready.qbo_bills:
                self.store.set_ready(record, ready.qbo_bills, now)
            elif ready.waiting != record.waiting:
                self.store.set_waiting(record, ready.waiting or {}, now)

    def _read_back(self, ctx: SyncContext, keys: list[str]) -> None:
        """The paid bills' Balance from QBO into their payment state and the payments'
        `bill_balances` (one query per 100 bills), after this run's exports and voids."""
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        exported = [
            r
            for r in self.store.get_many(org_id, legal_entity_id, keys)
            if r.state == ExportState.EXPORTED
        ]
        bill_ids = sorted({i for r in exported for i in (r.qbo_bills or {}).values()})
        if not bill_ids:
            return
        try:
            bills = read_by_ids(ctx.client, "Bill", bill_ids)
        except QboError as err:
            logger.warning("bill balances not read", extra={"error_type": type(err).__name__})
            return
        self.bill_payments.apply_payment_changes(ctx, list(bills.values()), [])
        credit_ids = sorted(
            {c["vendor_credit_id"] for r in exported for c in r.payment.get("credits") or []}
        )
        if credit_ids and self.credit_payments is not None:
            try:
                credits = read_by_ids(ctx.client, "VendorCredit", credit_ids)
            except QboError as err:
                logger.warning("credits not read", extra={"error_type": type(err).__name__})
            else:
                # A credit's remaining balance, as a bill's open one (logic.bill_payments).
                self.credit_payments.apply_payment_changes(ctx, list(credits.values()), [])
        for record in exported:
            balances = {
                ap: {"qbo_bill_id": qbo, "balance": float(money(bills[qbo].get("Balance")))}
                for ap, qbo in (record.qbo_bills or {}).items()
                if qbo in bills
            }
            if balances and balances != record.bill_balances:
                self.store.set_bill_balances(record, balances)

    # -- ops --------------------------------------------------------------------------------

    def mark_exported(
        self,
        org_id: str,
        legal_entity_id: str,
        ap_payment_id: Any,
        qbo_bill_payment_id: str | None,
        operator: str,
    ) -> dict[str, Any]:
        """A duplicate that *is* the existing BillPayment: record it as exported against it."""
        key = validate_id(ap_payment_id, "ap_payment_id")
        record = self.store.get(org_id, legal_entity_id, key)
        if record is None:
            raise NotFound(
                f"No AP payment {key} in {org_id}/{legal_entity_id}.", code="payment_not_found"
            )
        if record.state != ExportState.DUPLICATE:
            raise Conflict(
                f"AP payment {key} is {record.status}, not duplicate; only a duplicate can be "
                "marked exported.",
                code="not_a_duplicate",
            )
        target = qbo_bill_payment_id or (record.duplicate_of or {}).get("qbo_bill_payment_id")
        if not target:
            raise InvalidInput(
                "qbo_bill_payment_id is required: the duplicate does not name an existing "
                "QuickBooks bill payment.",
                field="qbo_bill_payment_id",
            )
        validate_id(str(target), "qbo_bill_payment_id")
        owner = self.store.ap_payment_for_qbo_payment(org_id, legal_entity_id, str(target))
        if owner and owner != key:
            raise Conflict(
                f"QuickBooks bill payment {target} is already the export of AP payment "
                f"{owner}; one QuickBooks payment stands for one AP payment.",
                code="qbo_payment_taken",
            )
        now = int(self.clock())
        try:
            self.store.mark_exported(
                record, str(target), now, {"operator": operator or "ops", "at": iso(now)}
            )
        except StaleRecord:
            raise self._raced(key) from None
        updated = self.store.get(org_id, legal_entity_id, key)
        assert updated is not None
        return updated.view()

    # -- QBO's own changes -------------------------------------------------------------------

    def apply_changes(self, ctx: SyncContext, bill_payments: list[dict[str, Any]]) -> int:
        """BillPayments changed in QBO (CDC): ours voided or deleted there by the accountant
        are recorded as voided; the accountant's own payments only move the bills' state
        (logic.bill_payments)."""
        org_id, legal_entity_id = ctx.org_id, ctx.legal_entity_id
        changed = 0
        for payment in bill_payments:
            payment_id = str(payment.get("Id") or "")
            ap = payment_id and self.store.ap_payment_for_qbo_payment(
                org_id, legal_entity_id, payment_id
            )
            if not ap:
                continue
            gone = payment.get("status") == "Deleted"
            if not (gone or is_voided(payment)):
                continue
            record = self.store.get(org_id, legal_entity_id, ap)
            if record is None or record.status == PaymentStatus.VOIDED:
                continue
            now = int(self.clock())
            void = {
                "state": str(VoidState.VOIDED),
                "voided_at": iso(now),
                "by": "quickbooks",
                "message": (
                    f"Bill payment {payment_id} was {'deleted' if gone else 'voided'} in "
                    "QuickBooks."
                ),
            }
            if not self.store.request_void(
                record, {**void, "state": str(VoidState.REQUESTED)}, now
            ):
                continue
            fresh = self.store.get(org_id, legal_entity_id, ap)
            if fresh is not None and self.store.settle_void(fresh, void, now):
                changed += 1
        return changed
