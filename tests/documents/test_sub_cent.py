"""Invoices and credit notes of amounts with sub-cent digits (the ledger keeps 4 decimals): the
gross is rounded once to the currency's decimals and the net derived from it, so the figures a
finance person reads on the PDF, the Factur-X XML (EN 16931 BR-CO-15: grand total = tax basis +
tax) and the stored record (Invoices pages, CSV, API) are the same and add up; the receipt,
which keeps the exact amount credited, names the invoice's rounded total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree

from paydesk.documents.models import Document, DocumentKind
from paydesk.documents.render import document_pdf, receipt_pdf
from paydesk.ledger.refunds import refund_create
from paydesk.money import round_half_up
from tests.api.conftest import ApiClient, key_for
from tests.documents.conftest import billed_customer, credit_note_of, invoicing_on, topup
from tests.documents.test_pdfs import RAM, text_of
from tests.factories import PortalUserFactory

# (rate, amount credited, net, tax, total): each amount's own rounding printed net + tax one
# cent away from the total for these (20.84 + 4.17 against 25.00; 11.48 + 0.86 against 12.35).
CASES = [
    ("20", "25.0047", "20.83", "4.17", "25.00"),
    ("7.5", "12.3456", "11.49", "0.86", "12.35"),
    ("7.5", "120.006", "111.64", "8.37", "120.01"),
    ("20", "10.0049", "8.33", "1.67", "10.00"),
]


def _xml_amounts(pdf: bytes) -> dict[str, Decimal]:
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    header = tree.find(f".//{RAM}SpecifiedTradeSettlementHeaderMonetarySummation")
    tax = tree.find(f".//{RAM}ApplicableHeaderTradeSettlement/{RAM}ApplicableTradeTax")
    amounts = {child.tag.removeprefix(RAM): Decimal(child.text) for child in header}
    amounts["BasisAmount"] = Decimal(tax.findtext(f"{RAM}BasisAmount"))
    amounts["CalculatedAmount"] = Decimal(tax.findtext(f"{RAM}CalculatedAmount"))
    amounts["RateApplicablePercent"] = Decimal(tax.findtext(f"{RAM}RateApplicablePercent"))
    return amounts


def _assert_adds_up(document: Document, net: str, tax: str, total: str) -> None:
    figures = (Decimal(net), Decimal(tax), Decimal(total))
    assert figures[0] + figures[1] == figures[2]
    pdf = document_pdf(document)
    xml = _xml_amounts(pdf)
    # BR-CO-15: grand total with VAT = basis + VAT total.
    assert xml["GrandTotalAmount"] == xml["TaxBasisTotalAmount"] + xml["TaxTotalAmount"]
    assert (xml["TaxBasisTotalAmount"], xml["TaxTotalAmount"], xml["GrandTotalAmount"]) == figures
    assert xml["LineTotalAmount"] == xml["BasisAmount"] == figures[0]  # BR-CO-10
    assert xml["CalculatedAmount"] == figures[1]
    text = text_of(pdf).replace("\n", " ")
    rate = f"{xml['RateApplicablePercent'].normalize():f} %"
    last = "Total credited" if document.kind == DocumentKind.CREDIT_NOTE else "Total"
    assert f"Total net €{net} EUR Tax ({rate}) €{tax} EUR {last} €{total} EUR" in text
    # BR-CO-17: VAT = basis × rate / 100 rounded to 2 decimals, within 1 in the last place.
    expected_tax = round_half_up(xml["BasisAmount"] * xml["RateApplicablePercent"] / 100, 2)
    assert abs(xml["CalculatedAmount"] - expected_tax) <= Decimal("0.01")
    # The stored record is what is printed (the Invoices pages, the CSV and the API show it).
    assert (document.net, document.tax, document.gross) == figures


@pytest.mark.django_db
@pytest.mark.parametrize(("rate", "credited", "net", "tax", "total"), CASES)
def test_a_sub_cent_invoice_adds_up_on_the_pdf_in_the_xml_and_in_its_record(
    rate, credited, net, tax, total
):
    invoicing_on(rate=rate)
    paid = topup(billed_customer(), total=credited)
    assert paid.total == Decimal(credited)  # the ledger keeps every decimal
    _assert_adds_up(Document.objects.get(payment=paid), net, tax, total)


@pytest.mark.django_db
def test_a_sub_cent_credit_note_adds_up_like_its_invoice():
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="50.0094")
    note = credit_note_of(paid, "25.0047")
    assert note.kind == DocumentKind.CREDIT_NOTE
    _assert_adds_up(note, "20.83", "4.17", "25.00")


@pytest.mark.django_db
def test_the_receipt_names_the_invoice_total_it_was_rounded_to():
    """The receipt says what the account was credited, every decimal (as the payment's page
    and the statement do); the invoice of the same payment states it rounded to the cent, and
    the receipt says so, naming the invoice and its total."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="25.0047")
    invoice = Document.objects.get(payment=paid)
    receipt = text_of(receipt_pdf(paid)).replace("\n", " ")
    assert "Amount credited to the account €25.0047 EUR" in receipt
    assert (
        f"Invoice {invoice.code} is for €25.00 EUR: the amount credited, rounded to 2 decimal "
        "places." in receipt
    )
    assert "Total €25.00 EUR" in text_of(document_pdf(invoice)).replace("\n", " ")
    # In whole cents the two agree: nothing to say.
    assert "rounded" not in text_of(receipt_pdf(topup(paid.customer, total="25.00")))


@pytest.mark.django_db
def test_an_amount_below_half_a_cent_gets_no_invoice_and_no_credit_note():
    """Rounded to the cent there is nothing to invoice or to credit: the top-up and the refund
    complete (the receipt keeps the exact amount), with no document of €0.00."""
    invoicing_on(rate="20")
    customer = billed_customer()
    tiny = topup(customer, total="0.0049")
    assert tiny.status == "completed"
    assert not Document.objects.filter(payment=tiny).exists()
    assert "€0.0049 EUR" in text_of(receipt_pdf(tiny))

    paid = topup(customer, total="10.00")
    refund = refund_create(original=paid, total="0.0049", reason="Rounding", status="completed")
    assert refund.status == "completed"
    assert not Document.objects.filter(payment=refund).exists()
    assert Document.objects.filter(payment=paid, kind=DocumentKind.INVOICE).exists()


@pytest.mark.django_db
def test_a_yen_invoice_is_in_whole_yen():
    invoicing_on(rate="10")
    paid = topup(billed_customer(currency="JPY"), total="1000.5")
    invoice = Document.objects.get(payment=paid)
    assert (invoice.net, invoice.tax, invoice.gross) == (Decimal(910), Decimal(91), Decimal(1001))
    xml = _xml_amounts(document_pdf(invoice))
    assert xml["GrandTotalAmount"] == xml["TaxBasisTotalAmount"] + xml["TaxTotalAmount"]


@pytest.mark.django_db
def test_the_invoices_api_lists_the_figures_the_invoice_prints():
    invoicing_on(rate="20")
    customer = billed_customer()
    topup(customer, total="25.0047")
    [listed] = (
        ApiClient(key_for(PortalUserFactory(customer=customer), "read"))
        .get("/api/v1/invoices")
        .json()["data"]
    )
    assert [listed[k]["amount"] for k in ("net", "tax", "total")] == ["20.83", "4.17", "25.00"]
