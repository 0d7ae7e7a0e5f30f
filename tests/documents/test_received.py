"""Documents say what happened (finance review): a staff credit nobody paid has no receipt and no
invoice; a payment completed with less than it expected says "Received X (expected Y)", never
that Y was charged, and is not "paid in full"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import dateformat, timezone

from paydesk.banktransfers.services import transfer_complete
from paydesk.documents.models import Document
from paydesk.documents.render import receipt_pdf
from paydesk.errors import NotFound
from paydesk.fx.services import rate_set
from paydesk.ledger.posting import PaidDetails
from paydesk.ledger.services import payment_complete, payment_create
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.documents.test_pdfs import text_of
from tests.factories import PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_staff_credit_has_no_receipt_and_no_invoice():
    """A goodwill credit (Payments → Add, method manual) is not money received."""
    invoicing_on()
    customer = billed_customer(currency="USD")
    credit = payment_create(customer=customer, total="1500.00", description="Goodwill credit")
    held = payment_create(
        customer=customer, total="1500.00", description="Goodwill", status="pending"
    )
    approved = payment_complete(payment=held, actor=StaffFactory())  # as a second approver
    for payment in (credit, approved):
        with pytest.raises(NotFound):
            receipt_pdf(payment)
        assert not Document.objects.filter(payment=payment).exists()
    client = Client()
    client.force_login(PortalUserFactory(customer=customer))
    page = client.get(f"/payments/{credit.reference}/").content.decode()
    assert "Receipt" not in page and "receipt.pdf" not in page
    assert client.get(f"/payments/{credit.reference}/receipt.pdf").status_code == 404


def _transfer(customer, expected: str):
    return payment_create(
        customer=customer, total=expected, description="Bank transfer", status="pending",
        method="bank_transfer",
        paid=PaidDetails(amount=Decimal(expected), currency=customer.currency, fx_rate="1",
                         surcharge=Decimal(0)),
    )  # fmt: skip


def test_a_short_bank_transfer_receipt_says_what_was_received():
    invoicing_on()
    customer = billed_customer()
    pending = _transfer(customer, "250.00")
    done = transfer_complete(
        payment=pending, actor=StaffFactory(), received_amount="240.00", received_currency="EUR"
    )
    assert (done.total, done.expected_total) == (Decimal("240.00"), Decimal("250.00"))
    text = text_of(receipt_pdf(done))
    assert "€240.00 EUR (expected €250.00 EUR)" in text
    assert "Received €10.00 EUR less than expected" in text
    assert "Amount charged" not in text and "€250.00 EUR\n" not in text
    assert "Paid in full" not in text and "Thank you for your payment" not in text
    invoice = Document.objects.get(payment=done)  # for what was received, which was paid
    assert invoice.gross == Decimal("240.00")


def test_a_transfer_received_in_full_is_paid_in_full():
    customer = billed_customer()
    pending = _transfer(customer, "250.00")
    done = transfer_complete(
        payment=pending, actor=StaffFactory(), received_amount="250.00", received_currency="EUR"
    )
    assert done.expected_total is None
    text = text_of(receipt_pdf(done))
    assert "Amount received €250.00 EUR" in text.replace("\n", " ")
    assert "Amount charged" not in text  # a transfer is received, nobody charged it
    assert "Paid in full. Thank you for your payment." in text
    assert "expected" not in text


def test_a_transfer_recorded_without_what_was_paid_says_received_never_charged():
    """The review's finding: a bank transfer staff entered (no paid details) read "Amount
    charged", of an amount with sub-cent digits no bank sends. It received what it credited;
    an amount credited with more decimals than the currency is kept exact, once, as credited."""
    whole = topup(billed_customer(), total="120.00")
    text = text_of(receipt_pdf(whole)).replace("\n", " ")
    assert "Amount charged" not in text
    assert "Amount received €120.00 EUR Amount credited to the account €120.00 EUR" in text

    sub_cent = topup(billed_customer(name="Nordlicht"), total="25.0047")
    text = text_of(receipt_pdf(sub_cent)).replace("\n", " ")
    assert "Amount charged" not in text and "Amount received" not in text
    assert "Amount credited to the account €25.0047 EUR" in text
    assert text.count("€25.0047 EUR") == 2  # the line and the amount credited, nothing else


def test_a_card_top_up_is_still_charged():
    card = topup(billed_customer(), total="40.00", method="card")
    assert "Amount charged €40.00 EUR" in text_of(receipt_pdf(card)).replace("\n", " ")


def _foreign_transfer(customer, *, asked: str, currency: str, quoted_credit: str, quoted_rate: str):
    return payment_create(
        customer=customer, total=quoted_credit, description="Bank transfer", status="pending",
        method="bank_transfer",
        paid=PaidDetails(amount=Decimal(asked), currency=currency, fx_rate=quoted_rate,
                         surcharge=Decimal(0)),
    )  # fmt: skip


def _rate_today(base: str, quote: str, rate: str) -> None:
    rate_set(
        base=base, quote=quote, rate=rate, rate_date=timezone.localdate(),
        actor=StaffFactory(staff_role="admin"),
    )  # fmt: skip


def test_a_transfer_in_another_currency_says_what_arrived_and_the_rate_that_credited_it():
    """Finance review: asked €100.00 for a dollar account (quoted $108.00 at 1.08), the customer
    sent €100.00 and the day's rate was 1.075: the receipt said "Received $107.50 USD (expected
    $108.00 USD)" and "Received $0.50 USD less than expected" — as if the payer had sent too
    little — and never the euros that arrived."""
    _rate_today("EUR", "USD", "1.075")
    customer = billed_customer(currency="USD")
    pending = _foreign_transfer(
        customer, asked="100.00", currency="EUR", quoted_credit="108.00", quoted_rate="1.08"
    )
    done = transfer_complete(
        payment=pending, actor=StaffFactory(), received_amount="100.00", received_currency="EUR"
    )
    assert done.total == Decimal("107.50")
    text = text_of(receipt_pdf(done)).replace("\n", " ")
    assert "Amount received €100.00 EUR Amount credited to the account $107.50 USD" in text
    day = dateformat.format(timezone.localdate(), "j F Y")
    assert f"Exchange rate 1 EUR = 1.075 USD ({day})" in text
    assert "1.08 USD" not in text  # the quote's rate did not credit it
    assert "less than" not in text
    assert "Paid in full. Thank you for your payment." in text
    assert "Quoted as $108.00 USD; a transfer is credited at the exchange rate of the day" in text


def test_a_foreign_transfer_short_of_what_was_asked_says_so_in_that_currency():
    _rate_today("EUR", "USD", "1.08")
    customer = billed_customer(currency="USD")
    pending = _foreign_transfer(
        customer, asked="100.00", currency="EUR", quoted_credit="108.00", quoted_rate="1.08"
    )
    done = transfer_complete(
        payment=pending, actor=StaffFactory(), received_amount="95.00", received_currency="EUR"
    )
    text = text_of(receipt_pdf(done)).replace("\n", " ")
    assert "Amount received €95.00 EUR Amount credited to the account $102.60 USD" in text
    assert "Received €5.00 EUR less than the €100.00 EUR asked" in text
    assert "Paid in full" not in text and "Quoted as" not in text


def test_a_transfer_sent_in_another_currency_than_asked_is_judged_by_its_credit():
    """Asked $100.00 (the account's currency), €90.00 arrived: nothing was asked in euros, so
    what it credited against what was expected says whether it fell short."""
    _rate_today("EUR", "USD", "1.08")
    customer = billed_customer(currency="USD")
    pending = _foreign_transfer(
        customer, asked="100.00", currency="USD", quoted_credit="100.00", quoted_rate="1"
    )
    done = transfer_complete(
        payment=pending, actor=StaffFactory(), received_amount="90.00", received_currency="EUR"
    )
    text = text_of(receipt_pdf(done)).replace("\n", " ")
    assert "Amount received €90.00 EUR Amount credited to the account $97.20 USD" in text
    assert "Received $2.80 USD less than expected: this receipt is for the amount received." in text
    assert "Paid in full" not in text
