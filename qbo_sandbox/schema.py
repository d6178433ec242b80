"""The properties Intuit accepts per entity: anything else is 2010 and nothing is stored.

The names are Intuit's entity reference (the Accounting API's schema, as Intuit's own
SDKs ship it: Finance.xsd / IntuitNamesTypes.xsd, minor version 75), per entity and per
transaction line. Intuit's JSON reader refuses an unrecognized property whatever its
value, so the check runs on the body as sent, before empty values are dropped.
"""

from __future__ import annotations

from typing import Any

from . import faults

# Present on every entity (the IntuitEntity base and its JSON attributes).
_COMMON = {"Id", "SyncToken", "MetaData", "sparse", "domain", "status"}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIELDS: dict[str, frozenset[str]] = {
    "Vendor": _names("""
        CustomField AttachableRef IntuitId Organization Title GivenName MiddleName
        FamilyName Suffix FullyQualifiedName CompanyName DisplayName PrintOnCheckName UserId
        Active V4IDPseudonym PrimaryPhone AlternatePhone Mobile Fax PrimaryEmailAddr WebAddr
        OtherContactInfo DefaultTaxCodeRef ContactName AltContactName Notes BillAddr
        ShipAddr OtherAddr TaxCountry TaxIdentifier TaxIdEffectiveDate BusinessNumber
        ParentRef VendorTypeRef TermRef PrefillAccountRef Balance BillRate OpenBalanceDate
        CreditLimit AcctNum Vendor1099 T4AEligible T5018Eligible CurrencyRef TDSEnabled
        TDSEntityTypeId TDSSectionTypeId TDSOverrideThreshold TaxReportingBasis APAccountRef
        GSTIN GSTRegistrationType IsSubContractor SubcontractorType CISRate HasTPAR
        VendorPaymentBankDetail Source CostRate
    """),
    "Customer": _names("""
        CustomField AttachableRef IntuitId Organization Title GivenName MiddleName
        FamilyName Suffix FullyQualifiedName CompanyName DisplayName PrintOnCheckName UserId
        Active V4IDPseudonym PrimaryPhone AlternatePhone Mobile Fax PrimaryEmailAddr WebAddr
        OtherContactInfo DefaultTaxCodeRef Taxable BillAddr ShipAddr OtherAddr ContactName
        AltContactName Notes Job BillWithParent RootCustomerRef ParentRef Level
        CustomerTypeRef SalesTermRef SalesRepRef TaxGroupCodeRef TaxRateRef PaymentMethodRef
        CCDetail PriceLevelRef Balance OpenBalanceDate BalanceWithJobs CreditLimit AcctNum
        CurrencyRef OverDueBalance TotalRevenue TotalExpense PreferredDeliveryMethod
        ResaleNum JobInfo TDSEnabled SecondaryTaxIdentifier ARAccountRef
        PrimaryTaxIdentifier TaxExemptionReasonId IsProject BusinessNumber GSTIN
        GSTRegistrationType IsCISContractor ClientCompanyId ClientEntityId Source TaxRegime
    """),
    "Employee": _names("""
        CustomField AttachableRef IntuitId Organization Title GivenName MiddleName
        FamilyName Suffix FullyQualifiedName CompanyName DisplayName PrintOnCheckName UserId
        Active V4IDPseudonym PrimaryPhone AlternatePhone Mobile Fax PrimaryEmailAddr WebAddr
        OtherContactInfo DefaultTaxCodeRef EmployeeType EmployeeNumber SSN PrimaryAddr
        OtherAddr BillableTime BillRate BirthDate Gender HiredDate ReleasedDate UseTimeEntry
        CostRate Notes
    """),
    "Account": _names("""
        CustomField AttachableRef Name SubAccount ParentRef Description FullyQualifiedName
        AccountAlias TxnLocationType Active Classification AccountType AccountSubType
        AccountPurposes AcctNum AcctNumExtn BankNum OpeningBalance OpeningBalanceDate
        CurrentBalance CurrentBalanceWithSubAccounts CurrencyRef TaxAccount TaxCodeRef
        OnlineBankingEnabled FIName JournalCodeRef
    """),
    "Class": _names("""
        CustomField AttachableRef Name SubClass ParentRef FullyQualifiedName Active
    """),
    "Department": _names("""
        CustomField AttachableRef Name SubDepartment ParentRef FullyQualifiedName Active
        Address
    """),
    "Item": _names("""
        CustomField AttachableRef Name Sku Description Active SubItem ParentRef Level
        FullyQualifiedName Taxable SalesTaxIncluded PercentBased UnitPrice RatePercent Type
        PaymentMethodRef UOMSetRef IncomeAccountRef PurchaseDesc PurchaseTaxIncluded
        PurchaseCost ExpenseAccountRef COGSAccountRef AssetAccountRef PrefVendorRef AvgCost
        TrackQtyOnHand QtyOnHand QtyOnPurchaseOrder QtyOnSalesOrder ReorderPoint ManPartNum
        DepositToAccountRef SalesTaxCodeRef PurchaseTaxCodeRef InvStartDate BuildPoint
        PrintGroupedItems SpecialItem SpecialItemType ItemGroupDetail ItemAssemblyDetail
        AbatementRate ReverseChargeRate ServiceType ItemCategoryType TaxClassificationRef
        UQCDisplayText UQCId ClassRef Source DeferredRevenue
    """),
    "Term": _names("""
        CustomField AttachableRef Name Active Type DiscountPercent DueDays DiscountDays
        DayOfMonthDue DueNextMonthDays DiscountDayOfMonth
    """),
    "Bill": _names("""
        CustomField AttachableRef DocNumber TxnDate DepartmentRef CurrencyRef ExchangeRate
        PrivateNote TxnStatus LinkedTxn Line TxnTaxDetail TxnSource TaxFormType TaxFormNum
        TransactionLocationType Tag TxnApprovalInfo RecurDataRef RecurringInfo ProjectRef
        TotalCostAmount HomeTotalCostAmount VendorRef APAccountRef TotalAmt BillEmail
        ReplyEmail Memo GlobalTaxCalculation PayerRef SalesTermRef DueDate RemitToAddr
        ShipAddr VendorAddr Balance HomeBalance LessCIS IncludeInAnnualTPAR
    """),
    "BillPayment": _names("""
        CustomField AttachableRef DocNumber TxnDate DepartmentRef CurrencyRef ExchangeRate
        PrivateNote TxnStatus LinkedTxn Line TxnTaxDetail TxnSource TaxFormType TaxFormNum
        TransactionLocationType Tag TxnApprovalInfo RecurDataRef RecurringInfo ProjectRef
        TotalCostAmount HomeTotalCostAmount VendorRef VendorAddr APAccountRef PayType
        CheckPayment CreditCardPayment TotalAmt
    """),
    "VendorCredit": _names("""
        CustomField AttachableRef DocNumber TxnDate DepartmentRef CurrencyRef ExchangeRate
        PrivateNote TxnStatus LinkedTxn Line TxnTaxDetail TxnSource TaxFormType TaxFormNum
        TransactionLocationType Tag TxnApprovalInfo RecurDataRef RecurringInfo ProjectRef
        TotalCostAmount HomeTotalCostAmount VendorRef APAccountRef TotalAmt BillEmail
        ReplyEmail Memo GlobalTaxCalculation VendorAddr Balance IncludeInAnnualTPAR
    """),
    "Attachable": _names("""
        CustomField AttachableRef FileName FileAccessUri TempDownloadUri Size ContentType
        Category Lat Long PlaceName Note Tag ThumbnailFileAccessUri ThumbnailTempDownloadUri
    """),
    "TaxCode": _names("""
        CustomField AttachableRef Name Description Active Hidden Taxable TaxGroup
        SalesTaxRateList PurchaseTaxRateList AdjustmentTaxRateList TaxCodeConfigType
    """),
    "TaxRate": _names("""
        CustomField AttachableRef Name Description Active RateValue AgencyRef
        TaxReturnLineRef EffectiveTaxRate SpecialTaxType DisplayType OriginalTaxRate
    """),
    "CompanyCurrency": _names("""
        CustomField AttachableRef Code Name Active
    """),
    "Line": _names("""
        LineNum Description Amount Received LinkedTxn DetailType PaymentLineDetail
        DiscountLineDetail TaxLineDetail SalesItemLineDetail DescriptionLineDetail
        ItemBasedExpenseLineDetail AccountBasedExpenseLineDetail ReimburseLineDetail
        DepositLineDetail PurchaseOrderItemLineDetail SalesOrderItemLineDetail
        ItemReceiptLineDetail JournalEntryLineDetail GroupLineDetail SubTotalLineDetail
        TDSLineDetail ItemAdjustmentLineDetail CustomField ProjectRef CostAmount
        HomeCostAmount
    """),
    "AccountBasedExpenseLineDetail": _names("""
        CustomerRef ClassRef AccountRef BillableStatus MarkupInfo TaxAmount TaxCodeRef
        TaxInclusiveAmt
    """),
    "ItemBasedExpenseLineDetail": _names("""
        ItemRef ClassRef UnitPrice UnitCostPrice RatePercent PriceLevelRef MarkupInfo Qty
        UOMRef ItemAccountRef InventorySiteRef TaxCodeRef TaxClassificationRef CustomerRef
        BillableStatus TaxInclusiveAmt
    """),
    "PurchaseOrder": _names("""
        CustomField AttachableRef DocNumber TxnDate DepartmentRef CurrencyRef ExchangeRate
        PrivateNote TxnStatus LinkedTxn Line TxnTaxDetail TxnSource TaxFormType TaxFormNum
        TransactionLocationType Tag TxnApprovalInfo RecurDataRef RecurringInfo ProjectRef
        TotalCostAmount HomeTotalCostAmount VendorRef APAccountRef TotalAmt BillEmail
        ReplyEmail Memo GlobalTaxCalculation TaxCodeRef ClassRef ReimbursableInfoRef
        SalesTermRef DueDate ExpectedDate VendorAddr ShipTo DropShipToEntity InventorySiteRef
        ShipAddr ShipMethodRef FOB POEmail TemplateRef PrintStatus EmailStatus ManuallyClosed
        POStatus
    """),
}
FIELDS["Currency"] = FIELDS["CompanyCurrency"]
LINE_DETAILS = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")


def unrecognized(entity: str, name: str) -> faults.QboFault:
    return faults.QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class '
        f"com.intuit.schema.finance.v3.{entity}), not marked as ignorable",
        name,
    )


def check_properties(entity: str, body: dict[str, Any]) -> None:
    """Refuse the first property Intuit does not document for the entity or its lines."""
    known = FIELDS.get(entity)
    if known is None:
        return
    for name in body:
        if name not in known and name not in _COMMON:
            raise unrecognized(entity, name)
    lines = body.get("Line")
    if not isinstance(lines, list):
        return
    for line in lines:
        if not isinstance(line, dict):
            continue
        for name in line:
            if name not in FIELDS["Line"]:
                raise unrecognized("Line", name)
        for detail in LINE_DETAILS:
            value = line.get(detail)
            if isinstance(value, dict):
                for name in value:
                    if name not in FIELDS[detail]:
                        raise unrecognized(detail, name)
