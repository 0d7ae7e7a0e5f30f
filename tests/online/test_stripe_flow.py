"""Card payments end to end without a browser: Make Payment's services with a pm_… made by the
sandbox's card frame API, the 3-D Secure page driven with a signed-in client, the return, the
webhooks (quality.md R5), a failing Stripe (R6) and reconciliation → status and balance as
spec §5 says."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from paydesk.checkout.models import EventResult, LogChannel, PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.gateways.signing import hmac_hex
from paydesk.gateways.stripe.declines import AUTHENTICATION_FAILED
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.core import webhook_send
from paydesk.sandbox.models import SandboxObject, WebhookStatus
from paydesk.sandbox.stripe.common import event_send
from tests.online.stripe_support import (
    AUTH_THEN_INSUFFICIENT,
    DECLINE,
    INSUFFICIENT,
    THREE_D_SECURE,
    THREE_D_SECURE_2,
    card_checkout,
    payment_method,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _authenticate(user, checkout, action: str = "complete") -> str:
    """Press a button on the sandbox's 3-D Secure page; where Stripe sends the customer back."""
    path = urlsplit(checkout.redirect_url).path
    client = _client(user)
    page = client.get(path)
    assert page.status_code == 200 and b"Complete authentication" in page.content
    answer = client.post(path, {"action": action})
    assert answer.status_code == 302
    return answer["Location"]


def _come_back(user, location: str) -> str:
    """The customer's browser follows Stripe's redirect to /pay/return/<ref>/; the status page."""
    parts = urlsplit(location)
    client = _client(user)
    answer = client.get(f"{parts.path}?{parts.query}")
    assert answer.status_code == 302
    return client.get(answer["Location"]).content.decode()


def _intent(intent_id: str) -> dict:
    return SandboxObject.objects.get(kind="payment_intent", object_id=intent_id).data


def _intent_of(payment: Payment) -> dict:
    """The intent Stripe holds for `payment` (found by the metadata reference: when Stripe's
    webhook settles the payment before the checkout's answer is back, the core keeps no
    gateway reference on the already-final payment)."""
    return SandboxObject.objects.get(kind="payment_intent", lookup=payment.reference).data


def _applied(payment: Payment) -> int:
    return PaymentLogEntry.objects.filter(payment=payment, result=EventResult.APPLIED).count()


# --- outcomes -----------------------------------------------------------------------------


def test_a_card_that_succeeds_completes_at_once_and_credits_once(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, amount="10.50")
    payment = checkout.payment
    assert payment.status == PaymentStatus.COMPLETED and checkout.redirect_url == ""
    assert payment.gateway == "card"
    assert _intent_of(payment)["metadata"] == {"paydesk_reference": payment.reference}
    assert _balance(user) == Decimal("10.50") and _applied(payment) == 1
    hook = sandbox.webhooks("stripe")[-1]
    assert hook.event_type == "payment_intent.succeeded" and hook.status == WebhookStatus.SENT


def test_a_surcharge_is_charged_and_the_quote_credited(sandbox, online_customer):
    user = online_customer("card", surcharge_percent=Decimal("3"))
    checkout = card_checkout(sandbox.url, user, amount="100.00")
    assert _intent_of(checkout.payment)["amount"] == 10300
    assert checkout.payment.status == PaymentStatus.COMPLETED
    assert _balance(user) == Decimal("100.00")


def test_a_zero_decimal_currency_is_charged_in_whole_yen(sandbox, online_customer):
    user = online_customer("card", "JPY", account="JPY")
    checkout = card_checkout(sandbox.url, user, amount="1500", currency="JPY")
    assert _intent_of(checkout.payment)["amount"] == 1500
    assert checkout.payment.status == PaymentStatus.COMPLETED
    assert _balance(user) == Decimal("1500")


