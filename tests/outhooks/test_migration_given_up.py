"""outhooks 0002 gives deliveries already given up a `given_up_at` (the purge counts their
retention from it): their last attempt's time, or their give-up deadline without one; other
deliveries keep none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Attempt, Delivery
from paydesk.outhooks.services import endpoint_create
from tests.factories import StaffFactory
from tests.migrating import migrate_back_and_forth

BEFORE = [("outhooks", "0001_initial")]
AFTER = [("outhooks", "0002_delivery_given_up_at")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_the_give_up_time(customer):
    endpoint = endpoint_create(
        url="https://a.example.invalid/h", actor=StaffFactory(staff_role="admin")
    ).endpoint
    payment_create(customer=customer, total="5.00", description="Top-up")
    payment_create(customer=customer, total="6.00", description="Top-up")
    events_dispatch()
    tried, untried, delivered, pending = Delivery.objects.order_by("pk")
    last = timezone.now() + timedelta(days=3, hours=2)
    for at in (last - timedelta(hours=12), last):
        Attempt.objects.create(delivery=tried, endpoint=endpoint, status_code=500, at=at)
    Delivery.objects.filter(pk__in=[tried.pk, untried.pk]).update(status="failed")
    Delivery.objects.filter(pk=delivered.pk).update(status="delivered", delivered_at=last)

    migrate_back_and_forth(BEFORE, AFTER)

    given_up = dict(Delivery.objects.values_list("pk", "given_up_at"))
    assert given_up[tried.pk] == last
    assert given_up[untried.pk] == untried.give_up_at
    assert given_up[delivered.pk] is None and given_up[pending.pk] is None
