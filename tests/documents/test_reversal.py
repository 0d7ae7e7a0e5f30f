"""Documents after a chargeback reversal (docs/documents.md, *After a chargeback reversal*): the
reversal gets an invoice for what it gives back, referencing the top-up's invoice; a refund
after it credits what is still open of the top-up's invoices. Whatever happens to one top-up,
its invoices less their credit notes state round(invoiced) − round(gone), gone being what its
refunds and chargebacks took less what reversals gave back: what the customer finally paid,
rounded by the one rule."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf, xml_check_xsd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from paydesk.documents.labels import provider_local
from paydesk.documents.models import Document, DocumentKind
from paydesk.documents.render import document_pdf
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import (
    chargeback_record,
    chargeback_reversal_record,
    refund_create,
    refund_left,
    refund_settle,
)
from paydesk.money import currency_exponent, round_half_up
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.vouchers.conftest import run_at_once

pytestmark = pytest.mark.django_db

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
QDT = "{urn:un:unece:uncefact:data:standard:QualifiedDataType:100}"
TEN_THOUSANDTH = Decimal("0.0001")


def documents_of(paid: Payment) -> list[Document]:
    """The invoices and credit notes of a top-up and of the payments that follow it."""
    follow = Payment.objects.filter(original=paid).values_list("pk", flat=True)
    return list(Document.objects.filter(payment_id__in=[paid.pk, *follow]).order_by("number"))


def signed(documents: list[Document]) -> tuple[Decimal, Decimal, Decimal]:
    """Net, tax and total as the lists sign them: invoices add, credit notes take away."""
    return (
        sum((d.signed_net for d in documents), Decimal(0)),
        sum((d.signed_tax for d in documents), Decimal(0)),
        sum((d.signed_gross for d in documents), Decimal(0)),
    )


def charged_back(paid: Payment, total: str) -> Payment:
    row, _created = chargeback_record(
        original=paid, total=Decimal(total), dispute_id=f"dp_{uuid.uuid4().hex}"
    )
    return row


def reversed_(paid: Payment, chargeback: Payment) -> Payment:
    row, _created = chargeback_reversal_record(
        original=paid, chargeback=chargeback, dispute_id=f"dp_{uuid.uuid4().hex}"
    )
    return row


def xml_of(document: Document) -> etree._Element:
    _name, xml = get_xml_from_pdf(document_pdf(document), check_xsd=False)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def text_of(document: Document) -> str:
    reader = PdfReader(io.BytesIO(document_pdf(document)))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def test_a_reversed_chargeback_gets_an_invoice_for_what_it_gave_back():
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="120.00")
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    chargeback = charged_back(paid, "120.00")
    reversal = reversed_(paid, chargeback)

    again = Document.objects.get(payment=reversal)
    assert again.kind == DocumentKind.INVOICE
    assert again.series == "INV" and again.number == invoice.number + 1
    assert again.corrects is None
    assert (again.net, again.tax, again.gross) == (Decimal(100), Decimal(20), Decimal(120))
    assert (again.tax_rate, again.tax_rule) == (invoice.tax_rate, invoice.tax_rule)
    assert again.data["seller"] == invoice.data["seller"]
    assert again.data["preceding"]["code"] == invoice.code
    # Invoice − credit note + the reversal's invoice: what the customer finally paid.
    assert signed(documents_of(paid)) == (Decimal(100), Decimal(20), Decimal(120))


def test_the_reversal_invoice_names_the_invoice_it_charges_again_and_its_xml_validates():
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="120.00")
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    again = Document.objects.get(payment=reversed_(paid, charged_back(paid, "120.00")))

    tree = xml_of(again)
    assert tree.findtext(f".//{RAM}TypeCode") == "380"
    referenced = tree.findall(f".//{RAM}InvoiceReferencedDocument")
    assert [r.findtext(f"{RAM}IssuerAssignedID") for r in referenced] == [invoice.code]
    day = provider_local(invoice.issued_at).strftime("%Y%m%d")
    assert referenced[0].findtext(f"{RAM}FormattedIssueDateTime/{QDT}DateTimeString") == day
    notes = [n.findtext(f"{RAM}Content") for n in tree.findall(f".//{RAM}IncludedNote")]
    assert any(invoice.code in note and "Chargeback reversed" in note for note in notes)

    text = " ".join(text_of(again).split())
    for expected in ("Invoice", again.code, "Preceding invoice", invoice.code, "€120.00 EUR"):
        assert expected in text, expected
    assert "Chargeback reversed: this invoice charges again" in text
    assert "Paid in full: nothing is due." in text


def test_a_reversal_of_a_chargeback_that_credited_nothing_invoices_nothing():
    """Refunded in full, then charged back as well (the money went back twice): the chargeback
    found the invoice credited and got no credit note, so its reversal invoices nothing."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="100.00")
    refund_create(original=paid, total="100.00", reason="Unused", status="completed")
    chargeback = charged_back(paid, "100.00")
    reversal = reversed_(paid, chargeback)
    assert reversal.status == "completed"
    assert not Document.objects.filter(payment__in=[chargeback, reversal]).exists()
    assert signed(documents_of(paid)) == (Decimal(0), Decimal(0), Decimal(0))


