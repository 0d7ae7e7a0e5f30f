"""Each kind of PDF read back: its text (pypdf) shows the right names, figures, tax and
references; a page drawn to PNG (pypdfium2) is not blank; the Factur-X XML embedded in an
invoice or credit note validates against the EN 16931 XSD; non-Latin names print."""

from __future__ import annotations

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from paydesk.documents.models import Document, InvoicingSettings, TaxRule
from paydesk.documents.render import document_pdf, receipt_pdf
from paydesk.errors import NotFound
from paydesk.ledger.posting import PaidDetails
from paydesk.ledger.services import payment_create
from tests.documents.conftest import billed_customer, credit_note_of, invoicing_on, topup

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # pypdf puts a NUL before each glyph of the CJK font (a CFF collection's two-byte codes);
    # PDFium reads the same page cleanly (test_non_latin_customer_names_print checks both).
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def inked_share(pdf: bytes) -> float:
    """The share of the first page's pixels that are not white, drawn at 50 dpi."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=50 / 72).to_pil().convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = list(image.get_flattened_data())
    return sum(1 for p in pixels if p < 200) / len(pixels)


@pytest.mark.django_db
def test_a_card_receipt_shows_parties_method_and_amounts():
    invoicing_on(enabled=False)
    customer = billed_customer(name="Acme Telecom", currency="USD")
    pending = payment_create(
        customer=customer, total="92.50", method="card", status="pending",
        description="Credit Card Visa •••• 4242, €85.00 EUR",
        paid=PaidDetails(amount=Decimal("85.00"), currency="EUR", fx_rate="1.0882352941",
                         surcharge=Decimal("0")),
    )  # fmt: skip
    from paydesk.ledger.services import payment_complete

    paid = payment_complete(payment=pending)
    pdf = receipt_pdf(paid, zone=ZoneInfo("Asia/Tokyo"))
    text = text_of(pdf)
    for expected in (
        "Receipt", paid.reference, "Paydesk Telecom Ltd", "FR40303265045", "Acme Telecom GmbH",
        "DE136695976", "Credit Card (Visa •••• 4242)", "Amount charged", "€85.00 EUR",
        "Amount credited to the account", "$92.50 USD", "1 EUR = 1.088235", "JST",
    ):  # fmt: skip
        assert expected in text, expected
    assert "4242 4242" not in text
    assert inked_share(pdf) > 0.005


@pytest.mark.django_db
def test_a_credit_staff_entered_has_no_receipt():
    # A credit nobody paid is no payment received (docs/documents.md): no receipt to word.
    invoicing_on(enabled=False)
    credit = payment_create(customer=billed_customer(), total="40", description="Goodwill")
    with pytest.raises(NotFound):
        receipt_pdf(credit)


@pytest.mark.django_db
def test_a_purchase_has_no_receipt():
    customer = billed_customer()
    purchase = payment_create(
        customer=customer, total="-5", description="DID", allow_overdraft=True
    )
    with pytest.raises(NotFound):
        receipt_pdf(purchase)


@pytest.mark.django_db
def test_an_invoice_shows_tax_and_carries_valid_facturx():
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="120.00")
    invoice = Document.objects.get(payment=paid)
    pdf = document_pdf(invoice)
    text = text_of(pdf)
    for expected in (
        "Invoice", invoice.code, paid.reference, "€100.00 EUR", "20 %", "€20.00 EUR",
        "€120.00 EUR", "Paydesk Telecom Ltd", "FR40303265045", "Acme Telecom GmbH", "Bank Transfer",
    ):  # fmt: skip
        assert expected in text, expected
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(f".//{RAM}GrandTotalAmount") == "120.00"
    assert tree.findtext(f".//{RAM}TaxTotalAmount") == "20.00"
    assert tree.findtext(f".//{RAM}TypeCode") == "380"
    assert inked_share(pdf) > 0.005


@pytest.mark.django_db
def test_a_sub_cent_invoice_reads_as_its_xml_and_its_receipt_as_the_payment():
    """Factur-X states amounts at two decimals (EN 16931): the invoice is issued for the
    amount rounded once to the cent, and its record, its text and its XML show those figures;
    the receipt, which has no such rule, shows what was credited, every decimal."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="120.006")
    invoice = Document.objects.get(payment=paid)
    assert (invoice.net, invoice.tax, invoice.gross) == (
        Decimal("100.01"), Decimal("20.00"), Decimal("120.01")
    )  # fmt: skip
    pdf = document_pdf(invoice)
    text = text_of(pdf)
    for expected in ("€100.01 EUR", "€20.00 EUR", "€120.01 EUR"):
        assert expected in text, expected
    assert "100.005" not in text and "120.006" not in text
    tree = etree.fromstring(get_xml_from_pdf(pdf, check_xsd=False)[1])
    assert tree.findtext(f".//{RAM}TaxBasisTotalAmount") == "100.01"
    assert tree.findtext(f".//{RAM}TaxTotalAmount") == "20.00"
    assert tree.findtext(f".//{RAM}GrandTotalAmount") == "120.01"
    assert "€120.006 EUR" in text_of(receipt_pdf(paid))


