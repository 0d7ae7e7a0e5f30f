"""Contract: PayPal's webhook transmission signature, with PayPal's Python REST SDK
`paypalrestsdk` (1.13.3; deprecated on PyPI, but PayPal's own code) as the oracle.

Which official library: PayPal's current `paypal-server-sdk` (2.4.0) and `paypalhttp` (1.0.1) have
no webhook verification at all; `paypalrestsdk` is the only official Python library that
implements the local scheme. Its `WebhookEvent._get_expected_sig` builds the signed text
"transmission_id|timestamp|webhook_id|crc32(body)", and `WebhookEvent.verify(...)` fetches the
certificate at the cert URL with `requests`, checks it (chain to the SDK's trust store, common
name ending ".paypal.com", not expired), then checks the RSA signature with pyOpenSSL's
`crypto.verify`.

What had to be supplied, and why:
- `crypto.verify` no longer exists in pyOpenSSL 26.x, the only line that accepts our
  cryptography==50.0.2: shipped as is, the SDK catches the AttributeError and answers False for
  every delivery (`test_as_shipped_the_sdk_refuses_every_delivery`). `openssl_verify` below
  restores that one primitive as pyOpenSSL defined it (the certificate's public key, PKCS#1 v1.5,
  the digest named); everything else in `verify` runs as shipped.
- The SDK trusts a certificate that chains to the DigiCert roots it ships; its trust-store paths
  (`WebhookEvent.__cert_chain_path`) are pointed at the test's self-signed certificate, the way
  Paydesk's trust (the certificate host allowlist) names the test host.
- The certificate, made with `cryptography` here, is served over HTTP on 127.0.0.1: the SDK
  fetches it with `requests`, Paydesk with its own `certificate_fetch` (httpx), both from the
  same server — no other network.

Messages are built by the SDK's `_get_expected_sig` and signed with the test's key; Paydesk's
`paypal_signature_verify` and the SDK's `verify` must both accept them and both refuse a changed
transmission id, time, body, webhook id, signature, an expired certificate or another key's.
One deliberate difference is asserted: the SDK accepts SHA1withRSA, Paydesk only SHA256withRSA.
"""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import OpenSSL.crypto
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import example, given
from hypothesis import strategies as st
from paypalrestsdk.notifications import WebhookEvent

from paydesk.errors import WebhookSignatureInvalid
from paydesk.gateways.paypal.webhooks import (
    certificate_fetch,
    paypal_signature_verify,
    paypal_signed_message,
)
from tests.gateways.contract import CONTRACT, ascii_positions, json_bodies, one_byte_changed

pytestmark = [
    pytest.mark.sqlite_pass_only,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:paypalrestsdk"),
]

PAYPAL_HOST = "https://api-m.sandbox.paypal.com"  # on Paydesk's default certificate hosts
CERT_PATH = "/v1/notifications/certs/"
WEBHOOK_ID = "WH-CONTRACT-8PT597110X687430LKGECATA"
TIME = "2026-01-01T12:00:00Z"
DIGESTS = {
    "sha256": hashes.SHA256,
    "sha256WithRSAEncryption": hashes.SHA256,
    "sha1WithRSAEncryption": hashes.SHA1,
}


def openssl_verify(cert: OpenSSL.crypto.X509, signature: bytes, data: bytes, digest: str) -> None:
    """pyOpenSSL's removed `crypto.verify(cert, signature, data, digest)`: raises unless
    `signature` is the certificate key's PKCS#1 v1.5 signature of `data` with `digest`."""
    public_key = cert.to_cryptography().public_key()
    public_key.verify(signature, data, padding.PKCS1v15(), DIGESTS[digest]())


def certificate(key: rsa.RSAPrivateKey, *, days: tuple[int, int] = (-1, 30)) -> bytes:
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.sandbox.paypal.com")]
    )
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CERTIFICATES = {
    "CERT-contract": certificate(KEY),
    "CERT-expired": certificate(KEY, days=(-30, -1)),
    "CERT-other-key": certificate(OTHER_KEY),
}


@dataclass(frozen=True)
class Delivery:
    transmission_id: str
    transmission_time: str
    body: str
    signature: str
    cert: str = "CERT-contract"
    algorithm: str = "SHA256withRSA"


