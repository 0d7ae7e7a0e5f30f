"""The Paystack client and adapter against the sandbox: what goes on the wire, idempotency by
reference, and how each of Paystack's refusals is mapped (checkout cancels, re-query waits)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.base import CheckoutRequest, Outcome
from paydesk.gateways.paystack.client import (
    PaystackClient,
    PaystackDuplicateReference,
    PaystackNotFound,
    to_subunits,
)
from paydesk.gateways.paystack.gateway import PaystackGateway
from paydesk.ledger.models import PaymentStatus
from paydesk.money import Money
from paydesk.sandbox.models import SandboxObject
from tests.online.paystack_support import (  # noqa: F401 (wire_fixture: the `wire` fixture)
    balance,
    press,
    start,
    transaction_of,
    wire_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "sk_test_paydesk_sandbox_paystack"


def _request(reference: str, amount: Money, sandbox) -> CheckoutRequest:
    back = f"{sandbox.url}/pay/return/{reference}/"
    return CheckoutRequest(
        payment_reference=reference,
        amount=amount,
        customer_email="payer@example.com",
        description="Paystack test",
        idempotency_key="checkout:test-key-0001",
        expires_at=timezone.now() + timedelta(minutes=30),
        return_url=back,
        cancel_url=f"{back}?cancelled=1",
    )


@pytest.mark.parametrize(
    ("amount", "units"),
    [("0.01", 1), ("1", 100), ("5000.50", 500050), ("1234567.89", 123456789)],
)
def test_amounts_travel_as_integer_hundredths(amount, units):
    assert to_subunits(Money(Decimal(amount), "NGN")) == units


def test_initialize_sends_paystacks_fields_and_our_bearer_key(wire, sandbox, online_customer):
    user = online_customer("paystack", "ZAR")
    payment = start(user, amount="150.25", currency="ZAR").payment
    ((request, response),) = wire.api()
    assert request.method == "POST"
    assert request.url.path == "/sandbox/paystack/transaction/initialize"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json"
    back = f"{sandbox.url}/pay/return/{payment.reference}/"
    assert json.loads(request.content) == {
        "email": user.email,
        "amount": 15025,
        "currency": "ZAR",
        "reference": payment.reference,
        "callback_url": back,
        "metadata": {
            "paydesk_reference": payment.reference,
            "cancel_action": f"{back}?cancelled=1",
        },
    }
    assert response.json()["data"]["reference"] == payment.reference
    # The payment log has the exchange, linked to the payment, without the key.
    entry = PaymentLogEntry.objects.get(direction="sent", payment=payment)
    assert entry.event_id == "POST /sandbox/paystack/transaction/initialize"
    assert entry.http_status == 200
    assert entry.summary["request.amount"] == "15025"
    assert entry.summary["idempotency_key"].startswith("checkout:")
    assert KEY not in json.dumps(list(PaymentLogEntry.objects.values("summary", "detail")))


def test_verify_asks_by_our_reference_in_the_path(wire, sandbox, online_customer):
    user = online_customer("paystack", "KES")
    payment = start(user, amount="300", currency="KES").payment
    txn = PaystackClient().verify(payment.reference)
    assert txn.status == "abandoned" and txn.amount == Money(Decimal("300"), "KES")
    assert txn.fees is None
    request, _ = wire.api()[-1]
    assert request.method == "GET" and request.content == b""
    assert request.url.path == f"/sandbox/paystack/transaction/verify/{payment.reference}"


def test_the_same_pay_form_twice_starts_one_paystack_transaction(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    first = start(user, key="same-form-token-0001")
    again = start(user, key="same-form-token-0001")
    assert again.replayed and again.payment.pk == first.payment.pk
    assert again.redirect_url == first.redirect_url
    assert SandboxObject.objects.filter(gateway="paystack", kind="transaction").count() == 1


def test_a_reused_reference_is_refused_as_duplicate(sandbox):
    client = PaystackClient()
    charge = {
        "email": "payer@example.com",
        "amount": Money(Decimal("10"), "USD"),
        "reference": "PAYDESK-DUP-1",
        "callback_url": f"{sandbox.url}/x/",
    }
    first = client.initialize(**charge)
    with pytest.raises(PaystackDuplicateReference, match="Duplicate Transaction Reference"):
        client.initialize(**{**charge, "amount": Money(Decimal("99"), "USD")})
    assert SandboxObject.objects.filter(gateway="paystack", object_id="PAYDESK-DUP-1").count() == 1
    assert client.verify("PAYDESK-DUP-1").amount == Money(Decimal("10"), "USD")
    assert first.authorization_url.endswith(first.access_code)


def test_a_lost_initialize_answer_then_a_paid_transaction_is_applied(sandbox):
    """Initialize reached Paystack but its answer was lost, and the transaction got paid: a
    second start is refused as duplicate, verified, and its outcome returned at once."""
    gateway = PaystackGateway()
    request = _request("PAYDESK-LOST-1", Money(Decimal("20"), "USD"), sandbox)
    initialized = PaystackClient().initialize(
        email="payer@example.com",
        amount=request.amount,
        reference=request.payment_reference,
        callback_url=request.return_url,
    )
    press(initialized.authorization_url, "pay")  # the webhook finds no payment of ours: refused
    result = gateway.start_checkout(request)
    assert result.outcome is Outcome.COMPLETED and result.redirect_url == ""
    assert result.event.event_id == "checkout:PAYDESK-LOST-1:success"
    assert result.event.amount == Money(Decimal("20"), "USD")
    assert result.event.fee == Decimal("0.30")


def test_a_lost_initialize_answer_of_an_unpaid_transaction_is_refused(sandbox):
    gateway = PaystackGateway()
    request = _request("PAYDESK-LOST-2", Money(Decimal("20"), "USD"), sandbox)
    gateway.start_checkout(request)
    with pytest.raises(GatewayError, match="start a new payment") as refused:
        gateway.start_checkout(request)
    assert not isinstance(refused.value, GatewayUnavailable)


def test_a_wrong_key_cancels_the_checkout_but_only_delays_a_requery(sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    pending = start(user)
    # Paydesk sends a key the sandbox does not hold: every call is refused (401).
    gateway = PaystackGateway(PaystackClient(secret_key="sk_test_not_the_right_one"))
    with pytest.raises(GatewayUnavailable, match="did not accept Paydesk's secret key"):
        gateway.fetch_status(payment_reference=pending.payment.reference, gateway_reference="")
    with pytest.raises(GatewayUnavailable, match="Invalid key"):
        gateway.confirm_return(
            payment_reference=pending.payment.reference, gateway_reference="", params={}
        )
    with pytest.raises(GatewayError, match="Invalid key") as refused:
        gateway.start_checkout(_request("PAYDESK-KEY-1", Money(Decimal("5"), "NGN"), sandbox))
    assert not isinstance(refused.value, GatewayUnavailable)  # nothing was created: cancel


def test_a_missing_key_never_makes_reconciliation_abandon_a_payment(
    sandbox, online_customer, settings
):
    user = online_customer("paystack", "NGN")
    checkout = start(user)
    press(checkout.redirect_url, "pay")  # paid at Paystack…
    payment = checkout.payment
    payment.refresh_from_db()
    other = start(user).payment  # …and one not paid yet
    settings.PAYDESK_PAYSTACK_SECRET_KEY = ""
    later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)
    assert gateway_payments_reconcile(now=later) == 0
    other.refresh_from_db()
    assert other.status == PaymentStatus.PENDING
    assert other.pending_reason.startswith("PAYDESK_PAYSTACK_SECRET_KEY is not set.")
    settings.PAYDESK_PAYSTACK_SECRET_KEY = KEY
    assert gateway_payments_reconcile(now=later) == 1
    other.refresh_from_db()
    assert other.status == PaymentStatus.CANCELLED
    assert balance(user) == payment.total


def test_a_checkout_refused_for_a_bad_field_is_cancelled_with_paystacks_message(
    sandbox, online_customer
):
    user = online_customer("paystack", "NGN")
    user.email = "not-an-email"
    user.save(update_fields=["email"])
    checkout = start(user)
    payment = checkout.payment
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == (
        "Paystack refused: Paystack refused the initialize request: Invalid Email Address Passed"
    )
    assert balance(user) == 0


def test_fetch_status_of_a_transaction_paystack_never_had_is_a_gateway_error(sandbox):
    with pytest.raises(PaystackNotFound):
        PaystackClient().verify("PAYDESK-NEVER-1")
    with pytest.raises(GatewayError, match="no transaction with reference PAYDESK-NEVER-1"):
        PaystackGateway().fetch_status(payment_reference="PAYDESK-NEVER-1", gateway_reference="")
