"""Invoice numbers: gap-free and sequential per series and year, taken in the completing
transaction (a rollback leaves no gap), refused by the database when not the next one; issued
documents cannot be updated or deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from paydesk.documents.models import Document, DocumentCounter
from paydesk.documents.numbering import number_take
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import CustomerFactory
from tests.vouchers.conftest import run_at_once

YEAR_CODE = "INV-{year}-{n:06d}"


@pytest.mark.django_db
def test_each_completed_topup_gets_the_next_invoice_number(invoicing):
    customer = billed_customer()
    first, second = topup(customer), topup(customer, total="50.00")
    codes = [Document.objects.get(payment=p).code for p in (first, second)]
    year = Document.objects.get(payment=first).year
    assert codes == [YEAR_CODE.format(year=year, n=1), YEAR_CODE.format(year=year, n=2)]


@pytest.mark.django_db
def test_no_invoice_while_invoicing_is_off():
    invoicing_on(enabled=False)
    payment = topup(billed_customer())
    assert not Document.objects.filter(payment=payment).exists()


@pytest.mark.django_db
def test_a_purchase_and_a_pending_payment_get_no_invoice(invoicing):
    from paydesk.ledger.services import payment_create

    customer = billed_customer()
    payment_create(customer=customer, total="-5", description="DID rental", allow_overdraft=True)
    payment_create(customer=customer, total="5", description="t", method="card", status="pending")
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_a_refund_gets_a_credit_note_referencing_the_invoice(invoicing):
    customer = billed_customer()
    paid = topup(customer, total="120.00")
    refund = refund_create(original=paid, total="24.00", reason="Unused", status="completed")
    note = Document.objects.get(payment=refund)
    invoice = Document.objects.get(payment=paid)
    assert (note.kind, note.corrects, note.code) == (
        "credit_note",
        invoice,
        f"CN-{invoice.year}-000001",
    )
    assert (note.gross, note.net, note.tax) == (Decimal("24.00"), Decimal("20.00"), Decimal("4.00"))


@pytest.mark.django_db(transaction=True)
def test_a_completion_rolled_back_mid_transaction_leaves_no_gap():
    _rolled_back_leaves_no_gap()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_completion_rolled_back_leaves_no_gap_on_postgresql():
    _rolled_back_leaves_no_gap()


def _rolled_back_leaves_no_gap():
    invoicing_on()
    customer = billed_customer()
    topup(customer)
    with pytest.raises(RuntimeError), transaction.atomic():
        topup(customer, total="10.00")
        raise RuntimeError("the rest of the completion failed")
    last = topup(customer, total="30.00")
    numbers = sorted(Document.objects.values_list("number", flat=True))
    assert numbers == [1, 2]
    assert Document.objects.get(payment=last).number == 2
    assert Payment.objects.filter(customer=customer).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_concurrent_completions_take_consecutive_numbers_on_postgresql():
    from paydesk.ledger.services import payment_complete, payment_create

    invoicing_on()
    customers = [billed_customer(name=f"Carrier {i}") for i in range(8)]
    pending = [
        payment_create(customer=c, total="10", description="Bank transfer", method="bank_transfer",
                       status="pending")
        for c in customers
    ]  # fmt: skip
    outcomes = run_at_once(8, lambda i: payment_complete(payment=pending[i].pk))
    assert all(isinstance(o, Payment) for o in outcomes), outcomes
    numbers = sorted(Document.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))
    assert DocumentCounter.objects.get(series="INV").last_number == 8


@pytest.mark.django_db
def test_the_database_refuses_a_number_that_is_not_the_next(invoicing):
    paid = topup(billed_customer())
    invoice = Document.objects.get(payment=paid)
    other = topup(billed_customer(name="Other"), total="1.00")
    for number in (invoice.number + 5, invoice.number):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Document.objects.create(
                kind="invoice", series="INV", year=invoice.year, number=number,
                code=f"X-{number}", customer=invoice.customer, payment=other,
                issued_at=invoice.issued_at, currency="EUR", net=1, tax=0, gross=1,
                tax_rate=0, tax_rule="standard",
            )  # fmt: skip


@pytest.mark.django_db
def test_a_number_taken_outside_the_counter_is_refused(invoicing):
    customer = CustomerFactory()
    pending = topup(customer, total="3")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Document.objects.create(
            kind="invoice", series="XX", year=2026, number=1, code="XX-1", customer=customer,
            payment=pending, issued_at=pending.completed_at, currency="USD", net=3, tax=0,
            gross=3, tax_rate=0, tax_rule="standard",
        )  # fmt: skip


@pytest.mark.django_db
def test_issued_invoices_cannot_be_updated_or_deleted(invoicing):
    invoice = Document.objects.get(payment=topup(billed_customer()))
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Document.objects.filter(pk=invoice.pk).update(gross=Decimal("1"), net=Decimal("1"), tax=0)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Document.objects.filter(pk=invoice.pk).delete()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        DocumentCounter.objects.filter(series="INV").update(last_number=0)
    invoice.refresh_from_db()
    assert invoice.gross == Decimal("120.00")


@pytest.mark.django_db
def test_number_take_counts_per_series_and_year():
    assert [number_take(series="INV", year=2026) for _ in range(3)] == [1, 2, 3]
    assert number_take(series="INV", year=2027) == 1
    assert number_take(series="CN", year=2026) == 1
