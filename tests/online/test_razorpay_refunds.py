"""Razorpay refunds and disputes, worked examples over real HTTP: Finance refunds through the real
client against the sandbox's refund API; the sandbox's signed refund.* and payment.dispute.*
webhooks reach the real /webhooks/razorpay/ endpoint. Balance, rows and links after each."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.refunds import payment_refund
from paydesk.gateways.razorpay.refunds import FAILED_REASON
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.sandbox.core import webhook_deliver
from paydesk.sandbox.razorpay.refunds import fail_next_armed, fail_next_set
from tests.factories import StaffFactory
from tests.online.razorpay_support import payment_entity, sandbox_checkout, start
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def patient(sandbox, settings):
    """The sandbox delivers a refund's webhooks while it answers the refund (as it does each
    webhook: at once), so its answer takes a moment: no `timeout` switch is used here."""
    settings.PAYDESK_GATEWAY_TIMEOUT = 20


@pytest.fixture
def payer(online_customer):
    return online_customer("razorpay", "INR", account="INR")


@pytest.fixture
def finance(db):
    return StaffFactory(staff_role="finance")


def _balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db()
    return payment.customer.balance


def _paid(payer, amount: str = "500.00") -> Payment:
    """A Razorpay top-up paid on the sandbox's checkout and completed by its webhooks."""
    payment = start(payer, amount=amount).payment
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.gateway_transaction.startswith("pay_")
    return payment


def _hooks(sandbox, payment: Payment, *events: str) -> list:
    hooks = [h for h in sandbox.webhooks("razorpay") if h.about == payment.gateway_transaction]
    assert [h.event_type for h in hooks] == list(events)
    assert all(h.last_response.startswith("HTTP 200") for h in hooks), hooks
    return hooks


def _dashboard(**fields: str) -> None:
    """A press of a button of the Razorpay panel on /sandbox/."""
    answer = sandbox_staff().post("/sandbox/razorpay/dashboard/", fields)
    assert answer.status_code == 302


def _disputes(payment: Payment, action: str) -> None:
    dispute = Dispute.objects.filter(payment=payment).first()
    _dashboard(action=action, dispute_id=dispute.dispute_id)


def test_full_refund(sandbox, payer, finance):
    payment = _paid(payer)
    refund = payment_refund(payment=payment, reason="Duplicate top-up", actor=finance)
    assert refund.status == PaymentStatus.COMPLETED
    assert refund.total == Decimal("-500.00")
    assert (refund.original_id, refund.relation) == (payment.pk, PaymentRelation.REFUND)
    assert refund.gateway_transaction.startswith("refund:rfnd_")
    assert _balance(payment) == Decimal("0.00") and refund_left(payment=payment) == 0
    _hooks(sandbox, payment, "refund.created", "refund.processed")
    at_razorpay = payment_entity(payment.gateway_transaction)
    assert (at_razorpay["status"], at_razorpay["amount_refunded"]) == ("refunded", 50000)
    assert Payment.objects.filter(original=payment).count() == 1


def test_two_partial_refunds(sandbox, payer, finance):
    payment = _paid(payer)
    first = payment_refund(payment=payment, reason="Unused", actor=finance, total="200.00")
    second = payment_refund(payment=payment, reason="Goodwill", actor=finance, total="125.50")
    assert [first.status, second.status] == [PaymentStatus.COMPLETED] * 2
    assert first.gateway_transaction != second.gateway_transaction
    assert _balance(payment) == Decimal("174.50")
    assert refund_left(payment=payment) == Decimal("174.50")
    rows = Payment.objects.filter(original=payment, relation=PaymentRelation.REFUND)
    assert sorted(r.total for r in rows) == [Decimal("-200.00"), Decimal("-125.50")]
    at_razorpay = payment_entity(payment.gateway_transaction)
    assert at_razorpay["amount_refunded"] == 32550
    assert (at_razorpay["status"], at_razorpay["refund_status"]) == ("captured", "partial")


def test_a_refund_razorpay_fails_is_cancelled_and_frees_the_amount(sandbox, payer, finance):
    payment = _paid(payer)
    fail_next_set(True)
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert refund.status == PaymentStatus.CANCELLED
    assert refund.cancel_reason == FAILED_REASON
    assert refund.gateway_transaction.startswith("refund:rfnd_")
    assert _balance(payment) == Decimal("500.00")
    assert refund_left(payment=payment) == Decimal("500.00")
    assert not fail_next_armed()  # one-shot
    _hooks(sandbox, payment, "refund.created", "refund.failed")
    again = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert again.status == PaymentStatus.COMPLETED
    assert _balance(payment) == Decimal("0.00")


