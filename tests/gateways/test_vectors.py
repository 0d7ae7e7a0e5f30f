"""Each signature verifier against the published vectors (tests/gateways/data/vectors.json, a
copy of the gateways' reference): reproduced exactly, and refused when the body is tampered
with, the secret is wrong or (Stripe) the timestamp is stale."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal

import pytest

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.nowpayments.webhooks import (
    nowpayments_signature_verify,
    nowpayments_signed_text,
    parse_nowpayments_event,
)
from paydesk.gateways.paystack.webhooks import paystack_signature_verify
from paydesk.gateways.razorpay.webhooks import (
    parse_razorpay_event,
    razorpay_payment_signature_verify,
    razorpay_webhook_verify,
)
from paydesk.gateways.signing import hmac_hex
from paydesk.gateways.stripe.webhooks import stripe_signature_verify
from paydesk.money import Money
from tests.gateways.conftest import DATA
from tests.gateways.signing import nowpayments_signed_text_top_level, razorpay_payment_signature

# --- Stripe -------------------------------------------------------------------------------


@pytest.fixture
def stripe_vector(vectors):
    vector = vectors["stripe_webhook_signature"]
    header = vector["header"].split(": ", 1)[1]
    return vector["payload"].encode(), header, vector["secret"], vector["timestamp"]


def test_stripe_vector_verifies_at_its_own_time(stripe_vector):
    body, header, secret, timestamp = stripe_vector
    stripe_signature_verify(body=body, header=header, secret=secret, now=timestamp)
    stripe_signature_verify(body=body, header=header, secret=secret, now=timestamp + 300)


def test_stripe_vector_is_stale_five_minutes_and_a_second_later(stripe_vector):
    body, header, secret, timestamp = stripe_vector
    with pytest.raises(WebhookSignatureInvalid, match="tolerance"):
        stripe_signature_verify(body=body, header=header, secret=secret, now=timestamp + 301)
    with pytest.raises(WebhookSignatureInvalid, match="tolerance"):
        stripe_signature_verify(body=body, header=header, secret=secret)  # today's clock


@pytest.mark.parametrize(
    "change",
    ["tampered body", "wrong secret", "no header", "no v1", "v0 only", "signature of another t"],
)
def test_stripe_refuses(stripe_vector, change):
    body, header, secret, timestamp = stripe_vector
    if change == "tampered body":
        body = body.replace(b"rdr_123", b"rdr_124")
    elif change == "wrong secret":
        secret = "whsec_other_secret"
    elif change == "no header":
        header = ""
    elif change == "no v1":
        header = f"t={timestamp}"
    elif change == "v0 only":
        header = header.replace("v1=", "v0=")
    else:
        header = header.replace(f"t={timestamp}", f"t={timestamp + 1}")
    with pytest.raises(WebhookSignatureInvalid):
        stripe_signature_verify(body=body, header=header, secret=secret, now=timestamp)


def test_stripe_accepts_any_matching_v1_among_several(stripe_vector):
    body, header, secret, timestamp = stripe_vector
    t, v1 = header.split(",")
    rolled = f"{t},v1={'0' * 64},{v1},v0=abc"
    stripe_signature_verify(body=body, header=rolled, secret=secret, now=timestamp)


# --- Razorpay -----------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1])
def test_razorpay_payment_signature_vectors(vectors, index):
    vector = vectors["razorpay_payment_signature"][index]
    first, second = vector["message"].split("|")
    assert (
        razorpay_payment_signature(order_id=first, payment_id=second, key_secret=vector["secret"])
        == vector["hmac_sha256_hex"]
    )
    razorpay_payment_signature_verify(
        stored_order_id=first,
        payment_id=second,
        signature=vector["hmac_sha256_hex"],
        key_secret=vector["secret"],
    )


def test_razorpay_payment_signature_uses_the_order_id_we_stored(vectors):
    vector = vectors["razorpay_payment_signature"][0]
    with pytest.raises(WebhookSignatureInvalid):
        razorpay_payment_signature_verify(
            stored_order_id="order_we_created",
            payment_id="fake_payment_id",
            signature=vector["hmac_sha256_hex"],
            key_secret=vector["secret"],
        )
    with pytest.raises(WebhookSignatureInvalid):
        razorpay_payment_signature_verify(
            stored_order_id="fake_order_id",
            payment_id="fake_payment_id",
            signature=vector["hmac_sha256_hex"],
            key_secret="another_key_secret",
        )


@pytest.fixture
def razorpay_vector(vectors):
    vector = vectors["razorpay_webhook_signature"]
    body = (DATA / vector["body_file"]).read_bytes()
    assert len(body) == vector["body_bytes"]
    return body, vector["hmac_sha256_hex"], vector["secret"]


def test_razorpay_webhook_vector(razorpay_vector):
    body, signature, secret = razorpay_vector
    razorpay_webhook_verify(body=body, signature=signature, secret=secret)
    razorpay_webhook_verify(body=body, signature=signature.upper(), secret=secret)


@pytest.mark.parametrize("change", ["tampered body", "wrong secret", "no signature"])
def test_razorpay_webhook_refuses(razorpay_vector, change):
    body, signature, secret = razorpay_vector
    if change == "tampered body":
        body = body.replace(b"1000000", b"9000000")
    elif change == "wrong secret":
        secret = "webhook_secret_not_key_secret"
    else:
        signature = ""
    with pytest.raises(WebhookSignatureInvalid):
        razorpay_webhook_verify(body=body, signature=signature, secret=secret)


def test_razorpay_sample_is_an_authorized_payment_still_pending(razorpay_vector):
    body, _, _ = razorpay_vector
    event = parse_razorpay_event(body, event_id="EvT-sample")
    assert (event.event_id, event.outcome, event.gateway_reference) == (
        "EvT-sample",
        "pending",
        "order_100000000order",
    )
    assert event.amount == Money(Decimal("10000.00"), "INR")  # 1000000 paise
    assert event.payment_reference == ""  # its notes carry no Paydesk reference
    assert parse_razorpay_event(body).event_id == "payment.authorized:pay_6koWN7bvxujzxM"


# --- Paystack (no published vector: the scheme is checked against hashlib directly) --------


def test_paystack_signature_is_hmac_sha512_of_the_raw_body():
    body = b'{"event":"charge.success","data":{"reference":"P-1","amount":5025}}'
    signature = hmac.new(b"sk_test_x", body, hashlib.sha512).hexdigest()
    paystack_signature_verify(body=body, signature=signature, secret="sk_test_x")
    for bad_body, secret in [(body.replace(b"5025", b"5026"), "sk_test_x"), (body, "sk_test_y")]:
        with pytest.raises(WebhookSignatureInvalid):
            paystack_signature_verify(body=bad_body, signature=signature, secret=secret)
    with pytest.raises(WebhookSignatureInvalid):  # a SHA-256 signature is not the scheme
        paystack_signature_verify(
            body=body,
            signature=hmac.new(b"sk_test_x", body, hashlib.sha256).hexdigest(),
            secret="sk_test_x",
        )


# --- NOWPayments --------------------------------------------------------------------------


@pytest.fixture
def nowpayments_vector(vectors):
    vector = vectors["nowpayments_ipn_signature"]
    return vector["body"].encode(), vector


def test_nowpayments_recursive_vector(nowpayments_vector):
    body, vector = nowpayments_vector
    signature = vector["hmac_sha512_hex_recursive_sort"]
    assert (
        hmac_hex(
            secret=vector["secret"], message=nowpayments_signed_text(body).encode(), digest="sha512"
        )
        == signature
    )
    nowpayments_signature_verify(body=body, signature=signature, secret=vector["secret"])


def test_nowpayments_old_top_level_vector_reproduces_but_is_not_accepted(nowpayments_vector):
    body, vector = nowpayments_vector
    old = vector["hmac_sha512_hex_old_top_level_sort_only"]
    assert (
        hmac_hex(
            secret=vector["secret"],
            message=nowpayments_signed_text_top_level(body).encode(),
            digest="sha512",
        )
        == old
    )
    # That form leaves nested fields (the fee) unsigned: Paydesk accepts only the current one.
    assert '"fee":{}' in nowpayments_signed_text_top_level(body)
    with pytest.raises(WebhookSignatureInvalid):
        nowpayments_signature_verify(body=body, signature=old, secret=vector["secret"])


def test_nowpayments_numbers_are_written_as_javascript_writes_them(nowpayments_vector):
    body, _ = nowpayments_vector
    signed = nowpayments_signed_text(body)
    assert '"depositFee":0.0000012' in signed  # Python's json would write 1.2e-06
    assert '"serviceFee":1e-7' in signed  # what Node wrote when it signed the vector
    assert '"pay_amount":155.38559757,' in signed and '"price_amount":170,' in signed
    assert '"payment_id":5077125051,' in signed
    assert signed.index('"actually_paid"') < signed.index('"created_at"') < signed.index('"fee"')
    assert (
        signed.index('"currency"')
        < signed.index('"depositFee"')
        < signed.index('"serviceFee"')
        < signed.index('"withdrawalFee"')
    )


def test_nowpayments_canonical_form_edge_cases():
    body = (
        b'{"b":[3,{"z":1.50,"a":-0.0}],"a":{"10":1,"9":2,"x":1E+2},'
        b'"\xc3\xa9":"caf\xc3\xa9","s":"line\\nbreak","i":1e400}'
    )
    assert nowpayments_signed_text(body) == (
        '{"a":{"9":2,"10":1,"x":100},"b":{"0":3,"1":{"a":0,"z":1.5}},"i":null,'
        '"s":"line\\nbreak","\u00e9":"caf\u00e9"}'
    )


@pytest.mark.parametrize("change", ["tampered body", "wrong secret", "reformatted number"])
def test_nowpayments_refuses(nowpayments_vector, change):
    body, vector = nowpayments_vector
    secret, signature = vector["secret"], vector["hmac_sha512_hex_recursive_sort"]
    if change == "tampered body":
        body = body.replace(b'"price_amount":170', b'"price_amount":171')
    elif change == "wrong secret":
        secret = "another_ipn_secret"
    else:  # the same value written another way still signs the same text
        body = body.replace(b'"price_amount":170', b'"price_amount":170.0')
        nowpayments_signature_verify(body=body, signature=signature, secret=secret)
        return
    with pytest.raises(WebhookSignatureInvalid):
        nowpayments_signature_verify(body=body, signature=signature, secret=secret)


def test_nowpayments_vector_maps_to_a_completed_event(nowpayments_vector):
    body, _ = nowpayments_vector
    event = parse_nowpayments_event(body)
    assert (event.event_id, event.outcome, event.payment_reference) == (
        "5077125051:finished",
        "completed",
        "2",
    )
    assert event.amount == Money(Decimal("170"), "USD")
    assert event.fee is None  # NOWPayments' fee is in BTC, not in the charged currency
    assert event.summary["actually_paid"] == "155.38559757"
