"""The portal's automatic top-up page: review the exact consent text, tick, turn it on (the
consent, who and when shown), off; refused input keeps what was typed with a field message; no
*manage billing* → 403; a top-up the bank wanted confirmed is listed in the customer's own words
with a link to pay it, which goes through 3-D Secure (another customer's → 404). In a real
browser: the page and its review pass axe-core, and the list reads at desk and phone width."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import TopupSettings, TopupStatus
from paydesk.ledger.models import Payment
from tests.autotopup.support import purchase, topup_customer, topups
from tests.axe import assert_accessible
from tests.factories import PortalUserFactory
from tests.online.conftest import sign_in
from tests.online.stripe_support import THREE_D_SECURE, save_card

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/billing/autotopup/"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
CUSTOMER_WORDING = (
    "Needs your authentication: your bank asked you to confirm this top-up, so nothing was "
    "charged. Pay it now and confirm it with your bank."
)
TERMS = {"threshold": "20", "amount": "50", "monthly_cap": "200", "cooldown_minutes": "60"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_review_consent_and_turn_on_then_off(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    client = client_for(user)
    page = client.get(PAGE).content.decode()
    assert "data-autotopup-off" in page and "Review the authorisation" in page

    review = client.post(PAGE, {**TERMS, "payment_method": pm, "step": "review"})
    text = review.context["review"]
    assert "charge Card •••• 4242 $50.00 USD whenever the balance" in text
    assert text in review.content.decode()

    unticked = client.post(
        PAGE, {**TERMS, "payment_method": pm, "step": "confirm", "consent_text": text}
    )
    assert unticked.status_code == 422
    assert "Tick the box to authorise the automatic charges." in unticked.content.decode()
    assert not TopupSettings.objects.filter(customer=user.customer, enabled=True).exists()

    bad = client.post(PAGE, {**TERMS, "amount": "5.001", "payment_method": pm, "step": "review"})
    assert bad.status_code == 422 and 'value="5.001"' in bad.content.decode()
    assert "USD amounts have at most 2 decimal places." in bad.content.decode()

    on = client.post(
        PAGE,
        {**TERMS, "payment_method": pm, "step": "confirm", "consent_text": text, "consent": "on"},
        follow=True,
    )
    page = on.content.decode()
    assert "Automatic top-up is on." in page and "data-autotopup-on" in page
    assert text in page and user.email in page
    row = TopupSettings.objects.get(customer=user.customer)
    assert (row.consent_text, row.consented_by_id) == (text, user.pk)

    off = client.post(PAGE + "off", follow=True)
    assert "Automatic top-up is off." in off.content.decode()


def test_without_manage_billing_the_page_is_refused(sandbox, online_customer):
    user = online_customer("card")
    viewer = PortalUserFactory(customer=user.customer, can_manage_billing=False)
    assert client_for(viewer).get(PAGE).status_code == 403
    assert client_for(viewer).post(PAGE + "off").status_code == 403


def test_finishing_a_top_up_the_bank_wanted_confirmed(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer, card=THREE_D_SECURE)
    purchase(user.customer, "90")
    balance_watch_job()
    [topup] = topups(user.customer)
    assert topup.status == TopupStatus.ACTION_REQUIRED
    stranger = online_customer("card")
    assert client_for(stranger).get(f"{PAGE}finish/{topup.pk}/").status_code == 404

    client = client_for(user)
    listed = client.get(PAGE).content.decode()
    assert CUSTOMER_WORDING in listed and f'href="{PAGE}finish/{topup.pk}/"' in listed
    assert "the customer" not in listed  # the back office's wording stays there
    page = client.get(f"{PAGE}finish/{topup.pk}/")
    assert "Pay $50.00 USD" in page.content.decode()
    # Finishing is paying: a colleague without *make payments* is refused (accounts.payers).
    viewer = client_for(PortalUserFactory(customer=user.customer, can_make_payments=False))
    payments = Payment.objects.filter(customer=user.customer).count()
    refused = viewer.post(f"{PAGE}finish/{topup.pk}/", {"token": page.context["token"]})
    assert "Your user may view payments but not make them." in refused.content.decode()
    assert Payment.objects.filter(customer=user.customer).count() == payments
    answer = client.post(f"{PAGE}finish/{topup.pk}/", {"token": page.context["token"]})
    assert answer.status_code == 302
    assert "/sandbox/stripe/3ds/pi_" in answer["Location"]
    user.customer.refresh_from_db()
    assert user.customer.balance == Decimal("10")  # nothing until the bank's confirmation


@pytest.mark.browser
def test_the_page_is_accessible(sandbox, online_customer, page):
    user = online_customer("card")
    save_card(sandbox.url, user)
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}{PAGE}")
    assert_accessible(page)
    page.get_by_label("When the balance falls below (USD)").fill("20")
    page.get_by_label("Top up by (USD)").fill("50")
    page.get_by_label("At most, in a calendar month (USD)").fill("200")
    page.get_by_role("button", name="Review the authorisation").click()
    page.get_by_label("I give this authorisation").check()
    assert_accessible(page)
    page.get_by_role("button", name="Turn automatic top-up on").click()
    page.wait_for_selector("[data-autotopup-on]")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_a_top_up_waiting_for_the_customer_reads_in_their_words(
    sandbox, online_customer, page, size
):
    user, _pm = topup_customer(sandbox, online_customer, card=THREE_D_SECURE)
    purchase(user.customer, "90")
    balance_watch_job()
    [topup] = topups(user.customer)
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}{PAGE}")
    result = page.locator("[data-topups] [data-topup-result]")
    assert CUSTOMER_WORDING in result.inner_text()
    pay = result.get_by_role("link", name="Pay $50.00 USD now")
    assert pay.get_attribute("href") == f"{PAGE}finish/{topup.pk}/"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"the automatic top-up page ({size})")


def test_refused_alerts_keep_what_was_typed_with_the_message_at_the_field(sandbox, online_customer):
    """A refused threshold came back as a neutral notice above the form with the saved values
    in the fields: the typo was gone and the message easy to miss."""
    client = client_for(online_customer("card"))
    bad = client.post(PAGE + "alerts", {"thresholds": "50, 10.005", "margin": "5"})
    html = bad.content.decode()
    assert bad.status_code == 422
    assert 'value="50, 10.005" aria-invalid="true" aria-describedby="err-thresholds"' in html
    assert (
        '<span class="field-error" id="err-thresholds">'
        "USD amounts have at most 2 decimal places.</span>"
    ) in html

    margin = client.post(PAGE + "alerts", {"thresholds": "50", "margin": "-1"}).content.decode()
    assert 'name="margin" inputmode="decimal" value="-1" aria-invalid="true"' in margin
    assert 'id="err-margin">The margin is zero or more' in margin


NOT_A_PAYER = (
    "Turning automatic top-up on or changing it authorises charges to a saved payment method: "
    "your user may manage billing but not make payments."
)


def test_managing_billing_without_making_payments_cannot_turn_it_on(sandbox, online_customer):
    """Consenting to automatic charges is paying: *manage billing* alone gets no form, and a
    posted review or confirm is refused with the reason (403), nothing recorded."""
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    manager = PortalUserFactory(
        customer=user.customer, can_manage_billing=True, can_make_payments=False
    )
    client = client_for(manager)
    page = client.get(PAGE).content.decode()
    assert "data-autotopup-needs-payer" in page and "Review the authorisation" not in page
    text = client_for(user).post(PAGE, {**TERMS, "payment_method": pm})
    consent = {"step": "confirm", "consent_text": text.context["review"], "consent": "on"}
    for step in ({"step": "review"}, consent):
        refused = client.post(PAGE, {**TERMS, "payment_method": pm, **step})
        assert refused.status_code == 403 and NOT_A_PAYER in refused.content.decode()
    assert not TopupSettings.objects.filter(customer=user.customer).exists()


def test_managing_billing_without_making_payments_can_switch_it_off(sandbox, online_customer):
    user, _pm = topup_customer(sandbox, online_customer)
    manager = PortalUserFactory(
        customer=user.customer, can_manage_billing=True, can_make_payments=False
    )
    client = client_for(manager)
    page = client.get(PAGE).content.decode()
    assert "Turn automatic top-up off" in page and "Change automatic top-up" in page
    assert "data-autotopup-needs-payer" in page and 'name="threshold"' not in page
    off = client.post(PAGE + "off", follow=True)
    assert "Automatic top-up is off." in off.content.decode()
    assert TopupSettings.objects.get(customer=user.customer).enabled is False


def test_an_authorisation_stands_when_its_giver_may_no_longer_pay(sandbox, online_customer):
    """The consent is the customer's, given by a user who could pay then: it keeps charging when
    that user loses *make payments*, and the page says so beside who gave it."""
    user, _pm = topup_customer(sandbox, online_customer)
    user.can_make_payments = False
    user.save(update_fields=["can_make_payments"])
    purchase(user.customer, "90")
    balance_watch_job()
    [topup] = topups(user.customer)
    assert topup.status == TopupStatus.SUCCEEDED
    assert topup.payment is not None and topup.payment.total == Decimal("50")
    page = client_for(user).get(PAGE).content.decode()
    assert "data-consenter-not-payer" in page and "Their authorisation stands" in page


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_a_billing_manager_who_may_not_pay_reads_why_at_desk_and_phone_width(
    sandbox, online_customer, page, size
):
    """The page a billing manager without *make payments* gets: the consent on record with the
    note that its giver may no longer pay, the switch off, and why there is no form."""
    user, _pm = topup_customer(sandbox, online_customer)
    user.can_make_payments = False
    user.save(update_fields=["can_make_payments"])
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}{PAGE}")
    assert "Their authorisation stands" in page.locator("[data-consenter-not-payer]").inner_text()
    assert (
        "needs a user who may make payments"
        in page.locator("[data-autotopup-needs-payer]").inner_text()
    )
    assert page.get_by_role("button", name="Turn automatic top-up off").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, f"the automatic top-up page of a billing manager ({size})")
