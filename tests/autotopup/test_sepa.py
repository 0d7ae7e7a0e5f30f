"""Automatic top-up from a saved SEPA Direct Debit mandate: the debit is pending for days
(Stripe: processing), the top-up stays in flight (no second one meanwhile), and completes once
the bank confirms — credited once, by the webhook through checkout/events, then recorded by the
job with its email. Switching off skips a queued top-up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import BillingProfile, Contact, PaymentMethod
from paydesk.audit.models import AuditEntry
from paydesk.autotopup.consent import terms_checked, topup_enable
from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import Topup, TopupSettings, TopupStatus
from paydesk.autotopup.services import topup_switch_off
from paydesk.checkout.models import MethodConfig
from paydesk.checkout.offsession import OffSessionCharge, off_session_recheck
from paydesk.checkout.quotes import quote_build, quote_lock
from paydesk.checkout.services import quote_payment_create
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_complete, payment_create
from paydesk.methods.services import saved_method_owned
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from tests.autotopup.support import CONTACT, balance, emails, purchase, topup_customer, topups
from tests.online.stripe_support import IBAN, SWISS_IBAN, save_sepa
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def _sepa_topup_customer(sandbox, online_customer, iban: str = IBAN):
    """A EUR customer with 100 on the balance and automatic top-up (below 20: 50) from a SEPA
    mandate for `iban`; the customer and the top-up settings."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    customer = user.customer
    Contact.objects.create(customer=customer, email=CONTACT)
    mandate = save_sepa(sandbox.url, user, iban).payment_method
    payment_create(customer=customer, total="100", description="Opening top-up")
    terms = terms_checked(
        customer=customer,
        threshold="20",
        amount="50",
        monthly_cap="500",
        cooldown_minutes="15",
        payment_method=mandate,
    )
    return customer, topup_enable(customer=customer, user=user, terms=terms, consent=True)


def _billing_address(customer) -> None:
    """The Billing page's address, complete for a Swiss IBAN."""
    BillingProfile.objects.create(
        customer=customer,
        address_line1="Bahnhofstrasse 1",
        city="Zürich",
        postal_code="8001",
        country="CH",
    )


def test_a_sepa_top_up_stays_in_flight_until_the_bank_confirms(sandbox, online_customer):
    customer, settings = _sepa_topup_customer(sandbox, online_customer)
    assert settings.method_label == "SEPA Direct Debit •••• 3000"

    start = timezone.now()
    purchase(customer, "85")
    balance_watch_job(now=start)
    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING
    assert topup.payment.status == PaymentStatus.PENDING
    assert "SEPA Direct Debit is on its way" in topup.detail
    purchase(customer, "5")  # 10: one in flight, nothing more
    balance_watch_job(now=start + timedelta(minutes=30))
    assert len(topups(customer)) == 1 and balance(customer) == Decimal("10")

    settled = sandbox_staff().post(
        "/sandbox/stripe/sepa/settle/",
        {"intent": topup.payment.gateway_reference, "action": "succeed"},
    )
    assert settled.status_code == 302
    assert balance(customer) == Decimal("60")  # the webhook credited it
    balance_watch_job(now=start + timedelta(minutes=40))
    [topup] = topups(customer)
    assert topup.status == TopupStatus.SUCCEEDED
    assert [e.subject for e in emails("autotopup")] == ["Automatic top-up: €50.00 EUR credited"]
    assert balance(customer) == Decimal("60")


def test_switching_off_skips_a_queued_top_up(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer)
    purchase(user.customer, "90")
    [queued] = topups(user.customer)
    topup_switch_off(customer=user.customer, actor=user)
    balance_watch_job()
    [skipped] = topups(user.customer)
    assert skipped.pk == queued.pk and skipped.status == TopupStatus.SKIPPED
    assert skipped.payment is None and balance(user.customer) == Decimal("10")


