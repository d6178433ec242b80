"""The independent client python-quickbooks against the sandbox's Accounting API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.attachable import Attachable, AttachableRef
from quickbooks.objects.base import Address, EmailAddress, Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
)
from quickbooks.objects.employee import Employee
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.vendor import Vendor

from qbo_sandbox import SandboxServer

from .helpers import REALM


@pytest.fixture
def qb(server: SandboxServer, connected: AuthClient, monkeypatch: pytest.MonkeyPatch) -> QuickBooks:
    # python-quickbooks sends requests through requests-oauthlib, which refuses plain http
    # unless told that this is a local transport.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    server.sandbox.set_limits(per_second=10_000)  # back-to-back calls; limits tested elsewhere
    client = QuickBooks(auth_client=connected, refresh_token=connected.refresh_token,
                        company_id=REALM, minorversion=75)
    # python-quickbooks builds URLs from api_url_v3; point it at the local sandbox.
    client.api_url_v3 = server.api_base
    return client


def _ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def _account_id(qb: QuickBooks, name: str) -> str:
    return str(Account.filter(Name=name, qb=qb)[0].Id)


def _bill(qb: QuickBooks, vendor_id: str, amount: float, doc: str | None = None) -> Bill:
    bill = Bill()
    bill.VendorRef = _ref(vendor_id)
    if doc:
        bill.DocNumber = doc
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = _ref(_account_id(qb, "Supplies"))
    bill.Line.append(line)
    return bill


def test_vendor_count_paging_and_active_filter(qb: QuickBooks) -> None:
    assert Vendor.count(qb=qb) == 26
    assert Vendor.count("Active IN (true, false)", qb=qb) == 27
    page1 = Vendor.where("", order_by="DisplayName", start_position=1, max_results=10, qb=qb)
    page3 = Vendor.where("", order_by="DisplayName", start_position=21, max_results=10, qb=qb)
    assert len(page1) == 10 and len(page3) == 6
    names = [v.DisplayName for v in page1]
    assert names == sorted(names, key=str.lower)
    everyone = Vendor.all(max_results=1000, qb=qb)
    assert len({v.Id for v in everyone}) == 26


def test_filter_and_read(qb: QuickBooks) -> None:
    norton = Vendor.filter(DisplayName="Norton Lumber and Building Materials", qb=qb)
    assert len(norton) == 1
    again = Vendor.get(norton[0].Id, qb=qb)
    assert again.DisplayName == "Norton Lumber and Building Materials"
    assert Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)
    with pytest.raises(ObjectNotFoundException):
        Vendor.get("999999", qb=qb)
    info = CompanyInfo.get(REALM, qb=qb)
    assert info.CompanyName == "Craig's Design and Landscaping Services"


def test_vendor_create_update_and_stale_synctoken(qb: QuickBooks) -> None:
    vendor = Vendor()
    vendor.DisplayName = "Sandbox Supplies LLC"
    vendor.PrimaryEmailAddr = EmailAddress()
    vendor.PrimaryEmailAddr.Address = "ap@sandbox.example"
    created = vendor.save(qb=qb)
    assert created.Id and created.SyncToken == "0"
    assert created.Active is True

    created.CompanyName = "Sandbox Supplies"
    updated = created.save(qb=qb)
    assert updated.SyncToken == "1"
    assert updated.CompanyName == "Sandbox Supplies"

    created.SyncToken = "0"
    # python-quickbooks maps codes 5000+ to its generic QuickbooksException.
    with pytest.raises(QuickbooksException) as err:
        created.save(qb=qb)
    assert err.value.error_code == 5010

    dup = Vendor()
    dup.DisplayName = "sandbox supplies llc"
    with pytest.raises(QuickbooksException) as err:
        dup.save(qb=qb)
    assert err.value.error_code == 6240


def test_bill_create_and_duplicate_doc_number(server: SandboxServer, qb: QuickBooks) -> None:
    vendor_id = str(Vendor.filter(DisplayName="Hicks Hardware", qb=qb)[0].Id)
    saved = _bill(qb, vendor_id, 120.5, "INV-100").save(qb=qb)
    assert saved.TotalAmt == 120.5 and saved.Balance == 120.5
    # With the preference off, QBO accepts a duplicate number.
    _bill(qb, vendor_id, 10, "INV-100").save(qb=qb)

    server.sandbox.set_warn_duplicate_bill_number(REALM, True)
    prefs = Preferences.get(qb=qb)
    names = {nv.Name: nv.Value for nv in prefs.OtherPrefs.NameValue}
    assert names["WarnDuplicateBillNumber"] == "true"
    with pytest.raises(QuickbooksException) as err:
        _bill(qb, vendor_id, 10, "INV-100").save(qb=qb)
    assert err.value.error_code == 6140
    assert f"TxnId={saved.Id}" in err.value.detail
    bypass = _bill(qb, vendor_id, 10, "INV-100").save(
        qb=qb, params={"include": "allowduplicatedocnum"})
    assert bypass.Id


def test_bill_attachment_upload(server: SandboxServer, qb: QuickBooks) -> None:
    vendor_id = str(Vendor.filter(DisplayName="Hicks Hardware", qb=qb)[0].Id)
    bill = _bill(qb, vendor_id, 42, "PDF-1").save(qb=qb)
    attachment = Attachable()
    ref = AttachableRef()
    ref.EntityRef = {"type": "Bill", "value": bill.Id}
    attachment.AttachableRef.append(ref)
    attachment.FileName = "invoice.pdf"
    attachment.ContentType = "application/pdf"
    attachment._FileBytes = b"%PDF-1.4 sandbox\x00\xff"
    saved = attachment.save(qb=qb)
    assert saved.Id and saved.Size == 18
    assert server.sandbox.company(REALM).attachments[saved.Id] == b"%PDF-1.4 sandbox\x00\xff"


def test_batch_create_each_item_alone(qb: QuickBooks) -> None:
    good, bad = Vendor(), Vendor()
    good.DisplayName = "Batch Vendor One"
    bad.DisplayName = "Hicks Hardware"  # already exists -> 6240 for this item only
    result = batch_create([good, bad], qb=qb)
    assert [v.DisplayName for v in result.successes] == ["Batch Vendor One"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"


def test_change_data_capture(server: SandboxServer, qb: QuickBooks) -> None:
    server.sandbox.advance_clock(120)
    since = datetime.now(UTC) + timedelta(seconds=60)  # after the seed, in sandbox time
    vendor = Vendor()
    vendor.DisplayName = "CDC Vendor"
    vendor.save(qb=qb)
    resp = change_data_capture([Vendor, Bill], since.isoformat(timespec="seconds"), qb=qb)
    assert [v.DisplayName for v in resp.Vendor] == ["CDC Vendor"]
    assert not hasattr(resp, "Bill")


def test_python_quickbooks_voids_and_deletes_a_bill_payment(server: SandboxServer,
                                                            qb: QuickBooks) -> None:
    from quickbooks.objects.account import Account
    from quickbooks.objects.base import LinkedTxn, Ref
    from quickbooks.objects.bill import Bill
    from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment
    from quickbooks.objects.detailline import (
        AccountBasedExpenseLine,
        AccountBasedExpenseLineDetail,
    )
    from quickbooks.objects.vendor import Vendor

    vendor = Vendor.filter(DisplayName="Hicks Hardware", qb=qb)[0]
    expense = Account.filter(Name="Supplies", qb=qb)[0]
    checking = Account.filter(Name="Checking", qb=qb)[0]
    bill = Bill()
    bill.VendorRef = vendor.to_ref()
    line = AccountBasedExpenseLine()
    line.Amount = 80
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = expense.to_ref()
    bill.Line.append(line)
    bill.save(qb=qb)

    payment = BillPayment()
    payment.PayType = "Check"
    payment.TotalAmt = 80
    payment.VendorRef = vendor.to_ref()
    payment.CheckPayment = CheckPayment()
    bank = Ref()
    bank.value = checking.Id
    payment.CheckPayment.BankAccountRef = bank
    paid = BillPaymentLine()
    paid.Amount = 80
    link = LinkedTxn()
    link.TxnId, link.TxnType = bill.Id, "Bill"
    paid.LinkedTxn.append(link)
    payment.Line.append(paid)
    payment.save(qb=qb)
    assert Bill.get(bill.Id, qb=qb).Balance == 0

    payment.void(qb=qb)
    read = BillPayment.get(payment.Id, qb=qb)
    assert read.TotalAmt == 0 and read.PrivateNote == "Voided"
    assert Bill.get(bill.Id, qb=qb).Balance == 80
    read.delete(qb=qb)
    assert not BillPayment.filter(Id=payment.Id, qb=qb)


def test_python_quickbooks_creates_and_reads_a_vendor_credit(qb: QuickBooks) -> None:
    from quickbooks.objects.account import Account
    from quickbooks.objects.detailline import (
        AccountBasedExpenseLine,
        AccountBasedExpenseLineDetail,
    )
    from quickbooks.objects.vendor import Vendor
    from quickbooks.objects.vendorcredit import VendorCredit

    credit = VendorCredit()
    credit.VendorRef = Vendor.filter(DisplayName="Hicks Hardware", qb=qb)[0].to_ref()
    credit.DocNumber = "CN-77"
    line = AccountBasedExpenseLine()
    line.Amount = 25.5
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = Account.filter(
        Name="Supplies", qb=qb)[0].to_ref()
    credit.Line.append(line)
    credit.save(qb=qb)
    read = VendorCredit.get(credit.Id, qb=qb)
    assert read.TotalAmt == 25.5 and read.DocNumber == "CN-77"
    assert read.Line[0].AccountBasedExpenseLineDetail.AccountRef.value


def test_python_quickbooks_reads_purchase_orders(server: SandboxServer, qb: QuickBooks) -> None:
    from quickbooks.objects.purchaseorder import PurchaseOrder

    company = server.sandbox.company(REALM)
    vendor = next(i for i, v in company.objects["Vendor"].items()
                  if v["DisplayName"] == "Hicks Hardware")
    supplies = next(i for i, a in company.objects["Account"].items() if a["Name"] == "Supplies")
    made = server.sandbox.create_object(REALM, "PurchaseOrder", {
        "VendorRef": {"value": vendor}, "DocNumber": "PO-QB",
        "Line": [{"Amount": 75, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": supplies}}}]})
    read = PurchaseOrder.get(made["Id"], qb=qb)
    assert read.POStatus == "Open" and read.TotalAmt == 75 and read.DocNumber == "PO-QB"
    assert [po.Id for po in PurchaseOrder.filter(POStatus="Open", qb=qb)].count(made["Id"]) == 1


def test_python_quickbooks_creates_a_vendor_under_intuits_name_rules(qb: QuickBooks) -> None:
    vendor = Vendor()
    vendor.GivenName, vendor.FamilyName = "Grace", "Hopper"
    vendor.CompanyName = "Hopper Compilers"
    vendor.BillAddr = Address()
    vendor.BillAddr.Line1, vendor.BillAddr.City = "1 Navy Way", "Arlington"
    created = vendor.save(qb=qb)
    # DisplayName and PrintOnCheckName made from the name parts, as Intuit makes them.
    assert (created.DisplayName, created.PrintOnCheckName) == ("Grace Hopper", "Grace Hopper")
    assert created.BillAddr.Id and created.BillAddr.Lat == "INVALID"
    assert Vendor.get(created.Id, qb=qb).to_dict() == created.to_dict()

    employee = Employee()
    employee.GivenName, employee.FamilyName = "Alan", "Turing"
    made = employee.save(qb=qb)
    assert made.DisplayName == "Alan Turing" and made.BillableTime is False
    clash = Vendor()
    clash.DisplayName = "alan turing"
    with pytest.raises(QuickbooksException) as err:
        clash.save(qb=qb)
    assert err.value.error_code == 6240
    assert err.value.detail == (
        "The name supplied already exists. : Another customer, vendor or employee is already "
        "using this name. Please use a different name.")

    too_long = Vendor()
    too_long.DisplayName = "L" * 501
    with pytest.raises(QuickbooksException) as err:
        too_long.save(qb=qb)
    assert err.value.error_code == 2050

    created.Active = False
    gone = created.save(qb=qb)
    assert (gone.Active, gone.DisplayName) == (False, "Grace Hopper (deleted)")
