"""A dispute's reason as it was stored, in its gateway's words (gateways/dispute_words.py)."""

from __future__ import annotations

import pytest

from paydesk.gateways.dispute_words import (
    chargeback_description_words,
    dispute_reason_words,
    stored_reason_words,
)
from paydesk.gateways.stripe.disputes import REASONS


@pytest.fixture(autouse=True)
def real_gateways(settings):
    """The gateways as registered outside tests (tests/gateways/conftest.py puts fakes in)."""
    settings.PAYDESK_GATEWAYS = {
        "card": "paydesk.gateways.stripe.gateway.StripeCardGateway",
        "paypal": "paydesk.gateways.paypal.gateway.PayPalGateway",
        "paystack": "paydesk.gateways.paystack.gateway.PaystackGateway",
        "razorpay": "paydesk.gateways.razorpay.gateway.RazorpayGateway",
        "bank_transfer": "paydesk.gateways.bank_transfer.gateway.BankTransferGateway",
    }


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("fraudulent", "the cardholder says they did not authorise the payment"),
        ("product_not_received", "the cardholder says they did not receive what they paid for"),
        ("product not received", "the cardholder says they did not receive what they paid for"),
        ("Duplicate", "the cardholder says they were charged more than once"),
        ("the cardholder says they were charged more than once", "the cardholder says they "
         "were charged more than once"),
        ("brand new code", "brand new code"),
        ("", ""),
    ],
)  # fmt: skip
def test_a_stored_code_in_any_form_it_was_kept_in_reads_in_words(stored, shown):
    assert stored_reason_words(stored, REASONS) == shown


def test_each_gateway_words_its_own_codes_and_no_other_s():
    assert dispute_reason_words("paypal", "UNAUTHORISED (PayPal case PP-D-2)") == (
        "the buyer says they did not authorise the payment (PayPal case PP-D-2)"
    )
    assert dispute_reason_words("paystack", "fraud").startswith("the cardholder says")
    assert dispute_reason_words("razorpay", "non_matching_account_number") == (
        "the customer's bank says the card number does not match its records"
    )
    assert dispute_reason_words("razorpay", "fraud") == "fraud"  # Paystack's, not Razorpay's
    assert dispute_reason_words("paypal", "fraudulent") == "fraudulent"  # Stripe's, not PayPal's
    assert dispute_reason_words("bank_transfer", "fraudulent") == "fraudulent"  # no words
    assert dispute_reason_words("no_such_method", "fraudulent") == "fraudulent"


def test_a_chargeback_description_keeps_its_lead_and_words_its_reason():
    assert chargeback_description_words("card", "Chargeback of PD-1: fraudulent") == (
        "Chargeback of PD-1: the cardholder says they did not authorise the payment"
    )
    assert chargeback_description_words("card", "Chargeback of PD-1") == "Chargeback of PD-1"
