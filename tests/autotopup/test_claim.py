"""A top-up is claimed at the moment its run reaches it, not when that run started: a run that
has been charging other top-ups for minutes (its `now` long past) takes one now, and another run
starting now (a second worker once the job's lease ran out, `paydesk autotopup run --once` from
cron) must not take it over as if it had been left charging since then — both would send its
charge and both would finish it (two emails, two failures counted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.autotopup import services
from paydesk.autotopup.models import TopupStatus
from paydesk.autotopup.services import autotopup_run, settings_for
from paydesk.checkout.models import PaymentLogEntry
from tests.autotopup.support import emails, purchase, topup_customer, topups
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def sends(payment) -> int:
    return PaymentLogEntry.objects.filter(
        direction="sent", event_id__contains="payment_intents", payment=payment
    ).count()


def test_a_top_up_claimed_by_a_long_run_is_not_taken_over_by_a_run_starting_now(
    sandbox, online_customer
):
    user, _pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    purchase(customer, "85")  # 15: under the threshold of 20 → queued
    # Its charge is rate limited: the top-up stays charging, to be sent again later.
    sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "intent_rate_limited", "intent_rate_limited": "on"}
    )
    started_long_ago = timezone.now() - timedelta(minutes=10)
    assert autotopup_run(now=started_long_ago) == 1
    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING and sends(topup.payment) == 1

    assert autotopup_run() == 0  # claimed just now: not stale yet

    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING and sends(topup.payment) == 1


def test_a_top_up_finished_by_one_run_is_not_finished_again_by_another(sandbox, online_customer):
    """Found in review: `_finish` wrote its status whatever the top-up's, so a run that had taken
    a top-up over (the same key: Stripe answers with the same charge) finished it a second time
    — a second "charged" email, or a failure counted against a top-up that was credited."""
    user, _pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    purchase(customer, "85")  # 15: under the threshold of 20 → queued
    assert autotopup_run() == 1
    [done] = topups(customer)
    assert done.status == TopupStatus.SUCCEEDED and len(emails("autotopup")) == 1

    # The other run, holding the same top-up, comes to its end after this one.
    again = services._succeeded(done, now=timezone.now())
    failed = services._failed(done, "The card was declined.", now=timezone.now())

    assert again.status == failed.status == TopupStatus.SUCCEEDED
    assert len(emails("autotopup")) == 1
    assert settings_for(customer).consecutive_failures == 0
