"""Credit notes come from the ledger's payment listener (ledger/hooks.py): issued in the very
transaction in which a refund or chargeback of an invoiced top-up becomes Completed — whether it
is recorded completed or completed later — and never for a change that completes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.documents.models import Document, DocumentCounter, DocumentKind
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import chargeback_record, refund_create, refund_settle
from paydesk.outhooks.models import Event
from tests.documents.conftest import billed_customer, invoicing_on, topup


def credit_notes() -> list[str]:
    return list(
        Document.objects.filter(kind=DocumentKind.CREDIT_NOTE)
        .order_by("number")
        .values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_a_pending_refund_gets_its_credit_note_when_it_completes(invoicing):
    paid = topup(billed_customer(), total="120.00")
    refund = refund_create(original=paid, total="60.00", reason="Unused")
    assert credit_notes() == []  # pending: nothing completed yet

    done = refund_settle(refund=refund, completed=True)

    note = Document.objects.get(payment=done)
    invoice = Document.objects.get(payment=paid)
    assert (note.kind, note.corrects, note.code) == (
        DocumentKind.CREDIT_NOTE,
        invoice,
        f"CN-{invoice.year}-000001",
    )
    assert note.issued_at == done.completed_at
    assert [note.gross, note.net, note.tax] == [Decimal(v) for v in ("60.00", "50.00", "10.00")]


@pytest.mark.django_db
def test_a_cancelled_refund_gets_no_credit_note(invoicing):
    paid = topup(billed_customer())
    refund = refund_create(original=paid, total="20.00", reason="Unused")
    refund_settle(refund=refund, completed=False, reason="The gateway declined the refund.")
    assert credit_notes() == []


@pytest.mark.django_db
def test_a_chargeback_of_an_invoiced_topup_gets_a_credit_note(invoicing):
    paid = topup(billed_customer(), method="card", total="100.00")
    chargeback, created = chargeback_record(original=paid, total=Decimal("100.00"), dispute_id="d1")
    assert created
    note = Document.objects.get(payment=chargeback)
    assert note.corrects == Document.objects.get(payment=paid)
    assert note.gross == Decimal("100.00")


@pytest.mark.django_db
def test_no_credit_note_without_an_invoice_to_correct():
    invoicing_on(enabled=False)
    paid = topup(billed_customer())
    refund_create(original=paid, total="20.00", reason="Unused", status="completed")
    assert Document.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_refund_completion_rolled_back_takes_its_number_and_its_events_back():
    _rolled_back_refund_leaves_no_gap()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_completion_rolled_back_takes_its_number_back_on_postgresql():
    _rolled_back_refund_leaves_no_gap()


def _rolled_back_refund_leaves_no_gap():
    invoicing_on()
    paid = topup(billed_customer(), total="120.00")
    refund = refund_create(original=paid, total="10.00", reason="Unused")
    with pytest.raises(RuntimeError), transaction.atomic():
        refund_settle(refund=refund, completed=True)
        # The credit note and the refund's events were written in this transaction...
        year = Document.objects.get(payment=paid).year
        assert credit_notes() == [f"CN-{year}-000001"]
        assert Event.objects.filter(payment=refund, type="refund.completed").exists()
        raise RuntimeError("the rest of the completion failed")
    # ...and went with it: no credit note, no event, the number is free again.
    assert Payment.objects.get(pk=refund.pk).status == "pending"
    assert credit_notes() == []
    assert not Event.objects.filter(payment=refund, type="refund.completed").exists()
    assert DocumentCounter.objects.filter(series="CN", last_number__gt=0).count() == 0

    done = refund_settle(refund=refund, completed=True)
    assert Document.objects.get(payment=done).number == 1
