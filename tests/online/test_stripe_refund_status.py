"""A Stripe refund answered `pending` whose final webhook was lost: reconciliation asks Stripe
where it stands (`GET /v1/refunds/{id}` at the sandbox, through the real client) and applies the
answer like the webhook — never asking for the refund again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.core import object_get
from tests.backoffice.conftest import PAYMENTS, signed_in
from tests.factories import StaffFactory
from tests.online.refund_status_support import (
    balance,
    calls,
    cancelled_by_asking,
    completed_by_asking,
    pending_while_unanswered,
    refunded_unheard,
)
from tests.online.stripe_support import card_checkout
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)
GATEWAY = "card"


@pytest.fixture
def paid(sandbox, online_customer, settings):
    settings.PAYDESK_GATEWAY_TIMEOUT = 10
    user = online_customer("card", "USD")
    payment = Payment.objects.get(pk=card_checkout(sandbox.url, user, amount="50.00").payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def pending_refund(paid, sandbox, switch: str) -> Payment:
    """30.00 refunded; Stripe answers `pending`, and its later webhooks are lost."""
    sandbox_staff().post("/sandbox/stripe/panel/", {"action": switch, switch: "on"})
    return refunded_unheard(paid, sandbox, total="30.00", prefix="re_")


def asked(refund: Payment) -> int:
    return calls(GATEWAY, "GET", f"/v1/refunds/{refund.gateway_transaction[7:]}")


def test_a_lost_webhook_is_found_by_asking_stripe(paid, sandbox):
    refund = pending_refund(paid, sandbox, "refund_later")
    at_stripe = refund.gateway_transaction.removeprefix("refund:")
    assert object_get("stripe", "refund", at_stripe).data["status"] == "succeeded"
    finance = StaffFactory(staff_role="finance")
    page = signed_in(finance).get(f"{PAYMENTS}{refund.pk}/change/").content.decode()
    assert (
        "Credit Card took this refund in and is working on it: Paydesk asks Credit Card where it "
        "stands on each reconciliation run until it completes or is cancelled." in page
    )
    completed_by_asking(refund, lambda: asked(refund))
    assert refund.total == Decimal("-30.00") and balance(paid) == Decimal("20.00")
    assert calls(GATEWAY, "POST", "/v1/refunds") == 1  # asked about, never asked for again


def test_a_declined_refund_is_cancelled_and_its_hold_released(paid, sandbox):
    refund = pending_refund(paid, sandbox, "refund_fails")
    cancelled_by_asking(refund, paid, "Stripe: the card's bank declined the refund.")


def test_stripe_not_answering_leaves_it_pending(paid, sandbox, caplog):
    refund = pending_refund(paid, sandbox, "refund_later")
    pending_while_unanswered(refund, paid, sandbox, caplog, left="20.00")
