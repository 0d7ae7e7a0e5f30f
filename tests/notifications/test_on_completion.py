"""Spec §5/§8: when Finance completes a customer's pending payment (a bank transfer) the contacts
are told it was received and applied, after the commit; a pending staff entry completed later
tells nobody (staff entries email only when Email Confirmation is ticked)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from paydesk.accounts.models import Contact
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail

pytestmark = pytest.mark.django_db

PAYMENTS = "/backoffice/ledger/payment/"


@pytest.fixture
def finance(finance_user) -> Client:
    client = Client()
    client.force_login(finance_user)
    return client


@pytest.fixture
def billing(customer):
    return Contact.objects.create(customer=customer, email="billing@example.com")


def bank_transfer(customer, total="25"):
    return payment_create(
        customer=customer, total=total, description="Bank transfer", status="pending",
        method="bank_transfer", gateway="bank_transfer",
    )  # fmt: skip


def test_completing_a_bank_transfer_tells_the_contacts_the_amount_received(
    finance_user, customer, billing, django_capture_on_commit_callbacks
):
    from paydesk.banktransfers.services import transfer_complete

    transfer = bank_transfer(customer)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_complete(
            payment=transfer, actor=finance_user, received_amount="24.50", received_currency="USD"
        )
    [message] = mail.outbox
    assert message.to == ["billing@example.com"]
    assert message.subject == f"Payment received: $24.50 USD ({transfer.reference})"
    assert OutboundEmail.objects.get().status == "sent"


def test_bulk_completion_tells_the_contacts_about_each_payment(
    finance, customer, billing, django_capture_on_commit_callbacks
):
    transfers = [bank_transfer(customer, "10"), bank_transfer(customer, "20")]
    ids = [t.pk for t in transfers]
    action = {"action": "complete_selected", "_selected_action": ids, "index": 0}
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(PAYMENTS, {**action, "post": "yes"})
    assert sorted(m.subject for m in mail.outbox) == [
        f"Payment received: $10.00 USD ({transfers[0].reference})",
        f"Payment received: $20.00 USD ({transfers[1].reference})",
    ]


def test_a_pending_staff_entry_completed_later_tells_nobody(
    finance, customer, billing, django_capture_on_commit_callbacks
):
    entry = payment_create(customer=customer, total="5", description="Adjustment", status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        finance.post(f"{PAYMENTS}{entry.pk}/complete/", {"total": ""})
    entry.refresh_from_db()
    assert entry.status == "completed"
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()
