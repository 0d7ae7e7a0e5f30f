"""`paydesk worker` as a real process on the test database: `--once` runs the jobs and exits 0;
the long-running worker runs them at start and stops cleanly on SIGTERM and on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from paydesk.accounts.models import Contact
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import notify_payment_received
from paydesk.worker.models import JobLease
from tests.conftest import other_sessions_ended

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _child_sessions_gone():
    """After each test, wait (at most 10 s) until PostgreSQL has ended the child's session: the
    server ends it a moment after the process exits, and the test database is dropped at the end."""
    yield
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        other_sessions_ended(cursor)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def paydesk(*args: str, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.test",
        "DATABASE_URL": database_url(),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "paydesk", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )  # fmt: skip


def a_queued_email(customer) -> OutboundEmail:
    Contact.objects.create(customer=customer, email="billing@example.com")
    payment = payment_create(customer=customer, total="5", description="Top-up")
    notify_payment_received(payment=payment)  # committed; the send-on-commit ran with locmem
    # As if the process had died before its on-commit send: queued and due.
    OutboundEmail.objects.update(
        status="queued", sent_at=None, attempts=0, next_attempt_at=timezone.now()
    )
    return OutboundEmail.objects.get()


def test_worker_once_as_a_process_delivers_and_exits_0(customer):
    email = a_queued_email(customer)
    process = paydesk("worker", "--once")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.splitlines() == [
        "email-outbox: 1 emails delivered",
        "bank-transfer-expiry: 0 transfers expired",
        "gateway-reconcile: 0 gateway payments settled",
        "autotopup: 0 top-ups and alerts handled",
        "idempotency-purge: 0 idempotency keys forgotten",
        "sessions-purge: 0 ended sessions forgotten",
        "outhooks-deliver: 0 webhook events delivered",
        "outhooks-purge: 0 delivered webhook events purged",
    ]
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_runs_its_jobs_and_stops_cleanly_on_a_signal(customer, signum):
    email = a_queued_email(customer)
    process = paydesk("worker")
    try:
        deadline = time.monotonic() + 120
        while not JobLease.objects.filter(name="email-outbox", last_finished_at__isnull=False):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the worker did not run its first job in 2 min"
            time.sleep(0.2)
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    email.refresh_from_db()
    assert email.status == "sent"
    lease = JobLease.objects.get(name="email-outbox")
    assert lease.last_outcome == "1 emails delivered"
    assert lease.holder == ""
