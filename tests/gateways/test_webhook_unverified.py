"""Notifications whose signature did not verify (docs/webhooks.md, "Unsigned and badly signed
notifications"): anyone can post one, so the payment log keeps nothing they claim — no event id
from their headers — only the gateway, the reason and the sender's address, and only so many a
minute per gateway; every one is still refused (400) with a WARNING line.

The story: someone who is not Razorpay posts "evt_FAKE_pay_for_<ref>_refund_ok" twenty times, as
the outside review did, hoping Finance reads it in the payment log as something Razorpay said.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, PaymentLogEntry
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

FORGED_ID = "evt_FAKE_pay_for_PD-1234_refund_ok_20"


def forge(gateway: str, headers: dict[str, str], body: bytes = b"x"):
    return Client().post(
        f"/webhooks/{gateway}/", data=body, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    ("gateway", "method", "header"),
    [
        ("razorpay", "razorpay", "X-Razorpay-Event-Id"),
        ("paypal", "paypal", "PAYPAL-TRANSMISSION-ID"),
        ("stripe", "card", "Stripe-Signature"),
    ],
)
def test_a_forged_notification_leaves_no_claim_in_the_payment_log(gateway, method, header, caplog):
    body = b'{"id": "evt_FAKE_body_id", "event": "refund.processed"}'
    with caplog.at_level(logging.WARNING, logger="paydesk.webhooks"):
        answer = forge(gateway, {header: FORGED_ID}, body)

    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_signature"
    entry = PaymentLogEntry.objects.get()
    assert (entry.gateway, entry.event_id, entry.signature_valid, entry.result) == (
        method,
        "unverified",
        False,
        EventResult.REFUSED,
    )
    assert entry.payment is None and entry.outcome == ""
    assert entry.summary == {"source_ip": "127.0.0.1"}
    stored = f"{entry.event_id} {entry.detail} {entry.summary}"
    assert "FAKE" not in stored and "refund" not in stored
    assert f"Refused a {gateway} webhook from 127.0.0.1: " in caplog.text
    assert "FAKE" not in caplog.text


def test_a_flood_is_counted_not_stored(settings, any_cache, caplog):
    settings.PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="paydesk.webhooks"):
        answers = [
            forge("razorpay", {"X-Razorpay-Event-Id": f"evt_FAKE_{i}"}) for i in range(1, 21)
        ]
        # Another gateway's refusals are counted apart: a flood at one hides nothing at another.
        other = forge("paystack", {})

    assert {a.status_code for a in [*answers, other]} == {400}
    assert PaymentLogEntry.objects.filter(gateway="razorpay").count() == 3
    assert PaymentLogEntry.objects.filter(gateway="paystack").count() == 1
    refusals = [r.getMessage() for r in caplog.records if "Refused a razorpay" in r.getMessage()]
    assert len(refusals) == 20  # a line for every refusal, stored or not
    assert "Not in the payment log" not in refusals[2]
    assert refusals[3].endswith("Not in the payment log: 4 refused this minute, the first 3 kept.")
    assert refusals[-1].endswith(
        "Not in the payment log: 20 refused this minute, the first 3 kept."
    )


def test_staff_read_an_unverified_row_as_untrusted(finance_user):
    # A row written before Paydesk stopped keeping header ids still holds the forged one.
    PaymentLogEntry.objects.create(
        gateway="razorpay",
        event_id=FORGED_ID,
        signature_valid=False,
        outcome="",
        result=EventResult.REFUSED,
        detail="The Razorpay signature does not match the body.",
    )
    page = sign_in(Client(), finance_user).get("/backoffice/checkout/paymentlogentry/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "signature not valid — contents not trusted" in text
    assert FORGED_ID not in text
    assert "BAD SIGNATURE" not in text
