"""The pretend PayPal's webhook signatures, made exactly as PayPal makes them: RSA-SHA256
(PKCS#1 v1.5) over "{transmission id}|{transmission time}|{webhook id}|{crc32 of the body}",
with the PAYPAL-* headers, and the signing certificate published at an https URL on a
sandbox-only host.

One RSA key and self-signed certificate per sandbox database, made on first use (a race-safe
get_or_create, so every server process signs with the same one). The certificate's URL carries
its id: Paydesk caches certificates per URL, so a new one (a fresh database) gets a new URL.
Paydesk's verifier is unchanged: settings/sandbox.py adds CERT_HOST to PAYDESK_PAYPAL_CERT_HOSTS
and names `certificate_fetch` as PAYDESK_PAYPAL_CERT_FETCHER, which serves exactly that URL.

Built on `cryptography` alone: nothing of Paydesk's signature code is used, so a mistake there
cannot be mirrored here.
"""

from __future__ import annotations

import base64
import secrets
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone

from paydesk.sandbox.models import SandboxObject

CERT_HOST = "api.sandbox.paydesk.invalid"
CERT_PATH = "/v1/notifications/certs/"
_KIND = "signing-cert"


class CertificateNotFound(ValueError):
    """No sandbox certificate at that URL: a ValueError, which is what reading an unusable
    certificate raises too (a verifier treats both as a signature it cannot check)."""


def _new_key_and_certificate() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paydesk")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return {
        "cert_id": "CERT-SANDBOX-" + secrets.token_hex(8).upper(),
        "key_pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "cert_pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }


def signing_material() -> dict[str, str]:
    """The sandbox's key and certificate, made once per database."""
    found = SandboxObject.objects.filter(gateway="paypal", kind=_KIND, object_id="current").first()
    if found is not None:
        return found.data
    now = timezone.now()
    obj, _created = SandboxObject.objects.get_or_create(
        gateway="paypal", kind=_KIND, object_id="current",
        defaults={"data": _new_key_and_certificate(), "created_at": now, "updated_at": now},
    )
    return obj.data


def certificate_url(cert_id: str) -> str:
    return f"https://{CERT_HOST}{CERT_PATH}{cert_id}"


def certificate_fetch(url: str) -> bytes:
    """PAYDESK_PAYPAL_CERT_FETCHER in the sandbox: the stored certificate for exactly its URL."""
    found = SandboxObject.objects.filter(gateway="paypal", kind=_KIND, object_id="current").first()
    if found is None or url != certificate_url(found.data.get("cert_id", "")):
        raise CertificateNotFound("The sandbox has no PayPal certificate at that URL.")
    return found.data["cert_pem"].encode()


def webhook_headers(body: bytes) -> dict[str, str]:
    """The PAYPAL-* headers signing `body` for Paydesk's webhook id."""
    material = signing_material()
    transmission_id = str(uuid.uuid4())
    transmission_time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    crc = zlib.crc32(body) & 0xFFFFFFFF
    message = f"{transmission_id}|{transmission_time}|{settings.PAYDESK_PAYPAL_WEBHOOK_ID}|{crc}"
    key = serialization.load_pem_private_key(material["key_pem"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-CERT-URL": certificate_url(material["cert_id"]),
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
        "PAYPAL-TRANSMISSION-TIME": transmission_time,
    }
