"""The EN 16931 data of an invoice or a credit note as Factur-X (CII) XML, embedded in its PDF
with the `factur-x` library, which checks it against the XSD of the EN 16931 profile first.

One line per document (the prepaid credit of one payment), paid in full: the total is prepaid
and nothing is due. VAT categories: S (standard rate), Z (zero-rated), AE (reverse charge, with
its exemption reason and code VATEX-EU-AE).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from facturx import generate_from_binary
from lxml import etree

from paydesk.documents.labels import provider_local
from paydesk.documents.models import (
    REVERSE_CHARGE_MENTION,
    Document,
    DocumentKind,
    TaxRule,
    reinvoice_mention,
)
from paydesk.money import currency_exponent, round_half_up

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
PROFILE = "urn:cen.eu:en16931:2017"
LEVEL = "en16931"
CATEGORY: dict[str, str] = {
    TaxRule.STANDARD: "S",
    TaxRule.ZERO_RATED: "Z",
    TaxRule.REVERSE_CHARGE: "AE",
}


def document_amount(value: Decimal, currency: str) -> Decimal:
    """An amount as the document's XML states it, with the currency's decimals, at least two
    (EN 16931). The PDF's text shows these same figures. A document's stored amounts are whole
    minor units (issue.document_totals), so this only writes them; it rounds, each amount on
    its own, only those of a document issued before that rule (its record is never rewritten)."""
    return round_half_up(value, max(currency_exponent(currency), 2))


def _amount(value: Decimal, currency: str) -> str:
    return f"{document_amount(value, currency):f}"


class _Builder:
    def __init__(self) -> None:
        self.root = etree.Element(
            f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
        )

    @staticmethod
    def add(parent, tag: str, text: str | None = None, **attrs: str):
        prefix = tag.split(":", 1)[0]
        ns = {"rsm": RSM, "udt": UDT, "qdt": QDT}.get(prefix, RAM)
        node = etree.SubElement(parent, f"{{{ns}}}{tag.split(':', 1)[1]}", attrib=attrs)
        if text is not None:
            node.text = text
        return node


def _date(parent, tag: str, moment) -> None:
    holder = _Builder.add(parent, tag)
    day = provider_local(moment).strftime("%Y%m%d")
    _Builder.add(holder, "udt:DateTimeString", day, format="102")


def _referenced(parent, reference: dict) -> None:
    """An invoice this document follows (EN 16931 BG-3): its number (BT-25) and date (BT-26)."""
    node = _Builder.add(parent, "ram:InvoiceReferencedDocument")
    _Builder.add(node, "ram:IssuerAssignedID", reference["code"])
    issued = _Builder.add(node, "ram:FormattedIssueDateTime")
    day = provider_local(datetime.fromisoformat(reference["issued_at"])).strftime("%Y%m%d")
    _Builder.add(issued, "qdt:DateTimeString", day, format="102")


def _party(parent, tag: str, party: dict) -> None:
    add = _Builder.add
    node = add(parent, tag)
    add(node, "ram:Name", party.get("legal_name") or party["name"])
    address = add(node, "ram:PostalTradeAddress")
    if party.get("postal_code"):
        add(address, "ram:PostcodeCode", party["postal_code"])
    lines = [party.get("line1"), party.get("line2")] if "line1" in party else party["address"][:2]
    for tag_name, line in zip(("ram:LineOne", "ram:LineTwo"), lines, strict=False):
        if line:
            add(address, tag_name, line)
    if party.get("city"):
        add(address, "ram:CityName", party["city"])
    add(address, "ram:CountryID", party.get("country") or "ZZ")
    if party.get("tax_id"):
        registration = add(node, "ram:SpecifiedTaxRegistration")
        add(registration, "ram:ID", party["tax_id"], schemeID="VA")


def document_xml(document: Document) -> bytes:
    """The document's CII XML (EN 16931 profile)."""
    add = _Builder.add
    builder = _Builder()
    root, data, currency = builder.root, document.data, document.currency
    net, tax, gross = (_amount(v, currency) for v in (document.net, document.tax, document.gross))
    rate = f"{document.tax_rate:f}"
    category = CATEGORY[document.tax_rule]

    context = add(root, "rsm:ExchangedDocumentContext")
    add(add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", PROFILE)
    header = add(root, "rsm:ExchangedDocument")
    add(header, "ram:ID", document.code)
    add(header, "ram:TypeCode", "381" if document.kind == DocumentKind.CREDIT_NOTE else "380")
    _date(header, "ram:IssueDateTime", document.issued_at)
    if document.tax_rule == TaxRule.REVERSE_CHARGE:
        add(add(header, "ram:IncludedNote"), "ram:Content", REVERSE_CHARGE_MENTION)
    if "preceding" in data:
        add(add(header, "ram:IncludedNote"), "ram:Content", reinvoice_mention(data))

    trade = add(root, "rsm:SupplyChainTradeTransaction")
    item = add(trade, "ram:IncludedSupplyChainTradeLineItem")
    add(add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", "1")
    add(add(item, "ram:SpecifiedTradeProduct"), "ram:Name", data["line"])
    agreement = add(item, "ram:SpecifiedLineTradeAgreement")
    add(add(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", net)
    add(add(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", "1", unitCode="C62")
    line_settlement = add(item, "ram:SpecifiedLineTradeSettlement")
    line_tax = add(line_settlement, "ram:ApplicableTradeTax")
    add(line_tax, "ram:TypeCode", "VAT")
    add(line_tax, "ram:CategoryCode", category)
    add(line_tax, "ram:RateApplicablePercent", rate)
    summation = add(line_settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    add(summation, "ram:LineTotalAmount", net)

    agreement = add(trade, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", data["seller"])
    _party(agreement, "ram:BuyerTradeParty", data["buyer"])
    delivery = add(trade, "ram:ApplicableHeaderTradeDelivery")
    event = add(delivery, "ram:ActualDeliverySupplyChainEvent")
    _date(event, "ram:OccurrenceDateTime", document.issued_at)

    settlement = add(trade, "ram:ApplicableHeaderTradeSettlement")
    add(settlement, "ram:InvoiceCurrencyCode", currency)
    header_tax = add(settlement, "ram:ApplicableTradeTax")
    add(header_tax, "ram:CalculatedAmount", tax)
    add(header_tax, "ram:TypeCode", "VAT")
    if document.tax_rule == TaxRule.REVERSE_CHARGE:
        add(header_tax, "ram:ExemptionReason", "Reverse charge")
    add(header_tax, "ram:BasisAmount", net)
    add(header_tax, "ram:CategoryCode", category)
    if document.tax_rule == TaxRule.REVERSE_CHARGE:
        add(header_tax, "ram:ExemptionReasonCode", "VATEX-EU-AE")
    add(header_tax, "ram:RateApplicablePercent", rate)
    totals = add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    add(totals, "ram:LineTotalAmount", net)
    add(totals, "ram:TaxBasisTotalAmount", net)
    add(totals, "ram:TaxTotalAmount", tax, currencyID=currency)
    add(totals, "ram:GrandTotalAmount", gross)
    add(totals, "ram:TotalPrepaidAmount", gross)
    add(totals, "ram:DuePayableAmount", _amount(Decimal(0), currency))
    # A credit note names the invoices it reduces (all of a top-up's once a chargeback reversal
    # invoiced it again); a reversal's invoice, the invoice it charges again.
    for reference in document.referenced_invoices:
        _referenced(settlement, reference)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def with_facturx(pdf: bytes, document: Document) -> bytes:
    """The PDF with the document's XML attached as factur-x.xml (PDF/A-3 metadata), checked
    against the EN 16931 XSD by the library (it raises when the XML does not validate)."""
    return generate_from_binary(
        pdf, document_xml(document), flavor="factur-x", level=LEVEL, check_xsd=True, lang="en"
    )
