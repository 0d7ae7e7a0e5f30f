"""A refund in a real browser: Finance refunds part of a card payment on its back-office page
(through the stand-in refunding card gateway), then the customer sees the refund linked to it on
the portal. axe-core finds no critical or serious violation on the pages added for refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from tests.axe import assert_accessible
from tests.backoffice.test_vouchers_browser import browser, new_page, shot  # noqa: F401
from tests.refunds.conftest import card_payment
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accessible(page) -> None:
    """No console error or refused resource so far; then axe-core. Running axe-core in the back
    office makes the browser report inline styles the CSP refuses (axe's own probes, not the
    page's), so the list is emptied after it."""
    assert page.console_errors == []
    assert_accessible(page)
    page.console_errors.clear()


def test_finance_refunds_a_card_payment_and_the_customer_sees_it(
    live_server,
    browser,  # noqa: F811 — the fixture imported above
    card_gateway,
    finance_user,
    portal_user,
):
    payment = card_payment(portal_user.customer)
    base = live_server.url
    staff = new_page(browser)
    browser_sign_in(staff, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    staff.goto(f"{base}/backoffice/ledger/payment/{payment.pk}/change/")
    assert "Refunded $0.00 USD of $50.00 USD" in staff.content()
    staff.get_by_role("link", name="Refund", exact=True).click()
    staff.wait_for_load_state()
    assert "refundable: $50.00 USD of $50.00 USD" in staff.content()
    accessible(staff)
    staff.get_by_label("Amount to refund").fill("20.00")
    staff.get_by_label("Reason").fill("Unused minutes")
    staff.get_by_role("button", name="Review refund").click()
    staff.wait_for_load_state()
    accessible(staff)
    shot(staff, "backoffice-refund-confirm")
    assert Payment.objects.filter(original=payment).count() == 0
    staff.get_by_role("button", name="Refund $20.00 USD now").click()
    staff.wait_for_load_state()
    refund = Payment.objects.get(original=payment)
    assert (refund.relation, refund.status, refund.total) == (
        PaymentRelation.REFUND,
        PaymentStatus.COMPLETED,
        Decimal("-20.00"),
    )
    assert f"/backoffice/ledger/payment/{refund.pk}/change/" in staff.url
    assert f"Refund {refund.reference} of $20.00 USD for {payment.reference} done." in (
        staff.content()
    )
    staff.get_by_role("link", name=payment.reference).first.click()
    staff.wait_for_load_state()
    assert "Refunded $20.00 USD of $50.00 USD" in staff.content()
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_browser", stage="opened",
        amount=Decimal("30.00"), currency="USD", reason="fraudulent",
    )  # fmt: skip
    staff.goto(f"{base}/backoffice/ledger/payment/")
    staff.get_by_role("link", name="Open disputes").click()
    staff.wait_for_load_state()
    assert "dp_browser" in staff.content() and "fraudulent" in staff.content()
    accessible(staff)

    customer = new_page(browser)
    browser_sign_in(customer, base, portal_user, path="/accounts/login/")
    customer.goto(f"{base}/payments/")
    link = customer.get_by_role("link", name=f"Refund of {payment.reference}")
    assert customer.get_by_text("refunded $20.00 USD of $50.00 USD").count() == 1
    shot(customer, "portal-refund")
    link.click()
    customer.wait_for_load_state()
    assert customer.url.endswith(f"/payments/{payment.reference}/")
    refunded = customer.locator("dd.refunded-of").inner_text()  # under its "Refunded" label
    assert refunded == "$20.00 USD of $50.00 USD"
    assert customer.get_by_role("link", name=refund.reference).count() == 1
    accessible(customer)
    customer.get_by_role("link", name=refund.reference).click()
    customer.wait_for_load_state()
    assert "-$20.00 USD" in customer.content()
    accessible(customer)
    assert customer.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_a_paystack_dispute_reads_in_words_on_its_page_on_a_desk_and_a_phone(
    live_server,
    browser,  # noqa: F811 — the fixture imported above
    finance_user,
    portal_user,
    width,
    height,
):
    """Paystack's dispute page read `resolved (declined)` and `fraud`; a reason stored as the
    code still is, and the page shows it in words with a capital, and passes axe-core."""
    payment = card_payment(portal_user.customer)
    dispute_apply(
        original=payment, gateway="paystack", dispute_id="358950", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="fraud",
        gateway_status="resolved (declined)",
    )  # fmt: skip
    base = live_server.url
    staff = new_page(browser, width=width, height=height)
    browser_sign_in(staff, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    staff.goto(f"{base}/backoffice/ledger/dispute/")
    said = "the cardholder says they did not authorise the payment or do not recognise it"
    assert said in staff.content() and ">fraud<" not in staff.content()
    accessible(staff)
    staff.get_by_role("link", name="358950").click()
    staff.wait_for_load_state()
    page = staff.content()
    assert "The cardholder says they did not authorise the payment or do not recognise it" in page
    assert "Resolved: you declined it and the payment stands" in page
    assert ">resolved (declined)</span>" in page  # the code beside, for support
    accessible(staff)
    shot(staff, f"backoffice-dispute-paystack-{width}")


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_a_razorpay_dispute_reads_in_words_on_its_page_on_a_desk_and_a_phone(
    live_server,
    browser,  # noqa: F811 — the fixture imported above
    finance_user,
    portal_user,
    width,
    height,
):
    """Razorpay's dispute page read `open (fraud)` and a reason code; both read in words (the
    phase accusing no one), the codes beside the status, and the page passes axe-core."""
    payment = card_payment(portal_user.customer)
    dispute_apply(
        original=payment, gateway="razorpay", dispute_id="disp_EsIAlDcoUr8CaQ", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="processed_invalid_expired_card",
        gateway_status="open (fraud)",
    )  # fmt: skip
    base = live_server.url
    staff = new_page(browser, width=width, height=height)
    browser_sign_in(staff, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    staff.goto(f"{base}/backoffice/ledger/dispute/")
    listed = staff.locator("body").inner_text()
    assert "the customer's bank says the card was invalid or expired when it was charged" in listed
    assert "processed_invalid_expired_card" not in listed
    accessible(staff)
    staff.get_by_role("link", name="disp_EsIAlDcoUr8CaQ").click()
    staff.wait_for_load_state()
    text = staff.locator("body").inner_text()
    assert "The customer's bank says the card was invalid or expired when it was charged" in text
    assert (
        "Waiting for your response: accept or contest it in Razorpay before the deadline "
        "(stage: risk review, raised by the customer's bank after its own checks)"
    ) in text
    assert ">open (fraud)</span>" in staff.content()  # the code beside, for support
    assert "fraud" not in text.replace("open (fraud)", "")
    accessible(staff)
    shot(staff, f"backoffice-dispute-razorpay-{width}")


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_a_dispute_of_a_refunded_payment_from_the_home_page_on_a_desk_and_a_phone(
    live_server,
    browser,  # noqa: F811 — the fixture imported above
    card_gateway,
    finance_user,
    portal_user,
    width,
    height,
):
    """Refunded 20.00 of 50.00, then disputed: the home page's count leads to the list, whose
    row and the dispute's page give the refund with its link; both pass axe-core."""
    from paydesk.ledger.refunds import refund_create

    payment = card_payment(portal_user.customer)
    refund = refund_create(
        original=payment, total="20.00", reason="Asked", actor=finance_user, status="completed"
    )
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_refunded", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="fraudulent",
    )  # fmt: skip
    base = live_server.url
    staff = new_page(browser, width=width, height=height)
    browser_sign_in(staff, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    staff.get_by_role("link", name="1 Open disputes of refunded payments").click()
    staff.wait_for_load_state()
    assert refund.reference in staff.content()
    accessible(staff)
    shot(staff, f"backoffice-disputes-refunded-{width}")
    staff.get_by_role("link", name="dp_refunded").click()
    staff.wait_for_load_state()
    staff.get_by_role("link", name=refund.reference).wait_for()
    assert "Refunded $20.00 USD on" in staff.content()
    accessible(staff)
    shot(staff, f"backoffice-dispute-refunded-{width}")
