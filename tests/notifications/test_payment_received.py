"""“Payment received and applied”, told as worked examples, through a real SMTP server on loopback:
what the contacts receive, what happens when the mail server is down, and that a rolled-back
payment tells nobody anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import Contact
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import EmailStatus, OutboundEmail
from paydesk.notifications.services import (
    email_content,
    notify_payment_received,
    outbox_send_due,
)
from tests.smtp import LoopbackSMTP, free_port, smtp_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(customer):
    Contact.objects.create(customer=customer, email="billing@example.com")
    Contact.objects.create(customer=customer, email="cfo@example.com")
    return ["billing@example.com", "cfo@example.com"]


def top_up(customer, total="2123", description="Wire 4471 #checked by Ann", **extra) -> Payment:
    """A completed top-up and its confirmation, in one transaction, as every caller must do."""
    with transaction.atomic():
        payment = payment_create(customer=customer, total=total, description=description, **extra)
        notify_payment_received(payment=payment)
    return payment


def test_contacts_receive_amount_reference_balance_and_date_over_smtp(
    customer, contacts, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "Europe/Berlin"  # the provider's time zone
    # Before the top-up below: a completed payment never goes back before the latest one.
    payment_create(
        customer=customer,
        total="100",
        description="Opening top-up",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with LoopbackSMTP() as smtp:
        smtp_settings(settings, smtp.port)
        with django_capture_on_commit_callbacks(execute=True):
            payment = top_up(customer, at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
        outbox_send_due()  # the worker's email-outbox job sends what the request queued

    assert sorted(rcpt for got in smtp.received for rcpt in got.rcpt_tos) == contacts
    for got in smtp.received:
        message = got.message
        assert [message["To"]] == got.rcpt_tos  # one message per contact: they never see each other
        assert message["Subject"] == f"Payment received: $2,123.00 USD ({payment.reference})"
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        for body in (text, html):
            assert "$2,123.00 USD" in body
            assert payment.reference in body
            assert "Wire 4471" in body
            assert "$2,223.00 USD" in body  # the balance after: 100 + 2,123
            assert "2026-01-15 13:00 CET" in body  # noon UTC in Berlin
        assert b"checked by Ann" not in got.raw  # the staff comment never leaves the building
    rows = OutboundEmail.objects.filter(payment=payment)
    assert [(r.status, r.attempts, r.next_attempt_at) for r in rows] == [("sent", 1, None)] * 2
    assert all(r.sent_at is not None for r in rows)


def test_a_resend_after_a_crash_carries_the_same_message_id(customer, contacts, settings):
    """A sender killed after the SMTP server's 250 but before marking the row sent leaves it
    claimed; once the claim expires the row is sent again — as the same message."""
    settings.DEFAULT_FROM_EMAIL = "Example Telecom <billing@example.com>"
    with LoopbackSMTP() as smtp:
        smtp_settings(settings, smtp.port)
        top_up(customer)
        assert outbox_send_due() == 2
        # What the killed sender left: delivered, but the row still claimed, not marked sent.
        OutboundEmail.objects.update(status="queued", sent_at=None, next_attempt_at=timezone.now())
        assert outbox_send_due() == 2
    ids = [got.message["Message-ID"] for got in smtp.received]
    assert len(ids) == 4 and len(set(ids)) == 2  # two rows, each sent twice, one id per row
    assert all(i.startswith("<paydesk-email-") and i.endswith("@example.com>") for i in ids)


def test_smtp_down_the_payment_stands_and_the_worker_sweep_delivers_later(
    customer, contacts, settings, django_capture_on_commit_callbacks, caplog
):
    port = free_port()  # nothing listens here: the mail server is down
    smtp_settings(settings, port)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        payment = top_up(customer, total="50")
    assert outbox_send_due() == 0  # the worker's first try: the server is down

    payment.refresh_from_db()
    customer.refresh_from_db()
    assert payment.status == "completed"
    assert customer.balance == Decimal("50")
    rows = list(OutboundEmail.objects.filter(payment=payment).order_by("to"))
    assert [(r.to, r.status, r.attempts) for r in rows] == [
        ("billing@example.com", "failed", 1),
        ("cfo@example.com", "failed", 1),
    ]
    for row in rows:
        assert row.next_attempt_at >= before + timedelta(seconds=60)
        assert "ConnectionRefusedError" in row.last_error
    assert "could not be sent (attempt 1 of 8)" in caplog.text

    # Not due yet: a sweep now leaves them alone.
    assert outbox_send_due() == 0
    with LoopbackSMTP(port) as smtp:
        later = max(row.next_attempt_at for row in rows)
        assert outbox_send_due(now=later) == 2
    assert sorted(rcpt for got in smtp.received for rcpt in got.rcpt_tos) == contacts
    assert all(payment.reference in got.message["Subject"] for got in smtp.received)
    assert set(OutboundEmail.objects.filter(payment=payment).values_list("status", "attempts")) == {
        ("sent", 2)
    }


def test_retries_double_and_stop_after_the_last_attempt(customer, contacts, settings, caplog):
    smtp_settings(settings, free_port())
    settings.PAYDESK_EMAIL_MAX_ATTEMPTS = 3
    settings.PAYDESK_EMAIL_RETRY_SECONDS = 60
    Contact.objects.filter(email="cfo@example.com").delete()
    with transaction.atomic():
        payment = payment_create(customer=customer, total="5", description="Top-up")
        notify_payment_received(payment=payment)
    # (The test transaction never commits: the sweep does all the attempts.)
    row = OutboundEmail.objects.get(payment=payment)
    waits = []
    now = timezone.now()
    for _attempt in range(3):
        assert outbox_send_due(now=now) == 0
        row.refresh_from_db()
        if row.next_attempt_at is None:
            break
        waits.append(round((row.next_attempt_at - now).total_seconds() / 60))
        now = row.next_attempt_at
    assert waits == [1, 2]  # minutes after attempts 1 and 2
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert "failed for good after 3 attempts" in caplog.text
    assert outbox_send_due(now=now + timedelta(days=1)) == 0  # given up: staff look at it


def test_nothing_is_sent_when_the_transaction_rolls_back(
    customer, contacts, settings, django_capture_on_commit_callbacks
):
    with LoopbackSMTP() as smtp:
        smtp_settings(settings, smtp.port)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                payment = payment_create(customer=customer, total="75", description="Top-up")
                assert notify_payment_received(payment=payment) == 2
                raise RuntimeError("something after the payment failed")
    assert callbacks == []
    assert smtp.received == []
    assert not Payment.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_purchases_are_told_as_charges_and_only_completed_payments_are_told(customer, contacts):
    payment_create(customer=customer, total="30", description="Top-up")
    pending = payment_create(
        customer=customer, total="25", description="Bank transfer", status="pending"
    )
    assert notify_payment_received(payment=pending) == 0
    purchase = payment_create(customer=customer, total="-10", description="DID rental")
    assert notify_payment_received(payment=purchase) == 2
    assert notify_payment_received(payment=purchase) == 0  # told once, however often asked
    subject, body_text, _html = email_content(OutboundEmail.objects.filter(payment=purchase)[0])
    assert subject == f"Charge applied: -$10.00 USD ({purchase.reference})"
    assert "applied a charge to the account" in body_text
    assert OutboundEmail.objects.filter(status=EmailStatus.QUEUED).count() == 2


def test_a_customer_without_contacts_gets_no_email(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = top_up(customer, total="5")
    assert payment.status == "completed"
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []
