"""The worker's job table and its lease: a job runs in one worker at a time and about once per
interval, whatever number of workers run; a job's failure is recorded and the worker goes on."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import outbox_send_due
from paydesk.worker.jobs import JOBS, Job, job_lookup
from paydesk.worker.models import JobLease
from paydesk.worker.services import job_run
from tests.worker import sample_jobs

HELD = Job("test-held", "tests.worker.sample_jobs.held", every=timedelta(minutes=5), done="runs")
COUNTED = Job(
    "test-counted", "tests.worker.sample_jobs.counted", every=timedelta(minutes=5), done="runs"
)
BROKEN = Job("test-broken", "tests.worker.sample_jobs.broken", every=timedelta(minutes=1), done="")


@pytest.fixture(autouse=True)
def _fresh_sample_jobs():
    sample_jobs.reset()
    yield
    sample_jobs.release.set()


def in_thread(target, name: str) -> tuple[threading.Thread, list]:
    """Run `target()` in a thread with its own database connection, closed at the end."""
    out: list = []

    def run() -> None:
        try:
            out.append(target())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, out


def test_the_job_table_holds_the_email_sweep_and_the_transfer_expiry():
    from paydesk.banktransfers.services import transfers_expire

    job = job_lookup("email-outbox")
    assert job.resolve() is outbox_send_due
    assert job.every <= timedelta(minutes=5)
    assert job_lookup("bank-transfer-expiry").resolve() is transfers_expire
    assert len({j.name for j in JOBS}) == len(JOBS)


@pytest.mark.django_db(transaction=True)
def test_a_job_held_by_one_worker_is_skipped_by_another():
    first, first_result = in_thread(lambda: job_run(job=HELD), "worker-a")
    assert sample_jobs.started.wait(30), "the first run never started"
    second, second_result = in_thread(lambda: job_run(job=HELD), "worker-b")
    second.join(30)
    sample_jobs.release.set()
    first.join(30)

    assert first_result[0].ran and first_result[0].count == 1
    assert not second_result[0].ran
    assert second_result[0].skipped_because.startswith("held by ")
    assert sample_jobs.runs == ["worker-a"]
    lease = JobLease.objects.get(name=HELD.name)
    assert lease.holder == "" and lease.held_until is None
    assert lease.last_outcome == "1 runs"
    # Released, but not due again before its interval: a third worker skips it too.
    assert job_run(job=HELD).skipped_because.startswith("not due until")
    assert lease.next_run_at == lease.last_started_at + HELD.every


@pytest.mark.django_db(transaction=True)
def test_eight_workers_racing_for_a_due_job_run_it_once():
    barrier = threading.Barrier(8)

    def race():
        barrier.wait(30)
        return job_run(job=COUNTED)

    threads = [in_thread(race, f"worker-{n}") for n in range(8)]
    for thread, _out in threads:
        thread.join(60)
    results = [out[0] for _thread, out in threads]
    assert sum(result.ran for result in results) == 1
    assert len(sample_jobs.runs) == 1


@pytest.mark.django_db
def test_a_failing_job_is_recorded_released_and_due_again(caplog):
    result = job_run(job=BROKEN)
    assert result.ran and result.error == "ValueError: the job's own bug"
    lease = JobLease.objects.get(name=BROKEN.name)
    assert lease.last_outcome == "failed: ValueError: the job's own bug"
    assert lease.held_until is None
    assert job_run(job=BROKEN, now=lease.next_run_at).ran  # tried again on its next interval
    assert "job test-broken failed" in caplog.text


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_worker_expires():
    now = timezone.now()
    JobLease.objects.create(
        name=COUNTED.name, next_run_at=now, holder="gone:1:x", held_until=now + COUNTED.lease
    )
    assert not job_run(job=COUNTED, now=now).ran
    assert job_run(job=COUNTED, now=now + COUNTED.lease + timedelta(seconds=1)).ran


@pytest.mark.django_db(transaction=True)
def test_paydesk_worker_lease_seconds_shortens_every_jobs_lease(settings):
    """A killed worker blocks its job only this long (make deploy-test sets 30 s)."""
    settings.PAYDESK_WORKER_LEASE_SECONDS = 30
    now = timezone.now()
    thread, _out = in_thread(lambda: job_run(job=HELD, now=now), "holder")
    assert sample_jobs.started.wait(10)
    lease = JobLease.objects.get(name=HELD.name)
    assert lease.held_until == now + timedelta(seconds=30)
    assert not job_run(job=HELD, now=now + timedelta(seconds=29)).ran
    sample_jobs.release.set()
    thread.join(10)


@pytest.mark.django_db
def test_worker_once_runs_the_due_jobs_and_exits(customer):
    from paydesk.accounts.models import Contact
    from paydesk.ledger.services import payment_create
    from paydesk.notifications.services import notify_payment_received

    Contact.objects.create(customer=customer, email="billing@example.com")
    payment = payment_create(customer=customer, total="5", description="Top-up")
    notify_payment_received(payment=payment)  # queued; its on-commit send never happened
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert out.getvalue().splitlines() == [
        "email-outbox: 1 emails delivered",
        "bank-transfer-expiry: 0 transfers expired",
        "gateway-reconcile: 0 gateway payments settled",
        "autotopup: 0 top-ups and alerts handled",
        "idempotency-purge: 0 idempotency keys forgotten",
        "sessions-purge: 0 ended sessions forgotten",
        "outhooks-deliver: 0 webhook events delivered",
        "outhooks-purge: 0 delivered webhook events purged",
    ]
    assert OutboundEmail.objects.get().status == "sent"
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert out.getvalue().startswith("email-outbox: skipped (not due until")


@pytest.mark.django_db
def test_worker_names_an_unknown_job():
    from django.core.management.base import CommandError

    jobs = (
        "email-outbox, bank-transfer-expiry, gateway-reconcile, autotopup, idempotency-purge, "
        "sessions-purge, outhooks-deliver, outhooks-purge"
    )
    with pytest.raises(CommandError, match=f"no job called 'nope'; the jobs are: {jobs}"):
        call_command("worker", "--once", "--job", "nope")
