"""The outbox in the back office: every staff role reads it; Finance can ask for one more attempt
of a message that failed for good, and the worker's next sweep delivers it; Support cannot."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import notify_payment_received, outbox_send_due
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

OUTBOX = "/backoffice/notifications/outboundemail/"


def signed_in(user) -> Client:
    return sign_in(Client(), user)


@pytest.fixture
def given_up(customer) -> OutboundEmail:
    """A confirmation whose every attempt failed: failed, with no next attempt."""
    Contact.objects.create(customer=customer, email="billing@example.com")
    payment = payment_create(customer=customer, total="5", description="Top-up #internal note")
    notify_payment_received(payment=payment)
    OutboundEmail.objects.update(
        status="failed", attempts=8, next_attempt_at=None, last_error="ConnectionRefusedError: x"
    )
    return OutboundEmail.objects.get()


def test_every_staff_role_reads_the_outbox(given_up, support_user):
    page = signed_in(support_user).get(OUTBOX)
    assert page.status_code == 200
    text = page.content.decode()
    assert "billing@example.com" in text
    assert given_up.payment.reference in text
    detail = signed_in(support_user).get(f"{OUTBOX}{given_up.pk}/change/").content.decode()
    assert "ConnectionRefusedError" in detail
    assert "internal note" not in detail


def test_finance_retries_a_message_and_the_next_sweep_delivers_it(given_up, finance_user):
    response = signed_in(finance_user).post(
        OUTBOX, {"action": "retry_now", "_selected_action": [given_up.pk]}
    )
    assert response.status_code == 302
    given_up.refresh_from_db()
    assert given_up.next_attempt_at <= timezone.now()
    assert AuditEntry.objects.filter(action="email.retry", actor=finance_user).exists()
    assert outbox_send_due() == 1
    given_up.refresh_from_db()
    assert (given_up.status, given_up.attempts) == ("sent", 9)
    assert [m.to for m in mail.outbox] == [["billing@example.com"]]


def test_support_cannot_retry(given_up, support_user):
    signed_in(support_user).post(OUTBOX, {"action": "retry_now", "_selected_action": [given_up.pk]})
    given_up.refresh_from_db()
    assert given_up.next_attempt_at is None
    assert not AuditEntry.objects.filter(action="email.retry").exists()