@pytest.mark.parametrize(
    ("number", "reason"),
    [(DECLINE, "Your card was declined."), (INSUFFICIENT, "Your card has insufficient funds.")],
)
def test_a_declined_card_is_cancelled_with_stripes_reason(sandbox, online_customer, number, reason):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=number)
    payment = checkout.payment
    assert payment.status == PaymentStatus.CANCELLED and payment.cancel_reason == reason
    assert checkout.problem == reason
    assert _intent_of(payment)["last_payment_error"]["message"] == reason
    assert _balance(user) == 0
    status = _client(user).get(f"/pay/status/{payment.reference}/").content.decode()
    assert 'data-status="cancelled"' in status and reason.replace("'", "&#x27;") in status


@pytest.mark.parametrize("number", [THREE_D_SECURE, THREE_D_SECURE_2])
def test_3d_secure_completed_at_the_bank_completes_on_return(sandbox, online_customer, number):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=number)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING
    assert checkout.redirect_url.startswith(f"{sandbox.url}/sandbox/stripe/3ds/pi_")
    location = _authenticate(user, checkout)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{sandbox.url}/pay/return/{payment.reference}/")
    assert query["payment_intent"] == [payment.gateway_reference]
    assert query["redirect_status"] == ["succeeded"]
    status = _come_back(user, location)
    assert 'data-status="completed"' in status and "$10.50" in status
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("10.50")
    assert _applied(payment) == 1


def test_failed_authentication_cancels_with_the_reason(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    status = _come_back(user, _authenticate(user, checkout, "fail"))
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.CANCELLED
    # The customer reads plain words; Stripe's developer text is in the payment log only.
    assert payment.cancel_reason == AUTHENTICATION_FAILED
    assert 'data-status="cancelled"' in status and _balance(user) == 0
    assert AUTHENTICATION_FAILED.replace("'", "&#x27;") in status
    assert "PaymentMethod" not in status and "payment_method_data" not in status
    logged = [
        entry.summary.get("last_payment_error.message", "")
        for entry in PaymentLogEntry.objects.filter(payment=payment)
    ]
    assert any(text.startswith("The provided PaymentMethod has failed") for text in logged)


def test_authenticated_then_insufficient_funds_is_cancelled(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=AUTH_THEN_INSUFFICIENT)
    _come_back(user, _authenticate(user, checkout))
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == "Your card has insufficient funds."
    assert _balance(user) == 0


def test_the_return_url_is_never_believed(sandbox, online_customer):
    """Back at A's return URL naming B's succeeded intent: A is asked about, and stays pending."""
    user = online_customer("card")
    first = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    second = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    _authenticate(user, second)
    forged = (
        f"{sandbox.url}/pay/return/{first.payment.reference}/?payment_intent="
        f"{second.payment.gateway_reference}&redirect_status=succeeded"
    )
    status = _come_back(user, forged)
    assert 'data-status="pending"' in status
    assert Payment.objects.get(pk=first.payment.pk).status == PaymentStatus.PENDING
    assert Payment.objects.get(pk=second.payment.pk).status == PaymentStatus.COMPLETED


def test_pay_twice_with_one_form_starts_one_intent(sandbox, online_customer):
    user = online_customer("card")
    token = payment_method(sandbox.url)
    first = card_checkout(sandbox.url, user, token=token, key="one-form-token-000001")
    again = card_checkout(sandbox.url, user, token=token, key="one-form-token-000001")
    assert again.replayed and again.payment.pk == first.payment.pk
    assert SandboxObject.objects.filter(kind="payment_intent").count() == 1
    assert _balance(user) == Decimal("10.50")


# --- webhooks (R5) --------------------------------------------------------------------------


def test_webhook_twice_credits_once(sandbox, online_customer):
    sandbox.switch(webhooks="twice")
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user)
    hook = sandbox.webhooks("stripe")[-1]
    assert hook.attempts == 2 and hook.status == WebhookStatus.SENT
    assert _balance(user) == Decimal("10.50") and _applied(checkout.payment) == 1