def sign(
    transmission_id: str,
    transmission_time: str,
    body: str,
    *,
    webhook_id: str = WEBHOOK_ID,
    key: rsa.RSAPrivateKey = KEY,
    digest: hashes.HashAlgorithm | None = None,
) -> Delivery:
    """A delivery as PayPal sends it: the SDK's own signed text, signed with the test key."""
    message = WebhookEvent._get_expected_sig(transmission_id, transmission_time, webhook_id, body)
    raw = key.sign(message.encode("utf-8"), padding.PKCS1v15(), digest or hashes.SHA256())
    return Delivery(transmission_id, transmission_time, body, base64.b64encode(raw).decode())


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict]:
    """The certificates over HTTP on 127.0.0.1, and the SDK pointed at them (trust store, the
    restored crypto.verify) for this module only."""
    requests_seen: list[str] = []

    class Certificates(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            requests_seen.append(self.path)
            pem = CERTIFICATES.get(self.path.removeprefix(CERT_PATH))
            self.send_response(200 if pem else 404)
            self.send_header("Content-Length", str(len(pem or b"")))
            self.end_headers()
            self.wfile.write(pem or b"")

        def log_message(self, *args: object) -> None:
            pass

    store = tmp_path_factory.mktemp("paypal-trust")
    trusted = []
    for name in ("CERT-contract", "CERT-other-key"):  # an expired one fails any chain check
        (store / f"{name}.pem").write_bytes(CERTIFICATES[name])
        trusted.append(str(store / f"{name}.pem"))  # absolute: os.path.join keeps it
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Certificates)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    assert not hasattr(OpenSSL.crypto, "verify"), "pyOpenSSL has crypto.verify again: drop the shim"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OpenSSL.crypto, "verify", openssl_verify, raising=False)
        patch.setattr(WebhookEvent, "_WebhookEvent__cert_chain_path", trusted)
        yield {"base": f"http://127.0.0.1:{httpd.server_address[1]}", "seen": requests_seen}
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def sdk_accepts(server: dict, delivery: Delivery, *, webhook_id: str = WEBHOOK_ID) -> bool:
    return (
        WebhookEvent.verify(
            delivery.transmission_id,
            delivery.transmission_time,
            webhook_id,
            delivery.body,
            f"{server['base']}{CERT_PATH}{delivery.cert}",
            delivery.signature,
            delivery.algorithm,
        )
        is True
    )


def paydesk_accepts(server: dict, delivery: Delivery, *, webhook_id: str = WEBHOOK_ID) -> bool:
    def fetch(url: str) -> bytes:  # Paydesk's own fetcher, from the same local server
        return certificate_fetch(url.replace(PAYPAL_HOST, server["base"], 1))

    headers = {
        "PAYPAL-TRANSMISSION-ID": delivery.transmission_id,
        "PAYPAL-TRANSMISSION-TIME": delivery.transmission_time,
        "PAYPAL-TRANSMISSION-SIG": delivery.signature,
        "PAYPAL-CERT-URL": f"{PAYPAL_HOST}{CERT_PATH}{delivery.cert}",
        "PAYPAL-AUTH-ALGO": delivery.algorithm,
    }
    try:
        paypal_signature_verify(
            body=delivery.body.encode("utf-8"),
            headers=headers,
            webhook_id=webhook_id,
            fetch_certificate=fetch,
        )
    except WebhookSignatureInvalid:
        return False
    return True


BODY = (
    '{"id":"WH-58D329510W468432D-8HN650336L201105X","event_type":"PAYMENT.CAPTURE.COMPLETED",'
    '"resource":{"amount":{"currency_code":"USD","value":"50.25"},"custom_id":"P-REF"}}'
)
# What an HTTP header can carry: printable ASCII, nothing to trim at either end.
HEADER_TEXT = st.from_regex(r"[!-~]([ -~]{0,30}[!-~])?", fullmatch=True)
TRANSMISSION_IDS = st.one_of(st.uuids().map(str), HEADER_TEXT)
TIMES = st.one_of(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
    HEADER_TEXT,
)
WEBHOOK_IDS = st.one_of(st.from_regex(r"WH-[0-9A-Z]{17}-[0-9A-Z]{17}", fullmatch=True), HEADER_TEXT)