def test_a_refund_made_in_the_dashboard_arrives_once(sandbox, payer):
    payment = _paid(payer)
    _dashboard(action="refund", payment_id=payment.gateway_transaction, amount="10000")
    hooks = _hooks(sandbox, payment, "refund.created", "refund.processed")
    refund = Payment.objects.get(original=payment)
    assert refund.relation == PaymentRelation.REFUND
    assert refund.status == PaymentStatus.COMPLETED and refund.total == Decimal("-100.00")
    assert refund.description == f"Refund of {payment.reference} (made through Razor Pay)"
    assert _balance(payment) == Decimal("400.00")
    for hook in hooks:  # Razorpay retries: the same deliveries again change nothing
        webhook_deliver(hook.pk)
    assert Payment.objects.filter(original=payment).count() == 1
    assert _balance(payment) == Decimal("400.00")


def test_webhooks_twice_and_a_refund_still_posts_once(sandbox, payer, finance):
    payment = _paid(payer)
    sandbox.switch(webhooks="twice")
    refund = payment_refund(payment=payment, reason="x", actor=finance, total="50.00")
    assert refund.status == PaymentStatus.COMPLETED
    assert Payment.objects.filter(original=payment).count() == 1
    assert _balance(payment) == Decimal("450.00")


def test_a_dispute_lost(sandbox, payer):
    payment = _paid(payer)
    _dashboard(action="dispute", payment_id=payment.gateway_transaction)
    dispute = Dispute.objects.get(payment=payment)
    assert dispute.is_open and dispute.evidence_due is not None
    assert dispute.amount == Decimal("500.00") and dispute.currency == "INR"
    # The sandbox's `reason_code`, worded as what the customer says: they read it too.
    said = "the customer says they did not receive what they paid for, or only part of it"
    assert dispute.reason == said
    assert dispute.gateway_status == "open (chargeback)"
    assert _balance(payment) == Decimal("500.00")  # nothing deducted yet
    _disputes(payment, "review")
    _disputes(payment, "lose")
    chargeback = Payment.objects.get(original=payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert (chargeback.status, chargeback.total) == (PaymentStatus.COMPLETED, Decimal("-500.00"))
    assert chargeback.description == f"Chargeback of {payment.reference}: {said}"
    assert _balance(payment) == Decimal("0.00")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback) == ("lost", chargeback)
    assert dispute.gateway_status == "lost (chargeback)"
    hooks = _hooks(
        sandbox,
        payment,
        "payment.dispute.created",
        "payment.dispute.under_review",
        "payment.dispute.lost",
    )
    webhook_deliver(hooks[-1].pk)  # a replay changes nothing
    assert Payment.objects.filter(original=payment).count() == 1
    assert _balance(payment) == Decimal("0.00")


def test_a_dispute_deducted_at_onset_then_won(sandbox, payer):
    payment = _paid(payer)
    _dashboard(action="dispute_deducted", payment_id=payment.gateway_transaction)
    chargeback = Payment.objects.get(original=payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert _balance(payment) == Decimal("0.00")
    _disputes(payment, "review")
    _disputes(payment, "win")
    rows = Payment.objects.filter(original=payment).order_by("id")
    assert [(r.relation, r.total) for r in rows] == [
        (PaymentRelation.CHARGEBACK, Decimal("-500.00")),
        (PaymentRelation.CHARGEBACK_REVERSED, Decimal("500.00")),
    ]
    assert _balance(payment) == Decimal("500.00")
    assert Dispute.objects.get(payment=payment).status == "won"


def test_a_dispute_won_without_deduction_moves_no_money(sandbox, payer):
    payment = _paid(payer)
    _dashboard(action="dispute", payment_id=payment.gateway_transaction)
    _disputes(payment, "review")
    _disputes(payment, "win")
    assert not Payment.objects.filter(original=payment).exists()
    assert _balance(payment) == Decimal("500.00")
    assert Dispute.objects.get(payment=payment).status == "won"
