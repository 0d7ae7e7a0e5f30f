"""The Make Payment page (/pay/) and its live quote (/pay/quote), through the full Django stack."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.models import Quote
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.vouchers.batches import voucher_batch_issue
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory, UserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

TOKEN = "page-form-token-0123456789"


@pytest.fixture
def payer(rates):
    rates({"USD": "1.0850"})
    customer = CustomerFactory(
        currency="USD", topup_currencies=["USD", "EUR"], minimum_payment=Decimal("20")
    )
    return PortalUserFactory(customer=customer)


@pytest.fixture
def client_for():
    def _client(user, **kwargs) -> Client:
        return sign_in(Client(**kwargs), user)

    return _client


def bank_transfer(amount="100", currency="EUR", action="pay", token=TOKEN, **extra):
    return {
        "method": "bank_transfer",
        "form_token": token,
        "bank_transfer-amount": amount,
        "bank_transfer-currency": currency,
        "action": action,
        **extra,
    }


def voucher(code, currency="USD", token=TOKEN):
    return {
        "method": "voucher",
        "form_token": token,
        "voucher-code": code,
        "voucher-currency": currency,
        "action": "pay",
    }


def field_block(html: str, name: str) -> str:
    """The `.field` block holding the input or select named `name`."""
    blocks = re.findall(r'<div class="field[^"]*">.*?</div>', html, flags=re.S)
    return next(b for b in blocks if f'name="{name}"' in b)


def test_the_page_offers_only_the_available_methods_each_with_its_fields(
    payer, client_for, settings
):
    settings.PAYDESK_GATEWAYS = {
        method: path
        for method, path in settings.PAYDESK_GATEWAYS.items()
        if method in ("bank_transfer", "voucher")
    }
    configure("paypal", enabled=True)  # enabled, but no gateway yet: still not offered
    response = client_for(payer).get("/pay/")
    html = response.content.decode()

    assert response.status_code == 200
    form = re.search(r'<form id="pay-form".*?</form>', html, flags=re.S).group(0)
    options = re.findall(r'<option value="([A-Za-z_]*)"', form)
    assert options == ["", "bank_transfer", "voucher", "USD", "EUR", "USD"]
    for name in (
        "bank_transfer-amount",
        "bank_transfer-currency",
        "voucher-code",
        "voucher-currency",
    ):
        assert f'name="{name}"' in html
    assert 'name="form_token"' in html
    assert "PayPal" not in html and "Credit Card" not in html
    assert "Your minimum payment is $20.00 USD." in html
    assert "<script>" not in html and "style=" not in html
    assert "/static/checkout/make_payment.js" in html
    assert response["Cache-Control"] == "no-store"


def test_show_quote_rerenders_the_page_with_the_quote(payer, client_for):
    response = client_for(payer).post(
        "/pay/", bank_transfer(action="quote", amount="100", currency="EUR")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd data-quote="total_charged">€100.00 EUR</dd>' in html
    assert '<dd data-quote="credit">$108.50 USD</dd>' in html
    assert "1 EUR = 1.085 USD" in html
    assert 'name="bank_transfer-quoted_credit" value="108.50"' in html
    assert Payment.objects.count() == 0


def test_a_bank_transfers_quote_says_what_to_transfer_not_what_is_charged(payer, client_for):
    """Nothing is charged to a payer who sends a bank transfer: the quote's total is what they
    send ("Total charged" stays for the methods that do take the money)."""
    response = client_for(payer).post(
        "/pay/", bank_transfer(action="quote", amount="100", currency="EUR")
    )
    html = response.content.decode()
    assert '<dt>Total to transfer</dt><dd data-quote="total_charged">€100.00 EUR</dd>' in html
    assert "Total charged" not in html


def test_every_rule_is_shown_next_to_its_field(payer, client_for):
    client = client_for(payer)
    below = client.post("/pay/", bank_transfer(amount="19.99", currency="USD")).content.decode()
    assert "Your minimum payment is $20.00 USD." in field_block(below, "bank_transfer-amount")

    decimals = client.post("/pay/", bank_transfer(amount="25.001", currency="USD"))
    assert "USD amounts have at most 2 decimal places." in field_block(
        decimals.content.decode(), "bank_transfer-amount"
    )

    currency = client.post("/pay/", bank_transfer(currency="GBP")).content.decode()
    assert "Select a valid choice" in field_block(currency, "bank_transfer-currency")

    configure(maximum_amount=Decimal("500"))
    above = client.post("/pay/", bank_transfer(amount="600", currency="USD")).content.decode()
    assert "The largest Bank Transfer payment is $500.00 USD." in field_block(
        above, "bank_transfer-amount"
    )

    no_method = client.post("/pay/", {"form_token": TOKEN, "action": "pay"}).content.decode()
    assert "This field is required." in field_block(no_method, "method")

    junk_token = client.post("/pay/", bank_transfer(token="x")).content.decode()
    assert "This form has expired" in junk_token
    assert Payment.objects.count() == 0


def test_pay_starts_a_bank_transfer_and_a_resubmission_finds_it(payer, client_for):
    client = client_for(payer)
    response = client.post("/pay/", bank_transfer(amount="100", currency="EUR"), follow=True)

    payment = Payment.objects.get()
    assert (payment.status, payment.total) == (PaymentStatus.PENDING, Decimal("108.50"))
    assert response.redirect_chain == [(f"/transfers/{payment.reference}/", 302)]
    html = response.content.decode()
    assert f"Bank transfer {payment.reference} is waiting for your payment of €100.00 EUR" in html

    again = client.post("/pay/", bank_transfer(amount="100", currency="EUR"))
    assert again.status_code == 302 and Payment.objects.count() == 1


def test_pay_requotes_when_the_rate_moved_since_the_quote_was_shown(payer, client_for):
    response = client_for(payer).post(
        "/pay/",
        bank_transfer(amount="100", currency="EUR", **{"bank_transfer-quoted_credit": "105.00"}),
    )
    assert response.status_code == 200
    assert "The exchange rate changed" in response.content.decode()
    assert Payment.objects.count() == 0 and Quote.objects.count() == 0


def test_the_live_quote_json(payer, client_for):
    client = client_for(payer)
    ok = client.get("/pay/quote", {"method": "bank_transfer", "amount": "100", "currency": "EUR"})
    data = json.loads(ok.content)
    assert data["ok"] is True
    assert data["quote"]["credit"] == "108.50" and data["quote"]["total_charged"] == "100.00"
    assert data["quote"]["display"]["fx_rate"].startswith("1 EUR = 1.085 USD")
    assert ok["Cache-Control"] == "no-store"

    below = client.get("/pay/quote", {"method": "bank_transfer", "amount": "5", "currency": "USD"})
    assert json.loads(below.content) == {
        "ok": False,
        "errors": {"amount": "Your minimum payment is $20.00 USD."},
    }
    nothing = json.loads(client.get("/pay/quote").content)
    assert nothing["ok"] is False and "method" in nothing["errors"]
    assert client.post("/pay/quote").status_code == 405


def test_a_view_only_user_gets_403_everywhere(payer, client_for):
    viewer = PortalUserFactory(customer=payer.customer, can_make_payments=False)
    client = client_for(viewer)
    assert client.get("/pay/").status_code == 403
    assert client.post("/pay/", bank_transfer()).status_code == 403
    assert client.get("/pay/quote", {"method": "bank_transfer"}).status_code == 403
    assert Payment.objects.count() == 0
    payments_page = client.get("/payments/").content.decode()
    assert "Make Payment" not in payments_page


def test_the_payments_page_has_a_make_payment_button(payer, client_for):
    html = client_for(payer).get("/payments/").content.decode()
    assert '<a class="button" href="/pay/">Make Payment</a>' in html


def test_staff_strangers_and_users_without_a_customer(client_for):
    assert client_for(StaffFactory()).get("/pay/")["Location"] == "/backoffice/"
    assert client_for(UserFactory()).get("/pay/").status_code == 403
    anonymous = Client().get("/pay/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_post_without_csrf_token_is_refused(payer, client_for):
    client = client_for(payer, enforce_csrf_checks=True)
    assert client.post("/pay/", bank_transfer()).status_code == 403
    assert Payment.objects.count() == 0


def test_no_method_available_says_so(client_for):
    user = PortalUserFactory(customer=CustomerFactory(blocked_methods=["bank_transfer", "voucher"]))
    html = client_for(user).get("/pay/").content.decode()
    assert "No payment method is available for your account right now." in html


# --- vouchers through Make Payment ----------------------------------------------------------


def test_a_free_credit_voucher_is_credited_at_once(payer, client_for):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="5", actor=None)
    client = client_for(payer)
    response = client.post("/pay/", voucher(code), follow=True)

    assert response.redirect_chain == [("/payments/", 302)]
    assert "Voucher redeemed: $5.00 USD was credited to your account." in response.content.decode()
    payer.customer.refresh_from_db()
    assert payer.customer.balance == Decimal("5")  # the minimum payment does not apply

    double_click = client.post("/pay/", voucher(code), follow=True)
    assert "Voucher redeemed: $5.00 USD was credited" in double_click.content.decode()
    assert Payment.objects.count() == 1


def _pay_button(html: str) -> str:
    return re.search(
        r'<button type="submit" name="action" value="pay"[^>]*>(.*?)</button>', html
    ).group(1)


def test_the_submit_button_says_redeem_voucher_when_nothing_is_paid(payer, client_for):
    """A voucher's Make Payment button said "Pay", and nothing is paid: it is redeemed. The
    page as the server sends it (no JavaScript) says so for the method chosen; every method's
    fieldset carries its own words for the page's script."""
    client = client_for(payer)
    html = client.get("/pay/").content.decode()
    assert _pay_button(html) == "Pay"
    assert 'data-method="voucher"' in html
    assert re.search(r'data-method="voucher"[^>]*data-submit-label="Redeem voucher"', html)
    assert re.search(r'data-method="bank_transfer"[^>]*data-submit-label="Pay"', html)

    refused = client.post("/pay/", voucher("AAAA-BBBB-CCCC-DDDD-E")).content.decode()
    assert "That voucher code cannot be redeemed." in refused
    assert _pay_button(refused) == "Redeem voucher"
    assert "press Pay" not in refused

    quoted = client.post("/pay/", bank_transfer(action="quote")).content.decode()
    assert _pay_button(quoted) == "Pay"