@CONTRACT
@given(transmission_id=st.text(), transmission_time=st.text(), webhook_id=st.text(), body=st.text())
@example(transmission_id="T", transmission_time=TIME, webhook_id="W", body="body 0")  # crc ≥ 2³¹
def test_paydesk_signs_the_text_the_sdk_builds(
    transmission_id, transmission_time, webhook_id, body
):
    assert paypal_signed_message(
        transmission_id=transmission_id,
        transmission_time=transmission_time,
        webhook_id=webhook_id,
        body=body.encode("utf-8"),
    ) == WebhookEvent._get_expected_sig(
        transmission_id, transmission_time, webhook_id, body
    ).encode("utf-8")


def test_as_shipped_the_sdk_refuses_every_delivery(server):
    delivery = sign("b2384410-f8d2-11e4-9f05-0d19c2b4b0ff", TIME, BODY)
    assert sdk_accepts(server, delivery)
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(OpenSSL.crypto, "verify")  # as pyOpenSSL 26.4.0 has it
        assert not sdk_accepts(server, delivery)


def test_a_fixed_delivery_is_accepted_by_both_each_fetching_the_certificate(server):
    delivery = sign("b2384410-f8d2-11e4-9f05-0d19c2b4b0ff", TIME, BODY)
    before = len(server["seen"])
    assert sdk_accepts(server, delivery)
    assert paydesk_accepts(server, delivery)
    assert server["seen"][before:] == [f"{CERT_PATH}CERT-contract"] * 2


def tampered(delivery: Delivery, change: str, index: int) -> tuple[Delivery, str]:
    """`delivery` with one part changed, and the webhook id the receiver then checks against."""
    if change == "transmission id":
        return replace(delivery, transmission_id=delivery.transmission_id + "0"), WEBHOOK_ID
    if change == "transmission time":
        return replace(delivery, transmission_time=delivery.transmission_time + "0"), WEBHOOK_ID
    if change == "body":
        body = delivery.body.encode("utf-8")
        position = ascii_positions(body)[index % len(ascii_positions(body))]
        return replace(delivery, body=one_byte_changed(body, position).decode()), WEBHOOK_ID
    if change == "webhook id":  # signed for another merchant's webhook
        return delivery, WEBHOOK_ID + "0"
    raw = bytearray(base64.b64decode(delivery.signature))
    raw[index % len(raw)] ^= 0x01
    return replace(delivery, signature=base64.b64encode(bytes(raw)).decode()), WEBHOOK_ID


CHANGES = ["transmission id", "transmission time", "body", "webhook id", "signature"]


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_part_is_refused_by_both(server, change):
    delivery, webhook_id = tampered(sign("b2384410", TIME, BODY), change, 17)
    assert not sdk_accepts(server, delivery, webhook_id=webhook_id)
    assert not paydesk_accepts(server, delivery, webhook_id=webhook_id)


@CONTRACT
@given(
    transmission_id=TRANSMISSION_IDS,
    transmission_time=TIMES,
    webhook_id=WEBHOOK_IDS,
    body=json_bodies().map(lambda raw: raw.decode("utf-8")),
    change=st.sampled_from(CHANGES),
    index=st.integers(0, 10**6),
)
def test_what_the_sdk_scheme_signs_both_accept_and_any_change_both_refuse(
    server, transmission_id, transmission_time, webhook_id, body, change, index
):
    delivery = sign(transmission_id, transmission_time, body, webhook_id=webhook_id)
    assert sdk_accepts(server, delivery, webhook_id=webhook_id)
    assert paydesk_accepts(server, delivery, webhook_id=webhook_id)
    changed, _ = tampered(delivery, change, index)
    checked_id = webhook_id + "0" if change == "webhook id" else webhook_id
    assert not sdk_accepts(server, changed, webhook_id=checked_id)
    assert not paydesk_accepts(server, changed, webhook_id=checked_id)


@pytest.mark.parametrize("cert", ["CERT-expired", "CERT-other-key"])
def test_an_expired_certificate_or_another_keys_is_refused_by_both(server, cert):
    delivery = replace(sign("b2384410", TIME, BODY), cert=cert)
    assert not sdk_accepts(server, delivery)
    assert not paydesk_accepts(server, delivery)


def test_sha1_with_rsa_is_accepted_by_the_sdk_but_not_by_paydesk(server):
    """Paydesk's deliberate difference: only SHA256withRSA, whatever the SDK still allows."""
    delivery = replace(sign("b2384410", TIME, BODY, digest=hashes.SHA1()), algorithm="SHA1withRSA")
    assert sdk_accepts(server, delivery)
    assert not paydesk_accepts(server, delivery)
