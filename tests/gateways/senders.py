"""Each gateway as a sender of notifications: the bodies it posts and the headers that sign them.

Signed here with the standard library (and `cryptography` for PayPal's RSA), independently of
Paydesk's verifiers, so a verifier that computes the wrong thing fails the endpoint tests too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

SECRETS = {
    "PAYDESK_STRIPE_WEBHOOK_SECRET": "whsec_test_endpoint_secret",
    "PAYDESK_RAZORPAY_WEBHOOK_SECRET": "razorpay-webhook-secret",
    "PAYDESK_PAYSTACK_SECRET_KEY": "sk_test_paystack_secret",
    "PAYDESK_NOWPAYMENTS_IPN_SECRET": "nowpayments-ipn-secret",
    "PAYDESK_PAYPAL_WEBHOOK_ID": "WH-TEST-8PT597110X687430LKGECATA",
}
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-test"
FOREIGN_CERT_URL = "https://certs.example.net/paypal.pem"


def _key_and_certificate(name: str) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


PAYPAL_KEY, PAYPAL_CERT = _key_and_certificate("messageverificationcerts.sandbox.paypal.com")
FOREIGN_KEY, FOREIGN_CERT = _key_and_certificate("not-paypal.example.net")
CERTIFICATES = {CERT_URL: PAYPAL_CERT, FOREIGN_CERT_URL: FOREIGN_CERT}
FETCHED: list[str] = []


def fetch_certificate(url: str) -> bytes:
    """The injected PayPal certificate fetcher (settings.PAYDESK_PAYPAL_CERT_FETCHER)."""
    FETCHED.append(url)
    return CERTIFICATES[url]


def _hex(secret: str, message: bytes, digest) -> str:
    return hmac.new(secret.encode(), message, digest).hexdigest()


def _json(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


class Sender:
    """One gateway posting `completed`, `pending` or `cancelled` notifications about a payment.

    `n` numbers the notification: the gateway's event id (or what Paydesk de-duplicates on) is
    made from it, so the same `n` is the same notification delivered again.
    """

    name = ""  # the URL segment
    method = ""  # the payment method (and Payment.gateway)
    currency = "USD"  # the customer's and the charge's currency
    kinds = ("completed", "pending", "cancelled")

    def sign(self, body: bytes, n: int, *, secret: str | None = None, **extra) -> dict[str, str]:
        raise NotImplementedError

    def notify(
        self, kind: str, n: int, reference: str, amount: str, currency: str, **sign
    ) -> Delivery:
        body = getattr(self, kind)(reference, amount, currency, n)
        return Delivery(body, self.sign(body, n, **sign))


class StripeSender(Sender):
    name, method = "stripe", "card"

    def sign(self, body, n, *, secret=None, timestamp=None, **extra):
        secret = secret or SECRETS["PAYDESK_STRIPE_WEBHOOK_SECRET"]
        t = str(int(time.time()) if timestamp is None else timestamp)
        v1 = _hex(secret, f"{t}.".encode() + body, hashlib.sha256)
        return {"Stripe-Signature": f"t={t},v1={v1}"}

    def _event(self, n, kind, status, reference, amount, currency, **intent):
        units = _minor(amount)
        return _json(
            {
                "id": f"evt_{n}",
                "object": "event",
                "type": kind,
                "data": {
                    "object": {
                        "id": f"pi_{reference}",
                        "object": "payment_intent",
                        "amount": units,
                        "amount_received": units if status == "succeeded" else 0,
                        "currency": currency.lower(),
                        "status": status,
                        "metadata": {"paydesk_reference": reference},
                        **intent,
                    }
                },
            }
        )

    def completed(self, reference, amount, currency, n):
        return self._event(n, "payment_intent.succeeded", "succeeded", reference, amount, currency)

    def pending(self, reference, amount, currency, n):
        return self._event(
            n, "payment_intent.processing", "processing", reference, amount, currency
        )

    def cancelled(self, reference, amount, currency, n):
        return self._event(
            n,
            "payment_intent.payment_failed",
            "requires_payment_method",
            reference,
            amount,
            currency,
            last_payment_error={"message": "Your card was declined.", "decline_code": "generic"},
        )


class PayPalSender(Sender):
    name, method = "paypal", "paypal"

    def sign(self, body, n, *, secret=None, cert_url=CERT_URL, key=None, **extra):
        webhook_id = secret or SECRETS["PAYDESK_PAYPAL_WEBHOOK_ID"]
        transmission_id = f"b2384410-f8d2-11ee-8a8b-{n:012d}"
        when = "2026-11-26T10:00:00Z"
        message = f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(body)}".encode()
        signature = (key or PAYPAL_KEY).sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-TRANSMISSION-TIME": when,
        }

    def _event(self, n, kind, status, reference, amount, currency, **resource):
        return _json(
            {
                "id": f"WH-{n}",
                "event_version": "1.0",
                "resource_type": "capture",
                "event_type": kind,
                "resource": {
                    "id": f"CAP-{reference}",
                    "status": status,
                    "amount": {"currency_code": currency, "value": amount},
                    "custom_id": reference,
                    "seller_receivable_breakdown": {
                        "gross_amount": {"currency_code": currency, "value": amount},
                        "paypal_fee": {"currency_code": currency, "value": "1.75"},
                    },
                    "supplementary_data": {"related_ids": {"order_id": f"ORDER-{reference}"}},
                    **resource,
                },
            }
        )

    def completed(self, reference, amount, currency, n):
        return self._event(n, "PAYMENT.CAPTURE.COMPLETED", "COMPLETED", reference, amount, currency)

    def pending(self, reference, amount, currency, n):
        return self._event(n, "PAYMENT.CAPTURE.PENDING", "PENDING", reference, amount, currency)

    def cancelled(self, reference, amount, currency, n):
        return self._event(
            n,
            "PAYMENT.CAPTURE.DENIED",
            "DECLINED",
            reference,
            amount,
            currency,
            status_details={"reason": "DECLINED_BY_RISK_FRAUD_FILTERS"},
        )


class RazorpaySender(Sender):
    name, method, currency = "razorpay", "razorpay", "INR"

    def sign(self, body, n, *, secret=None, **extra):
        secret = secret or SECRETS["PAYDESK_RAZORPAY_WEBHOOK_SECRET"]
        return {
            "X-Razorpay-Signature": _hex(secret, body, hashlib.sha256),
            "X-Razorpay-Event-Id": f"EvT{n}",
        }

    def _event(self, n, kind, status, reference, amount, currency, **payment):
        return _json(
            {
                "entity": "event",
                "account_id": "acc_test",
                "event": kind,
                "contains": ["payment"],
                "payload": {
                    "payment": {
                        "entity": {
                            "id": f"pay_{reference}",
                            "entity": "payment",
                            "amount": _minor(amount),
                            "currency": currency,
                            "status": status,
                            "order_id": f"order_{reference}",
                            "method": "upi",
                            "notes": {"paydesk_reference": reference},
                            "fee": 118,
                            **payment,
                        }
                    }
                },
                "created_at": 1764150000,
            }
        )

    def completed(self, reference, amount, currency, n):
        return self._event(n, "payment.captured", "captured", reference, amount, currency)

    def pending(self, reference, amount, currency, n):
        return self._event(n, "payment.authorized", "authorized", reference, amount, currency)

    def cancelled(self, reference, amount, currency, n):
        return self._event(
            n,
            "payment.failed",
            "failed",
            reference,
            amount,
            currency,
            error_description="Payment was declined by the bank.",
        )


class PaystackSender(Sender):
    name, method, currency = "paystack", "paystack", "NGN"

    def sign(self, body, n, *, secret=None, **extra):
        secret = secret or SECRETS["PAYDESK_PAYSTACK_SECRET_KEY"]
        return {"x-paystack-signature": _hex(secret, body, hashlib.sha512)}

    kinds = ("completed",)  # Paystack notifies successes only

    def completed(self, reference, amount, currency, n):
        return _json(
            {
                "event": "charge.success",
                "data": {
                    "id": n,
                    "domain": "test",
                    "status": "success",
                    "reference": reference,
                    "amount": _minor(amount),
                    "currency": currency,
                    "fees": 75,
                    "channel": "card",
                    "gateway_response": "Successful",
                },
            }
        )


class NowPaymentsSender(Sender):
    name, method = "nowpayments", "nowpayments"

    def sign(self, body, n, *, secret=None, **extra):
        # The bodies below are already what NOWPayments signs (keys sorted, compact, numbers as
        # JavaScript writes them), so signing the raw bytes is signing the canonical text.
        secret = secret or SECRETS["PAYDESK_NOWPAYMENTS_IPN_SECRET"]
        return {"x-nowpayments-sig": _hex(secret, body, hashlib.sha512)}

    def ipn(self, n, status, reference, amount, currency, actually_paid="0.0000012"):
        fields = {
            "actually_paid": "@paid",
            "invoice_id": 4522625843,
            "order_id": reference,
            "order_description": "Top-up",
            "pay_amount": "@pay",
            "pay_currency": "btc",
            "payment_id": n,
            "payment_status": status,
            "price_amount": "@price",
            "price_currency": currency.lower(),
            "updated_at": "2026-11-26T10:00:00.000Z",
        }
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        for placeholder, number in [
            ("@paid", actually_paid),
            ("@pay", "0.0000034"),
            ("@price", amount),
        ]:
            text = text.replace(f'"{placeholder}"', number)
        return text.encode()

    def completed(self, reference, amount, currency, n):
        return self.ipn(n, "finished", reference, amount, currency, "0.0000034")

    def pending(self, reference, amount, currency, n):
        return self.ipn(n, "confirming", reference, amount, currency)

    def cancelled(self, reference, amount, currency, n):
        return self.ipn(n, "expired", reference, amount, currency, "0")


SENDERS = [StripeSender(), PayPalSender(), RazorpaySender(), PaystackSender(), NowPaymentsSender()]