def test_a_full_refund_after_a_reversal_credits_what_is_open_of_both_invoices():
    """Part charged back and reversed, then everything refunded: the refund's credit note
    credits the reversal's invoice and what the chargeback left of the first, naming both."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="100.00")
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    again = Document.objects.get(payment=reversed_(paid, charged_back(paid, "30.00")))
    assert again.gross == Decimal(30)

    refund = refund_create(original=paid, total="100.00", reason="Unused", status="completed")
    note = Document.objects.get(payment=refund)
    assert note.gross == Decimal(100) and note.net + note.tax == note.gross
    assert note.corrects == again  # the newest invoice, the one still open
    assert signed(documents_of(paid)) == (Decimal(0), Decimal(0), Decimal(0))

    tree = xml_of(note)
    assert tree.findtext(f".//{RAM}TypeCode") == "381"
    referenced = tree.findall(f".//{RAM}InvoiceReferencedDocument/{RAM}IssuerAssignedID")
    assert [r.text for r in referenced] == [invoice.code, again.code]
    text = " ".join(text_of(note).split())
    assert "Corrects invoices" in text
    assert f"reduces invoices {invoice.code} and {again.code} by the total above" in text


def test_a_sub_cent_top_up_charged_back_reversed_and_refunded_nets_to_nothing():
    """The previous rule found the invoice fully credited by the chargeback's credit note, so
    the refund after the reversal got no credit note and the documents said €10.01 was kept."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="10.005")
    chargeback = charged_back(paid, "10.005")
    again = Document.objects.get(payment=reversed_(paid, chargeback))
    assert again.gross == Decimal("10.01")
    assert signed(documents_of(paid))[2] == Decimal("10.01")
    refund = refund_create(original=paid, total="10.005", reason="Unused", status="completed")
    note = Document.objects.get(payment=refund)
    assert note.gross == Decimal("10.01")
    assert signed(documents_of(paid)) == (Decimal(0), Decimal(0), Decimal(0))


def test_a_reversal_is_invoiced_when_its_top_up_was_whatever_the_switch_says_now():
    """The reversal's invoice restores part of an invoice already issued, as a credit note
    corrects one: it follows the top-up's invoice, not the switch. A top-up completed before
    invoicing was on has no invoice, so its reversal gets none either."""
    settings_row = invoicing_on(rate="20")
    customer = billed_customer()
    invoiced = topup(customer, method="card", total="50.00")
    settings_row.invoices_enabled = False
    settings_row.save()
    not_invoiced = topup(customer, method="card", total="40.00")
    again = reversed_(invoiced, charged_back(invoiced, "50.00"))
    unbilled = reversed_(not_invoiced, charged_back(not_invoiced, "40.00"))
    assert Document.objects.get(payment=again).gross == Decimal(50)
    assert not Document.objects.filter(payment__original=not_invoiced).exists()
    assert not Document.objects.filter(payment=unbilled).exists()