def test_a_swiss_mandate_saved_without_the_address_fails_saying_what_to_do(
    sandbox, online_customer
):
    """Stripe (2026-09-30.endive on) refuses to debit a non-EEA IBAN whose PaymentMethod has no
    billing address, and the Billing page has none to send: the top-up fails before anything is
    charged, nothing is credited, and the reason says what to do."""
    # Saved as before the change: the frame on the account's default version, no address.
    customer, _settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    purchase(customer, "85")
    balance_watch_job(now=timezone.now())
    [topup] = topups(customer)
    assert topup.status == TopupStatus.FAILED
    assert topup.payment is None
    assert SEPA_ADDRESS_NEEDED in topup.detail
    assert balance(customer) == Decimal("15")


def test_a_swiss_mandate_saved_without_the_address_is_repaired_and_tops_up(
    sandbox, online_customer
):
    """The same mandate once the Billing page has the address: the top-up sends it to Stripe's
    PaymentMethod (audited, no user), then the debit goes through and is credited."""
    customer, _settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    _billing_address(customer)
    purchase(customer, "85")
    balance_watch_job(now=timezone.now())
    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING, topup.detail
    assert topup.payment.status == PaymentStatus.PENDING
    method = object_get("stripe", "payment_method", _settings.payment_method).data
    assert method["billing_details"]["address"]["postal_code"] == "8001"
    [entry] = AuditEntry.objects.filter(action="payment_method_address_send")
    assert (entry.actor_id, entry.customer_id) == (None, customer.pk)
    settled = sandbox_staff().post(
        "/sandbox/stripe/sepa/settle/",
        {"intent": topup.payment.gateway_reference, "action": "succeed"},
    )
    assert settled.status_code == 302
    assert balance(customer) == Decimal("65")


def test_without_the_billing_address_the_top_up_sends_nothing(sandbox, online_customer):
    customer, _settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    purchase(customer, "85")
    balance_watch_job(now=timezone.now())
    [topup] = topups(customer)
    assert topup.status == TopupStatus.FAILED
    assert SEPA_ADDRESS_NEEDED in topup.detail
    method = object_get("stripe", "payment_method", _settings.payment_method).data
    assert method["billing_details"]["address"] is None
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()
    assert balance(customer) == Decimal("15")


def test_a_top_up_whose_quote_is_refused_sends_no_address(sandbox, online_customer):
    """SEPA Direct Debit switched off after the top-up was set up: the quote refuses the charge,
    so the Billing page's address is not sent to the mandate at Stripe (nothing audited)."""
    customer, _settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    _billing_address(customer)
    MethodConfig.objects.filter(method="sepa_debit").update(enabled=False)
    purchase(customer, "85")
    balance_watch_job(now=timezone.now())
    [topup] = topups(customer)
    assert topup.status == TopupStatus.FAILED
    assert topup.payment is None
    method = object_get("stripe", "payment_method", _settings.payment_method).data
    assert method["billing_details"]["address"] is None
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()
    assert balance(customer) == Decimal("15")


def _stopped_before_stripe_was_asked(customer, topup: Topup, at) -> Payment:
    """What a worker leaves when it stops between writing the top-up's quote and pending payment
    and asking Stripe (a release that did not check the mandate's address first wrote them so,
    too): the top-up charging since `at`, its quote locked, its payment pending without a
    PaymentIntent. The payment."""
    saved = saved_method_owned(customer=customer, payment_method=topup.payment_method)
    terms = quote_build(
        customer=customer,
        method=PaymentMethod.SEPA_DEBIT,
        amount=topup.amount,
        currency=customer.currency,
    )
    with transaction.atomic():
        quote = quote_lock(terms=terms, customer=customer, user=None, idempotency_key=topup.key)
        payment = quote_payment_create(
            quote=quote, terms=terms, description="Automatic top-up:", actor=None, saved=saved
        )
    Topup.objects.filter(pk=topup.pk).update(status=TopupStatus.CHARGING, attempted_at=at)
    return payment