@pytest.mark.django_db
def test_a_credit_note_references_the_invoice_it_corrects():
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="120.00")
    note = credit_note_of(paid, "60.00")
    invoice = Document.objects.get(payment=paid)
    pdf = document_pdf(note)
    text = text_of(pdf)
    figures = ("€50.00 EUR", "€10.00 EUR", "€60.00 EUR")
    for expected in ("Credit note", note.code, invoice.code, *figures):
        assert expected in text, expected
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(f".//{RAM}TypeCode") == "381"
    assert tree.findtext(f".//{RAM}InvoiceReferencedDocument/{RAM}IssuerAssignedID") == invoice.code


@pytest.mark.django_db
def test_a_reverse_charge_invoice_has_no_tax_and_the_legal_mention():
    invoicing_on(rate="20")
    paid = topup(billed_customer(rule=TaxRule.REVERSE_CHARGE), total="120.00")
    invoice = Document.objects.get(payment=paid)
    assert (invoice.tax, invoice.net) == (Decimal("0"), Decimal("120.00"))
    pdf = document_pdf(invoice)
    assert "Reverse charge" in text_of(pdf).replace("\n", " ")
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert etree.fromstring(xml).findtext(f".//{RAM}CategoryCode") == "AE"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["Сибирь Телеком", "Ελληνική Τηλεπικοινωνία", "राजेश टेलीकॉम", "東京通信株式会社", "한국통신"],
)
def test_non_latin_customer_names_print(name):
    invoicing_on(rate="20")
    paid = topup(billed_customer(name=name, legal_name=name), total="10.00")
    for pdf in (receipt_pdf(paid), document_pdf(Document.objects.get(payment=paid))):
        text = text_of(pdf)
        assert name.replace(" ", "") in text.replace(" ", ""), text
        pdfium_text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
        assert name in pdfium_text
        assert inked_share(pdf) > 0.005


@pytest.mark.django_db
def test_the_brand_names_the_provider_and_its_png_logo_heads_the_receipt(admin_user):
    from PIL import Image

    from paydesk.provider.brand import brand_update

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(buffer, format="PNG")
    brand_update(actor=admin_user, name="Carrier Brand", logo=buffer.getvalue(), logo_name="l.png")
    invoicing_on(enabled=False)
    paid = topup(billed_customer(), total="10.00")
    pdf = receipt_pdf(paid)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    images = [name for name, obj in page["/Resources"]["/XObject"].items()
              if obj.get_object()["/Subtype"] == "/Image"]  # fmt: skip
    assert images
    assert "Paydesk Telecom Ltd" in text_of(pdf)  # the legal name from the invoicing settings
    invoicing_on_rows = InvoicingSettings.objects.all()
    invoicing_on_rows.update(legal_name="")
    assert "Carrier Brand" in text_of(receipt_pdf(paid))  # no legal name: the brand's name