def test_a_late_webhook_after_the_return_changes_nothing(sandbox, online_customer):
    sandbox.switch(webhooks="late")
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    _come_back(user, _authenticate(user, checkout))
    assert _balance(user) == Decimal("10.50")
    assert sandbox.release("stripe") == 2  # requires_action, then succeeded
    assert _balance(user) == Decimal("10.50") and _applied(checkout.payment) == 1
    answers = [hook.last_response for hook in sandbox.webhooks("stripe")]
    assert all(answer.startswith("HTTP 200") for answer in answers), answers


def test_webhooks_out_of_order_credit_once(sandbox, online_customer):
    """requires_action is held until succeeded; succeeded arrives first, then the stale one."""
    sandbox.switch(webhooks="out_of_order")
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    assert sandbox.webhooks("stripe")[0].status == WebhookStatus.HELD
    _authenticate(user, checkout)  # the customer never comes back: the webhook settles it
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("10.50")
    first, second = sandbox.webhooks("stripe")
    assert first.attempts == second.attempts == 1
    stale = PaymentLogEntry.objects.filter(
        payment=payment, channel=LogChannel.WEBHOOK, outcome="pending"
    ).get()
    assert stale.result == EventResult.IGNORED and "already completed" in stale.detail


def test_no_webhook_and_no_return_reconciliation_settles_it(sandbox, online_customer):
    sandbox.switch(webhooks="none")
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    _authenticate(user, checkout)  # paid at the bank; the browser was closed
    assert Payment.objects.get(pk=checkout.payment.pk).status == PaymentStatus.PENDING
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_RECONCILE_AFTER_MINUTES + 1)) == 1
    assert Payment.objects.get(pk=checkout.payment.pk).status == PaymentStatus.COMPLETED
    assert _balance(user) == Decimal("10.50")


@pytest.mark.parametrize(("field", "value"), [("amount_received", 999), ("currency", "eur")])
def test_a_webhook_with_another_amount_or_currency_is_refused(
    sandbox, online_customer, field, value
):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    intent = {
        **_intent(checkout.payment.gateway_reference),
        "status": "succeeded",
        "amount_received": 1050,
        field: value,
    }
    event_send(intent, "payment_intent.succeeded")  # signed with the real secret
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.PENDING and _balance(user) == 0
    refused = PaymentLogEntry.objects.get(
        payment=payment, channel=LogChannel.WEBHOOK, outcome="completed"
    )
    assert refused.result == EventResult.REFUSED and "Amount mismatch" in refused.detail
    assert sandbox.webhooks("stripe")[-1].last_response.startswith("HTTP 200")