def test_a_retried_top_up_without_the_address_cancels_its_payment_and_says_why(
    sandbox, online_customer
):
    """The worker stopped after writing the payment of a top-up from a Swiss mandate saved
    without its address, before asking Stripe; the Billing page has no address either. Retried,
    the top-up cannot be charged: its payment is cancelled with the reason the customer and
    Finance read (audited), not left pending; the top-up fails with it and the contact is told.
    Once the address is on the Billing page, the next top-up is charged and credited once."""
    customer, topup_settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    stopped = timezone.now()
    purchase(customer, "85")  # 15: under the threshold of 20 → queued
    [queued] = topups(customer)
    pending = _stopped_before_stripe_was_asked(customer, queued, stopped)

    balance_watch_job(now=stopped + timedelta(minutes=5))  # resumed: charging, untouched

    [topup] = topups(customer)
    assert topup.status == TopupStatus.FAILED
    assert topup.payment_id == pending.pk
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.CANCELLED
    assert pending.cancel_reason == SEPA_ADDRESS_NEEDED
    assert topup.detail == SEPA_ADDRESS_NEEDED
    [entry] = AuditEntry.objects.filter(action="payment.cancel", object_id=str(pending.pk))
    assert (entry.actor_id, entry.customer_id) == (None, customer.pk)
    assert entry.before["status"] == PaymentStatus.PENDING
    assert entry.after["reason"] == SEPA_ADDRESS_NEEDED
    [failed] = emails("autotopup")
    assert failed.subject == "Automatic top-up failed"
    assert SEPA_ADDRESS_NEEDED in failed.body_text
    # Nothing reached Stripe: no address sent, no PaymentIntent.
    method = object_get("stripe", "payment_method", topup_settings.payment_method).data
    assert method["billing_details"]["address"] is None
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()
    assert balance(customer) == Decimal("15")
    assert not Payment.objects.filter(customer=customer, status=PaymentStatus.PENDING).exists()

    # The customer adds the address; after the wait between top-ups the next one goes through.
    _billing_address(customer)
    balance_watch_job(now=stopped + timedelta(minutes=30))
    [_failed, retried] = topups(customer)
    assert retried.status == TopupStatus.CHARGING, retried.detail
    method = object_get("stripe", "payment_method", topup_settings.payment_method).data
    assert method["billing_details"]["address"]["postal_code"] == "8001"
    settled = sandbox_staff().post(
        "/sandbox/stripe/sepa/settle/",
        {"intent": retried.payment.gateway_reference, "action": "succeed"},
    )
    assert settled.status_code == 302
    balance_watch_job(now=stopped + timedelta(minutes=40))
    retried.refresh_from_db()
    assert retried.status == TopupStatus.SUCCEEDED
    assert balance(customer) == Decimal("65")  # 15 + 50, once
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.CANCELLED
    credits = Payment.objects.filter(customer=customer, total__gt=0, status=PaymentStatus.COMPLETED)
    assert credits.count() == 2  # the opening top-up and the retried automatic top-up
    assert TopupSettings.objects.get(customer=customer).consecutive_failures == 0
    assert balance_drifts() == []


def test_a_retry_refused_after_a_webhook_completed_the_payment_returns_it_completed(
    sandbox, online_customer
):
    """The retry's checks refuse (a Swiss mandate without its address, none on the Billing
    page), but the payment was completed meanwhile (Stripe's webhook for the first attempt's
    charge, applied between the retry reading the payment and cancelling it): the retry returns
    it completed as it is — no error, nothing cancelled, credited once. Set up without timing:
    the payment is read pending, then completed through the ledger, then checked again."""
    customer, topup_settings = _sepa_topup_customer(sandbox, online_customer, SWISS_IBAN)
    purchase(customer, "85")
    [queued] = topups(customer)
    read = _stopped_before_stripe_was_asked(customer, queued, timezone.now())
    assert read.status == PaymentStatus.PENDING
    payment_complete(payment=read.pk)  # the webhook, after the retry read the payment

    answer = off_session_recheck(
        customer=customer, saved_method=topup_settings.payment_method, payment=read
    )

    assert isinstance(answer, OffSessionCharge)
    assert (answer.payment.pk, answer.payment.status) == (read.pk, PaymentStatus.COMPLETED)
    assert answer.problem == ""
    assert not AuditEntry.objects.filter(action="payment.cancel").exists()
    assert balance(customer) == Decimal("65")  # 15 + 50, once
