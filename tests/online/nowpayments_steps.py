"""Steps shared by the NOWPayments tests: start a checkout through Make Payment's services, press a
button on the sandbox's hosted invoice page (Django's test client, like a browser that posts the
form), come back to Paydesk's return URL, and read what the status page shows."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from django.test import Client

from paydesk.checkout.services import Checkout, checkout_start
from paydesk.ledger.models import Payment

CHARGED = "10.00"


def start(user, *, amount: str = CHARGED, currency: str = "USD", key: str = "nowpayments-form-0001"
          ) -> Checkout:
    return checkout_start(
        customer=user.customer, user=user, method="nowpayments", amount=amount,
        currency=currency, idempotency_key=key,
    )


def press(invoice_url: str, outcome: str) -> str:
    """Press one of the hosted page's buttons; the URL NOWPayments sends the customer to."""
    url = httpx.URL(invoice_url)
    browser = Client()
    page = browser.get(url.path, dict(url.params))
    assert page.status_code == 200, page.content[:300]
    answer = browser.post(url.path + "?" + url.query.decode(), {
        "iid": url.params["iid"], "outcome": outcome,
    })
    assert answer.status_code == 302, answer.content[:300]
    return answer["Location"]


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
