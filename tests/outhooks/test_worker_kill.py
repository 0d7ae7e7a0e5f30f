"""SIGKILL of the worker while it is sending an event: the delivery was claimed, the receiver
never answered; after the claim expires the next worker sends it again and every event arrives,
the receiver de-duplicating the one it saw twice by its id. Real processes, PostgreSQL or the
SQLite file database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Delivery, Endpoint
from paydesk.outhooks.services import endpoint_create
from paydesk.worker.models import JobLease
from tests.factories import StaffFactory
from tests.outhooks.receiver import Receiver
from tests.worker.test_process import _child_sessions_gone, database_url  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def worker(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.test",
        "DATABASE_URL": database_url(),
        "PAYDESK_OUTHOOKS_CLAIM_SECONDS": "1",
        "PAYDESK_OUTHOOKS_TIMEOUT": "60",
        "PAYDESK_OUTHOOKS_ALLOW_PRIVATE": "1",  # its receiver is on 127.0.0.1
    }
    return subprocess.Popen(
        [sys.executable, "-m", "paydesk", "worker", "--job", "outhooks-deliver", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_sigkill_mid_delivery_is_redelivered_and_none_lost(customer):
    admin = StaffFactory(staff_role="admin")
    made = endpoint_create(url="http://127.0.0.1:1/x", actor=admin, ordered=True)
    receiver = Receiver(made.secret).start()
    try:
        Endpoint.objects.filter(pk=made.endpoint.pk).update(url=receiver.url)
        for amount in ("1.00", "2.00", "3.00"):
            payment_create(customer=customer, total=amount, description="Top-up")
        receiver.mode = "hang"  # holds the first request: the worker is mid-delivery
        receiver.hang_seconds = 30
        process = worker()
        try:
            deadline = time.monotonic() + 120
            while not receiver.requests:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the worker sent nothing in 2 minutes"
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
        first = receiver.requests[0]["headers"]["Paydesk-Event-Id"]
        claimed = Delivery.objects.get(event_id=int(first.removeprefix("evt_")))
        assert (claimed.status, claimed.attempts) == ("pending", 1)  # claimed, never answered
        receiver.mode = "ok"
        # As when the dead run's job lease expires (3 minutes) and its claim (1 s here) does.
        JobLease.objects.filter(name="outhooks-deliver").update(held_until=None)
        time.sleep(1.5)
        again = worker("--once")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert out.strip() == "outhooks-deliver: 6 webhook events delivered"
        sent_ids = [r["headers"]["Paydesk-Event-Id"] for r in receiver.requests]
        assert sent_ids.count(first) == 2  # sent twice: at least once
        assert len(receiver.events) == 6 and receiver.bad_signatures == 0  # de-duplicated
        totals = [
            receiver.events[i]["data"]["total"]["amount"]
            for i in receiver.order
            if receiver.events[i]["type"] == "payment.completed"
        ]
        assert totals == ["1.00", "2.00", "3.00"]
        assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    finally:
        receiver.stop()