def test_a_bonus_voucher_is_armed(payer, client_for):
    _batch, [code] = voucher_batch_issue(
        count=1, currency="USD", minimum_activation="50", multiplier="2", addition="5", actor=None
    )
    response = client_for(payer).post("/pay/", voucher(code), follow=True)
    assert (
        "Voucher accepted: your next top-up of at least $50.00 USD earns a bonus of "
        "100% of the top-up plus $5.00 USD."
    ) in response.content.decode()
    assert Payment.objects.count() == 0


def test_the_quote_and_the_result_show_an_armed_vouchers_bonus(payer, client_for):
    """Issue 13, finding 8: a $50.00 top-up with a "100% plus $5.00" voucher armed quotes the
    $55.00 bonus and the $105.00 balance rise; the completed payment's page shows the bonus."""
    from paydesk.checkout.events import gateway_event_apply
    from paydesk.gateways.base import GatewayEvent, Outcome
    from paydesk.money import Money

    _batch, [code] = voucher_batch_issue(
        count=1, currency="USD", minimum_activation="50", multiplier="2", addition="5", actor=None
    )
    client = client_for(payer)
    client.post("/pay/", voucher(code), follow=True)
    small = json.loads(
        client.get(
            "/pay/quote", {"method": "bank_transfer", "amount": "40", "currency": "USD"}
        ).content
    )["quote"]
    assert small["bonus"] == "" and small["display"]["bonus"] == ""  # below the voucher's minimum
    quote = json.loads(
        client.get(
            "/pay/quote", {"method": "bank_transfer", "amount": "50", "currency": "USD"}
        ).content
    )["quote"]
    assert quote["credit"] == "50.00" and quote["bonus"] == "55.00"
    assert quote["display"]["bonus"].startswith("$55.00 USD, a separate payment (voucher …")
    assert quote["display"]["balance_rise"] == "$105.00 USD"
    page = client.post("/pay/", bank_transfer(amount="50", currency="USD", action="quote"))
    assert "Your balance rises by" in page.content.decode()

    client.post("/pay/", bank_transfer(amount="50", currency="USD"))
    payment = Payment.objects.get(method="bank_transfer")
    gateway_event_apply(
        event=GatewayEvent(
            gateway="bank_transfer",
            event_id="statement-line-1",
            outcome=Outcome.COMPLETED,
            payment_reference=payment.reference,
            amount=Money(Decimal("50.00"), "USD"),
        )
    )
    status = client.get(f"/pay/status/{payment.reference}/")
    assert status.status_code == 200, status.status_code
    assert "$55.00 USD, a separate payment" in status.content.decode()


