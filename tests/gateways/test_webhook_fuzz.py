"""No request makes the webhook endpoint fail: random JSON (signed correctly, so it gets past
the signature to the parsers) and random bytes (unsigned) are answered 200 or 400, never 5xx.
The test client re-raises any exception a view lets escape, so a crash fails here."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from paydesk.gateways.nowpayments.webhooks import nowpayments_signed_text
from paydesk.gateways.signing import hmac_hex
from tests.gateways.senders import SECRETS, SENDERS

pytestmark = pytest.mark.django_db

KEYS = st.sampled_from(
    [
        "id",
        "type",
        "event",
        "event_type",
        "data",
        "object",
        "payload",
        "payment",
        "entity",
        "resource",
        "amount",
        "amount_received",
        "currency",
        "metadata",
        "paydesk_reference",
        "notes",
        "status",
        "reference",
        "fees",
        "fee",
        "payment_id",
        "payment_status",
        "order_id",
        "price_amount",
        "price_currency",
        "custom_id",
        "purchase_units",
        "value",
        "currency_code",
        "payment_intent.succeeded",
        "PAYMENT.CAPTURE.COMPLETED",
        "payment.captured",
        "charge.success",
        "finished",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.text(max_size=12),
    st.sampled_from(
        [
            "payment_intent.succeeded",
            "payment_intent",
            "PAYMENT.CAPTURE.COMPLETED",
            "payment.captured",
            "order.paid",
            "charge.success",
            "success",
            "finished",
            "partially_paid",
            "usd",
            "USD",
            "XXX",
            "50.25",
            "-1",
            "1e400",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=20,
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def signed(sender, body: bytes) -> dict[str, str]:
    if sender.name == "nowpayments":
        text = nowpayments_signed_text(body).encode()
        return {
            "x-nowpayments-sig": hmac_hex(
                secret=SECRETS["PAYDESK_NOWPAYMENTS_IPN_SECRET"], message=text, digest="sha512"
            )
        }
    return sender.sign(body, 1)


@pytest.mark.parametrize("sender", SENDERS, ids=lambda s: s.name)
@FUZZ
@given(value=JSON)
def test_signed_random_json_is_answered_200_or_400(sender, value):
    body = json.dumps(value).encode()
    response = Client().post(
        f"/webhooks/{sender.name}/",
        data=body,
        content_type="application/json",
        headers=signed(sender, body),
    )
    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize("sender", SENDERS, ids=lambda s: s.name)
@FUZZ
@given(body=st.binary(max_size=200))
@example(body=b"[" * 100_000 + b"]" * 100_000)
@example(body=b'{"a":1e400,"b":-1e400}')
@example(body=b'{"a":NaN}')
@example(body=b'{"a":"\\ud800"}')
def test_unsigned_random_bytes_are_refused_with_400(sender, body):
    response = Client().post(
        f"/webhooks/{sender.name}/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": "t=1,v1=00", "x-nowpayments-sig": "00"},
    )
    assert response.status_code == 400
