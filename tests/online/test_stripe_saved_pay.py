"""Paying with a saved card (issue 14): checkout_start with the saved pm_… (checked with Stripe
to be attached to THIS customer's Stripe Customer), a PaymentIntent naming that Customer,
completed at once or after 3-D Secure in the browser; another customer's card is never charged;
off-session, a card that needs authentication is declined `authentication_required`."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client

from paydesk.checkout.forms import new_form_token
from paydesk.checkout.services import checkout_return, checkout_start
from paydesk.errors import GatewayError, NotFound
from paydesk.gateways.stripe.client import CardDeclined, StripeApi
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.models import StripeCustomer
from paydesk.money import Money
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from tests.factories import PortalUserFactory
from tests.online.stripe_support import THREE_D_SECURE, save_card

pytestmark = pytest.mark.django_db(transaction=True)


def _pay(user, pm: str, amount: str = "10.50"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method="card",
        amount=amount,
        currency="USD",
        idempotency_key=new_form_token(),
        saved_method=pm,
    )


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def test_a_saved_card_pays_at_once(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    checkout = _pay(user, pm)
    assert checkout.payment.status == PaymentStatus.COMPLETED
    assert _balance(user) == Decimal("10.50")
    intent = object_get("stripe", "payment_intent", checkout.payment.gateway_reference).data
    stripe_id = StripeCustomer.objects.get(customer=user.customer).stripe_id
    assert (intent["customer"], intent["payment_method"]) == (stripe_id, pm)


def test_a_saved_card_asking_for_3d_secure_completes_after_it(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user, THREE_D_SECURE)
    checkout = _pay(user, pm)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING
    assert checkout.redirect_url.startswith(f"{sandbox.url}/sandbox/stripe/3ds/pi_")
    client = Client()
    client.force_login(user)
    answer = client.post(urlsplit(checkout.redirect_url).path, {"action": "complete"})
    assert answer.status_code == 302
    payment = checkout_return(payment=Payment.objects.get(pk=payment.pk), params={})
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("10.50")


def test_another_customers_saved_card_is_never_charged(sandbox, online_customer):
    owner = online_customer("card")
    pm = save_card(sandbox.url, owner)
    thief = PortalUserFactory(customer=online_customer("card").customer, can_manage_billing=True)
    save_card(sandbox.url, thief)  # has a Stripe Customer of their own
    with pytest.raises(NotFound):
        _pay(thief, pm)
    assert not Payment.objects.filter(customer=thief.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()


def test_off_session_a_card_that_needs_authentication_is_declined(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user, THREE_D_SECURE)
    stripe_id = StripeCustomer.objects.get(customer=user.customer).stripe_id
    with pytest.raises(CardDeclined) as declined:
        StripeApi().payment_intent_create(
            amount=Money(Decimal("5.00"), "USD"),
            payment_method=pm,
            return_url="",
            payment_reference="PD-OFFSESSION",
            description="Automatic top-up",
            idempotency_key=new_form_token(),
            customer=stripe_id,
            off_session=True,
        )
    assert declined.value.decline_code == "authentication_required"
    assert declined.value.intent["status"] == "requires_payment_method"


def test_the_sandbox_refuses_a_saved_card_without_its_customer(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    with pytest.raises(GatewayError, match="include that Customer"):
        StripeApi().payment_intent_create(
            amount=Money(Decimal("5.00"), "USD"),
            payment_method=pm,
            return_url="",
            payment_reference="PD-NOCUSTOMER",
            description="x",
            idempotency_key=new_form_token(),
        )