def test_a_bad_voucher_code_is_refused_at_the_field_and_429_past_the_limit(
    payer, client_for, settings
):
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 2
    client = client_for(payer)
    for attempt in range(2):
        refused = client.post("/pay/", voucher("AAAA-BBBB-CCCC-DDDD-E", token=f"{TOKEN}-{attempt}"))
        assert refused.status_code == 200
        block = field_block(refused.content.decode(), "voucher-code")
        assert "That voucher code cannot be redeemed." in block
        # One term: the field said "Voucher number" above its error's "voucher code".
        assert '<label for="id_voucher-code">Voucher code</label>' in block
        assert "number" not in block.lower()

    limited = client.post("/pay/", voucher("AAAA-BBBB-CCCC-DDDD-E", token=f"{TOKEN}-x"))
    assert limited.status_code == 429
    assert limited["Retry-After"] == "900"
    html = limited.content.decode()
    assert "Too many voucher attempts failed." in field_block(html, "voucher-code")
    assert 'name="voucher-code"' in html  # the same form, ready for later


def test_a_voucher_in_another_currency_is_refused_at_the_currency(payer, client_for):
    response = client_for(payer).post("/pay/", voucher("AAAA-BBBB-CCCC-DDDD-E", currency="EUR"))
    assert "Select a valid choice" in field_block(response.content.decode(), "voucher-currency")


