"""The worker's outhooks-purge job: finished events older than PAYDESK_OUTHOOKS_KEEP_DAYS go,
with their deliveries and attempts — delivered, or given up that long ago (resendable until
then); an event still being retried, given up lately, not yet dispatched, or newer than the
retention stays. The purge beside a replay or a resend: test_purge_concurrency.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Attempt, Delivery, Event
from paydesk.outhooks.purge import events_purge
from paydesk.outhooks.services import Resent, deliveries_resend, endpoint_create
from paydesk.worker.jobs import job_lookup
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return StaffFactory(staff_role="admin")


def top_ups(customer, count: int) -> list[Event]:
    """`count` top-ups, each writing payment.completed and balance.changed, dispatched."""
    for amount in range(1, count + 1):
        payment_create(customer=customer, total=f"{amount}.00", description="Top-up")
    events_dispatch()
    return list(Event.objects.order_by("pk"))


def delivered(event: Event, *, at) -> None:
    for delivery in Delivery.objects.filter(event=event):
        Attempt.objects.create(
            delivery=delivery, endpoint_id=delivery.endpoint_id, status_code=200, ok=True, at=at
        )
    Delivery.objects.filter(event=event).update(status="delivered", delivered_at=at, attempts=1)


def test_what_is_kept_and_what_is_gone(admin, customer):
    endpoint_create(url="https://a.example.invalid/h", actor=admin)
    second = endpoint_create(url="https://b.example.invalid/h", actor=admin).endpoint
    events = top_ups(customer, 4)  # 8 events, each for both endpoints
    written = events[0].created_at
    soon = written + timedelta(minutes=1)
    gone, retried, given_up, resent_lately, *_rest = events
    delivered(gone, at=soon)
    delivered(retried, at=soon)
    Delivery.objects.filter(event=retried, endpoint=second).update(status="pending")
    delivered(given_up, at=soon)
    Delivery.objects.filter(event=given_up, endpoint=second).update(
        status="failed", given_up_at=written + timedelta(days=3), delivered_at=None
    )
    delivered(resent_lately, at=written + timedelta(days=20))
    # Events no endpoint wanted (nothing to deliver), and one not dispatched yet.
    Delivery.objects.filter(event__in=_rest[:2]).delete()
    Event.objects.filter(pk=_rest[2].pk).update(dispatched=False)
    Delivery.objects.filter(event=_rest[2]).delete()
    pending_now = _rest[3]  # its deliveries are still pending

    assert events_purge(now=written + timedelta(days=29)) == 0  # all newer than 30 days
    assert Event.objects.count() == 8

    assert events_purge(now=written + timedelta(days=31)) == 3
    left = set(Event.objects.values_list("pk", flat=True))
    assert left == {e.pk for e in (retried, given_up, resent_lately, _rest[2], pending_now)}
    assert not Delivery.objects.filter(event_id=gone.pk).exists()
    assert not Attempt.objects.filter(delivery__event_id=gone.pk).exists()
    assert Attempt.objects.filter(delivery__event=retried).count() == 2  # kept with its event
    assert Delivery.objects.filter(event=given_up, status="failed").exists()

    # 30 days after the give-up, the given-up one goes (resendable until then).
    assert events_purge(now=written + timedelta(days=33, minutes=-1)) == 0
    assert events_purge(now=written + timedelta(days=33, minutes=1)) == 1
    assert not Event.objects.filter(pk=given_up.pk).exists()
    assert not Delivery.objects.filter(event_id=given_up.pk).exists()

    # Once the lately resent one is 30 days old too, it goes; the others stay.
    assert events_purge(now=written + timedelta(days=51)) == 1
    assert not Event.objects.filter(pk=resent_lately.pk).exists()
    assert Event.objects.count() == 3


def test_a_resent_delivery_keeps_its_event(admin, customer):
    endpoint_create(url="https://a.example.invalid/h", actor=admin)
    first, second = top_ups(customer, 1)
    delivered(first, at=first.created_at)
    delivered(second, at=second.created_at)
    deliveries_resend(delivery_ids=[Delivery.objects.get(event=first).pk], actor=admin)
    assert events_purge(now=first.created_at + timedelta(days=31)) == 1  # only balance.changed
    assert list(Event.objects.values_list("pk", flat=True)) == [first.pk]


def test_resending_purged_deliveries_counts_them(admin, customer):
    endpoint_create(url="https://a.example.invalid/h", actor=admin)
    first, second = top_ups(customer, 1)
    delivered(first, at=first.created_at)
    delivered(second, at=second.created_at)
    asked = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    kept = Delivery.objects.get(event=first).pk
    deliveries_resend(delivery_ids=[kept], actor=admin)  # keeps its event from the purge
    assert events_purge(now=first.created_at + timedelta(days=31)) == 1
    assert deliveries_resend(delivery_ids=asked, actor=admin) == Resent(resent=1, purged=1)
    assert Delivery.objects.get().pk == kept


def test_in_batches_and_with_the_retention_setting(admin, customer, settings):
    settings.PAYDESK_OUTHOOKS_KEEP_DAYS = 7
    endpoint_create(url="https://a.example.invalid/h", actor=admin)
    events = top_ups(customer, 5)
    for event in events:
        delivered(event, at=event.created_at)
    assert events_purge(now=timezone.now() + timedelta(days=6)) == 0
    assert events_purge(now=timezone.now() + timedelta(days=8), batch=3) == 10
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert not Attempt.objects.exists()


def test_it_is_a_worker_job():
    job = job_lookup("outhooks-purge")
    assert job.resolve() is events_purge and job.every == timedelta(hours=1)
