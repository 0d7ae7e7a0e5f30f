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
from paydesk.notifications.services import outbox_send_due
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

PAYMENTS = "/backoffice/ledger/payment/"


@pytest.fixture
def finance(finance_user) -> Client:
    return sign_in(Client(), finance_user)


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
    assert mail.outbox == []
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
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
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
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
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
    entry.refresh_from_db()
    assert entry.status == "completed"
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_a_redeemed_voucher_and_its_bonus_each_tell_the_contacts(
    portal_user, customer, billing, django_capture_on_commit_callbacks
):
    from paydesk.vouchers.batches import voucher_batch_issue
    from paydesk.vouchers.services import voucher_redeem

    _batch, [free] = voucher_batch_issue(count=1, currency="USD", addition="5", actor=None)
    _batch, [bonus] = voucher_batch_issue(
        count=1, currency="USD", minimum_activation="50", multiplier="2", addition="5", actor=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        redeemed = voucher_redeem(
            code=free, customer=customer, currency="USD", user=portal_user, ip_address="127.0.0.1"
        )
        voucher_redeem(
            code=bonus, customer=customer, currency="USD", user=portal_user, ip_address="127.0.0.1"
        )
        # The ledger itself sends nothing: this top-up's own email belongs to whoever completes
        # it (a gateway event, Finance); the bonus it earns is the voucher's to tell.
        payment_create(customer=customer, total="100", description="Card top-up", method="card")
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects[1] == f"Payment received: $5.00 USD ({redeemed.payment.reference})"
    assert subjects[0].startswith("Payment received: $105.00 USD")
    assert len(subjects) == 2
