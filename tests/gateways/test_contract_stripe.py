"""Contract: Stripe's webhook signature, with the official `stripe` library (16.1.0) on both
sides of Paydesk's `stripe_signature_verify`.

- Signatures are made by the library's own signer,
  `stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)` (documented
  for signing payloads in tests), and Paydesk must accept them.
- `stripe.Webhook.construct_event(payload, header, secret)` must accept whatever Paydesk
  accepts: for every well-formed header (t plus any mix of right and wrong v1 and v0 entries),
  the two verdicts are the same at the same clock; tampered body, other secret and a timestamp
  older than the 300 s tolerance are refused by both.

The library reads `time.time()`; here both sides read one frozen clock (`same_clock`), except in
the test that uses the real one. Differences, asserted so they cannot widen unnoticed: Paydesk
also refuses a timestamp more than 300 s in the FUTURE (Stripe checks only the past), reads hex
case-insensitively, and never answers anything but WebhookSignatureInvalid to a header it cannot
read (the library's own SignatureVerificationError in the same cases).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from contextlib import nullcontext
from unittest import mock

import pytest
import stripe
from hypothesis import example, given
from hypothesis import strategies as st

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.stripe.webhooks import TOLERANCE_SECONDS, stripe_signature_verify
from tests.gateways.contract import (
    CONTRACT,
    JSON_VALUES,
    ascii_positions,
    no_network,
    one_byte_changed,
    one_hex_digit_changed,
)

pytestmark = pytest.mark.sqlite_pass_only

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: the frozen clock both sides read
SECRETS = st.builds(lambda tail: f"whsec_{tail}", st.text(min_size=1, max_size=32))
SIGN = stripe.WebhookSignature.generate_signature_header


@st.composite
def event_bodies(draw: st.DrawFn) -> str:
    """A Stripe event as posted: a JSON object with id, object "event", type and data."""
    event = {
        "id": draw(st.from_regex(r"evt_[A-Za-z0-9]{24}", fullmatch=True)),
        "object": "event",
        "type": draw(
            st.sampled_from(
                [
                    "payment_intent.succeeded",
                    "payment_intent.payment_failed",
                    "charge.refunded",
                ]
            )
        ),
        "data": {"object": draw(JSON_VALUES)},
    }
    return json.dumps(
        event, indent=draw(st.sampled_from([None, 2])), ensure_ascii=draw(st.booleans())
    )


def same_clock(now: int):
    return mock.patch("time.time", return_value=float(now))


def stripe_accepts(body: bytes, header: str, secret: str, now: int | None = NOW) -> bool:
    """construct_event's verdict: the event is built (offline), or the signature is refused."""
    with no_network(), same_clock(now) if now is not None else nullcontext():
        try:
            event = stripe.Webhook.construct_event(body, header, secret)
        except stripe.SignatureVerificationError:
            return False
    assert event.id == json.loads(body)["id"]
    return True


def paydesk_accepts(body: bytes, header: str, secret: str, now: int | None = NOW) -> bool:
    try:
        stripe_signature_verify(body=body, header=header, secret=secret, now=now)
    except WebhookSignatureInvalid:
        return False
    return True


def test_the_library_reproduces_the_published_vector_and_both_accept_it(vectors):
    vector = vectors["stripe_webhook_signature"]
    body, secret, timestamp = vector["payload"], vector["secret"], vector["timestamp"]
    header = vector["header"].split(": ", 1)[1]
    assert SIGN(body, secret, timestamp=timestamp) == header
    assert stripe_accepts(body.encode(), header, secret, now=timestamp + TOLERANCE_SECONDS)
    assert paydesk_accepts(body.encode(), header, secret, now=timestamp + TOLERANCE_SECONDS)
    stale = timestamp + TOLERANCE_SECONDS + 1
    assert not stripe_accepts(body.encode(), header, secret, now=stale)
    assert not paydesk_accepts(body.encode(), header, secret, now=stale)


def test_a_header_the_library_signs_now_is_accepted_by_both_on_the_real_clock():
    body = json.dumps({"id": "evt_real_clock", "object": "event", "type": "ping"})
    header = SIGN(body, "whsec_real_clock")  # the library's own time.time()
    assert paydesk_accepts(body.encode(), header, "whsec_real_clock", now=None)
    assert stripe_accepts(body.encode(), header, "whsec_real_clock", now=None)


