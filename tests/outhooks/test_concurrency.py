"""Two senders at once (two workers whose runs overlap, or a resend beside the job) never send
one delivery twice: each claims it with one conditional UPDATE. PostgreSQL, real connections."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import deliveries_send_due, events_dispatch
from paydesk.outhooks.models import Delivery, Endpoint
from paydesk.outhooks.services import endpoint_create
from tests.factories import StaffFactory
from tests.outhooks.receiver import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_senders_at_once_send_each_delivery_once(customer):
    made = endpoint_create(url="http://127.0.0.1:1/x", actor=StaffFactory(staff_role="admin"))
    receiver = Receiver(made.secret).start()
    try:
        Endpoint.objects.filter(pk=made.endpoint.pk).update(url=receiver.url)
        for i in range(40):
            payment_create(customer=customer, total=f"{i + 1}.00", description="Top-up")
        events_dispatch()
        start = threading.Barrier(2)
        counts: list[int] = []

        def sender() -> None:
            try:
                start.wait()
                counts.append(deliveries_send_due())
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = Counter(r["headers"]["Paydesk-Event-Id"] for r in receiver.requests)
        assert len(sent) == 80 and set(sent.values()) == {1}
        assert sum(counts) == 80
        assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    finally:
        receiver.stop()
