"""PayPal's transmission signature, verified locally: RSA-SHA256 over
"{transmission id}|{time}|{webhook id}|{crc32 of the body}" with the certificate at
PAYPAL-CERT-URL — a key and self-signed certificate generated for the test, served by an
injected fetcher, and refused whenever the URL is not https on an allowed host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.paypal.webhooks import (
    certificate_url_allowed,
    paypal_signature_verify,
    paypal_signed_message,
)
from tests.gateways.senders import (
    CERT_URL,
    CERTIFICATES,
    FOREIGN_CERT_URL,
    FOREIGN_KEY,
    SECRETS,
    PayPalSender,
)

WEBHOOK_ID = SECRETS["PAYDESK_PAYPAL_WEBHOOK_ID"]
HOSTS = ("api.sandbox.paypal.com", "api-m.paypal.com")
SENDER = PayPalSender()
BODY = SENDER.completed("P-REF", "50.25", "USD", 7)


def verify(body=BODY, headers=None, *, webhook_id=WEBHOOK_ID, hosts=HOSTS, now=None):
    fetched = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return CERTIFICATES[url]

    paypal_signature_verify(
        body=body,
        headers=headers or SENDER.sign(body, 7),
        webhook_id=webhook_id,
        fetch_certificate=fetch,
        allowed_hosts=hosts,
        now=now,
    )
    return fetched


def test_the_signed_message_is_ids_time_webhook_id_and_unsigned_crc32():
    body = b"body 0"  # its crc32 has the top bit set: a signed 32-bit value would be negative
    assert (
        paypal_signed_message(
            transmission_id="T", transmission_time="2026-01-01T00:00:00Z", webhook_id="W", body=body
        )
        == b"T|2026-01-01T00:00:00Z|W|3013986539"
    )


def test_a_delivery_signed_with_the_certificate_at_an_allowed_url_verifies():
    assert verify() == [CERT_URL]


@pytest.mark.parametrize(
    "change",
    [
        "tampered body",
        "other webhook id",
        "other transmission id",
        "not base64",
        "missing header",
        "other algorithm",
    ],
)
def test_refused(change):
    body, headers, webhook_id = BODY, SENDER.sign(BODY, 7), WEBHOOK_ID
    if change == "tampered body":
        body = BODY.replace(b'"50.25"', b'"5025.00"')
    elif change == "other webhook id":
        webhook_id = "WH-SOMEONE-ELSES"
    elif change == "other transmission id":
        headers["PAYPAL-TRANSMISSION-ID"] = "another-transmission"
    elif change == "not base64":
        headers["PAYPAL-TRANSMISSION-SIG"] = "%%%not-base64%%%"
    elif change == "missing header":
        del headers["PAYPAL-TRANSMISSION-SIG"]
    else:
        headers["PAYPAL-AUTH-ALGO"] = "SHA1withRSA"
    with pytest.raises(WebhookSignatureInvalid):
        verify(body, headers, webhook_id=webhook_id)


def test_a_certificate_outside_the_allowlist_is_never_even_fetched():
    # Signed correctly with the foreign key, whose certificate that URL really serves...
    headers = SENDER.sign(BODY, 7, cert_url=FOREIGN_CERT_URL, key=FOREIGN_KEY)
    assert verify(BODY, headers, hosts=HOSTS + ("certs.example.net",)) == [FOREIGN_CERT_URL]
    # ...but anyone can sign with their own certificate: off the list, it is refused.
    with pytest.raises(WebhookSignatureInvalid, match="allowed host"):
        verify(BODY, headers)


def test_a_signature_by_another_key_is_refused_even_with_paypals_certificate_url():
    headers = SENDER.sign(BODY, 7, key=FOREIGN_KEY)
    with pytest.raises(WebhookSignatureInvalid, match="does not match"):
        verify(BODY, headers)


def test_an_expired_certificate_is_refused():
    with pytest.raises(WebhookSignatureInvalid, match="not valid today"):
        verify(now=datetime.now(UTC) + timedelta(days=60))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1", True),
        ("https://API-M.PAYPAL.COM/certs/x", True),
        ("https://api.sandbox.paypal.com:443/c", True),
        ("http://api.sandbox.paypal.com/c", False),
        ("https://api.sandbox.paypal.com.evil.example/c", False),
        ("https://evil.example/api.sandbox.paypal.com", False),
        ("https://user@api.sandbox.paypal.com/c", False),
        ("https://api.sandbox.paypal.com:8443/c", False),
        ("https://api.paypal.com/c", False),  # a real PayPal host, but not on this list
        ("file:///etc/passwd", False),
        ("https://[::1/c", False),
    ],
)
def test_certificate_urls(url, allowed):
    assert certificate_url_allowed(url, HOSTS) is allowed


def test_without_a_webhook_id_nothing_verifies():
    with pytest.raises(WebhookSignatureInvalid, match="webhook id"):
        verify(webhook_id="")
