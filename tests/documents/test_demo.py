"""The demo an accountant tries (issue 16, Done when): invoicing is on, the two customers'
bank-transfer top-ups of today are invoiced with their tax rules, Acme's part refund has a credit
note correcting its invoice, and a card top-up of the year has a receipt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paydesk.demo.seed import seed_demo
from paydesk.documents.models import Document
from paydesk.documents.render import document_pdf, receipt_pdf
from paydesk.ledger.models import Payment
from tests.documents.test_pdfs import text_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_the_demo_has_an_invoice_a_credit_note_and_card_receipts():
    acme, nordlicht = seed_demo(now=NOW)
    invoices = Document.objects.filter(kind="invoice").order_by("number")
    assert [(d.customer, d.tax_rule, d.code) for d in invoices] == [
        (acme, "zero_rated", "INV-2026-000001"),
        (nordlicht, "reverse_charge", "INV-2026-000002"),
    ]
    note = Document.objects.get(kind="credit_note")
    assert (note.corrects, note.gross, note.code) == (invoices[0], 100, "CN-2026-000001")
    text = text_of(document_pdf(note))
    assert "Acme Telecom Inc." in text and "INV-2026-000001" in text
    card = Payment.objects.filter(customer=acme, method="card", status="completed", total__gt=0)
    receipt = text_of(receipt_pdf(card.latest("completed_at")))
    assert "Method Credit Card (" in receipt and "Acme Telecom Inc." in receipt
