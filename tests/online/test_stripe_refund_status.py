"""A Stripe refund answered `pending` whose final webhook was lost: reconciliation asks Stripe
where it stands (`GET /v1/refunds/{id}` at the sandbox, through the real client) and applies the
answer like the webhook — never asking for the refund again.

A Stripe refund whose request got no answer, asked about a day later (past the 24 hours Stripe
keeps an idempotency key): reconciliation lists the PaymentIntent's refunds at the sandbox
(`GET /v1/refunds?payment_intent=…`, through the real client) and finds ours by
`metadata[paydesk_refund]` before anything else — never a second refund."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.refunds import UNANSWERED, UNCONFIRMED, payment_refund
from paydesk.gateways.stripe.client import StripeApi
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.money import Money
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import idempotency_keys_expire
from tests.backoffice.conftest import PAYMENTS, signed_in
from tests.factories import StaffFactory
from tests.online.refund_status_support import (
    balance,
    calls,
    cancelled_by_asking,
    completed_by_asking,
    pending_while_unanswered,
    reconcile,
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


# --- a refund unanswered for a day ---------------------------------------------------------

A_DAY_ON = 25 * 60  # minutes


def unanswered(paid: Payment, finance_user, settings, sandbox, *, reached: bool) -> Payment:
    """Finance refunds 30.00; Stripe's answer never comes (and no webhook). `reached`: the
    request got to Stripe all the same, which made the refund under the refund's key."""
    sandbox.switch(webhooks="none")
    api = settings.PAYDESK_STRIPE_API_BASE
    settings.PAYDESK_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no answer
    refund = payment_refund(
        payment=paid, reason="Customer asked", actor=finance_user, total="30.00"
    )
    settings.PAYDESK_STRIPE_API_BASE = api
    assert (refund.status, refund.pending_reason) == (PaymentStatus.PENDING, UNANSWERED)
    if reached:
        StripeApi().refund_create(
            intent_id=paid.gateway_transaction,
            amount=Money(Decimal("30.00"), "USD"),
            refund_reference=refund.reference,
            payment_reference=paid.reference,
            reason=refund.description,
            idempotency_key=f"refund-{refund.reference}",
        )
    idempotency_keys_expire()  # a day on, Stripe has forgotten the key
    return refund


def refunded_at_stripe(paid: Payment) -> tuple[int, int]:
    """How many refunds the sandbox made of the intent, and how much they sent back (cents)."""
    made = SandboxObject.objects.filter(
        gateway="stripe", kind="refund", lookup=paid.gateway_reference
    )
    intent = object_get("stripe", "payment_intent", paid.gateway_reference)
    assert intent is not None
    return made.count(), int(intent.data["sandbox"].get("refunded", 0))


def listed() -> int:
    return calls("card", "GET", "/v1/refunds")


def test_a_refund_stripe_made_a_day_ago_is_found_not_made_twice(
    paid, finance_user, settings, sandbox
):
    refund = unanswered(paid, finance_user, settings, sandbox, reached=True)
    reconcile(minutes=A_DAY_ON)
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED and not refund.needs_attention
    assert refund.gateway_transaction.startswith("refund:re_")
    assert refunded_at_stripe(paid) == (1, 3000)
    assert balance(paid) == Decimal("20.00") and refund_left(payment=paid) == Decimal("20.00")
    assert listed() == 1


def test_a_refund_stripe_never_got_is_asked_for_once_the_list_says_so(
    paid, finance_user, settings, sandbox
):
    refund = unanswered(paid, finance_user, settings, sandbox, reached=False)
    assert refunded_at_stripe(paid) == (0, 0)
    reconcile(minutes=A_DAY_ON)
    refund.refresh_from_db()
    assert listed() == 1  # looked up first
    assert refund.status == PaymentStatus.COMPLETED
    assert refunded_at_stripe(paid) == (1, 3000)
    assert balance(paid) == Decimal("20.00")


def test_a_refund_stripe_cannot_be_asked_about_is_flagged_and_never_made_again(
    paid, finance_user, settings, sandbox
):
    """Stripe answers HTTP 500 to the list: nothing is asked for again, the refund is flagged
    for Finance, looked up again later (not on the very next run), and settled once Stripe
    answers."""
    refund = unanswered(paid, finance_user, settings, sandbox, reached=True)
    sandbox.switch(webhooks="none", fault="error_500", only="stripe")
    reconcile(minutes=A_DAY_ON)
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING and refund.needs_attention
    assert refund.pending_reason == UNCONFIRMED
    assert refunded_at_stripe(paid) == (1, 3000)
    assert refund_left(payment=paid) == Decimal("20.00")  # its 30.00 stays held
    sandbox.switch(webhooks="none")
    reconcile(minutes=A_DAY_ON + 5)
    assert listed() == 1  # not due yet
    reconcile(minutes=A_DAY_ON + 20)
    assert listed() == 2
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED and not refund.needs_attention
    assert refunded_at_stripe(paid) == (1, 3000)
    assert balance(paid) == Decimal("20.00")
