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

# Nested types (IntuitBaseTypes.xsd / Finance.xsd): their properties, and which property of
# any entity holds one. A reference is JSON {"value", "name", "type"} (the XSD's simple
# content and its two attributes).
NESTED: dict[str, frozenset[str]] = {
    "ReferenceType": _names("value name type"),
    "PhysicalAddress": _names("""
        Id Line1 Line2 Line3 Line4 Line5 City Country CountryCode County
        CountrySubDivisionCode PostalCode PostalCodeSuffix Lat Long Tag Note
    """),
    "EmailAddress": _names("Id Address Default Tag"),
    "TelephoneNumber": _names("""
        Id DeviceType CountryCode AreaCode ExchangeCode Extension FreeFormNumber Default Tag
    """),
    "WebSiteAddress": _names("Id URI Default Tag"),
    "LinkedTxn": _names("TxnId TxnType TxnLineId"),
    "ModificationMetaData": _names("""
        CreatedByRef CreateTime LastModifiedByRef LastUpdatedTime LastChangedInQB Synchronized
    """),
    "BillPaymentCheck": _names("BankAccountRef PrintStatus CheckDetail PayeeAddr"),
    "BillPaymentCreditCard": _names("CCAccountRef CCDetail"),
    "AttachableRef": _names("EntityRef LineInfo IncludeOnSend CustomField"),
    "CustomField": _names("""
        DefinitionId Name Type StringValue BooleanValue DateValue NumberValue
    """),
    "MarkupInfo": _names("PercentBased Value Percent PriceLevelRef MarkUpIncomeAccountRef"),
}
_ADDRESSES = ("BillAddr ShipAddr OtherAddr PrimaryAddr VendorAddr RemitToAddr PayeeAddr "
              "Address")
_EMAILS = "PrimaryEmailAddr BillEmail POEmail ReplyEmail"
_PHONES = "PrimaryPhone AlternatePhone Mobile Fax"
# Every property of these names is of that type, in every entity the sandbox serves (the
# schema never reuses a name for another type). Properties ending in "Ref" are references,
# except AttachableRef (its own type) and UOMRef.
NESTED_OF: dict[str, str] = {
    **dict.fromkeys(_ADDRESSES.split(), "PhysicalAddress"),
    **dict.fromkeys(_EMAILS.split(), "EmailAddress"),
    **dict.fromkeys(_PHONES.split(), "TelephoneNumber"),
    "WebAddr": "WebSiteAddress", "LinkedTxn": "LinkedTxn", "MetaData": "ModificationMetaData",
    "CheckPayment": "BillPaymentCheck", "CreditCardPayment": "BillPaymentCreditCard",
    "AttachableRef": "AttachableRef", "CustomField": "CustomField", "MarkupInfo": "MarkupInfo",
    "ShipTo": "ReferenceType", "DropShipToEntity": "ReferenceType",
    "OriginalTaxRate": "ReferenceType", "AccountPurposes": "ReferenceType",
    "EntityRef": "ReferenceType",
}
LINE_DETAILS = ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail")


def unrecognized(entity: str, name: str) -> faults.QboFault:
    return faults.QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class '
        f"com.intuit.schema.finance.v3.{entity}), not marked as ignorable",
        name,
    )


def _nested_type(name: str) -> str | None:
    if name in NESTED_OF:
        return NESTED_OF[name]
    if name.endswith("Ref") and name != "UOMRef":
        return "ReferenceType"
    return None


def _check_value(type_name: str, name: str, value: Any) -> None:
    """Check a property's value if it is of a nested type this module knows."""
    nested = _nested_type(name)
    if nested is None:
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            _check_object(nested, NESTED[nested], item)


def _check_object(type_name: str, known: frozenset[str], body: dict[str, Any]) -> None:
    for name, value in body.items():
        if name not in known:
            raise unrecognized(type_name, name)
        _check_value(type_name, name, value)


def check_properties(entity: str, body: dict[str, Any]) -> None:
    """Refuse the first property Intuit does not document for the entity, its lines, their
    details and the nested objects in them (addresses, references, LinkedTxn, MetaData,
    CheckPayment/CreditCardPayment, ...), as Intuit's deserialiser does at any depth."""
    known = FIELDS.get(entity)
    if known is None:
        return
    for name, value in body.items():
        if name not in known and name not in _COMMON:
            raise unrecognized(entity, name)
        if name != "Line":
            _check_value(entity, name, value)
    lines = body.get("Line")
    if not isinstance(lines, list):
        return
    for line in lines:
        if not isinstance(line, dict):
            continue
        for name, value in line.items():
            if name not in FIELDS["Line"]:
                raise unrecognized("Line", name)
            if name not in LINE_DETAILS:
                _check_value("Line", name, value)
        for detail in LINE_DETAILS:
            value = line.get(detail)
            if isinstance(value, dict):
                _check_object(detail, FIELDS[detail], value)
