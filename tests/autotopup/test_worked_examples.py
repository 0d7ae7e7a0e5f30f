"""Issue 15's worked examples, through the sandbox's Stripe: a purchase crossing the threshold →
one top-up charged and credited; the cap and the cooldown stop further ones; three failures
suspend it; `authentication_required` sends the email and charges nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import TopupSettings, TopupStatus, TopupTrigger
from paydesk.checkout.models import PaymentLogEntry
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.models import SandboxObject
from tests.autotopup.support import balance, emails, purchase, topup_customer, topups
from tests.online.stripe_support import INSUFFICIENT, THREE_D_SECURE

pytestmark = pytest.mark.django_db(transaction=True)


def intents() -> list[dict]:
    return [o.data for o in SandboxObject.objects.filter(gateway="stripe", kind="payment_intent")]


def test_a_purchase_crossing_the_threshold_is_topped_up_once(sandbox, online_customer):
    user, pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    purchase(customer, "70")  # 30: above the threshold of 20
    assert topups(customer) == []
    purchase(customer, "15")  # 15: under it, queued in the purchase's transaction
    [queued] = topups(customer)
    assert (queued.status, queued.trigger) == (TopupStatus.QUEUED, TopupTrigger.POSTING)
    assert queued.balance_at_trigger == Decimal("15")
    purchase(customer, "1")  # still under: one in flight already, nothing more
    assert len(topups(customer)) == 1

    balance_watch_job()
    balance_watch_job()  # again: nothing left to charge

    [done] = topups(customer)
    assert done.status == TopupStatus.SUCCEEDED
    assert done.payment.status == PaymentStatus.COMPLETED and done.payment.total == Decimal("50")
    assert balance(customer) == Decimal("64")
    [intent] = intents()
    assert (intent["payment_method"], intent["status"]) == (pm, "succeeded")
    sent = PaymentLogEntry.objects.filter(
        direction="sent", event_id__contains="payment_intents", summary__icontains="off_session"
    ).first()
    assert sent is not None, "the PaymentIntent was not created off-session"
    [email] = emails("autotopup")
    assert "Automatic top-up: $50.00 USD credited" == email.subject
    assert "was $15.00 USD, below the automatic top-up threshold of $20.00 USD" in email.body_text


def test_the_cooldown_and_the_monthly_cap_stop_further_top_ups(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer, cap="100", cooldown="15")
    customer = user.customer
    start = timezone.now()
    purchase(customer, "85")
    balance_watch_job(now=start)
    assert balance(customer) == Decimal("65")

    purchase(customer, "50")  # 15 again, inside the cooldown: nothing queued
    assert len(topups(customer)) == 1
    balance_watch_job(now=start + timedelta(minutes=5))
    assert len(topups(customer)) == 1 and balance(customer) == Decimal("15")

    balance_watch_job(now=start + timedelta(minutes=20))  # the sweep: cooldown over
    assert [t.status for t in topups(customer)] == [TopupStatus.SUCCEEDED] * 2
    assert [t.trigger for t in topups(customer)] == [TopupTrigger.POSTING, TopupTrigger.SWEEP]
    assert balance(customer) == Decimal("65")

    purchase(customer, "60")  # 5: the cap (100) is used up this month
    balance_watch_job(now=start + timedelta(minutes=40))
    assert len(topups(customer)) == 2 and balance(customer) == Decimal("5")
    assert len(intents()) == 2


def test_three_failures_in_a_row_suspend_it_with_an_email(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer, card=INSUFFICIENT, cap="1000")
    customer = user.customer
    start = timezone.now()
    purchase(customer, "90")
    for minutes in (0, 20, 40, 60, 80):
        balance_watch_job(now=start + timedelta(minutes=minutes))
    assert [t.status for t in topups(customer)] == [TopupStatus.FAILED] * 3
    assert all(t.payment.status == PaymentStatus.CANCELLED for t in topups(customer))
    state = TopupSettings.objects.get(customer=customer)
    assert state.suspended_at is not None and state.consecutive_failures == 3
    assert "3 automatic top-ups in a row failed" in state.suspended_reason
    assert balance(customer) == Decimal("10")
    subjects = [e.subject for e in emails("autotopup")]
    assert subjects == ["Automatic top-up failed"] * 3 + ["Automatic top-up suspended"]
    assert "turn it on again" in emails("autotopup")[-1].body_text
    assert AuditEntry.objects.filter(action="autotopup.suspend", customer_id=customer.pk).exists()


def test_authentication_required_charges_nothing_and_emails_a_link(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer, card=THREE_D_SECURE)
    customer = user.customer
    purchase(customer, "90")
    balance_watch_job()
    [topup] = topups(customer)
    assert topup.status == TopupStatus.ACTION_REQUIRED
    assert topup.payment.status == PaymentStatus.CANCELLED
    assert balance(customer) == Decimal("10")
    assert (
        not Payment.objects.filter(customer=customer, total__gt=0, status=PaymentStatus.COMPLETED)
        .exclude(description="Opening top-up")
        .exists()
    )
    [intent] = intents()
    assert intent["status"] == "requires_payment_method"
    [email] = emails("autotopup")
    assert "your bank asks you to confirm" in email.subject
    assert f"/billing/autotopup/finish/{topup.pk}/" in email.body_text


def test_a_surcharge_never_charges_more_than_the_amount_authorised(sandbox, online_customer):
    """The customer authorised "charge Card •••• 4242 $50.00 USD … at most $100.00 USD in a
    calendar month". With a 3% card surcharge the charge would be $51.50: it is refused before
    anything is sent to Stripe, the top-up fails saying why, and the balance is untouched."""
    from paydesk.checkout.models import MethodConfig

    user, _pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    MethodConfig.objects.filter(method="card").update(surcharge_percent=Decimal("3"))
    purchase(customer, "85")
    balance_watch_job()
    [failed] = topups(customer)
    assert failed.status == TopupStatus.FAILED
    assert "$51.50 USD" in failed.detail and "$50.00 USD you authorised" in failed.detail
    assert intents() == []
    assert Payment.objects.filter(customer=customer, total__gt=0).count() == 1  # the opening
    assert balance(customer) == Decimal("15")
