"""Contract: Razorpay's signatures, with the official `razorpay` library (2.0.1) as the oracle.

`razorpay.Client(...).utility.verify_webhook_signature(body, signature, secret)` and
`verify_payment_signature({razorpay_order_id, razorpay_payment_id, razorpay_signature})` decide;
Paydesk's `razorpay_webhook_verify` and `razorpay_payment_signature_verify` must give the same
verdict for every candidate signature: the right one, and ones for a body changed by one byte,
another secret, another order or payment id, one hex digit changed, cut short or lengthened.
Every library call runs under `no_network()`: the utility is plain HMAC and needs no network
(the client is only constructed, never used for an API call).

Two differences are deliberate and asserted as such, so they cannot widen unnoticed:
- Paydesk reads the hex signature case-insensitively and ignores surrounding spaces (the same
  MAC either way); the library compares the text exactly. The contract is therefore
  `Paydesk accepts c` == `library accepts c.strip().lower()`.
- Paydesk refuses every signature when the secret is empty (a missing setting); the library
  would check an HMAC keyed with the empty string.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
import razorpay
from hypothesis import example, given
from hypothesis import strategies as st
from razorpay.errors import SignatureVerificationError

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.razorpay.webhooks import (
    razorpay_payment_signature_verify,
    razorpay_webhook_verify,
)
from tests.gateways.conftest import DATA
from tests.gateways.contract import (
    CONTRACT,
    NetworkUsed,
    ascii_positions,
    json_bodies,
    no_network,
    one_byte_changed,
    one_hex_digit_changed,
)
from tests.gateways.signing import razorpay_payment_signature

pytestmark = pytest.mark.sqlite_pass_only

KEY_ID = "rzp_test_contract0001"
SECRETS = st.one_of(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        min_size=1,
        max_size=32,
    ),
    st.text(min_size=1, max_size=16),
)
ORDER_IDS = st.one_of(
    st.from_regex(r"order_[A-Za-z0-9]{14}", fullmatch=True), st.text(min_size=1, max_size=24)
)
PAYMENT_IDS = st.one_of(
    st.from_regex(r"pay_[A-Za-z0-9]{14}", fullmatch=True), st.text(min_size=1, max_size=24)
)


def hmac_sha256(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def library_client(key_secret: str) -> razorpay.Client:
    with no_network():
        return razorpay.Client(auth=(KEY_ID, key_secret))


def library_accepts_webhook(body: bytes, signature: str, secret: str) -> bool:
    """The library's verdict (it takes the body as text: Razorpay's bodies are UTF-8 JSON)."""
    utility = library_client("unused-key-secret").utility
    with no_network():
        try:
            return utility.verify_webhook_signature(body.decode("utf-8"), signature, secret)
        except SignatureVerificationError:
            return False


def paydesk_accepts_webhook(body: bytes, signature: str, secret: str) -> bool:
    try:
        razorpay_webhook_verify(body=body, signature=signature, secret=secret)
    except WebhookSignatureInvalid:
        return False
    return True


def library_accepts_payment(
    order_id: str, payment_id: str, signature: str, key_secret: str
) -> bool:
    utility = library_client(key_secret).utility
    with no_network():
        try:
            return utility.verify_payment_signature(
                {
                    "razorpay_order_id": order_id,
                    "razorpay_payment_id": payment_id,
                    "razorpay_signature": signature,
                }
            )
        except SignatureVerificationError:
            return False


def paydesk_accepts_payment(
    order_id: str, payment_id: str, signature: str, key_secret: str
) -> bool:
    try:
        razorpay_payment_signature_verify(
            stored_order_id=order_id,
            payment_id=payment_id,
            signature=signature,
            key_secret=key_secret,
        )
    except WebhookSignatureInvalid:
        return False
    return True


def variants(signature: str, index: int) -> list[str]:
    """Textual variants of one signature: the same MAC written otherwise, or a damaged one."""
    return [
        signature,
        signature.upper(),
        f" {signature} ",
        one_hex_digit_changed(signature, index),
        signature[:-1],
        signature + "0",
        signature[:32],
        "",
        "0" * 64,
    ]


def test_the_guard_refuses_a_connection_so_a_library_call_under_it_made_none():
    with no_network(), pytest.raises(NetworkUsed):
        import requests

        requests.get("http://127.0.0.1:9/", timeout=1)


# --- webhooks -------------------------------------------------------------------------------


def test_published_webhook_vector_is_accepted_by_the_library_and_by_paydesk(vectors):
    vector = vectors["razorpay_webhook_signature"]
    body = (DATA / vector["body_file"]).read_bytes()
    signature, secret = vector["hmac_sha256_hex"], vector["secret"]
    assert library_accepts_webhook(body, signature, secret)
    assert paydesk_accepts_webhook(body, signature, secret)
    index = ascii_positions(body)[len(body) // 2]
    for tampered_body, tampered_secret in [
        (one_byte_changed(body, index), secret),
        (body, "webhook_secret_not_key_secret"),
    ]:
        assert not library_accepts_webhook(tampered_body, signature, tampered_secret)
        assert not paydesk_accepts_webhook(tampered_body, signature, tampered_secret)


@CONTRACT
@given(body=json_bodies(), secret=SECRETS, other_secret=SECRETS, data=st.data())
@example(body=b'{"event":"payment.captured","payload":{}}', secret="s", other_secret="S", data=None)
def test_paydesk_gives_the_library_verdict_on_every_webhook_signature(
    body, secret, other_secret, data
):
    index = data.draw(st.sampled_from(ascii_positions(body))) if data else 0
    digit = data.draw(st.integers(0, 63)) if data else 63
    signed = hmac_sha256(secret, body)
    assert library_accepts_webhook(body, signed, secret)  # the oracle agrees it is right
    assert paydesk_accepts_webhook(body, signed, secret)
    tampered_body = one_byte_changed(body, index)
    candidates = [
        *variants(signed, digit),
        hmac_sha256(secret, tampered_body),
        hmac_sha256(other_secret, body),
    ]
    for candidate in candidates:
        expected = library_accepts_webhook(body, candidate.strip().lower(), secret)
        assert paydesk_accepts_webhook(body, candidate, secret) is expected, candidate
    # the right signature on a body changed by one byte, or under another secret
    assert not library_accepts_webhook(tampered_body, signed, secret)
    assert not paydesk_accepts_webhook(tampered_body, signed, secret)
    if other_secret != secret:
        assert not library_accepts_webhook(body, signed, other_secret)
        assert not paydesk_accepts_webhook(body, signed, other_secret)


def test_hex_case_and_spaces_are_the_only_leniency():
    body, secret = b'{"event":"payment.captured"}', "whsec-razorpay"
    signed = hmac_sha256(secret, body)
    assert not library_accepts_webhook(body, signed.upper(), secret)  # the library: exact text
    assert paydesk_accepts_webhook(body, signed.upper(), secret)  # Paydesk: the same MAC
    assert paydesk_accepts_webhook(body, f" {signed}\t", secret)


def test_an_empty_secret_is_refused_by_paydesk_although_the_library_would_check_it():
    body = b'{"event":"payment.captured"}'
    signed = hmac_sha256("", body)
    assert library_accepts_webhook(body, signed, "")
    assert not paydesk_accepts_webhook(body, signed, "")


# --- the checkout's payment signature -------------------------------------------------------


def test_published_payment_vector_is_accepted_by_the_library_and_by_paydesk(vectors):
    vector = vectors["razorpay_payment_signature"][0]
    order_id, payment_id = vector["message"].split("|")
    signature, key_secret = vector["hmac_sha256_hex"], vector["secret"]
    assert library_accepts_payment(order_id, payment_id, signature, key_secret)
    assert paydesk_accepts_payment(order_id, payment_id, signature, key_secret)
    assert (
        razorpay_payment_signature(order_id=order_id, payment_id=payment_id, key_secret=key_secret)
        == signature
    )


@CONTRACT
@given(
    order_id=ORDER_IDS,
    payment_id=PAYMENT_IDS,
    key_secret=SECRETS,
    other_secret=SECRETS,
    digit=st.integers(0, 63),
)
@example(
    order_id="order_9A33XWu170gUtm",
    payment_id="pay_29QQoUBi66xm2f",
    key_secret="EnLs21M47BllR3X8PSFtjtbd",
    other_secret="x",
    digit=0,
)
def test_paydesk_gives_the_library_verdict_on_every_payment_signature(
    order_id, payment_id, key_secret, other_secret, digit
):
    signed = razorpay_payment_signature(
        order_id=order_id, payment_id=payment_id, key_secret=key_secret
    )
    assert library_accepts_payment(order_id, payment_id, signed, key_secret)
    assert paydesk_accepts_payment(order_id, payment_id, signed, key_secret)
    other_order = order_id + "X"  # the browser's order id, not the one we stored
    candidates = [
        *variants(signed, digit),
        hmac_sha256(key_secret, f"{other_order}|{payment_id}".encode()),
        hmac_sha256(key_secret, f"{order_id}|{payment_id}X".encode()),
        hmac_sha256(other_secret, f"{order_id}|{payment_id}".encode()),
    ]
    for candidate in candidates:
        expected = library_accepts_payment(
            order_id, payment_id, candidate.strip().lower(), key_secret
        )
        assert paydesk_accepts_payment(order_id, payment_id, candidate, key_secret) is expected
    # A signature for our order, checked against another order id (or key secret): refused.
    assert not library_accepts_payment(other_order, payment_id, signed, key_secret)
    assert not paydesk_accepts_payment(other_order, payment_id, signed, key_secret)
    if other_secret != key_secret:
        assert not library_accepts_payment(order_id, payment_id, signed, other_secret)
        assert not paydesk_accepts_payment(order_id, payment_id, signed, other_secret)
