"""Razorpay's client against the sandbox over real HTTP: the order's fields as Razorpay wants
them (integer subunits, receipt = our reference, notes, partial payments off), idempotency by
receipt (a second start for one payment finds the first order), Razorpay's error shape mapped to
GatewayError, and no answer / 5xx / garbage mapped to GatewayUnavailable — with every call in
the payment log, never a key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from paydesk.checkout.models import LogDirection, PaymentLogEntry
from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.base import CheckoutRequest, Outcome
from paydesk.gateways.razorpay.client import RazorpayClient, order_subunits
from paydesk.gateways.razorpay.gateway import RazorpayGateway, checkout_js_url
from paydesk.money import Money
from paydesk.sandbox.models import SandboxObject

pytestmark = pytest.mark.django_db(transaction=True)


def _request(reference: str = "ABCDE-FGHJK-C", amount: str = "500.00", currency: str = "INR"):
    return CheckoutRequest(
        payment_reference=reference,
        amount=Money(Decimal(amount), currency),
        customer_email="payer@example.com",
        description="Razorpay ₹500.00 INR",
        idempotency_key="checkout:0123456789abcdef",
        expires_at=timezone.now() + timedelta(minutes=30),
        return_url="http://testserver/pay/return/ABCDE-FGHJK-C/",
    )


def test_order_is_created_in_subunits_with_our_reference_as_receipt(sandbox):
    order = RazorpayClient().order_create(
        amount=Money(Decimal("1234.50"), "INR"),
        receipt="ABCDE-FGHJK-C",
        notes={"paydesk_reference": "ABCDE-FGHJK-C"},
    )
    assert order["id"].startswith("order_")
    assert order["amount"] == 123450 and order["amount_due"] == 123450
    assert order["currency"] == "INR" and order["status"] == "created"
    assert order["receipt"] == "ABCDE-FGHJK-C"
    stored = SandboxObject.objects.get(gateway="razorpay", kind="order", object_id=order["id"])
    assert stored.data["partial_payment"] is False
    assert stored.data["notes"] == {"paydesk_reference": "ABCDE-FGHJK-C"}
    fetched = RazorpayClient().order_get(order["id"])
    assert fetched == order
    assert RazorpayClient().order_payments(order["id"]) == []


def test_amounts_follow_razorpays_subunit_rules():
    assert order_subunits(Money(Decimal("1.00"), "INR")) == 100
    assert order_subunits(Money(Decimal("500"), "JPY")) == 500
    assert order_subunits(Money(Decimal("12.340"), "KWD")) == 12340
    with pytest.raises(GatewayError, match="smallest INR payment is ₹1.00"):
        order_subunits(Money(Decimal("0.99"), "INR"))
    with pytest.raises(GatewayError, match="steps of 0.010 KWD"):
        order_subunits(Money(Decimal("12.345"), "KWD"))


def test_the_sandbox_refuses_like_razorpay(sandbox):
    """The sandbox's own checks, reached past our client's: Razorpay's error shape."""
    client = RazorpayClient()
    with pytest.raises(GatewayError, match="Razorpay refused: The amount must be atleast INR"):
        client._call("POST", "/v1/orders", json_body={"amount": 99, "currency": "INR"})
    with pytest.raises(GatewayError, match="must end with 0"):
        client._call("POST", "/v1/orders", json_body={"amount": 12345, "currency": "KWD"})
    with pytest.raises(GatewayError, match="receipt may not be greater than 40"):
        client._call(
            "POST", "/v1/orders", json_body={"amount": 100, "currency": "INR", "receipt": "x" * 41}
        )
    with pytest.raises(GatewayError, match="Razorpay refused: The id provided does not exist"):
        client.order_get("order_DoesNotExist1")
    with pytest.raises(GatewayError, match="Razorpay refused: The id provided does not exist"):
        client.payment_get("pay_DoesNotExist11")
    with pytest.raises(GatewayError, match="not a Razorpay id"):
        client.order_get("../v1/orders")


