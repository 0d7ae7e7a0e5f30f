"""Contract: Paystack's x-paystack-signature, signed by an implementation written here.

Paystack publishes no official Python library that signs or verifies webhooks (its Python
clients call the REST API only; the webhook check exists as snippets in its documentation), and
no signature vector (vectors.json has none; paystack-openapi.yaml describes the API, not
webhooks). So the documented algorithm is implemented in this file with the standard library
only — hex HMAC-SHA512 of the raw body keyed with the secret key — sharing nothing with
Paydesk's gateways/signing.py, and Paydesk's `paystack_signature_verify` must accept exactly
those signatures: any byte of the body changed, another secret, one hex digit changed, a cut or
lengthened signature, or another digest are refused.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.paystack.webhooks import paystack_signature_verify
from tests.gateways.contract import CONTRACT, json_bodies, one_hex_digit_changed

pytestmark = pytest.mark.sqlite_pass_only

SECRETS = st.one_of(
    st.from_regex(r"sk_(test|live)_[0-9a-f]{40}", fullmatch=True), st.text(min_size=1)
)
BODIES = st.one_of(json_bodies(), st.binary(min_size=1, max_size=200))
CHARGE_SUCCESS = (
    b'{"event":"charge.success","data":{"id":302961,"domain":"live","status":"success",'
    b'"reference":"qTPrJoy9Bx","amount":10000,"message":null,"gateway_response":"Approved by '
    b'Financial Institution","paid_at":"2016-09-30T21:10:19.000Z","channel":"card",'
    b'"currency":"NGN","fees":null,"customer":{"id":68324,"email":"bojack@horsinaround.com"}}}'
)


def paystack_signs(secret: str, body: bytes) -> str:
    """Paystack's documented signature: hex HMAC-SHA512(secret key, raw body)."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha512).hexdigest()


def paydesk_accepts(body: bytes, signature: str, secret: str) -> bool:
    try:
        paystack_signature_verify(body=body, signature=signature, secret=secret)
    except WebhookSignatureInvalid:
        return False
    return True


@CONTRACT
@given(
    body=BODIES,
    secret=SECRETS,
    other_secret=SECRETS,
    position=st.integers(0, 10**6),
    bit=st.integers(0, 7),
    digit=st.integers(0, 127),
)
@example(
    body=CHARGE_SUCCESS,
    secret="sk_test_" + "0" * 40,
    other_secret="sk_live_" + "0" * 40,
    position=0,
    bit=0,
    digit=0,
)
def test_what_paystack_signs_paydesk_accepts_and_nothing_else(
    body, secret, other_secret, position, bit, digit
):
    signature = paystack_signs(secret, body)
    assert paydesk_accepts(body, signature, secret)

    index = position % len(body)
    tampered = body[:index] + bytes([body[index] ^ (1 << bit)]) + body[index + 1 :]
    refused = [
        (tampered, signature, secret),  # any byte of the body, any bit of it
        (body + b"\n", signature, secret),
        (body, one_hex_digit_changed(signature, digit), secret),
        (body, signature[:-1], secret),
        (body, signature + "0", secret),
        (body, signature[:64], secret),  # half of it: as long as a SHA-256 hex
        (body, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(), secret),
        (body, hashlib.sha512(body).hexdigest(), secret),  # a digest without the key
        (body, "", secret),
    ]
    if other_secret != secret:
        refused.append((body, signature, other_secret))
    for refused_body, refused_signature, refused_secret in refused:
        assert not paydesk_accepts(refused_body, refused_signature, refused_secret)
