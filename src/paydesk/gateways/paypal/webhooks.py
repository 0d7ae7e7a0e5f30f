"""PayPal webhooks: local RSA-SHA256 verification of the transmission signature, and capture
events mapped to ours (refunds, reversals and disputes: returns.py).

Pure: no model, no database, no setting read here — the webhook id, the allowed certificate
hosts and the certificate fetcher are passed in. The signed message is
"{transmission_id}|{transmission_time}|{webhook_id}|{crc32 of the raw body, unsigned decimal}",
verified (PKCS#1 v1.5, SHA-256) with the public key of the certificate at PAYPAL-CERT-URL,
which must be https on an allowed host: anyone can sign with their own certificate, so the
host list is what makes the signature PayPal's.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.base import AnyGatewayEvent, GatewayEvent, Outcome
from paydesk.gateways.http import deadline_transport
from paydesk.gateways.paypal.returns import parse_return_event
from paydesk.gateways.signing import fee_from, json_object, mapping, money_from_decimal, text

GATEWAY_NAME = "paypal"
DEFAULT_CERT_HOSTS = (
    "api.paypal.com",
    "api-m.paypal.com",
    "api.sandbox.paypal.com",
    "api-m.sandbox.paypal.com",
)
CERT_MAX_BYTES = 64 * 1024
# A certificate (PEM bytes) for a URL; the real one fetches over HTTPS, tests pass their own.
CertificateFetcher = Callable[[str], bytes]

_OUTCOMES = {
    "PAYMENT.CAPTURE.COMPLETED": Outcome.COMPLETED,
    "PAYMENT.CAPTURE.DENIED": Outcome.CANCELLED,
    "PAYMENT.CAPTURE.DECLINED": Outcome.CANCELLED,
    "PAYMENT.CAPTURE.PENDING": Outcome.PENDING,
}


# What the customer reads when PayPal gives no reason (its documented event names).
_REFUSAL_WORDS = {
    "PAYMENT.CAPTURE.DECLINED": "capture declined",
    "PAYMENT.CAPTURE.DENIED": "capture denied",
}


def _header(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or "").strip()


def certificate_url_allowed(url: str, hosts: Collection[str]) -> bool:
    """True for an https URL on one of `hosts` exactly (no user info, default port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and not parts.username
        and not parts.password
        and port in (None, 443)
        and (parts.hostname or "") in {h.lower() for h in hosts}
    )


def certificate_fetch(url: str) -> bytes:
    """Download a PEM certificate (bounded size, no redirects, within PAYDESK_GATEWAY_TIMEOUT in
    all: the gateways' deadline transport, so a host trickling it cannot hold the webhook's
    request). Used when none is injected."""
    try:
        seconds = settings.PAYDESK_GATEWAY_TIMEOUT
        with httpx.Client(
            transport=deadline_transport(seconds), timeout=seconds, follow_redirects=False
        ) as client:
            response = client.get(url)
    except httpx.HTTPError as error:
        raise WebhookSignatureInvalid("PayPal's certificate could not be fetched.") from error
    if response.status_code != 200 or len(response.content) > CERT_MAX_BYTES:
        raise WebhookSignatureInvalid("PayPal's certificate could not be fetched.")
    return response.content


def paypal_signed_message(
    *, transmission_id: str, transmission_time: str, webhook_id: str, body: bytes
) -> bytes:
    """The text PayPal signs for one delivery."""
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


def paypal_signature_verify(
    *,
    body: bytes,
    headers: Mapping[str, str],
    webhook_id: str,
    fetch_certificate: CertificateFetcher,
    allowed_hosts: Collection[str] = DEFAULT_CERT_HOSTS,
    now: datetime | None = None,
) -> None:
    """WebhookSignatureInvalid unless the PAYPAL-* headers sign `body` with a certificate from
    an allowed host, valid today."""
    if not webhook_id:
        raise WebhookSignatureInvalid("No PayPal webhook id is set.")
    transmission_id = _header(headers, "PAYPAL-TRANSMISSION-ID")
    transmission_time = _header(headers, "PAYPAL-TRANSMISSION-TIME")
    signature_text = _header(headers, "PAYPAL-TRANSMISSION-SIG")
    cert_url = _header(headers, "PAYPAL-CERT-URL")
    algorithm = _header(headers, "PAYPAL-AUTH-ALGO")
    if not (transmission_id and transmission_time and signature_text and cert_url):
        raise WebhookSignatureInvalid("PayPal's transmission headers are missing.")
    if algorithm and algorithm != "SHA256withRSA":
        raise WebhookSignatureInvalid("PayPal's signature algorithm is not SHA256withRSA.")
    if not certificate_url_allowed(cert_url, allowed_hosts):
        raise WebhookSignatureInvalid("PayPal's certificate URL is not on an allowed host.")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise WebhookSignatureInvalid("PayPal's signature is not base64.") from error
    try:
        certificate = x509.load_pem_x509_certificate(fetch_certificate(cert_url))
    except ValueError as error:
        raise WebhookSignatureInvalid("PayPal's certificate cannot be read.") from error
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise WebhookSignatureInvalid("PayPal's certificate is not valid today.")
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise WebhookSignatureInvalid("PayPal's certificate does not hold an RSA key.")
    message = paypal_signed_message(
        transmission_id=transmission_id,
        transmission_time=transmission_time,
        webhook_id=webhook_id,
        body=body,
    )
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise WebhookSignatureInvalid("The PayPal signature does not match the body.") from error


def _reference(resource: Mapping[str, Any]) -> str:
    units = resource.get("purchase_units")
    for unit in units if isinstance(units, list) else []:
        unit = mapping(unit)
        reference = text(unit.get("custom_id")) or text(unit.get("reference_id"))
        if reference and reference != "default":
            return reference
    return text(resource.get("custom_id")) or text(resource.get("invoice_id"))


def parse_paypal_event(body: bytes) -> AnyGatewayEvent | None:
    """Our event for a capture, refund, reversal or dispute event; None for any other type (an
    approved order is captured by the checkout's return, not here)."""
    event = json_object(body)
    kind = text(event.get("event_type"))
    outcome = _OUTCOMES.get(kind)
    if outcome is None:
        return parse_return_event(event)
    resource = mapping(event.get("resource"))
    amount_part = mapping(resource.get("amount"))
    amount = money_from_decimal(amount_part.get("value"), amount_part.get("currency_code"))
    breakdown = mapping(mapping(resource.get("seller_receivable_breakdown")).get("paypal_fee"))
    fee = money_from_decimal(breakdown.get("value"), breakdown.get("currency_code"))
    order_id = text(
        mapping(mapping(resource.get("supplementary_data")).get("related_ids")).get("order_id")
    )
    details = mapping(resource.get("status_details"))
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=text(event.get("id")),
        outcome=outcome,
        payment_reference=_reference(resource),
        gateway_reference=order_id,
        transaction_id=text(resource.get("id")),
        amount=amount,
        fee=fee_from(fee, amount) if outcome is Outcome.COMPLETED else None,
        reason=f"PayPal: {text(details.get('reason')) or _REFUSAL_WORDS.get(kind, 'refused')}."
        if outcome is Outcome.CANCELLED
        else "",
        summary={
            "event_type": kind,
            "status": text(resource.get("status")),
            "capture_id": text(resource.get("id")),
            "order_id": order_id,
        },
    )
