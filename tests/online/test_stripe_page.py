"""The card method on Make Payment, server side: the processor's script and mount point, the page's
own Content-Security-Policy (Stripe.js let in, nothing else loosened), the form that takes only
a pm_… id, and the sandbox's card frame (frameable by this site only) and Stripe.js stand-in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from paydesk.checkout.forms import CardMethodForm
from paydesk.checkout.forms import new_form_token as token
from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.stripe_support import payment_method

pytestmark = pytest.mark.django_db(transaction=True)


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pay(client: Client, **fields: str):
    data = {
        "form_token": token(),
        "method": "card",
        "card-amount": "10.50",
        "card-currency": "USD",
        "action": "pay",
        **fields,
    }
    return client.post("/pay/", data)


def test_the_card_form_holds_no_card_field():
    # A saved card is its own Pay via choice (its pm_…, issue 14), never card data.
    assert set(CardMethodForm.base_fields) == {
        "amount",
        "currency",
        "quoted_credit",
        "payment_method_token",
    }


def test_make_payment_mounts_the_processors_card_fields(online_customer, settings):
    settings.PAYDESK_PUBLIC_URL = "http://testserver"
    page = _signed_in(online_customer("card")).get("/pay/")
    html = page.content.decode()
    assert f'data-publishable-key="{settings.PAYDESK_STRIPE_PUBLISHABLE_KEY}"' in html
    assert '<script src="http://testserver/sandbox/stripe/js/v3.js"></script>' in html
    assert "checkout/card.js" in html
    assert 'name="card-payment_method_token" value=""' in html
    assert 'name="card-number"' not in html and "cvc" not in html.lower()
    csp = _directives(page["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'", "http://testserver"]
    assert csp["frame-src"] == ["'self'", "http://testserver"]
    assert csp["connect-src"] == ["'self'", "http://testserver"]
    assert csp["frame-ancestors"] == ["'none'"]
    # Pay's form may be redirected to 3-D Secure (Stripe's host, or the sandbox's page here).
    assert csp["form-action"] == ["'self'", "https://hooks.stripe.com", "http://testserver"]
    assert csp["object-src"] == ["'none'"] and csp["style-src"] == ["'self'"]


def test_in_production_the_page_loads_stripe_js_from_stripe(online_customer, settings):
    settings.PAYDESK_SANDBOX = False
    settings.PAYDESK_STRIPE_JS_URL = ""
    page = _signed_in(online_customer("card")).get("/pay/")
    assert '<script src="https://js.stripe.com/v3/"></script>' in page.content.decode()
    csp = _directives(page["Content-Security-Policy"])
    assert "https://js.stripe.com" in csp["script-src"] and "'self'" in csp["script-src"]
    assert "https://js.stripe.com" in csp["frame-src"]
    assert "https://hooks.stripe.com" in csp["frame-src"]
    assert "https://api.stripe.com" in csp["connect-src"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]


def test_without_the_card_method_the_page_keeps_the_site_policy(online_customer):
    page = _signed_in(online_customer("bank_transfer")).get("/pay/")
    assert "stripe" not in page.content.decode()
    assert "frame-src" not in page["Content-Security-Policy"]
    assert _directives(page["Content-Security-Policy"])["script-src"] == ["'self'"]


@pytest.mark.parametrize("sent", ["", "4242424242424242", "pm_x'><script>"])
def test_pay_without_a_payment_method_id_is_refused_next_to_the_card(online_customer, sent):
    user = online_customer("card")
    page = _pay(_signed_in(user), **{"card-payment_method_token": sent})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Enter your card" in html and "4242424242424242" not in html
    assert not Payment.objects.exists()


def test_show_quote_needs_no_card(online_customer):
    page = _pay(_signed_in(online_customer("card")), action="quote")
    assert page.status_code == 200 and 'data-quote="total_charged"' in page.content.decode()
    assert not Payment.objects.exists()


def test_pay_with_a_payment_method_id_charges_it_and_shows_the_status(sandbox, online_customer):
    user = online_customer("card")
    client = _signed_in(user)
    answer = _pay(client, **{"card-payment_method_token": payment_method(sandbox.url)})
    payment = Payment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/pay/status/{payment.reference}/"
    assert payment.status == PaymentStatus.COMPLETED
    assert 'data-status="completed"' in client.get(answer["Location"]).content.decode()


# --- the sandbox's browser side -------------------------------------------------------------


def test_the_card_frame_is_frameable_by_this_site_only_and_never_a_form(settings):
    key = settings.PAYDESK_STRIPE_PUBLISHABLE_KEY
    page = Client().get(f"/sandbox/stripe/elements/card/?key={key}&origin=http://testserver")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    csp = _directives(page["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'self'"] and csp["script-src"] == ["'self'"]
    html = page.content.decode()
    assert "<form" not in html  # nothing in the frame can be submitted as a page
    for label in ("Card number", "Expiry month", "Expiry year", "CVC"):
        assert f">{label}</label>" in html
    assert 'data-parent-origin="http://testserver"' in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("key=pk_test_other&origin=http://testserver", 400),
        (f"key={settings.PAYDESK_STRIPE_PUBLISHABLE_KEY}&origin=javascript:alert(1)", 400),
    ],
)
def test_the_card_frame_refuses_a_wrong_key_or_origin(query, status):
    page = Client().get(f"/sandbox/stripe/elements/card/?{query}")
    assert page.status_code == status and "card-number" not in page.content.decode()


def test_only_the_card_and_iban_elements_exist():
    # The iban element came with SEPA Direct Debit (issue 14).
    assert Client().get("/sandbox/stripe/elements/p24/?key=x&origin=http://a").status_code == 404


def test_stripe_js_stand_in_is_served_as_javascript():
    script = Client().get("/sandbox/stripe/js/v3.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    body = script.content.decode()
    for name in ("createPaymentMethod", "elements", "mount", "window.Stripe = Stripe"):
        assert name in body


def test_opened_at_another_address_the_card_field_says_where_to_go(online_customer, settings):
    """Finding 14 of issue 13: at localhost instead of the published 127.0.0.1 the card frame
    refuses to load; the page says so instead of failing silently."""
    settings.PAYDESK_PUBLIC_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    client = _signed_in(online_customer("card"))
    html = client.get("/pay/", HTTP_HOST="localhost:8000").content.decode()
    assert "data-card-origin" in html
    assert 'href="http://127.0.0.1:8000/pay/"' in html
    same = client.get("/pay/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "data-card-origin" not in same