def test_a_wrong_key_is_refused_with_razorpays_message(sandbox):
    client = RazorpayClient(key_id=settings.PAYDESK_RAZORPAY_KEY_ID, key_secret="wrong")
    with pytest.raises(GatewayError, match="Razorpay refused: Authentication failed") as error:
        client.order_create(amount=Money(Decimal("10"), "INR"), receipt="ABCDE-FGHJK-C", notes={})
    assert not isinstance(error.value, GatewayUnavailable)
    assert not SandboxObject.objects.filter(kind="order").exists()


def test_the_same_payment_started_twice_gets_one_order(sandbox):
    """Razorpay has no idempotency header and accepts a receipt twice: the adapter looks the
    receipt up first, so a retried start (after a timed-out answer) reuses the order."""
    gateway = RazorpayGateway()
    first = gateway.start_checkout(_request())
    second = gateway.start_checkout(_request())
    assert first.outcome is Outcome.PENDING
    assert first.gateway_reference == second.gateway_reference
    assert first.redirect_url == f"{sandbox.url}/pay/razorpay/ABCDE-FGHJK-C/"
    assert SandboxObject.objects.filter(gateway="razorpay", kind="order").count() == 1
    # A different payment gets its own order, and the receipt filter keeps them apart.
    other = gateway.start_checkout(_request(reference="ABCDE-FGHJK-CX"))
    assert other.gateway_reference != first.gateway_reference
    found = RazorpayClient().orders_by_receipt("ABCDE-FGHJK-C")
    assert [o["id"] for o in found] == [first.gateway_reference]


def test_an_earlier_order_for_another_amount_is_refused(sandbox):
    RazorpayGateway().start_checkout(_request(amount="500.00"))
    with pytest.raises(GatewayError, match="another amount"):
        RazorpayGateway().start_checkout(_request(amount="501.00"))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("timeout", "Razorpay did not answer within 2 s."),
        ("error_500", "Razorpay answered HTTP 500."),
        ("garbage", "Razorpay answered something that is not JSON."),
    ],
)
def test_no_usable_answer_is_unavailable(sandbox, fault, message):
    sandbox.switch(fault=fault, only="razorpay")
    with pytest.raises(GatewayUnavailable) as error:
        RazorpayGateway().start_checkout(_request())
    assert error.value.message == message
    sandbox.switch()
    assert not SandboxObject.objects.filter(kind="order").exists()


def test_the_fault_switch_for_another_gateway_leaves_razorpay_alone(sandbox):
    sandbox.switch(fault="error_500", only="paypal")
    assert RazorpayGateway().start_checkout(_request()).gateway_reference.startswith("order_")


def test_every_call_is_in_the_payment_log_without_a_key(sandbox):
    RazorpayGateway().start_checkout(_request())
    entries = list(
        PaymentLogEntry.objects.filter(gateway="razorpay", direction=LogDirection.SENT).order_by(
            "id"
        )
    )
    assert [e.event_id for e in entries] == [
        "GET /sandbox/razorpay/v1/orders",
        "POST /sandbox/razorpay/v1/orders",
    ]
    create = entries[1]
    assert create.http_status == 200
    assert create.summary["request.amount"] == "50000"
    assert create.summary["request.receipt"] == "ABCDE-FGHJK-C"
    assert create.summary["idempotency_key"] == "checkout:0123456789abcdef"
    text = str([(e.summary, e.detail) for e in entries])
    assert settings.PAYDESK_RAZORPAY_KEY_SECRET not in text
    assert "Basic " not in text


def test_checkout_js_comes_from_the_sandbox_or_razorpay(sandbox, settings):
    assert checkout_js_url() == f"{sandbox.url}/sandbox/razorpay/v1/checkout.js"
    settings.PAYDESK_SANDBOX = False
    assert checkout_js_url() == "https://checkout.razorpay.com/v1/checkout.js"
    settings.PAYDESK_RAZORPAY_CHECKOUT_JS_URL = "https://cdn.example/checkout.js"
    assert checkout_js_url() == "https://cdn.example/checkout.js"