def test_the_pay_form_may_be_redirected_only_to_the_offered_gateways_pages(client, settings):
    from tests.checkout.conftest import configure
    from tests.factories import CustomerFactory, PortalUserFactory

    settings.PAYDESK_SANDBOX = False  # as in production
    settings.PAYDESK_STRIPE_PUBLISHABLE_KEY = "pk_live_example"
    configure("paypal", enabled=True, currencies=["USD"])
    configure("card", enabled=True, currencies=["USD"])
    user = PortalUserFactory(customer=CustomerFactory(currency="USD", topup_currencies=["USD"]))
    client.force_login(user)
    policy = client.get("/pay/")["Content-Security-Policy"]
    form_action = next(d for d in policy.split("; ") if d.startswith("form-action"))
    assert form_action.split()[1:] == [
        "'self'",
        "https://www.paypal.com",
        "https://www.sandbox.paypal.com",
        "https://hooks.stripe.com",
    ]
    assert "frame-ancestors 'none'" in policy and "https://js.stripe.com" in policy


@pytest.mark.parametrize("action", ["quote", None])
def test_show_quote_or_enter_on_a_voucher_redeems_nothing(payer, client_for, action):
    """Without JavaScript every method's fields are on the page: with the voucher chosen, Show
    quote (also what Enter in the code field sends: the form's first button) redeemed the
    voucher. Only the form's submit button, "Redeem voucher", redeems; a form with no button
    named redeems nothing either."""
    _batch, [code] = voucher_batch_issue(
        count=1, currency="USD", minimum_activation="0", addition="5", actor=None
    )
    client = client_for(payer)
    form = voucher(code)
    if action is None:
        del form["action"]
    else:
        form["action"] = action
    shown = client.post("/pay/", form)
    html = shown.content.decode()
    assert shown.status_code == 200
    assert Payment.objects.count() == 0
    payer.customer.refresh_from_db()
    assert payer.customer.balance == 0
    assert "Nothing to quote for a voucher: redeem it to see what it gives." in html
    assert _pay_button(html) == "Redeem voucher"
    assert f'value="{code}"' in field_block(html, "voucher-code")  # still there, to redeem
    # The methods not chosen (all on the page without JavaScript) are not checked.
    assert "This field is required." not in html

    redeemed = client.post("/pay/", voucher(code), follow=True)
    assert "Voucher redeemed: $5.00 USD was credited" in redeemed.content.decode()
    assert Payment.objects.count() == 1
