"""On PostgreSQL: 8 purchases crossing the threshold at once, each on its own connection →
exactly one automatic top-up queued (and charged once); and the database itself refuses a
second top-up in flight for a customer, whatever the code above it does."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import Topup, TopupSettings, TopupStatus
from paydesk.ledger.models import Payment, PaymentStatus
from tests.autotopup.support import balance, purchase, topup_customer, topups
from tests.factories import CustomerFactory
from tests.reliability.helpers import (
    assert_separate_connections,
    raise_worker_errors,
    run_workers,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
def test_eight_concurrent_purchases_crossing_the_threshold_top_up_once(sandbox, online_customer):
    user, _pm = topup_customer(
        sandbox, online_customer, opening="100", threshold="60", amount="50", cap="500"
    )
    customer = user.customer

    def work(index: int, step: threading.Barrier) -> None:
        step.wait()  # all eight at the same moment
        purchase(customer, "6")  # 94 … 52: the fourth crosses 60, the rest stay under

    results = run_workers(8, work)
    raise_worker_errors(results)
    assert_separate_connections(results)
    assert balance(customer) == Decimal("52")
    [queued] = topups(customer)
    assert queued.status == TopupStatus.QUEUED and queued.balance_at_trigger < Decimal("60")

    balance_watch_job()
    [done] = topups(customer)
    assert done.status == TopupStatus.SUCCEEDED
    assert balance(customer) == Decimal("102")
    credits = Payment.objects.filter(customer=customer, total__gt=0, status=PaymentStatus.COMPLETED)
    assert credits.count() == 2  # the opening top-up and ONE automatic top-up


def test_the_database_refuses_a_second_top_up_in_flight():
    customer = CustomerFactory()
    TopupSettings.objects.create(customer=customer)
    fields = {
        "customer": customer,
        "trigger": "sweep",
        "balance_at_trigger": Decimal("1"),
        "threshold": Decimal("10"),
        "amount": Decimal("5"),
        "payment_method": "pm_test",
        "created_at": timezone.now(),
    }
    Topup.objects.create(status=TopupStatus.CHARGING, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Topup.objects.create(status=TopupStatus.QUEUED, **fields)
    Topup.objects.create(status=TopupStatus.FAILED, **fields)  # finished ones are not in flight
    assert Topup.objects.filter(customer=customer).count() == 2
