"""Issue 12's story end to end, as Finance tried it in the demo, through the real sandbox (no
stand-in gateway, no event applied by hand): the customer pays twice by card in the sandbox's
card frame; Finance refunds part of the first on its back-office page (Stripe's refund API and
its webhook, played by the sandbox); a dispute is opened and lost on the second from the
sandbox's switches page (its signed charge.dispute.* webhooks). Then the customer's Payments
page, each payment's page and the balance must tell the whole story, to the cent."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.notifications.models import EmailKind, OutboundEmail
from tests.backoffice.test_vouchers_browser import browser, new_page  # noqa: F401
from tests.online.conftest import sign_in
from tests.online.stripe_support import VISA
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS_URL = re.compile(r".*/pay/status/[A-Z0-9-]+/$")


def pay_by_card(page, base: str, amount: str) -> Payment:
    page.goto(f"{base}/pay/")
    page.get_by_label("Pay via").select_option("card")
    page.locator("fieldset[data-method='card']").get_by_label("Amount").fill(amount)
    page.locator("[data-quote='total_charged']").wait_for()
    frame = page.frame_locator("[data-card-element] iframe")
    frame.get_by_label("Card number").fill(VISA)
    frame.get_by_label("Expiry month").fill("12")
    frame.get_by_label("Expiry year").fill("2040")
    frame.get_by_label("CVC").fill("739")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(STATUS_URL)
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    return Payment.objects.get(reference=page.url.rstrip("/").rsplit("/", 1)[-1])


def test_a_card_payment_refunded_in_part_and_another_lost_to_a_dispute(
    sandbox,
    online_customer,
    browser,  # noqa: F811
    finance_user,
):
    base = sandbox.url
    user = online_customer("card")
    customer = user.customer
    customer.contacts.create(email="billing@example.com")
    payer = new_page(browser, width=1366, height=900)
    sign_in(payer, base, user)
    kept = pay_by_card(payer, base, "50.00")
    disputed = pay_by_card(payer, base, "40.00")

    # Finance refunds 20.00 of the first, from its page in the back office.
    staff = new_page(browser, width=1366, height=900)
    browser_sign_in(staff, base, finance_user, path="/backoffice/login/?next=/backoffice/")
    staff.goto(f"{base}/backoffice/ledger/payment/{kept.pk}/change/")
    staff.get_by_role("link", name="Refund", exact=True).click()
    staff.get_by_label("Amount to refund").fill("20.00")
    staff.get_by_label("Reason").fill("Unused minutes")
    staff.get_by_role("button", name="Review refund").click()
    assert "through the Credit Card gateway?" in staff.locator(".refund-confirm").inner_text()
    staff.get_by_role("button", name="Refund $20.00 USD now").click()
    staff.wait_for_load_state()
    refund = Payment.objects.get(original=kept)
    assert f"Refund {refund.reference} of $20.00 USD for {kept.reference} done." in (
        staff.content()
    )
    assert (refund.status, refund.total) == (PaymentStatus.COMPLETED, Decimal("-20.00"))
    assert refund.gateway_transaction.startswith("refund:re_")  # Stripe's refund id

    # The payer's bank disputes the second; the provider loses (the sandbox's buttons, which
    # only staff may press: the signed-in Finance user's browser plays the gateway's side).
    sandbox_page = staff
    sandbox_page.goto(f"{base}/sandbox/")
    row = sandbox_page.locator("section[aria-labelledby='stripe-returns'] tbody tr").filter(
        has_text=disputed.reference
    )
    row.get_by_role("button", name="Open a dispute").click()
    sandbox_page.wait_for_load_state()
    row.get_by_role("button", name="Lose the dispute").click()
    sandbox_page.wait_for_load_state()
    assert "lost" in row.inner_text()
    dispute = Dispute.objects.get(payment=disputed)
    assert dispute.status == "lost"
    chargeback = Payment.objects.get(original=disputed)
    assert (chargeback.relation, chargeback.status, chargeback.total) == (
        PaymentRelation.CHARGEBACK,
        PaymentStatus.COMPLETED,
        Decimal("-40.00"),
    )
    assert OutboundEmail.objects.filter(kind=EmailKind.REFUND_ISSUED, payment=refund).exists()
    assert OutboundEmail.objects.filter(
        kind=EmailKind.DISPUTE_OPENED, payment=disputed, to=finance_user.email
    ).exists()

    # The customer's page tells it: 50 + 40 - 20 - 40 = 30.00.
    payer.goto(f"{base}/payments/")
    assert payer.locator(".balance-main dd").inner_text() == "$30.00 USD"
    assert payer.get_by_text("refunded $20.00 USD of $50.00 USD").count() == 1
    payer.get_by_role("link", name=f"Chargeback of {disputed.reference}").wait_for()
    payer.get_by_role("link", name=f"Refund of {kept.reference}").click()
    payer.wait_for_url(f"{base}/payments/{kept.reference}/")
    assert payer.locator("dd.refunded-of").inner_text() == "$20.00 USD of $50.00 USD"
    assert payer.get_by_role("link", name=refund.reference).count() == 1
    payer.goto(f"{base}/payments/{disputed.reference}/")
    followed = payer.locator("table").inner_text()
    assert "Chargeback" in followed and "-$40.00 USD" in followed
    assert chargeback.reference in followed
    customer.refresh_from_db()
    assert customer.balance == Decimal("30.00")
    assert balance_drifts() == []  # what `paydesk check-balances` checks
    assert payer.console_errors == []  # type: ignore[attr-defined]
    assert staff.console_errors == []  # type: ignore[attr-defined]
