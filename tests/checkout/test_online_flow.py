"""The online-gateway paths of Make Payment, with a scripted stand-in for the gateway (the real
clients meet the sandbox in tests/online/): where the customer is sent, what a gateway that does
not answer or refuses leaves behind (quality.md R6), the return (never trusted, asked of the
gateway), the status page, the payment log of requests we made, and reconciliation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from paydesk.checkout.events import gateway_exchange_record
from paydesk.checkout.models import LogChannel, LogDirection, PaymentLogEntry, Quote
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.services import checkout_start
from paydesk.gateways.base import redact
from paydesk.gateways.http import Exchange
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.worker.jobs import job_lookup
from tests.checkout import scripted_gateway
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db

TOKEN = "online-form-token-0123456789"


@pytest.fixture(autouse=True)
def scripted(settings):
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "paypal": "tests.checkout.scripted_gateway.ScriptedGateway",
    }
    scripted_gateway.SCRIPT.update(start="redirect", status="pending")
    scripted_gateway.CALLS.clear()
    configure("paypal", enabled=True, currencies=["USD"])
    return scripted_gateway.SCRIPT


@pytest.fixture
def payer(db):
    return PortalUserFactory(customer=CustomerFactory(currency="USD", topup_currencies=["USD"]))


def start(user, key=TOKEN, amount="25.00"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method="paypal",
        amount=amount,
        currency="USD",
        idempotency_key=key,
    )


def balance(user) -> Decimal:
    user.customer.refresh_from_db()
    return user.customer.balance


def test_a_redirect_stores_the_gateway_reference_and_a_resubmission_goes_back_there(payer):
    first = start(payer)
    assert first.redirect_url == f"https://gateway.invalid/approve/{first.payment.reference}"
    payment = Payment.objects.get(pk=first.payment.pk)
    assert payment.gateway_reference == f"ORDER-{payment.reference}"
    assert Quote.objects.get(payment=payment).gateway_url == first.redirect_url

    again = start(payer)
    assert again.replayed and again.payment.pk == payment.pk
    assert again.redirect_url == first.redirect_url
    assert scripted_gateway.CALLS == [("start", payment.reference)]  # the gateway asked once


def test_a_gateway_that_does_not_answer_leaves_the_payment_pending_with_the_reason(payer, scripted):
    scripted["start"] = "unavailable"
    checkout = start(payer)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason.startswith("PayPal answered HTTP 500.")
    assert "Nothing is credited until PayPal confirms" in payment.pending_reason
    assert checkout.problem == payment.pending_reason and checkout.redirect_url == ""
    assert balance(payer) == 0


def test_a_gateway_that_refuses_for_good_cancels_the_payment_with_its_reason(payer, scripted):
    scripted["start"] = "refused"
    checkout = start(payer)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == (
        "PayPal refused: The currency is not enabled for this account."
    )
    assert balance(payer) == 0


def test_an_outcome_known_at_once_is_applied_and_logged_as_the_checkouts(payer, scripted):
    scripted["start"] = "completed"
    checkout = start(payer)
    assert checkout.payment.status == PaymentStatus.COMPLETED
    assert balance(payer) == Decimal("25.00")
    entry = PaymentLogEntry.objects.get(payment=checkout.payment)
    assert (entry.channel, entry.result, entry.direction) == (
        LogChannel.CHECKOUT,
        "applied",
        LogDirection.RECEIVED,
    )


def test_a_decline_at_once_cancels_with_the_gateways_reason(payer, scripted):
    scripted["start"] = "declined"
    checkout = start(payer)
    assert checkout.payment.status == PaymentStatus.CANCELLED
    assert checkout.problem == "The card was declined."
    assert balance(payer) == 0


def test_the_return_asks_the_gateway_and_credits_once_however_often_it_is_loaded(
    client, payer, scripted
):
    payment = start(payer).payment
    client.force_login(payer)
    url = reverse("checkout:return", args=[payment.reference])
    scripted["status"] = "completed"
    for _ in range(3):
        response = client.get(url, {"token": "ANYTHING", "PayerID": "X"})
        assert response.status_code == 302
        assert response["Location"] == reverse("checkout:status", args=[payment.reference])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payer) == Decimal("25.00")
    assert scripted_gateway.CALLS.count(("return", payment.reference)) == 1  # final: not asked
    status_page = client.get(reverse("checkout:status", args=[payment.reference]))
    text = status_page.content.decode()
    assert 'data-status="completed"' in text and "$25.00 USD was credited" in text


def test_a_return_the_gateway_does_not_confirm_credits_nothing_and_says_why(
    client, payer, scripted
):
    payment = start(payer).payment
    client.force_login(payer)
    scripted["status"] = "unavailable"
    client.get(reverse("checkout:return", args=[payment.reference]), {"paid": "yes"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payer) == 0
    page = client.get(reverse("checkout:status", args=[payment.reference])).content.decode()
    assert 'data-status="pending"' in page
    assert "PayPal did not answer within 2 s." in page
    assert 'http-equiv="refresh"' not in page and "checkout/status.js" in page  # live update


def test_another_customers_payment_is_not_found_on_return_or_status(client, payer):
    payment = start(payer).payment
    stranger = PortalUserFactory(customer=CustomerFactory(currency="USD"))
    client.force_login(stranger)
    for name in ("checkout:return", "checkout:status"):
        assert client.get(reverse(name, args=[payment.reference])).status_code == 404
    assert scripted_gateway.CALLS == [("start", payment.reference)]


def test_a_bank_transfers_status_page_shows_it_waiting(client, payer):
    configure("bank_transfer", enabled=True)
    transfer = checkout_start(
        customer=payer.customer,
        user=payer,
        method="bank_transfer",
        amount="10",
        currency="USD",
        idempotency_key="bank-form-token-0123456789",
    ).payment
    client.force_login(payer)
    response = client.get(reverse("checkout:status", args=[transfer.reference]))
    assert response.status_code == 200
    assert 'data-status="pending"' in response.content.decode()


# --- reconciliation ------------------------------------------------------------------------


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def test_reconciliation_waits_for_the_window_then_completes_what_the_gateway_confirms(
    payer, scripted, settings
):
    payment = start(payer).payment
    scripted["status"] = "completed"
    assert gateway_payments_reconcile(now=later(1)) == 0
    assert scripted_gateway.CALLS == [("start", payment.reference)]
    assert gateway_payments_reconcile(now=later(settings.PAYDESK_RECONCILE_AFTER_MINUTES)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payer) == Decimal("25.00")
    entry = PaymentLogEntry.objects.get(payment=payment, channel=LogChannel.RECONCILE)
    assert entry.result == "applied"


def test_reconciliation_cancels_an_abandoned_checkout_and_logs_it(payer, scripted, settings):
    payment = start(payer).payment
    scripted["status"] = "pending"
    assert gateway_payments_reconcile(now=later(settings.PAYDESK_RECONCILE_AFTER_MINUTES)) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert gateway_payments_reconcile(now=later(settings.PAYDESK_ABANDON_AFTER_MINUTES)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == (
        f"Abandoned: not paid at PayPal within {settings.PAYDESK_ABANDON_AFTER_MINUTES} minutes."
    )
    entry = PaymentLogEntry.objects.get(
        payment=payment, event_id=f"reconcile:{payment.reference}:abandoned"
    )
    assert entry.detail.startswith("Cancelled: Abandoned: not paid at PayPal")
    assert (entry.channel, entry.result) == ("reconcile", "applied")


@pytest.mark.parametrize("status", ["in_flight", "unavailable"])
def test_reconciliation_never_abandons_money_on_its_way_or_a_silent_gateway(
    payer, scripted, settings, status
):
    payment = start(payer).payment
    scripted["status"] = status
    assert gateway_payments_reconcile(now=later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 60)) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payer) == 0
    if status == "unavailable":
        assert payment.pending_reason == (
            "PayPal did not answer within 2 s. Reconciliation will ask again."
        )


def test_reconciliation_cancels_a_checkout_the_gateway_never_heard_of(payer, scripted, settings):
    scripted["start"] = "unavailable"
    payment = start(payer).payment
    scripted["status"] = "unknown"
    assert gateway_payments_reconcile(now=later(settings.PAYDESK_ABANDON_AFTER_MINUTES)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason.startswith("Abandoned:")


def test_reconciliation_runs_in_the_worker():
    job = job_lookup("gateway-reconcile")
    assert job.resolve() is gateway_payments_reconcile


# --- the payment log of requests we made ---------------------------------------------------


def test_a_request_we_made_is_logged_redacted_and_linked_to_its_payment(payer):
    payment = start(payer).payment
    entry = gateway_exchange_record(
        Exchange(
            gateway="paypal",
            method="POST",
            path="/v1/oauth2/token",
            status=200,
            duration_ms=12,
            payment_reference=payment.reference,
            request_summary=redact({"grant_type": "client_credentials"}),
            response_summary=redact({"access_token": "A21AA-secret", "expires_in": "32400"}),
        )
    )
    entry.refresh_from_db()
    assert (entry.direction, entry.channel, entry.http_status, entry.payment_id) == (
        LogDirection.SENT,
        LogChannel.API,
        200,
        payment.pk,
    )
    assert entry.event_id == "POST /v1/oauth2/token" and entry.signature_valid is None
    assert entry.summary["response.access_token"] == "[redacted]"
    assert "A21AA-secret" not in str(entry.summary)


def test_an_event_that_settles_the_payment_first_still_leaves_the_gateways_reference(payer):
    from paydesk.checkout.events import gateway_event_apply
    from paydesk.gateways.base import GatewayEvent, Outcome
    from paydesk.money import Money

    scripted_gateway.SCRIPT["start"] = "unavailable"  # the checkout's own answer never came
    payment = start(payer).payment
    assert payment.gateway_reference == ""
    gateway_event_apply(
        event=GatewayEvent(
            gateway="paypal",
            event_id="WH-1",
            outcome=Outcome.COMPLETED,
            payment_reference=payment.reference,
            gateway_reference="ORDER-FROM-WEBHOOK",
            amount=Money(Decimal("25.00"), "USD"),
        )
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.gateway_reference == "ORDER-FROM-WEBHOOK"