@CONTRACT
@given(
    body=event_bodies(),
    secret=SECRETS,
    other_secret=SECRETS,
    age=st.integers(-TOLERANCE_SECONDS, TOLERANCE_SECONDS),
    stale_by=st.integers(1, 10**6),
    data=st.data(),
)
@example(
    body='{"id":"evt_1","object":"event","type":"ping","data":{"object":1e-7}}',
    secret="whsec_x",
    other_secret="whsec_y",
    age=TOLERANCE_SECONDS,
    stale_by=1,
    data=None,
)
def test_what_the_library_signs_paydesk_accepts_and_tampering_both_refuse(
    body, secret, other_secret, age, stale_by, data
):
    raw = body.encode()
    header = SIGN(body, secret, timestamp=NOW - age)
    assert paydesk_accepts(raw, header, secret)
    assert stripe_accepts(raw, header, secret)

    index = data.draw(st.sampled_from(ascii_positions(raw))) if data else 0
    tampered = one_byte_changed(raw, index)
    assert not paydesk_accepts(tampered, header, secret)
    assert not stripe_accepts(tampered, header, secret)
    if other_secret != secret:
        assert not paydesk_accepts(raw, header, other_secret)
        assert not stripe_accepts(raw, header, other_secret)
    stale = SIGN(body, secret, timestamp=NOW - TOLERANCE_SECONDS - stale_by)
    assert not paydesk_accepts(raw, stale, secret)
    assert not stripe_accepts(raw, stale, secret)


@st.composite
def headers(draw: st.DrawFn, body: str, secret: str) -> str:
    """A Stripe-Signature: t, then v1/v0 entries (right, for another secret or timestamp, one
    digit off) in any order, as a secret rotation or a new scheme would send; sometimes a second
    t before or after the first (which timestamp is signed must be read as Stripe reads it)."""
    timestamp = NOW - draw(st.integers(-TOLERANCE_SECONDS, 3 * TOLERANCE_SECONDS))
    right = SIGN(body, secret, timestamp=timestamp).split("v1=")[1]
    wrong = [
        SIGN(body, secret + "x", timestamp=timestamp).split("v1=")[1],
        SIGN(body, secret, timestamp=timestamp + 1).split("v1=")[1],
        one_hex_digit_changed(right, draw(st.integers(0, 63))),
    ]
    entries = draw(
        st.lists(
            st.tuples(st.sampled_from(["v1", "v0"]), st.sampled_from([right, *wrong])), max_size=4
        )
    )
    parts = [f"t={timestamp}", *(f"{scheme}={value}" for scheme, value in entries)]
    if draw(st.booleans()):  # a second t: the library reads the first one
        second = timestamp + draw(st.sampled_from([-1, 1, -TOLERANCE_SECONDS]))
        parts.insert(draw(st.integers(0, len(parts))), f"t={second}")
    return ",".join(parts)


@CONTRACT
@given(body=event_bodies(), secret=SECRETS, data=st.data())
def test_paydesk_accepts_a_well_formed_header_exactly_when_the_library_does(body, secret, data):
    header = data.draw(headers(body, secret))
    raw = body.encode()
    assert paydesk_accepts(raw, header, secret) is stripe_accepts(raw, header, secret), header


def test_paydesk_alone_refuses_a_timestamp_from_the_future():
    body = json.dumps({"id": "evt_future", "object": "event"})
    header = SIGN(body, "whsec_f", timestamp=NOW + TOLERANCE_SECONDS + 1)
    assert stripe_accepts(body.encode(), header, "whsec_f")
    assert not paydesk_accepts(body.encode(), header, "whsec_f")


def test_paydesk_alone_reads_the_hex_case_insensitively():
    body = json.dumps({"id": "evt_upper", "object": "event"})
    timestamp, signature = SIGN(body, "whsec_u", timestamp=NOW).split(",v1=")
    header = f"{timestamp},v1={signature.upper()}"  # the same MAC
    assert not stripe_accepts(body.encode(), header, "whsec_u")
    assert paydesk_accepts(body.encode(), header, "whsec_u")


UNREADABLE_TIMESTAMPS = [
    "",
    "-1",
    "+1767225600",
    "1_767_225_600",
    "1767225600.0",
    "0x69557a00",
    "\u00b2",  # a digit to str.isdigit, not to int()
    "\u0661\u0667\u0666\u0667\u0662\u0662\u0665\u0666\u0660\u0660",  # Arabic-Indic digits
    "9" * 5000,  # past int()'s 4300-digit limit
]


@pytest.mark.parametrize(
    "timestamp", UNREADABLE_TIMESTAMPS, ids=lambda t: ascii(t[:12]) + f"[{len(t)}]"
)
def test_a_timestamp_the_library_cannot_read_is_a_bad_signature_to_paydesk(timestamp):
    """Signed with the right secret over the header's own text, so the HMAC matches and only
    the timestamp is wrong: Paydesk must answer WebhookSignatureInvalid (a 400 at the
    endpoint), never let another exception through, and never accept what Stripe refuses."""
    body = b'{"id":"evt_odd_t","object":"event"}'
    secret = "whsec_odd"
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    header = f"t={timestamp},v1={signature.hexdigest()}"
    assert not stripe_accepts(body, header, secret)
    assert not paydesk_accepts(body, header, secret)  # raises anything but the expected error
