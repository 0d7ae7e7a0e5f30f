"""SEPA Direct Debit through Stripe (issue 14): a mandate saved with a SetupIntent (the IBAN only
in Stripe's frame; the mandate id kept), a payment that stays Pending while Stripe reports
`processing` (the reason shown), then completed or cancelled by the webhook when the sandbox's
switch settles the debit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from paydesk.accounts.services import customer_online_methods_pause
from paydesk.checkout.forms import new_form_token
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.selectors import PAUSED_MESSAGE
from paydesk.checkout.services import checkout_start
from paydesk.errors import InvalidCurrency, MethodUnavailable
from paydesk.gateways.stripe.gateway import SEPA_PROCESSING
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.models import MethodSetup, SavedMethodCharge
from paydesk.methods.services import saved_methods_list
from paydesk.sandbox.core import object_get
from tests.online.stripe_support import IBAN, save_card, save_sepa, sepa_method_answer
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def _customer(online_customer):
    return online_customer("card", "EUR", account="EUR", sepa=True)


def _pay(user, pm: str, currency: str = "EUR"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method="card",
        amount="20.00",
        currency=currency,
        idempotency_key=new_form_token(),
        saved_method=pm,
    )


def _settle(intent_id: str, action: str) -> None:
    answer = sandbox_staff().post(
        "/sandbox/stripe/sepa/settle/", {"intent": intent_id, "action": action}
    )
    assert answer.status_code == 302


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def test_a_sepa_mandate_is_saved_with_its_mandate_id(sandbox, online_customer):
    user = _customer(online_customer)
    setup = save_sepa(sandbox.url, user)
    assert setup.mandate.startswith("mandate_")
    assert object_get("stripe", "mandate", setup.mandate).data["payment_method"] == (
        setup.payment_method
    )
    [method] = saved_methods_list(customer=user.customer)
    assert (method.label, method.mandate) == (
        "SEPA Direct Debit •••• 3000 (default)",
        setup.mandate,
    )
    # The reference the customer's bank shows, as Stripe made it: what the portal shows.
    stripe_mandate = object_get("stripe", "mandate", setup.mandate).data
    reference = stripe_mandate["payment_method_details"]["sepa_debit"]["reference"]
    assert setup.mandate_reference == reference and method.mandate_reference == reference
    assert method.added == setup.completed_at
    # Stripe keeps no IBAN in what it answers; neither does the sandbox's store.
    stored = object_get("stripe", "payment_method", setup.payment_method).data
    assert IBAN not in str(stored)


def test_a_sepa_payment_stays_pending_then_completes_when_settled(sandbox, online_customer):
    user = _customer(online_customer)
    setup = save_sepa(sandbox.url, user)
    checkout = _pay(user, setup.payment_method)
    payment = checkout.payment
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == SEPA_PROCESSING and payment.awaiting_bank
    # Its own method (not the card gateway's "Credit Card"), its IBAN's last four, its mandate.
    assert (payment.method, payment.get_method_display()) == ("sepa_debit", "SEPA Direct Debit")
    assert payment.description == "SEPA Direct Debit •••• 3000, €20.00 EUR"
    assert checkout.quote.method == "sepa_debit"
    charge = SavedMethodCharge.objects.get(payment=payment)
    assert (charge.label, charge.mandate) == ("SEPA Direct Debit •••• 3000", setup.mandate)
    client = Client()
    client.force_login(user)
    page = client.get(f"/pay/status/{payment.reference}/").content.decode()
    assert "The SEPA Direct Debit is on its way" in page
    # The Payments list's row says why it waits too.
    listing = client.get(reverse("portal:payments")).content.decode()
    assert "data-pending-reason>The SEPA Direct Debit is on its way" in listing
    _settle(payment.gateway_reference, "succeed")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("20.00")


def test_a_returned_sepa_debit_cancels_the_payment(sandbox, online_customer):
    user = _customer(online_customer)
    pm = save_sepa(sandbox.url, user).payment_method
    payment = _pay(user, pm).payment
    _settle(payment.gateway_reference, "fail")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert "insufficient funds" in payment.cancel_reason and _balance(user) == 0


def test_sepa_pays_in_euro_only(sandbox, online_customer):
    user = online_customer("card", "USD", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user).payment_method
    with pytest.raises(InvalidCurrency) as refused:
        _pay(user, pm, currency="USD")
    assert refused.value.field == "currency"
    assert refused.value.message == (
        "SEPA Direct Debit cannot be paid in USD on this account. Choose EUR."
    )
    assert not Payment.objects.filter(customer=user.customer).exists()


def test_a_mandate_saved_without_its_reference_gets_it_when_listed(sandbox, online_customer):
    user = _customer(online_customer)
    setup = save_sepa(sandbox.url, user)
    MethodSetup.objects.filter(pk=setup.pk).update(mandate_reference="")
    [method] = saved_methods_list(customer=user.customer)
    setup.refresh_from_db()
    assert len(method.mandate_reference) == 16
    assert setup.mandate_reference == method.mandate_reference


def test_sepa_is_paid_only_with_a_saved_mandate(sandbox, online_customer):
    user = _customer(online_customer)
    with pytest.raises(MethodUnavailable) as refused:
        checkout_start(
            customer=user.customer,
            user=user,
            method="sepa_debit",
            amount="20.00",
            currency="EUR",
            idempotency_key=new_form_token(),
        )
    assert refused.value.field == "payment_method"
    assert not Payment.objects.filter(customer=user.customer).exists()


def test_a_failed_sepa_debit_offers_to_pay_again_not_another_card(sandbox, online_customer):
    user = _customer(online_customer)
    payment = _pay(user, save_sepa(sandbox.url, user).payment_method).payment
    _settle(payment.gateway_reference, "fail")
    client = Client()
    client.force_login(user)
    page = client.get(f"/pay/status/{payment.reference}/").content.decode()
    assert "Try another card" not in page and "Pay again or another way" in page
    # Its link opens Make Payment on the saved mandate, with the same amount.
    again = client.get("/pay/?method=sepa_debit&amount=20.00&currency=EUR").content.decode()
    mandate = SavedMethodCharge.objects.get(payment=payment).payment_method
    assert f'value="{mandate}" selected' in again


def test_cards_and_mandates_are_listed_together(sandbox, online_customer):
    user = _customer(online_customer)
    save_card(sandbox.url, user)
    save_sepa(sandbox.url, user)
    assert [m.label for m in saved_methods_list(customer=user.customer)] == [
        "Card •••• 4242 (default)",
        "SEPA Direct Debit •••• 3000",
    ]


def test_the_iban_frame_refuses_a_bad_iban(sandbox):
    answer = sepa_method_answer(sandbox.url, "DE89370400440532013001")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Your IBAN is invalid."


def test_reconciliation_asks_about_a_sepa_payment_and_never_abandons_it(
    sandbox, online_customer, settings
):
    """sepa_debit is an online method of its own: the re-query job finds its pending payments
    (by method), leaves one the banks are still processing pending past the abandon time, and
    completes it from Stripe's answer when its webhook never came."""
    user = _customer(online_customer)
    payment = _pay(user, save_sepa(sandbox.url, user).payment_method).payment
    later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)
    assert gateway_payments_reconcile(now=later) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.pending_reason == SEPA_PROCESSING
    sandbox.switch(webhooks="none")
    _settle(payment.gateway_reference, "succeed")
    assert gateway_payments_reconcile(now=later) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and _balance(user) == Decimal("20.00")


def test_pausing_online_methods_pauses_sepa_direct_debit(sandbox, online_customer, finance_user):
    user = _customer(online_customer)
    pm = save_sepa(sandbox.url, user).payment_method
    customer_online_methods_pause(customer=user.customer, paused=True, actor=finance_user)
    user.customer.refresh_from_db()
    with pytest.raises(MethodUnavailable) as refused:
        _pay(user, pm)
    assert refused.value.message == PAUSED_MESSAGE
    assert not Payment.objects.filter(customer=user.customer).exists()
    client = Client()
    client.force_login(user)
    assert f'value="{pm}"' not in client.get("/pay/").content.decode()
