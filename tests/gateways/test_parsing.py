"""Each gateway's notification read into our GatewayEvent: the outcome spec §5 gives it, the
payment it names, and the amount converted from the gateway's encoding exactly (never a float).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paydesk.errors import GatewayError
from paydesk.gateways.base import Outcome
from paydesk.gateways.nowpayments.webhooks import parse_nowpayments_event
from paydesk.gateways.paypal.webhooks import parse_paypal_event
from paydesk.gateways.paystack.webhooks import parse_paystack_event
from paydesk.gateways.razorpay.webhooks import parse_razorpay_event
from paydesk.gateways.stripe.webhooks import parse_stripe_event
from paydesk.money import Money
from tests.gateways.senders import (
    NowPaymentsSender,
    PayPalSender,
    PaystackSender,
    RazorpaySender,
    StripeSender,
)


def _json(value: dict) -> bytes:
    return json.dumps(value).encode()


def stripe_intent(kind: str, amount: int, currency: str, **intent) -> bytes:
    return _json(
        {
            "id": "evt_1",
            "type": kind,
            "data": {
                "object": {
                    "id": "pi_1",
                    "object": "payment_intent",
                    "amount": amount,
                    "amount_received": amount,
                    "currency": currency,
                    "metadata": {"paydesk_reference": "P-1"},
                    **intent,
                }
            },
        }
    )


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (5025, "usd", Money(Decimal("50.25"), "USD")),
        (5000, "jpy", Money(Decimal("5000"), "JPY")),
        (12340, "kwd", Money(Decimal("12.340"), "KWD")),
        (5000, "mga", Money(Decimal("5000"), "MGA")),  # zero-decimal at Stripe, 2 in ISO 4217
    ],
)
def test_stripe_succeeded_is_completed_in_stripes_minor_units(amount, currency, expected):
    event = parse_stripe_event(stripe_intent("payment_intent.succeeded", amount, currency))
    assert (event.gateway, event.event_id, event.outcome) == ("card", "evt_1", Outcome.COMPLETED)
    assert (event.payment_reference, event.gateway_reference) == ("P-1", "pi_1")
    assert event.amount == expected and isinstance(event.amount.amount, Decimal)


@pytest.mark.parametrize(
    ("kind", "extra", "reason"),
    [
        (
            "payment_intent.payment_failed",
            {
                "last_payment_error": {
                    "message": "Your card was declined.",
                    "card": {"last4": "0002"},
                }
            },
            "Your card was declined.",
        ),
        ("payment_intent.canceled", {"cancellation_reason": "abandoned"}, "abandoned"),
    ],
)
def test_stripe_failures_cancel_with_the_reason(kind, extra, reason):
    event = parse_stripe_event(stripe_intent(kind, 5025, "usd", **extra))
    assert (event.outcome, event.reason) == (Outcome.CANCELLED, reason)
    assert "last4" not in str(event.summary) and "0002" not in str(event.summary)


@pytest.mark.parametrize("kind", ["charge.succeeded", "customer.created", "", "payment_intent"])
def test_stripe_other_types_are_ignored(kind):
    assert parse_stripe_event(stripe_intent(kind, 5025, "usd")) is None


def test_paypal_capture_completed_with_its_fee():
    event = parse_paypal_event(PayPalSender().completed("P-9", "50.25", "USD", 3))
    assert (event.event_id, event.outcome, event.payment_reference) == (
        "WH-3",
        Outcome.COMPLETED,
        "P-9",
    )
    assert event.gateway_reference == "ORDER-P-9"
    assert (event.amount, event.fee) == (Money(Decimal("50.25"), "USD"), Decimal("1.75"))


def test_paypal_denied_cancels_pending_waits_and_an_approved_order_is_not_a_payment():
    sender = PayPalSender()
    denied = parse_paypal_event(sender.cancelled("P-9", "50.25", "USD", 4))
    assert (denied.outcome, denied.reason) == (
        Outcome.CANCELLED,
        "PayPal: DECLINED_BY_RISK_FRAUD_FILTERS.",
    )
    assert parse_paypal_event(sender.pending("P-9", "50.25", "USD", 5)).outcome is Outcome.PENDING
    approved = _json({"id": "WH-6", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": {}})
    assert parse_paypal_event(approved) is None


def test_paypal_reference_from_the_purchase_unit():
    body = _json(
        {
            "id": "WH-7",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": {
                "purchase_units": [{"reference_id": "P-UNIT"}],
                "amount": {"currency_code": "JPY", "value": "5000"},
            },
        }
    )
    event = parse_paypal_event(body)
    assert (event.payment_reference, event.amount) == ("P-UNIT", Money(Decimal(5000), "JPY"))


def test_razorpay_captured_order_paid_and_failed():
    sender = RazorpaySender()
    captured = parse_razorpay_event(sender.completed("P-R", "500.50", "INR", 1), event_id="EvT1")
    # The payment entity's notes are the payer's (Checkout copies them from the browser):
    # they never bind. Razorpay's order id and payment id do.
    assert (captured.event_id, captured.outcome, captured.payment_reference) == (
        "EvT1",
        Outcome.COMPLETED,
        "",
    )
    assert (captured.gateway_reference, captured.transaction_id) == ("order_P-R", "pay_P-R")
    assert (captured.amount, captured.fee) == (Money(Decimal("500.50"), "INR"), Decimal("1.18"))
    failed = parse_razorpay_event(sender.cancelled("P-R", "500.50", "INR", 2))
    assert (failed.outcome, failed.reason) == (
        Outcome.CANCELLED,
        "Payment was declined by the bank.",
    )
    order_paid = _json(
        {
            "event": "order.paid",
            "payload": {
                "payment": {
                    "entity": {
                        "id": "pay_1",
                        "amount": 100,
                        "currency": "INR",
                        "order_id": "order_1",
                    }
                },
                "order": {"entity": {"id": "order_1", "receipt": "P-RECEIPT", "amount_paid": 100}},
            },
        }
    )
    paid = parse_razorpay_event(order_paid)
    assert (paid.payment_reference, paid.gateway_reference, paid.event_id) == (
        "P-RECEIPT",
        "order_1",
        "order.paid:pay_1",
    )
    assert parse_razorpay_event(_json({"event": "refund.processed"})) is None


def test_paystack_charge_success_counts_hundredths_in_every_currency():
    event = parse_paystack_event(PaystackSender().completed("P-S", "5000.00", "NGN", 302961))
    assert (event.event_id, event.outcome, event.payment_reference) == (
        "charge.success:302961",
        Outcome.COMPLETED,
        "P-S",
    )
    assert (event.amount, event.fee) == (Money(Decimal("5000.00"), "NGN"), Decimal("0.75"))
    assert parse_paystack_event(_json({"event": "transfer.success", "data": {}})) is None


@pytest.mark.parametrize(
    ("amount", "requested", "compared", "fee"),
    [
        (507500, 500000, "5000.00", None),  # fees borne by the customer: amount = requested + fees
        (500000, 500000, "5000.00", Decimal("75.00")),  # borne by the provider: its fee
        (499999, 500000, "4999.99", None),  # neither: what was charged, refused by the core
        (500000, None, "5000.00", Decimal("75.00")),  # no requested_amount: the amount
    ],
)
def test_paystack_compares_the_requested_amount_when_the_customer_bears_the_fees(
    amount, requested, compared, fee
):
    data = {
        "id": 7,
        "status": "success",
        "reference": "P-F",
        "amount": amount,
        "currency": "NGN",
        "fees": 7500,
    }
    if requested is not None:
        data["requested_amount"] = requested
    event = parse_paystack_event(_json({"event": "charge.success", "data": data}))
    assert (event.amount, event.fee) == (Money(Decimal(compared), "NGN"), fee)
    assert event.transaction_id == "7"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("finished", Outcome.COMPLETED),
        ("failed", Outcome.CANCELLED),
        ("refunded", Outcome.CANCELLED),
        ("expired", Outcome.CANCELLED),
        ("waiting", Outcome.PENDING),
        ("confirming", Outcome.PENDING),
        ("confirmed", Outcome.PENDING),
        ("sending", Outcome.PENDING),
        ("partially_paid", Outcome.PENDING),
        ("something_new", None),
    ],
)
def test_nowpayments_statuses(status, outcome):
    body = NowPaymentsSender().ipn(77, status, "P-N", "50.25", "USD")
    event = parse_nowpayments_event(body)
    if outcome is None:
        assert event is None
        return
    assert (event.event_id, event.outcome, event.payment_reference) == (
        f"77:{status}",
        outcome,
        "P-N",
    )
    assert event.amount == Money(Decimal("50.25"), "USD")
    assert bool(event.attention) is (status == "partially_paid")
    assert (event.partly_received is not None) is (status == "partially_paid")


@pytest.mark.parametrize(
    "parse",
    [
        parse_stripe_event,
        parse_paypal_event,
        parse_paystack_event,
        parse_nowpayments_event,
        parse_razorpay_event,
    ],
)
@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
def test_unreadable_bodies_are_a_gateway_error_never_a_crash(parse, body):
    with pytest.raises(GatewayError):
        parse(body)


def test_a_completion_with_a_float_like_or_missing_amount_has_no_amount():
    sender = StripeSender()
    body = sender.completed("P-1", "50.25", "USD", 1).replace(
        b'"amount_received":5025', b'"amount_received":50.25'
    )
    assert parse_stripe_event(body).amount is None  # refused later as a mismatch
    body = _json(
        {
            "id": "WH-8",
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": {"custom_id": "P-1", "amount": {"value": "ten"}},
        }
    )
    assert parse_paypal_event(body).amount is None
