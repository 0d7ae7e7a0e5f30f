"""A failed 3-D Secure reads as plain words on the customer's side; Stripe's developer text is
kept only in what the payment log stores (the event's summary)."""

from __future__ import annotations

import json

from paydesk.gateways.base import Outcome
from paydesk.gateways.stripe.declines import (
    AUTHENTICATION_FAILED,
    SETUP_AUTHENTICATION_FAILED,
    customer_reason,
)
from paydesk.gateways.stripe.gateway import intent_event
from paydesk.gateways.stripe.webhooks import parse_stripe_event

DEVELOPER_TEXT = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
FAILED_3DS = {"code": "payment_intent_authentication_failure", "message": DEVELOPER_TEXT}


def _intent(error: dict) -> dict:
    return {
        "id": "pi_3DSfailed0001",
        "object": "payment_intent",
        "status": "requires_payment_method",
        "amount": 1050,
        "currency": "usd",
        "metadata": {"paydesk_reference": "PD-TEST"},
        "last_payment_error": error,
    }


def test_a_failed_authentication_is_told_in_plain_words():
    assert customer_reason(FAILED_3DS) == AUTHENTICATION_FAILED
    assert "No money was taken" in AUTHENTICATION_FAILED
    setup = {"code": "setup_intent_authentication_failure", "message": "The provided …"}
    assert customer_reason(setup) == SETUP_AUTHENTICATION_FAILED


def test_other_declines_keep_stripes_cardholder_message():
    insufficient = {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
    assert customer_reason(insufficient) == "Your card has insufficient funds."
    assert customer_reason({}) == ""


def test_the_return_and_reconciliation_event_says_it_plainly_and_logs_stripes_text():
    event = intent_event(_intent(FAILED_3DS), source="return", payment_reference="PD-TEST")
    assert event.outcome is Outcome.CANCELLED
    assert event.reason == AUTHENTICATION_FAILED
    assert event.summary["last_payment_error.message"] == DEVELOPER_TEXT


def test_the_webhook_event_says_it_plainly_and_logs_stripes_text():
    body = json.dumps(
        {
            "id": "evt_3DSfailed0001",
            "type": "payment_intent.payment_failed",
            "data": {"object": _intent(FAILED_3DS)},
        }
    ).encode()
    event = parse_stripe_event(body)
    assert event is not None and event.outcome is Outcome.CANCELLED
    assert event.reason == AUTHENTICATION_FAILED
    assert event.summary["error_message"] == DEVELOPER_TEXT
    assert event.summary["error_code"] == "payment_intent_authentication_failure"