def test_a_webhook_signed_with_another_secret_is_refused(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    intent = {
        **_intent(checkout.payment.gateway_reference),
        "status": "succeeded",
        "amount_received": 1050,
    }
    body = json.dumps(
        {
            "id": "evt_forged",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": intent},
        }
    ).encode()
    now = int(time.time())
    forged = hmac_hex(
        secret="whsec_the_attackers_guess", message=f"{now}.".encode() + body, digest="sha256"
    )
    hook = webhook_send(
        "stripe",
        about=intent["id"],
        event_type="payment_intent.succeeded",
        body=body,
        headers={"Stripe-Signature": f"t={now},v1={forged}"},
    )
    hook.refresh_from_db()
    assert hook.last_response.startswith("HTTP 400") and "bad_signature" in hook.last_response
    assert Payment.objects.get(pk=checkout.payment.pk).status == PaymentStatus.PENDING


# --- a failing Stripe (R6) and reconciliation ------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("timeout", "Stripe did not answer within 2 s."),
        ("error_500", "Stripe answered HTTP 500."),
        ("garbage", "Stripe answered something that is not JSON."),
    ],
)
def test_stripe_failing_during_checkout_leaves_it_pending_then_reconciliation_settles(
    sandbox, online_customer, fault, reason
):
    user = online_customer("card")
    token = payment_method(sandbox.url)
    sandbox.switch(fault=fault, only="stripe")
    checkout = card_checkout(sandbox.url, user, token=token)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING and payment.pending_reason.startswith(reason)
    assert _balance(user) == 0
    status = _client(user).get(f"/pay/status/{payment.reference}/").content.decode()
    assert 'data-status="pending"' in status and reason in status
    sandbox.switch()
    gateway_payments_reconcile(now=_later(settings.PAYDESK_RECONCILE_AFTER_MINUTES + 1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert "no PaymentIntent" in payment.pending_reason
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason.startswith("Abandoned:") and _balance(user) == 0


@pytest.mark.parametrize("fault", ["timeout", "error_500", "garbage"])
def test_stripe_failing_during_requery_leaves_it_pending_until_it_answers(
    sandbox, online_customer, fault
):
    sandbox.switch(webhooks="none")
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    _authenticate(user, checkout)
    sandbox.switch(webhooks="none", fault=fault, only="stripe")
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 0
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.PENDING and _balance(user) == 0
    assert payment.pending_reason.startswith("Stripe ") and "ask again" in payment.pending_reason
    sandbox.switch(webhooks="none")
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("10.50")


def test_stripe_failing_on_return_leaves_it_pending_with_the_reason(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    sandbox.switch(webhooks="none")
    location = _authenticate(user, checkout)
    sandbox.switch(webhooks="none", fault="error_500", only="stripe")
    status = _come_back(user, location)
    assert 'data-status="pending"' in status and "Stripe answered HTTP 500." in status
    assert _balance(user) == 0
    sandbox.switch()
    gateway_payments_reconcile(now=_later(settings.PAYDESK_RECONCILE_AFTER_MINUTES + 1))
    assert Payment.objects.get(pk=checkout.payment.pk).status == PaymentStatus.COMPLETED


def test_a_checkout_never_authenticated_is_abandoned(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_RECONCILE_AFTER_MINUTES + 1)) == 0
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == "Waiting for the card's 3-D Secure authentication."
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == (
        f"Abandoned: not paid at Credit Card within {settings.PAYDESK_ABANDON_AFTER_MINUTES} "
        "minutes."
    )


def test_the_webhook_carries_our_reference_and_is_signed_like_stripes(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user)
    hook = sandbox.webhooks("stripe")[-1]
    event = json.loads(hook.body)
    assert event["object"] == "event" and event["id"].startswith("evt_")
    assert event["data"]["object"]["metadata"]["paydesk_reference"] == checkout.payment.reference
    assert "sandbox" not in event["data"]["object"]
    header = hook.headers["Stripe-Signature"]
    assert header.startswith(f"t={event['created']},v1=")


@pytest.mark.parametrize("webhooks", ["normal", "twice", "none"])
def test_3d_secure_finished_after_the_payment_was_abandoned_is_credited_once_as_late(
    sandbox, online_customer, webhooks
):
    """The customer finishes 3-D Secure after reconciliation abandoned the payment: Stripe took
    the money. Its webhook (sent once, twice, or never), the customer's return and the late
    watch all tell it; it is credited once, as a new payment linked to the abandoned one."""
    sandbox.switch(webhooks=webhooks)
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE)
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 1
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.CANCELLED

    status = _come_back(user, _authenticate(user, checkout))
    gateway_payments_reconcile(now=_later(24 * 60))

    late = Payment.objects.get(original=payment)
    assert (late.status, late.total, late.gateway_transaction) == (
        PaymentStatus.COMPLETED,
        Decimal("10.50"),
        payment.gateway_reference,
    )
    assert _balance(user) == Decimal("10.50")
    assert 'data-status="cancelled"' in status, status[status.find("<main") :][:1500]
    main = status[status.find("<main") :]
    assert f'data-late-payment="{late.reference}"' in main, main[:2000]
    assert "$10.50 USD was credited as payment" in main
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
