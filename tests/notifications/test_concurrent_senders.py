"""Two senders never send one message twice: several workers' sweeps (and a staff retry) may
try the same row at once; one conditional UPDATE lets exactly one of them have it."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from paydesk.accounts.models import Contact
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import notify_payment_received, outbox_send, outbox_send_due
from tests.smtp import LoopbackSMTP, free_port, smtp_settings


@pytest.mark.django_db(transaction=True)
def test_eight_senders_at_once_deliver_each_message_once(customer, settings):
    smtp_settings(settings, free_port())
    Contact.objects.create(customer=customer, email="billing@example.com")
    Contact.objects.create(customer=customer, email="cfo@example.com")
    payment = payment_create(customer=customer, total="40", description="Top-up")
    notify_payment_received(payment=payment)
    ids = list(OutboundEmail.objects.values_list("pk", flat=True))
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {("queued", 0)}

    barrier = threading.Barrier(8)
    delivered: list[int] = []

    def sender(n: int) -> None:
        try:
            barrier.wait(30)
            sent = outbox_send(email_ids=ids) if n % 2 else outbox_send_due()
            delivered.append(sent)
        finally:
            connections.close_all()

    with LoopbackSMTP(settings.EMAIL_PORT) as smtp:
        threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sum(delivered) == 2
    assert sorted(r for got in smtp.received for r in got.rcpt_tos) == [
        "billing@example.com",
        "cfo@example.com",
    ]
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {("sent", 1)}
