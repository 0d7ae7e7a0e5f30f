"""Steps shared by the NOWPayments tests: start a checkout through Make Payment's services, press a
button on the sandbox's hosted invoice page (Django's test client, like a browser that posts the
form) — including paying an invoice again after its payment expired — come back to Paydesk's
return URL, read what the status page shows, and read NOWPayments' API as Paydesk does."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from django.conf import settings
from django.test import Client

from paydesk.checkout.services import Checkout, checkout_start
from paydesk.ledger.models import Payment
from tests.online.sandbox_support import sandbox_switch  # noqa: F401 (a driver of these tests)

CHARGED = "10.00"


def start(
    user, *, amount: str = CHARGED, currency: str = "USD", key: str = "nowpayments-form-0001"
) -> Checkout:
    return checkout_start(
        customer=user.customer,
        user=user,
        method="nowpayments",
        amount=amount,
        currency=currency,
        idempotency_key=key,
    )


def press(invoice_url: str, outcome: str) -> str:
    """Press one of the hosted page's buttons; the URL NOWPayments sends the customer to."""
    url = httpx.URL(invoice_url)
    browser = Client()
    page = browser.get(url.path, dict(url.params))
    assert page.status_code == 200, page.content[:300]
    answer = browser.post(
        url.path + "?" + url.query.decode(),
        {
            "iid": url.params["iid"],
            "outcome": outcome,
        },
    )
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


def pay_again_after_expiry(invoice_url: str) -> str:
    """Back on an invoice whose payment expired, press "Pay again after expiry" (offered with
    the nowpayments_repay_after_expiry switch): a new payment on the same invoice, its IPNs
    waiting → confirming → finished; the URL NOWPayments sends the customer to
    (success_url?NP_id=<the new payment id>)."""
    url = httpx.URL(invoice_url)
    page = Client().get(url.path, dict(url.params)).content.decode()
    assert "Pay again after expiry" in page, "the invoice offers no second payment"
    return press(invoice_url, "repay")


def expire_then_pay_again(invoice_url: str) -> tuple[str, str]:
    """ "Let it expire", then "Pay again after expiry": where the customer was sent each time
    (cancel_url, then success_url?NP_id=…)."""
    return press(invoice_url, "expired"), pay_again_after_expiry(invoice_url)


def _api(path: str, **headers: str) -> httpx.Response:
    base = f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}/sandbox/nowpayments"
    return httpx.get(
        base + path,
        headers={"x-api-key": settings.PAYDESK_NOWPAYMENTS_API_KEY, **headers},
        timeout=30,
    )


def api_payment(payment_id: str | int) -> dict:
    """GET /v1/payment/{id} with the API key, as Paydesk re-queries a payment."""
    answer = _api(f"/v1/payment/{payment_id}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.json(parse_float=Decimal)


def api_invoice_payments(invoice_id: str | int) -> list[dict]:
    """The invoice's payments as Paydesk lists them: POST /v1/auth for a JWT, then
    GET /v1/payment/?invoiceId=… (oldest first)."""
    base = f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}/sandbox/nowpayments"
    token = httpx.post(
        base + "/v1/auth",
        json={
            "email": settings.PAYDESK_NOWPAYMENTS_EMAIL,
            "password": settings.PAYDESK_NOWPAYMENTS_PASSWORD,
        },
        timeout=30,
    ).json()["token"]
    answer = _api(
        f"/v1/payment/?invoiceId={invoice_id}&limit=100&page=0&sortBy=created_at&orderBy=asc",
        Authorization=f"Bearer {token}",
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json(parse_float=Decimal)["data"]


def come_back(user, location: str) -> str:
    """Follow NOWPayments' redirect to /pay/return/<ref>/ as the signed-in customer; the status
    page's HTML."""
    url = httpx.URL(location)
    browser = Client()
    browser.force_login(user)
    answer = browser.get(url.path, dict(url.params))
    assert answer.status_code == 302, answer.content[:300]
    return browser.get(answer["Location"]).content.decode()


def shown(html: str, attribute: str) -> str:
    """The text (or value) of the status page's [data-…] element."""
    if attribute == "status":
        match = re.search(r'data-status="([^"]*)"', html)
        return match.group(1) if match else ""
    match = re.search(rf"<[^>]*data-{attribute}[^>]*>(.*?)</", html, re.S)
    return match.group(1).strip() if match else ""


def balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db()
    return payment.customer.balance
