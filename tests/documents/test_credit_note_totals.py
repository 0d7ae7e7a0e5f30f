"""The credit notes of one invoice add up to it: whatever the splits, their totals never exceed
the invoice's, and once its payment has been refunded (or charged back) in full they are exactly
the invoice's total, net and tax. Each credit note credits what has been returned so far, rounded
once to the currency's decimals, less what the invoice's earlier credit notes credited; the one
that completes the refund therefore takes the remainder (docs/documents.md, *Amounts*)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paydesk.documents.models import Document, DocumentKind
from paydesk.ledger.refunds import chargeback_record, refund_create, refund_settle
from paydesk.money import currency_exponent, round_half_up
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.vouchers.conftest import run_at_once

pytestmark = pytest.mark.django_db

TEN_THOUSANDTH = Decimal("0.0001")


def notes_of(invoice: Document) -> list[Document]:
    return list(Document.objects.filter(corrects=invoice).order_by("number"))


def totals(notes: list[Document]) -> tuple[Decimal, Decimal, Decimal]:
    return (
        sum((n.net for n in notes), Decimal(0)),
        sum((n.tax for n in notes), Decimal(0)),
        sum((n.gross for n in notes), Decimal(0)),
    )


def refunded_in(customer, total: str, parts: list[str]) -> tuple[Document, list[Document]]:
    paid = topup(customer, total=total)
    for part in parts:
        refund_create(original=paid, total=part, reason="Unused", status="completed")
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    return invoice, notes_of(invoice)


@pytest.mark.parametrize(
    ("total", "parts", "grosses"),
    [
        # Each half rounded on its own was €5.00 + €5.00 against an invoice of €10.01.
        ("10.005", ["5.0025", "5.0025"], ["5.00", "5.01"]),
        # Thirds rounded on their own were 3 × €3.33 against €10.00.
        ("10.00", ["3.3333", "3.3333", "3.3334"], ["3.33", "3.34", "3.33"]),
        # Halves of €10.01 rounded on their own were €5.01 + €5.01: a cent more than invoiced.
        ("10.01", ["5.005", "5.005"], ["5.01", "5.00"]),
    ],
)
def test_credit_notes_of_a_refund_in_parts_add_up_to_the_invoice(total, parts, grosses):
    invoicing_on(rate="20")
    invoice, notes = refunded_in(billed_customer(), total, parts)
    assert [n.gross for n in notes] == [Decimal(g) for g in grosses]
    assert totals(notes) == (invoice.net, invoice.tax, invoice.gross)
    assert all(n.net + n.tax == n.gross for n in notes)


def test_a_chargeback_after_a_partial_refund_credits_only_what_is_left_of_the_invoice():
    """The gateway took back the whole payment after Finance had refunded part of it: the money
    went out twice, and the ledger says so, but the invoice is credited once in all."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), method="card", total="100.00")
    refund_create(original=paid, total="30.00", reason="Unused", status="completed")
    chargeback, _created = chargeback_record(
        original=paid, total=Decimal("100.00"), dispute_id="dp_after_refund"
    )
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    note = Document.objects.get(payment=chargeback)
    assert (note.net, note.tax, note.gross) == (Decimal("58.33"), Decimal("11.67"), Decimal(70))
    assert totals(notes_of(invoice)) == (invoice.net, invoice.tax, invoice.gross)
    # Nothing is left to credit: a further chargeback completes with no credit note.
    again, _created = chargeback_record(
        original=paid, total=Decimal("1.00"), dispute_id="dp_second"
    )
    assert again.status == "completed"
    assert not Document.objects.filter(payment=again).exists()


@st.composite
def refunds_of_a_topup(draw):
    """A top-up with sub-cent digits, split into 1 to 4 refunds of any size the ledger takes
    (4 decimals), refunding all of it or leaving some."""
    units = draw(st.integers(min_value=1, max_value=10**7))  # up to 1,000.0000
    count = draw(st.integers(min_value=1, max_value=4))
    cuts = sorted(draw(st.lists(st.integers(0, units), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, units]
    parts = [hi - lo for lo, hi in zip(bounds, bounds[1:], strict=False) if hi > lo]
    if draw(st.booleans()) and parts:
        parts[-1] -= draw(st.integers(0, parts[-1] - 1))  # leave some unrefunded (or not)
    return Decimal(units) * TEN_THOUSANDTH, [Decimal(p) * TEN_THOUSANDTH for p in parts]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    split=refunds_of_a_topup(),
    rate=st.sampled_from(["0", "5.5", "7.5", "19.99", "20", "99.99"]),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_credit_notes_never_exceed_their_invoice_and_add_up_once_refunded_in_full(
    split, rate, currency
):
    """The property, through the ledger on the database under test (run on SQLite and on
    PostgreSQL): after every refund the credit notes credit exactly what has been refunded so
    far rounded once (never more than the invoice), each states net + tax = total with its tax
    near net × rate (BR-CO-17), and a full refund credits the invoice's net, tax and total."""
    amount, parts = split
    invoicing_on(rate=rate)
    places = currency_exponent(currency)
    unit = Decimal(1).scaleb(-places)
    paid = topup(billed_customer(currency=currency), total=str(amount))
    invoice = Document.objects.filter(payment=paid, kind=DocumentKind.INVOICE).first()
    if invoice is None:  # below half a minor unit: nothing invoiced, so nothing to credit
        assert round_half_up(amount, places) == 0
        return
    refunded = Decimal(0)
    for part in parts:
        refund_create(original=paid, total=part, reason="Unused", status="completed")
        refunded += part
        notes = notes_of(invoice)
        net, tax, gross = totals(notes)
        assert gross == min(round_half_up(refunded, places), invoice.gross)
        assert net <= invoice.net and tax <= invoice.tax
        for note in notes:
            assert note.gross > 0 and note.net >= 0 and note.tax >= 0
            assert note.net + note.tax == note.gross
            # BR-CO-17: within (1 + rate) minor units of net × rate before its rounding.
            assert abs(note.tax - note.net * note.tax_rate / 100) < unit * (1 + note.tax_rate / 100)
    if refunded == amount:
        assert totals(notes_of(invoice)) == (invoice.net, invoice.tax, invoice.gross)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refunds_of_one_invoice_completing_at_once_still_add_up():
    """Four pending refunds of one sub-cent top-up confirmed by the gateway at the same moment,
    on PostgreSQL (real row locks): each credit note is computed after the ones committed
    before it, so together they are the invoice, as if confirmed one by one."""
    invoicing_on(rate="20")
    paid = topup(billed_customer(), total="10.005")
    parts = ["2.5012", "2.5013", "2.5012", "2.5013"]  # a quarter each, at the ledger's 4 decimals
    pending = [refund_create(original=paid, total=part, reason="Unused") for part in parts]
    outcomes = run_at_once(4, lambda i: refund_settle(refund=pending[i], completed=True))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    invoice = Document.objects.get(payment=paid, kind=DocumentKind.INVOICE)
    notes = notes_of(invoice)
    assert len(notes) == 4
    assert (
        totals(notes)
        == (invoice.net, invoice.tax, invoice.gross)
        == (
            Decimal("8.34"),
            Decimal("1.67"),
            Decimal("10.01"),
        )
    )