@st.composite
def what_happens_to_a_top_up(draw):
    """A top-up with sub-cent digits and 1 to 6 of: a refund, a chargeback (of up to all of
    it, whatever was refunded: the ledger records what the gateway took) or the reversal of the
    oldest chargeback not yet reversed; amounts at the ledger's 4 decimals."""
    units = draw(st.integers(min_value=1, max_value=10**7))  # up to 1,000.0000
    steps = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("refund"), st.integers(1, units)),
                st.tuples(st.just("chargeback"), st.integers(1, units)),
                st.tuples(st.just("reverse"), st.just(0)),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return Decimal(units) * TEN_THOUSANDTH, [(s, Decimal(n) * TEN_THOUSANDTH) for s, n in steps]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    story=what_happens_to_a_top_up(),
    rate=st.sampled_from(["0", "5.5", "19.99", "20", "99.99"]),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_the_documents_of_a_top_up_always_state_what_the_customer_kept(story, rate, currency):
    """The property, through the ledger on the database under test (run on SQLite and on
    PostgreSQL): after every refund, chargeback or reversal the documents' signed total is
    round(invoiced) − round(gone), under a minor unit from the money kept; credit notes never
    credit more than the invoices (in total, net or tax); every document adds up; and once
    nothing is kept, the credit notes are exactly the invoices."""
    amount, steps = story
    invoicing_on(rate=rate)
    places = currency_exponent(currency)
    unit = Decimal(1).scaleb(-places)
    paid = topup(billed_customer(currency=currency), method="card", total=str(amount))
    invoice = Document.objects.filter(payment=paid, kind=DocumentKind.INVOICE).first()
    if invoice is None:  # below half a minor unit: nothing invoiced, nothing to correct
        assert round_half_up(amount, places) == 0
        return
    gone = Decimal(0)
    open_chargebacks: list[Payment] = []
    for step, part in steps:
        if step == "refund":
            part = min(part, refund_left(payment=paid))
            if part <= 0:
                continue
            refund_create(
                original=paid, total=part, reason="Unused", status="completed", allow_overdraft=True
            )
            gone += part
        elif step == "chargeback":
            open_chargebacks.append(charged_back(paid, str(part)))
            gone += part
        elif open_chargebacks:
            chargeback = open_chargebacks.pop(0)
            reversed_(paid, chargeback)
            gone += chargeback.total  # negative: it gives the chargeback back
        documents = documents_of(paid)
        net, tax, gross = signed(documents)
        assert gross == invoice.gross - min(round_half_up(gone, places), invoice.gross)
        assert abs(gross - max(amount - gone, Decimal(0))) < unit
        assert net >= 0 and tax >= 0
        for document in documents:
            assert document.gross > 0 and document.net >= 0 and document.tax >= 0
            assert document.net + document.tax == document.gross
            assert abs(document.tax - document.net * document.tax_rate / 100) < unit * (
                1 + document.tax_rate / 100
            )
        if gone >= amount:
            assert (net, tax, gross) == (Decimal(0), Decimal(0), Decimal(0))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_and_a_reversal_completing_at_once_still_add_up():
    """A pending refund confirmed at the moment the gateway reverses a chargeback, on
    PostgreSQL (real row locks): each document is computed after the other committed."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="10.005")
    chargeback = charged_back(paid, "5.0025")
    pending = refund_create(original=paid, total="5.0025", reason="Unused", allow_overdraft=True)

    def work(index: int) -> Payment:
        if index == 0:
            return refund_settle(refund=pending, completed=True)
        return reversed_(paid, chargeback)

    outcomes = run_at_once(2, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # Gone: the refund's half; kept: the other half. €10.01 − €5.00.
    assert signed(documents_of(paid))[2] == Decimal("5.01")
