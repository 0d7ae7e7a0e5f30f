"""The pages around Razorpay Checkout: ours at /pay/razorpay/<reference>/ (the customer's own
pending payment only; options in data- attributes; a CSP that lets checkout.js and its frame in
and nothing else), and the sandbox's checkout.js and checkout frame."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client

from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.services import payment_cancel
from tests.factories import CustomerFactory, PortalUserFactory
from tests.online.razorpay_support import start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def payer(online_customer):
    return online_customer("razorpay", "INR", account="INR")


def _client(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_our_page_opens_checkout_for_the_stored_order(sandbox, payer):
    payment = start(payer, amount="250.50").payment
    response = _client(payer).get(f"/pay/razorpay/{payment.reference}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-order-id="{payment.gateway_reference}"' in body
    assert 'data-key="rzp_test_paydesksandbox"' in body
    assert 'data-amount="25050"' in body and 'data-currency="INR"' in body
    assert f'data-email="{payer.email}"' in body
    assert f'data-reference="{payment.reference}"' in body
    assert f'src="{sandbox.url}/sandbox/razorpay/v1/checkout.js"' in body
    assert "<script>" not in body  # no inline script
    assert f'action="/pay/return/{payment.reference}/"' in body
    assert "paydesk_sandbox_key_secret" not in body
    csp = response["Content-Security-Policy"]
    assert f"script-src 'self' {sandbox.url};" in csp
    assert f"frame-src 'self' {sandbox.url}" in csp
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response["Cache-Control"] == "no-store"


def test_in_production_the_csp_names_razorpays_own_hosts(sandbox, payer, settings):
    payment = start(payer).payment
    settings.PAYDESK_SANDBOX = False
    csp = _client(payer).get(f"/pay/razorpay/{payment.reference}/")["Content-Security-Policy"]
    assert "script-src 'self' https://checkout.razorpay.com;" in csp
    assert "frame-src 'self' https://checkout.razorpay.com https://api.razorpay.com" in csp
    assert "connect-src 'self' https://api.razorpay.com;" in csp


def test_another_customers_payment_is_not_found(sandbox, payer):
    payment = start(payer).payment
    stranger = PortalUserFactory(customer=CustomerFactory(currency="INR"))
    assert _client(stranger).get(f"/pay/razorpay/{payment.reference}/").status_code == 404
    assert Client().get(f"/pay/razorpay/{payment.reference}/").status_code == 302  # sign in


def test_a_view_only_colleague_is_refused_the_page(sandbox, payer):
    payment = start(payer).payment
    bookkeeper = PortalUserFactory(customer=payer.customer, can_make_payments=False)
    refused = _client(bookkeeper).get(f"/pay/razorpay/{payment.reference}/")
    assert refused.status_code == 403
    assert "You do not have permission to make payments." in refused.content.decode()
    assert payment.gateway_reference not in refused.content.decode()


def test_a_settled_payment_goes_to_its_status_page(sandbox, payer):
    payment = start(payer).payment
    payment_cancel(payment=payment, reason="Changed my mind")
    response = _client(payer).get(f"/pay/razorpay/{payment.reference}/")
    assert response.status_code == 302
    assert response["Location"] == f"/pay/status/{payment.reference}/"


def test_the_status_page_offers_to_continue_while_pending(sandbox, payer):
    payment = start(payer).payment
    assert payment.status == PaymentStatus.PENDING
    body = _client(payer).get(f"/pay/status/{payment.reference}/").content.decode()
    assert f'href="{sandbox.url}/pay/razorpay/{payment.reference}/"' in body


def test_the_sandbox_serves_checkout_js(sandbox):
    response = httpx.get(f"{sandbox.url}/sandbox/razorpay/v1/checkout.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "window.Razorpay = Razorpay" in response.text


def test_the_sandbox_checkout_refuses_a_wrong_key_and_may_be_framed_only_by_us(sandbox, payer):
    payment = start(payer).payment
    url = f"{sandbox.url}/sandbox/razorpay/checkout/{payment.gateway_reference}/"
    wrong = httpx.get(url, params={"key_id": "rzp_test_other", "origin": sandbox.url})
    assert wrong.status_code == 400 and "key id is not valid" in wrong.text
    assert "Pay (success)" not in wrong.text
    page = httpx.get(url, params={"key_id": "rzp_test_paydesksandbox", "origin": sandbox.url})
    assert page.status_code == 200 and "₹500.00" in page.text
    assert f"frame-ancestors 'self' {sandbox.url}" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert (
        httpx.get(f"{sandbox.url}/sandbox/razorpay/checkout/order_Unknown000001/").status_code
        == 404
    )
