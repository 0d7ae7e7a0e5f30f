"""The sandbox's own signers reproduce what each gateway publishes (the vectors in
tests/gateways/data/vectors.json, copied from the gateways' SDK tests and docs), and Stripe's
webhooks from the sandbox pass the official `stripe` library's check. With these, a signature
Paydesk accepts from the sandbox is one the real gateway would have made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stripe
from django.conf import settings

from paydesk.sandbox.models import SandboxWebhook
from paydesk.sandbox.nowpayments.signing import nowpayments_signature
from paydesk.sandbox.paystack.signing import paystack_signature
from paydesk.sandbox.razorpay.signing import checkout_signature, webhook_signature
from paydesk.sandbox.stripe.common import event_send
from paydesk.sandbox.stripe.signing import stripe_signature

DATA = Path(__file__).parents[1] / "gateways" / "data"
VECTORS = json.loads((DATA / "vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["razorpay_payment_signature"])
def test_razorpay_checkout_signature_matches_razorpays_sdk_vectors(vector):
    order_id, payment_id = vector["message"].split("|")
    assert checkout_signature(order_id, payment_id, vector["secret"]) == vector["hmac_sha256_hex"]


def test_razorpay_webhook_signature_matches_razorpays_sdk_vector():
    vector = VECTORS["razorpay_webhook_signature"]
    body = (DATA / vector["body_file"]).read_bytes()
    assert len(body) == vector["body_bytes"]
    assert webhook_signature(body, vector["secret"]) == vector["hmac_sha256_hex"]


def test_stripe_signature_matches_the_vector_stripe_python_accepts():
    vector = VECTORS["stripe_webhook_signature"]
    header = stripe_signature(
        vector["payload"].encode(), secret=vector["secret"], timestamp=vector["timestamp"]
    )
    assert f"Stripe-Signature: {header}" == vector["header"]


def test_nowpayments_signature_matches_the_node_computed_vector():
    vector = VECTORS["nowpayments_ipn_signature"]
    signature = nowpayments_signature(vector["body"].encode(), vector["secret"])
    assert signature == vector["hmac_sha512_hex_recursive_sort"]
    assert signature != vector["hmac_sha512_hex_old_top_level_sort_only"]


def test_paystack_signature_is_hmac_sha512_of_the_raw_body():
    # Paystack publishes no vector; this one was computed with Node's crypto, as Paystack's
    # docs verify: createHmac('sha512', secret).update(JSON.stringify(req.body)).digest('hex').
    assert paystack_signature(b'{"event":"charge.success"}', "sk_test_x") == (
        "0c7751ea46d74ce3674daa4790ccf515295591b686c5fee1173520ccd7614100"
        "3efd5071190fc7c1a1736cebae4220285bff18629d768fbe72775070eb2778a8"
    )


@pytest.mark.django_db
def test_a_stripe_webhook_from_the_sandbox_passes_stripes_own_library():
    # Inside the test's transaction the delivery (after commit) never runs: only the signing.
    event_send(
        {
            "id": "pi_Sandbox000000000000000001",
            "object": "payment_intent",
            "amount": 1050,
            "currency": "usd",
            "status": "succeeded",
        },
        "payment_intent.succeeded",
    )
    hook = SandboxWebhook.objects.get(gateway="stripe")
    stripe.WebhookSignature.verify_header(
        hook.body,
        hook.headers["Stripe-Signature"],
        settings.PAYDESK_STRIPE_WEBHOOK_SECRET,
        tolerance=300,
    )
