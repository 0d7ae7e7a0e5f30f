"""The pretend PayPal names a declined capture as PayPal documents it: the capture's status is
DECLINED, and with the paypal_declined_event switch its webhook is PAYMENT.CAPTURE.DECLINED
("A payment capture is declined", PayPal's webhook event names) instead of the sandbox's old
PAYMENT.CAPTURE.DENIED (PayPal's event for a capture denied later).

The webhook's signature is checked here with `cryptography` alone, as PayPal documents it:
RSA-SHA256 over "{transmission id}|{transmission time}|{webhook id}|{crc32 of the body}".
"""

from __future__ import annotations

import base64
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from paydesk.sandbox.models import SandboxWebhook
from paydesk.sandbox.paypal.signing import certificate_fetch
from tests.online.paypal_steps import (
    approve_and_decline,
    capture_events,
    come_back,
    order_of,
    press,
    sandbox_switch,
    start,
)
from tests.online.sandbox_support import webhook_json

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(sandbox, online_customer):
    return online_customer("paypal", "USD")


def _verify_paypal_signature(hook: SandboxWebhook) -> None:
    """Raises unless the PAYPAL-* headers sign the body for our webhook id."""
    headers, body = hook.headers, hook.body.encode()
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    certificate = x509.load_pem_x509_certificate(certificate_fetch(headers["PAYPAL-CERT-URL"]))
    message = "|".join(
        [
            headers["PAYPAL-TRANSMISSION-ID"],
            headers["PAYPAL-TRANSMISSION-TIME"],
            settings.PAYDESK_PAYPAL_WEBHOOK_ID,
            str(zlib.crc32(body) & 0xFFFFFFFF),
        ]
    ).encode()
    certificate.public_key().verify(  # type: ignore[union-attr]
        base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]),
        message,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_a_declined_capture_sends_the_documented_declined_event(user):
    sandbox_switch("paypal_declined_event")
    checkout = start(user, "25.00")
    payment = come_back(user, approve_and_decline(checkout))
    capture = order_of(payment).data["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "DECLINED"
    assert capture_events(payment) == ["PAYMENT.CAPTURE.DECLINED"]

    hook = SandboxWebhook.objects.get(gateway="paypal", event_type="PAYMENT.CAPTURE.DECLINED")
    _verify_paypal_signature(hook)
    event = webhook_json(hook)
    assert event["resource_type"] == "capture"
    assert (event["resource"]["id"], event["resource"]["status"]) == (capture["id"], "DECLINED")
    assert event["resource"]["supplementary_data"]["related_ids"]["order_id"] == (
        payment.gateway_reference
    )
    assert "seller_receivable_breakdown" not in event["resource"]  # nothing was received
    # Paydesk's adapter knows the documented name: its endpoint applied it.
    assert hook.last_response.startswith("HTTP 200"), hook.last_response
    payment.refresh_from_db()
    assert payment.status == "cancelled"


def test_without_the_switch_a_declined_capture_still_sends_denied(user):
    checkout = start(user, "25.00")
    payment = come_back(user, approve_and_decline(checkout))
    capture = order_of(payment).data["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "DECLINED"
    assert capture_events(payment) == ["PAYMENT.CAPTURE.DENIED"]
    _verify_paypal_signature(
        SandboxWebhook.objects.get(gateway="paypal", event_type="PAYMENT.CAPTURE.DENIED")
    )


def test_completed_and_pending_captures_are_named_as_before(user):
    sandbox_switch("paypal_declined_event")
    paid = come_back(user, press(start(user, "10.00"), "approve"))
    held = come_back(user, press(start(user, "11.00"), "approve_pending"))
    assert capture_events(paid) == ["PAYMENT.CAPTURE.COMPLETED"]
    assert capture_events(held) == ["PAYMENT.CAPTURE.PENDING"]
