"""Cancelling an online payment from Paydesk (the probe's finding 2): a link cancels nothing.

`GET /pay/return/<ref>/?cancelled=1` — the gateway's Cancel, or any link someone sends a
signed-in user, even across sites — only asks the gateway; a payment still unpaid leads with
"Not paid: you left <gateway> before paying." and shows a Cancel button. Cancelling is a POST
with our CSRF token by the payment's creator or a user with *make payments* who may see it; the
gateway must confirm nobody paid, and the cancellation is audited under that user. Over real
HTTP against the sandbox, for each gateway that cancels on the customer's word (PayPal, Razorpay,
Paystack).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment, PaymentStatus
from tests.factories import PortalUserFactory
from tests.online import paypal_steps, paystack_support, razorpay_support

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GATEWAYS = {
    "paypal": ("USD", "USD", "PayPal", "You cancelled the payment at PayPal."),
    "razorpay": ("INR", "INR", "Razorpay", "You closed the Razorpay checkout without paying."),
    "paystack": (
        "NGN",
        "USD",
        "Paystack",
        "Abandoned at Paystack: the customer cancelled the payment.",
    ),
}


def _left_unpaid(gateway: str, payer) -> tuple[Payment, str]:
    """The payer starts a payment and presses Cancel at the gateway: the payment and the link
    the gateway sends the browser back to (for Razorpay, whose checkout runs in our page, the
    return URL with `cancelled=1`)."""
    if gateway == "paypal":
        checkout = paypal_steps.start(payer)
        link = paypal_steps.press(checkout, "cancel")
    elif gateway == "paystack":
        checkout = paystack_support.start(payer)
        link = paystack_support.press(checkout.redirect_url, "cancel").headers["Location"]
    else:
        checkout = razorpay_support.start(payer)
        link = f"/pay/return/{checkout.payment.reference}/?cancelled=1"
    assert "cancelled=1" in link
    parts = urlsplit(link)
    return checkout.payment, f"{parts.path}?{parts.query}"


def _browser(user, *, csrf: bool = True) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _cancels(payment: Payment) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="payment.cancel", object_id=str(payment.pk)))


@pytest.fixture(params=list(GATEWAYS))
def gateway(request, sandbox):
    return request.param


@pytest.fixture
def payer(gateway, online_customer):
    currency, account, _name, _reason = GATEWAYS[gateway]
    return online_customer(gateway, currency, account=account)


def test_a_view_only_user_cancels_nothing_by_link_or_post(gateway, payer):
    payment, link = _left_unpaid(gateway, payer)
    bookkeeper = PortalUserFactory(customer=payer.customer, can_make_payments=False)
    browser = _browser(bookkeeper, csrf=False)

    answer = browser.get(link)  # a link followed, or a cross-site top-level navigation
    assert answer.status_code == 403  # coming back asks the gateway: that is for payers only
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING

    refused = browser.post(f"/pay/return/{payment.reference}/", {"cancelled": "1"})
    assert refused.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _cancels(payment) == []
    page = browser.get(f"/pay/status/{payment.reference}/?left=1").content.decode()
    assert "before paying." in page and "data-cancel" not in page  # no button for them


def test_the_payer_back_from_cancel_gets_a_button_that_cancels_with_csrf_and_audit(gateway, payer):
    _currency, _account, name, reason = GATEWAYS[gateway]
    payment, link = _left_unpaid(gateway, payer)
    browser = _browser(payer)

    back = browser.get(link)
    assert back["Location"] == f"/pay/status/{payment.reference}/?left=1"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # the link alone cancels nothing
    page = browser.get(back["Location"]).content.decode()
    # What happened comes first, not a "waiting for the gateway" as if money were on its way.
    lead = page[page.index('class="status-line"') :]
    lead = lead[: lead.index("</p>")]
    assert f"Not paid: you left {name} before paying." in lead
    assert "Waiting for the payment" not in page and "updates by itself" not in page
    assert "Nothing was charged and nothing was credited." in page
    assert 'name="cancelled" value="1"' in page and "data-cancel" in page

    # Without our CSRF token (a forged cross-site form): refused.
    assert browser.post(f"/pay/return/{payment.reference}/", {"cancelled": "1"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING

    token = CSRF.search(page).group(1)
    done = browser.post(
        f"/pay/return/{payment.reference}/", {"cancelled": "1", "csrfmiddlewaretoken": token}
    )
    assert done["Location"] == f"/pay/status/{payment.reference}/"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == reason
    assert payment.cancelled_by == payer
    [audited] = _cancels(payment)
    assert audited.actor == payer and audited.customer_id == payer.customer_id
    assert audited.after["reason"] == reason


def test_a_colleague_who_may_pay_cancels_it_audited_as_them(gateway, payer):
    payment, _link = _left_unpaid(gateway, payer)
    colleague = PortalUserFactory(customer=payer.customer)
    browser = _browser(colleague, csrf=False)
    browser.post(f"/pay/return/{payment.reference}/", {"cancelled": "1"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and payment.cancelled_by == colleague
    assert [entry.actor for entry in _cancels(payment)] == [colleague]


def test_the_razorpay_pages_cancel_button_goes_through_the_same_check(sandbox, online_customer):
    payer = online_customer("razorpay", "INR", account="INR")
    payment = razorpay_support.start(payer).payment
    browser = _browser(payer)
    page = browser.get(f"/pay/razorpay/{payment.reference}/").content.decode()
    form = page[page.index('<div class="pay-actions">') :]
    assert 'name="cancelled" value="1"' in form
    token = CSRF.search(form).group(1)
    browser.post(
        f"/pay/return/{payment.reference}/", {"cancelled": "1", "csrfmiddlewaretoken": token}
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert [entry.actor for entry in _cancels(payment)] == [payer]


def test_cancel_pressed_after_paying_credits_instead(sandbox, online_customer):
    """The gateway decides: PayPal shows the order approved, so Cancel captures it."""
    payer = online_customer("paypal", "USD")
    checkout = paypal_steps.start(payer)
    paypal_steps.press(checkout, "approve")
    _browser(payer, csrf=False).post(
        f"/pay/return/{checkout.payment.reference}/", {"cancelled": "1"}
    )
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and _cancels(payment) == []
