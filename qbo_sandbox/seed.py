"""Seed data: a fresh company modelled on Intuit's "Craig's Design and Landscaping Services".

Deterministic: the same seed and sizes give the same objects with the same Ids.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .clock import intuit_time, local_date
from .company import Company

if TYPE_CHECKING:
    from .store import Store

VENDORS = [
    "Bob's Burger Joint", "Books by Bessie", "Brosnahan Insurance Agency", "Cal Telephone",
    "Chin's Gas and Oil", "Cigna Health Care", "Computers by Jenni",
    "Diego's Road Warrior Bodyshop", "EDD", "Ellis Equipment Rental", "Fidelity",
    "Hall Properties", "Hicks Hardware", "Lee Advertising", "Mahoney Mugs", "Met Life Dental",
    "National Eye Care", "Norton Lumber and Building Materials", "PG&E", "Pam Seitz",
    "Robertson & Associates", "Squeaky Kleen Car Wash", "Tania's Nursery",
    "Tim Philip Masonry", "Tony Rondonuwu", "United States Treasury",
]
INACTIVE_VENDOR = "Gardening Supply Wholesale"
CUSTOMERS = [
    "Amy's Bird Sanctuary", "Bill's Windsurf Shop", "Cool Cars", "Diego Rodriguez",
    "Dukes Basketball Camp", "Dylan Sollfrank", "Freeman Sporting Goods", "Geeta Kalapatapu",
    "Gevelber Photography", "Jeff's Jalopies", "John Melton", "Kate Whelan", "Kookies by Kathy",
    "Mark Cho", "Paulsen Medical Supplies", "Pye's Cakes", "Rago Travel Agency", "Red Rock Diner",
    "Rondonuwu Fruit and Vegi", "Shara Barnett", "Sonnenschein Family Store",
    "Sushi by Katsuyuki", "Travis Waldron", "Video Games by Dan", "Wedding Planning by Whitney",
    "Weiskopf Consulting",
]
# (name, AccountType, parent name or None, AcctNum)
ACCOUNTS: list[tuple[str, str, str | None, str | None]] = [
    ("Checking", "Bank", None, "1010"), ("Savings", "Bank", None, "1020"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", None, "1100"),
    ("Inventory Asset", "Other Current Asset", None, "1200"),
    ("Prepaid Expenses", "Other Current Asset", None, "1300"),
    ("Undeposited Funds", "Other Current Asset", None, "1400"),
    ("Truck", "Fixed Asset", None, "1500"), ("Original Cost", "Fixed Asset", "Truck", "1510"),
    ("Accounts Payable (A/P)", "Accounts Payable", None, "2000"),
    ("Mastercard", "Credit Card", None, "2100"), ("Visa", "Credit Card", None, "2110"),
    ("Board of Equalization Payable", "Other Current Liability", None, "2200"),
    ("Loan Payable", "Other Current Liability", None, "2210"),
    ("Notes Payable", "Long Term Liability", None, "2300"),
    ("Opening Balance Equity", "Equity", None, "3000"),
    ("Retained Earnings", "Equity", None, "3100"),
    ("Design income", "Income", None, "4000"), ("Discounts given", "Income", None, "4010"),
    ("Landscaping Services", "Income", None, "4100"),
    ("Pest Control Services", "Income", None, "4200"),
    ("Sales of Product Income", "Income", None, "4300"), ("Services", "Income", None, "4400"),
    ("Other Income", "Other Income", None, "4900"),
    ("Cost of Goods Sold", "Cost of Goods Sold", None, "5000"),
    ("Advertising", "Expense", None, "6000"), ("Automobile", "Expense", None, "6010"),
    ("Fuel", "Expense", "Automobile", "6011"), ("Bank Charges", "Expense", None, "6020"),
    ("Commissions & fees", "Expense", None, "6030"),
    ("Dues & Subscriptions", "Expense", None, "6040"),
    ("Equipment Rental", "Expense", None, "6050"), ("Insurance", "Expense", None, "6060"),
    ("Workers Compensation", "Expense", "Insurance", "6061"),
    ("Job Expenses", "Expense", None, "6070"),
    ("Cost of Labor", "Expense", "Job Expenses", "6071"),
    ("Job Materials", "Expense", "Job Expenses", "6072"),
    ("Plants and Soil", "Expense", "Job Materials", "6073"),
    ("Sprinklers and Drip Systems", "Expense", "Job Materials", "6074"),
    ("Permits", "Expense", "Job Expenses", "6075"),
    ("Legal & Professional Fees", "Expense", None, "6080"),
    ("Accounting", "Expense", "Legal & Professional Fees", "6081"),
    ("Lawyer", "Expense", "Legal & Professional Fees", "6082"),
    ("Maintenance and Repair", "Expense", None, "6090"),
    ("Equipment Repairs", "Expense", "Maintenance and Repair", "6091"),
    ("Meals and Entertainment", "Expense", None, "6100"),
    ("Office Expenses", "Expense", None, "6110"), ("Rent or Lease", "Expense", None, "6120"),
    ("Stationery & Printing", "Expense", None, "6130"), ("Supplies", "Expense", None, "6140"),
    ("Taxes & Licenses", "Expense", None, "6150"), ("Travel", "Expense", None, "6160"),
    ("Uncategorized Expense", "Expense", None, "6170"), ("Utilities", "Expense", None, "6180"),
    ("Gas and Electric", "Expense", "Utilities", "6181"),
    ("Telephone", "Expense", "Utilities", "6182"),
]
CLASSES = ["Design", "Landscaping", "Maintenance", "Overhead"]
DEPARTMENTS = ["Garden Center", "North County", "South County"]
TERMS = [("Due on receipt", 0), ("Net 10", 10), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)]
# (name, type, income account, expense account)
ITEMS = [
    ("Design", "Service", "Design income", None),
    ("Gardening", "Service", "Landscaping Services", None),
    ("Hours", "Service", "Services", None),
    ("Installation", "Service", "Landscaping Services", None),
    ("Lighting", "NonInventory", "Landscaping Services", "Job Materials"),
    ("Maintenance & Repair", "Service", "Landscaping Services", None),
    ("Pest Control", "Service", "Pest Control Services", None),
    ("Rocks", "NonInventory", "Landscaping Services", "Job Materials"),
    ("Sod", "NonInventory", "Landscaping Services", "Plants and Soil"),
    ("Soil", "NonInventory", "Landscaping Services", "Plants and Soil"),
    ("Sprinkler Heads", "NonInventory", "Sales of Product Income", "Sprinklers and Drip Systems"),
    ("Sprinkler Pipes", "NonInventory", "Sales of Product Income", "Sprinklers and Drip Systems"),
    ("Trimming", "Service", "Landscaping Services", None),
]
EMPLOYEES = [("Emily", "Platt"), ("John", "Johnson")]
CURRENCIES = [("CAD", "Canadian Dollar"), ("EUR", "Euro"), ("GBP", "British Pound Sterling")]


def _preferences(now: float, multicurrency: bool, warn_dup: bool) -> dict[str, Any]:
    t = intuit_time(now)
    return {
        "AccountingInfoPrefs": {
            "TrackDepartments": True, "DepartmentTerminology": "Location",
            "ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": True,
            "CustomerTerminology": "Customers", "UseAccountNumbers": True,
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True, "BillableExpenseTracking": True,
            "DefaultTerms": {"value": "0"}, "DefaultMarkup": 0,
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": multicurrency, "HomeCurrency": {"value": "USD"},
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
        # The sections Intuit's Preferences sample also carries (sales side, reports, time).
        "EmailMessagesPrefs": {
            "InvoiceMessage": {"Subject": "Invoice from Craig's Design and Landscaping Services",
                               "Message": "Your invoice is attached."},
            "EstimateMessage": {"Subject": "Estimate", "Message": "Please review the estimate."},
            "SalesReceiptMessage": {"Subject": "Sales Receipt",
                                    "Message": "Your sales receipt is attached."},
            "StatementMessage": {"Subject": "Statement", "Message": "Your statement is attached."},
        },
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                    "QuantityWithPriceAndRate": True, "QuantityOnHand": True},
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False, "AllowDeposit": True, "AllowDiscount": True,
            "AllowEstimates": True, "AllowServiceDate": False, "AllowShipping": False,
            "AutoApplyCredit": True, "AutoApplyPayments": True,
            "DefaultCustomerMessage": "Thank you for your business and have a great day!",
            "EmailCopyToCompany": False, "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionAttachPDF": False, "ETransactionPaymentEnabled": False,
            "IPNSupportEnabled": False, "UsingPriceLevels": False,
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True,
                              "ShowBillRateToAll": False, "WorkWeekStartDate": "Monday",
                              "MarkTimeEntriesBillable": True},
        "OtherPrefs": {"NameValue": [
            {"Name": "SalesFormsPrefs.DefaultCustomerMessage",
             "Value": "Thank you for your business and have a great day!"},
            {"Name": "VendorAndPurchasesPrefs.UseAutomatedBankFeeds", "Value": "false"},
            {"Name": "WarnDuplicateCheckNumber", "Value": "true"},
            {"Name": "WarnDuplicateBillNumber", "Value": "true" if warn_dup else "false"},
            {"Name": "SignoutInactiveMinutes", "Value": "60"},
        ]},
        "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0",
        "MetaData": {"CreateTime": t, "LastUpdatedTime": t},
    }


def _company_info(company: Company, now: float) -> dict[str, Any]:
    t = intuit_time(now)
    address = {"Id": "1", "Line1": "123 Sierra Way", "City": "San Pablo",
               "CountrySubDivisionCode": "CA", "PostalCode": "87999"}
    return {
        "CompanyName": company.name, "LegalName": company.name,
        "CompanyAddr": dict(address),
        # Intuit's CompanyInfo sample serves the legal and customer-facing addresses and the
        # phone too (all three addresses Id "1" when they are the same).
        "CustomerCommunicationAddr": dict(address), "LegalAddr": dict(address),
        "PrimaryPhone": {"FreeFormNumber": "(650) 555-4444"},
        "Country": company.country, "Email": {"Address": "noreply@quickbooks.com"},
        "WebAddr": {}, "FiscalYearStartMonth": "January", "SupportedLanguages": "en",
        "CompanyStartDate": local_date(now), "DefaultTimeZone": "America/Los_Angeles",
        "NameValue": [{"Name": "NeoEnabled", "Value": "true"},
                      {"Name": "IndustryType", "Value": "Landscaping Services"},
                      {"Name": "OfferingSku", "Value": company.plan}],
        "domain": "QBO", "sparse": False, "Id": "1", "SyncToken": "0",
        "MetaData": {"CreateTime": t, "LastUpdatedTime": t},
    }


def seed_company(
    store: Store, company: Company, seed: str, sizes: dict[str, int], multicurrency: bool,
    warn_dup: bool,
) -> None:
    now = store.clock.now()
    company.prefs = _preferences(now, multicurrency, warn_dup)
    company.info = _company_info(company, now)
    if seed not in ("craigs", "empty", "demo"):
        raise ValueError(f"unknown seed {seed!r} (use craigs or empty)")
    # Every company needs an A/P account, even an "empty" one, or no Bill can be saved.
    if seed == "empty":
        store.create(company, "Account", {"Name": "Accounts Payable (A/P)",
                                          "AccountType": "Accounts Payable"}, admin=True)
    else:
        _seed_craigs(store, company)
    if multicurrency:
        for code, name in CURRENCIES:
            store.create(company, "CompanyCurrency", {"Code": code, "Name": name}, admin=True)
    _seed_sizes(store, company, sizes, seed)


def _ids_by_name(company: Company, entity: str) -> dict[str, str]:
    return {str(o.get("Name") or o.get("DisplayName")): i
            for i, o in company.objects[entity].items()}


def _seed_craigs(store: Store, c: Company) -> None:
    def mk(entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return store.create(c, entity, body, admin=True)

    accounts: dict[str, str] = {}
    for name, acct_type, parent, num in ACCOUNTS:
        body: dict[str, Any] = {"Name": name, "AccountType": acct_type, "AcctNum": num}
        if parent:
            body["ParentRef"] = {"value": accounts[parent]}
        accounts[name] = mk("Account", body)["Id"]
    for name in CLASSES:
        mk("Class", {"Name": name})
    for name in DEPARTMENTS:
        mk("Department", {"Name": name})
    terms = {name: mk("Term", {"Name": name, "DueDays": days})["Id"] for name, days in TERMS}
    c.prefs["VendorAndPurchasesPrefs"]["DefaultTerms"] = {"value": terms["Net 30"]}
    rate = mk("TaxRate", {"Name": "California", "RateValue": 8, "Description": "Sales Tax",
                          "SpecialTaxType": "NONE", "DisplayType": "ReadOnly",
                          "AgencyRef": {"value": "1"}})
    # US companies have the two pseudo codes TAX and NON, plus real codes.
    for code_id, name, taxable in (("TAX", "TAX", True), ("NON", "NON", False)):
        obj = store._stamp(c, "TaxCode", code_id, {
            "Name": name, "Description": f"{name} sales tax", "Active": True,
            "Taxable": taxable, "TaxGroup": False}, 0, None)
        c.objects["TaxCode"][code_id] = obj
    mk("TaxCode", {"Name": "California", "Description": "California", "Taxable": True,
                   "TaxGroup": True, "SalesTaxRateList": {"TaxRateDetail": [
                       {"TaxRateRef": {"value": rate["Id"], "name": "California"},
                        "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]},
                   "PurchaseTaxRateList": {"TaxRateDetail": []}})
    for name, item_type, income, expense in ITEMS:
        body = {"Name": name, "Type": item_type, "IncomeAccountRef": {"value": accounts[income]}}
        if expense:
            body["ExpenseAccountRef"] = {"value": accounts[expense]}
        mk("Item", body)
    vendors = {}
    for i, name in enumerate(VENDORS):
        body = {"DisplayName": name, "CompanyName": name,
                "PrimaryEmailAddr": {"Address": f"ap{i + 1}@example.com"},
                "BillAddr": {"Line1": f"{100 + i} Main St", "City": "Middlefield",
                             "CountrySubDivisionCode": "CA", "PostalCode": "94303"}}
        if name == "Norton Lumber and Building Materials":
            body["TermRef"] = {"value": terms["Net 30"]}
        vendors[name] = mk("Vendor", body)["Id"]
    inactive = mk("Vendor", {"DisplayName": INACTIVE_VENDOR, "CompanyName": INACTIVE_VENDOR})
    store.update(c, "Vendor", {"Id": inactive["Id"], "sparse": True, "Active": False},
                 admin=True)
    customers = {name: mk("Customer", {"DisplayName": name})["Id"] for name in CUSTOMERS}
    # A few open and paid bills, like a company that has been in use for a while.
    bills = []
    for vendor, account, amount, customer in (
        ("Norton Lumber and Building Materials", "Job Materials", 205.0, "Amy's Bird Sanctuary"),
        ("Hicks Hardware", "Supplies", 88.09, None),
        ("PG&E", "Gas and Electric", 114.09, None),
        ("Robertson & Associates", "Accounting", 315.0, None),
    ):
        detail: dict[str, Any] = {"AccountRef": {"value": accounts[account]}}
        if customer:
            detail["CustomerRef"] = {"value": customers[customer]}
            detail["BillableStatus"] = "Billable"
        bills.append(mk("Bill", {
            "VendorRef": {"value": vendors[vendor]},
            "Line": [{"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                      "AccountBasedExpenseLineDetail": detail}]}))
    mk("BillPayment", {
        "VendorRef": {"value": vendors["Robertson & Associates"]}, "PayType": "Check",
        "TotalAmt": 315.0, "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
        "Line": [{"Amount": 315.0, "LinkedTxn": [{"TxnId": bills[3]["Id"], "TxnType": "Bill"}]}]})
    _seed_ap(mk, accounts, vendors, c)


def _seed_ap(mk: Any, accounts: dict[str, str], vendors: dict[str, str], c: Company) -> None:
    """Employees and the AP transactions a company in use has: card and check payments
    (one partial), vendor credits (one applied), purchase orders open, partly billed and
    closed. Added after the older seed objects so their Ids stay as they were."""
    for given, family in EMPLOYEES:
        mk("Employee", {"GivenName": given, "FamilyName": family})
    items = {o["Name"]: i for i, o in c.objects["Item"].items()}

    def expense(account: str, amount: float, **extra: Any) -> dict[str, Any]:
        return {"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts[account]}},
                **extra}

    def bill(vendor: str, *lines: dict[str, Any], doc: str | None = None) -> str:
        body: dict[str, Any] = {"VendorRef": {"value": vendors[vendor]}, "Line": list(lines)}
        if doc:
            body["DocNumber"] = doc
        return str(mk("Bill", body)["Id"])

    def pay(vendor: str, pay_type: str, account: str, links: list[tuple[str, str, float]],
            **extra: Any) -> None:
        billed = sum(a for t, _, a in links if t == "Bill")
        credited = sum(a for t, _, a in links if t == "VendorCredit")
        body: dict[str, Any] = {
            "VendorRef": {"value": vendors[vendor]}, "PayType": pay_type,
            "TotalAmt": round(billed - credited, 2),
            "Line": [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": t}]}
                     for t, i, a in links], **extra}
        key = "CheckPayment" if pay_type == "Check" else "CreditCardPayment"
        ref = "BankAccountRef" if pay_type == "Check" else "CCAccountRef"
        body[key] = {ref: {"value": accounts[account]}, **body.get(key, {})}
        mk("BillPayment", body)

    # Paid in full by credit card.
    phone = bill("Cal Telephone", expense("Telephone", 56.5))
    pay("Cal Telephone", "CreditCard", "Mastercard", [("Bill", phone, 56.5)])
    # Paid in part by a printed check (the check number is the DocNumber).
    cover = bill("Brosnahan Insurance Agency", expense("Insurance", 241.23), doc="INS-2026-03")
    pay("Brosnahan Insurance Agency", "Check", "Checking", [("Bill", cover, 100.0)],
        DocNumber="1045", CheckPayment={"PrintStatus": "PrintComplete"})
    # A vendor credit applied in a check payment, and one left open.
    plants = bill("Tania's Nursery", expense("Plants and Soil", 158.08))
    credit = mk("VendorCredit", {"VendorRef": {"value": vendors["Tania's Nursery"]},
                                 "Line": [expense("Plants and Soil", 20.0)]})["Id"]
    pay("Tania's Nursery", "Check", "Checking",
        [("Bill", plants, 158.08), ("VendorCredit", credit, 20.0)])
    mk("VendorCredit", {"VendorRef": {"value": vendors["Norton Lumber and Building Materials"]},
                        "Line": [expense("Job Materials", 25.0)], "DocNumber": "RMA-881"})
    # Purchase orders: open, partly billed, closed by billing, closed by hand (Plus and
    # Advanced plans only).
    if not any(plan in c.plan.lower() for plan in ("plus", "advanced")):
        return
    sod = {"Amount": 150.0, "DetailType": "ItemBasedExpenseLineDetail",
           "ItemBasedExpenseLineDetail": {"ItemRef": {"value": items["Sod"]}, "Qty": 10,
                                          "UnitPrice": 15}}
    mk("PurchaseOrder", {"VendorRef": {"value": vendors["Norton Lumber and Building Materials"]},
                         "DocNumber": "1001", "Line": [sod, expense("Job Materials", 50.0)]})
    partial = mk("PurchaseOrder", {
        "VendorRef": {"value": vendors["Hicks Hardware"]}, "DocNumber": "1002",
        "Line": [expense("Supplies", 100.0), expense("Equipment Repairs", 60.0)]})
    bill("Hicks Hardware", expense("Supplies", 100.0, LinkedTxn=[
        {"TxnId": partial["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "1"}]))
    done = mk("PurchaseOrder", {"VendorRef": {"value": vendors["Tim Philip Masonry"]},
                                "DocNumber": "1003", "Line": [expense("Job Materials", 300.0)]})
    bill("Tim Philip Masonry", expense("Job Materials", 300.0, LinkedTxn=[
        {"TxnId": done["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "1"}]))
    mk("PurchaseOrder", {"VendorRef": {"value": vendors["Ellis Equipment Rental"]},
                         "DocNumber": "1004", "ManuallyClosed": True,
                         "Line": [expense("Equipment Rental", 112.0)]})


AP_SIZES = ("VendorCredit", "PurchaseOrder", "BillPayment")


def _seed_sizes(store: Store, c: Company, sizes: dict[str, int], seed: str) -> None:
    """Bulk synthetic objects for benchmarks and paging tests (e.g. {"Vendor": 100000}).

    Names first, then bills, then the AP transactions, whatever the dict's order. Sizes with
    bills also get vendor credits, purchase orders and payments (a tenth of the bills as
    payments, a twentieth as credits and as POs) unless the sizes name those themselves, and
    every AP size gets a bank and a credit-card account to pay from.
    """
    if not sizes:
        return
    sizes = dict(sizes)
    for entity in sizes:
        if entity not in (*NAME_SIZES, "Bill", *AP_SIZES):
            raise ValueError(f"cannot generate {entity}")
    bills = sizes.get("Bill", 0)
    if bills and not any(k in sizes for k in AP_SIZES):
        sizes.update(BillPayment=max(1, bills // 10), VendorCredit=max(1, bills // 20),
                     PurchaseOrder=max(3, bills // 20))
    rng = random.Random(f"{seed}:{c.realm_id}")  # noqa: S311 - deterministic test data
    expense = next((i for i, a in c.objects["Account"].items() if a["AccountType"] == "Expense"),
                   None)
    if expense is None:
        expense = store.create(c, "Account", {"Name": "Expenses", "AccountType": "Expense"},
                               admin=True)["Id"]
    for entity in NAME_SIZES:
        for n in range(1, sizes.get(entity, 0) + 1):
            store.create(c, entity, _name_body(entity, n, expense), admin=True)
    vendor_ids = list(c.objects["Vendor"])
    if (bills or any(sizes.get(k) for k in AP_SIZES)) and not vendor_ids:
        raise ValueError("generating bills needs vendors")

    def line(amount: float, **extra: Any) -> dict[str, Any]:
        return {"Amount": amount, "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}}, **extra}

    def mk(entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return store.create(c, entity, body, allow_dup=True, admin=True)

    for n in range(1, bills + 1):
        mk("Bill", {"VendorRef": {"value": rng.choice(vendor_ids)}, "DocNumber": f"GEN-{n:06d}",
                    "Line": [line(round(rng.uniform(10, 5000), 2))]})
    if not any(sizes.get(k) for k in AP_SIZES):
        return
    bank, card = _pay_accounts(store, c)
    for n in range(1, sizes.get("VendorCredit", 0) + 1):
        mk("VendorCredit", {"VendorRef": {"value": rng.choice(vendor_ids)},
                            "DocNumber": f"GVC-{n:06d}",
                            "Line": [line(round(rng.uniform(5, 500), 2))]})
    for n in range(1, sizes.get("PurchaseOrder", 0) + 1):
        # In turn: open, partly billed (its first line), closed (every line billed).
        vendor = rng.choice(vendor_ids)
        amounts = [round(rng.uniform(10, 2000), 2), round(rng.uniform(10, 2000), 2)]
        po = mk("PurchaseOrder", {"VendorRef": {"value": vendor}, "DocNumber": f"GPO-{n:06d}",
                                  "Line": [line(a) for a in amounts]})
        billed = {1: amounts[:1], 2: amounts}.get(n % 3, [])
        if billed:
            mk("Bill", {"VendorRef": {"value": vendor}, "DocNumber": f"GPB-{n:06d}",
                        "Line": [line(a, LinkedTxn=[{"TxnId": po["Id"], "TxnType": "PurchaseOrder",
                                                     "TxnLineId": str(i)}])
                                 for i, a in enumerate(billed, start=1)]})
    open_bills = sorted((b for b in c.objects["Bill"].values() if b["Balance"] > 0),
                        key=lambda b: int(b["Id"]))
    for n in range(1, sizes.get("BillPayment", 0) + 1):
        if not open_bills:
            raise ValueError("generating bill payments needs open bills")
        target = open_bills.pop(rng.randrange(len(open_bills)))
        # Every other payment is by card; every third pays part of the balance.
        amount = target["Balance"] if n % 3 else round(target["Balance"] / 2, 2)
        body: dict[str, Any] = {
            "VendorRef": target["VendorRef"], "TotalAmt": amount, "DocNumber": f"{n:06d}",
            "Line": [{"Amount": amount,
                      "LinkedTxn": [{"TxnId": target["Id"], "TxnType": "Bill"}]}]}
        if n % 2:
            body.update(PayType="Check", CheckPayment={"BankAccountRef": {"value": bank}})
        else:
            body.update(PayType="CreditCard", CreditCardPayment={"CCAccountRef": {"value": card}})
        mk("BillPayment", body)


NAME_SIZES = ("Vendor", "Customer", "Employee", "Class", "Department", "Term", "Account", "Item")


def _name_body(entity: str, n: int, expense: str) -> dict[str, Any]:
    if entity in ("Vendor", "Customer"):
        return {"DisplayName": f"{entity} {n:06d}", "CompanyName": f"{entity} {n:06d} Inc"}
    if entity == "Employee":
        return {"GivenName": "Employee", "FamilyName": f"{n:06d}"}
    if entity == "Account":
        return {"Name": f"Expense {n:06d}", "AccountType": "Expense"}
    if entity == "Item":
        return {"Name": f"Item {n:06d}", "Type": "Service", "IncomeAccountRef": {"value": expense}}
    return {"Name": f"{entity} {n:06d}"}


def _pay_accounts(store: Store, c: Company) -> tuple[str, str]:
    """The company's first Bank and Credit Card accounts, made when it has none."""
    found = {}
    for kind, name in (("Bank", "Checking"), ("Credit Card", "Visa")):
        found[kind] = next((i for i, a in sorted(c.objects["Account"].items(),
                                                 key=lambda kv: int(kv[0]))
                            if a["AccountType"] == kind and a.get("Active")), None)
        if found[kind] is None:
            found[kind] = store.create(c, "Account", {"Name": name, "AccountType": kind},
                                       admin=True)["Id"]
    return str(found["Bank"]), str(found["Credit Card"])
