"""Refunds and chargebacks as an accountant would tell them: balance, rows and links after each.

The gateway's answers come in as the boundary's events (RefundEvent, DisputeEvent), applied by
checkout.events.gateway_event_apply — the one place gateway events become money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.refunds import payment_refund
from paydesk.errors import InsufficientCredit, PaymentError, PermissionDenied, RefundRefused
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.ledger.services import PaidDetails, payment_create
from paydesk.money import Money
from paydesk.notifications.models import EmailKind, OutboundEmail
from tests.factories import CustomerFactory, StaffFactory
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


def test_full_refund_through_the_gateway(card_gateway, finance):
    """Tops up 50, Finance refunds it all: a completed -50 row linked to it; balance 0."""
    payment = card_payment()
    customer = payment.customer
    customer.contacts.create(email="billing@example.com")
    refund = payment_refund(payment=payment, reason="Duplicate top-up", actor=finance)
    assert refund.status == PaymentStatus.COMPLETED
    assert refund.total == Decimal("-50.00")
    assert (refund.original_id, refund.relation) == (payment.pk, PaymentRelation.REFUND)
    assert refund.description == f"Refund of {payment.reference}: Duplicate top-up"
    assert refund.gateway_transaction == "refund:re_0001"
    assert balance(customer) == Decimal("0.00")
    assert refund_left(payment=payment) == 0
    request = card_gateway.requests[0]
    assert request.amount == Money(Decimal("50.00"), "USD")
    assert request.idempotency_key == f"refund-{refund.reference}"
    assert request.transaction_id == payment.gateway_transaction
    assert OutboundEmail.objects.filter(kind=EmailKind.REFUND_ISSUED, payment=refund).count() == 1
    with pytest.raises(RefundRefused):
        payment_refund(payment=payment, reason="again", actor=finance, total="0.01")


def test_two_partial_refunds_then_nothing_left(card_gateway, finance):
    payment = card_payment()
    customer = payment.customer
    payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="20.00")
    payment_refund(payment=payment, reason="Goodwill", actor=finance, total="12.50")
    assert balance(customer) == Decimal("17.50")
    assert refund_left(payment=payment) == Decimal("17.50")
    with pytest.raises(RefundRefused, match="At most \\$17.50"):
        payment_refund(payment=payment, reason="Too much", actor=finance, total="17.51")
    assert Payment.objects.filter(original=payment).count() == 2


def test_a_refund_the_gateway_declines_is_cancelled_and_frees_the_amount(card_gateway, finance):
    payment = card_payment()
    card_gateway.answer = Outcome.CANCELLED
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert refund.status == PaymentStatus.CANCELLED
    assert "insufficient funds" in refund.cancel_reason
    assert balance(payment.customer) == Decimal("50.00")
    assert refund_left(payment=payment) == Decimal("50.00")
    card_gateway.answer = Outcome.COMPLETED
    again = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert again.status == PaymentStatus.COMPLETED
    assert balance(payment.customer) == Decimal("0.00")


def test_no_answer_leaves_it_pending_and_the_retry_uses_the_same_key(card_gateway, finance):
    from paydesk.checkout.refunds import refund_ask

    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="10")
    assert refund.status == PaymentStatus.PENDING
    assert "did not answer" in refund.pending_reason
    assert balance(payment.customer) == Decimal("50.00")
    card_gateway.unavailable = False
    refund = refund_ask(refund=refund)
    assert refund.status == PaymentStatus.COMPLETED
    keys = {r.idempotency_key for r in card_gateway.requests}
    assert keys == {f"refund-{refund.reference}"}
    assert balance(payment.customer) == Decimal("40.00")


def test_a_refund_past_available_credit_needs_allow_overdraft(card_gateway, finance):
    payment = card_payment()
    customer = payment.customer
    payment_create(customer=customer, total=Decimal("-45.00"), description="Calls, May")
    with pytest.raises(InsufficientCredit, match="Allow overdraft"):
        payment_refund(payment=payment, reason="Customer asked", actor=finance, total="10")
    assert not Payment.objects.filter(original=payment).exists()
    payment_refund(
        payment=payment, reason="Customer asked", actor=finance, total="10", allow_overdraft=True
    )
    assert balance(customer) == Decimal("-5.00")


def test_support_cannot_refund(card_gateway):
    payment = card_payment()
    with pytest.raises(PermissionDenied):
        payment_refund(payment=payment, reason="x", actor=StaffFactory(staff_role="support"))


def test_a_refund_made_at_the_gateway_arrives_once(card_gateway):
    payment = card_payment()
    event = RefundEvent(
        gateway="card",
        event_id="evt_dashboard_1",
        refund_id="re_dash",
        outcome=Outcome.COMPLETED,
        amount=Money(Decimal("15.00"), "USD"),
        transaction_id=payment.gateway_transaction,
    )
    applied = gateway_event_apply(event=event)
    again = gateway_event_apply(event=event)
    retold = gateway_event_apply(
        event=RefundEvent(**{**_fields(event), "event_id": "evt_dashboard_1b"})
    )
    refund = applied.payment
    assert again.duplicate and again.payment == refund
    assert retold.payment == refund
    assert refund.total == Decimal("-15.00") and refund.status == PaymentStatus.COMPLETED
    assert refund.description == f"Refund of {payment.reference} (made through Credit Card)"
    assert balance(payment.customer) == Decimal("35.00")
    assert Payment.objects.filter(original=payment).count() == 1


def test_a_webhook_that_overtakes_our_own_call_settles_our_row(card_gateway, finance):
    """The gateway's notification, naming the refund reference Paydesk set on it, arrives while
    Finance's request is still waiting for its answer: one refund row, not two."""
    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="20")
    gateway_event_apply(
        event=RefundEvent(
            gateway="card",
            event_id="evt_overtaking",
            refund_id="re_9",
            outcome=Outcome.COMPLETED,
            amount=Money(Decimal("20.00"), "USD"),
            transaction_id=payment.gateway_transaction,
            refund_reference=refund.reference,
        )
    )
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED
    assert refund.gateway_transaction == "refund:re_9"
    assert Payment.objects.filter(original=payment).count() == 1
    assert balance(payment.customer) == Decimal("30.00")


def test_a_payer_paid_in_another_currency_gets_the_same_share_back(card_gateway, finance):
    """Credited 100.00 USD for 92.59 EUR paid: a refund of 50.00 USD sends 46.30 EUR back; the
    second 50.00 sends exactly what is left (46.29 EUR), so the sums never drift."""
    paid = PaidDetails(
        amount=Decimal("92.59"), currency="EUR", fx_rate="1.08", surcharge=Decimal(0)
    )
    payment = card_payment(total="100.00", paid=paid)
    first = payment_refund(payment=payment, reason="Half", actor=finance, total="50.00")
    second = payment_refund(payment=payment, reason="Rest", actor=finance, total="50.00")
    amounts = [r.amount for r in card_gateway.requests]
    assert amounts == [Money(Decimal("46.30"), "EUR"), Money(Decimal("46.29"), "EUR")]
    assert first.paid_amount + second.paid_amount == -paid.amount
    assert balance(payment.customer) == Decimal("0.00")


def test_a_dispute_lost(card_gateway):
    """Disputed, funds withdrawn (a chargeback row, whatever the credit), then lost."""
    payment = card_payment()
    customer = payment.customer
    payment_create(customer=customer, total=Decimal("-40.00"), description="Calls")
    finance = StaffFactory(staff_role="finance", email="finance@example.com")
    assert finance.is_active
    _dispute(payment, DisputeStage.OPENED, "evt_d1")
    dispute = Dispute.objects.get()
    assert dispute.is_open and dispute.reason == "fraudulent"
    assert (
        OutboundEmail.objects.filter(kind=EmailKind.DISPUTE_OPENED, to=finance.email).count() == 1
    )
    _dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_d2")
    _dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_d2-replayed-with-new-id")
    _dispute(payment, DisputeStage.LOST, "evt_d3")
    chargeback = Payment.objects.get(original=payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert chargeback.status == PaymentStatus.COMPLETED and chargeback.total == Decimal("-50.00")
    assert balance(customer) == Decimal("-40.00")  # 50 - 40 - 50: the money is gone
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback) == ("lost", chargeback)
    assert refund_left(payment=payment) == 0


def test_a_dispute_won_gives_the_money_back(card_gateway):
    payment = card_payment()
    customer = payment.customer
    for stage, event_id in [
        (DisputeStage.OPENED, "e1"),
        (DisputeStage.FUNDS_WITHDRAWN, "e2"),
        (DisputeStage.FUNDS_REINSTATED, "e3"),
        (DisputeStage.WON, "e4"),
    ]:
        _dispute(payment, stage, event_id)
    rows = Payment.objects.filter(original=payment).order_by("id")
    assert [(r.relation, r.total) for r in rows] == [
        (PaymentRelation.CHARGEBACK, Decimal("-50.00")),
        (PaymentRelation.CHARGEBACK_REVERSED, Decimal("50.00")),
    ]
    assert balance(customer) == Decimal("50.00")
    assert Dispute.objects.get().status == "won"
    assert refund_left(payment=payment) == Decimal("50.00")


def test_a_recorded_refund_for_a_method_without_a_refund_api(finance):
    customer = CustomerFactory()
    payment = payment_create(
        customer=customer,
        total=Decimal("80.00"),
        description="NOWPayments top-up",
        method="nowpayments",
        gateway="nowpayments",
        gateway_transaction="np_1",
    )
    with pytest.raises(PaymentError, match="record the refund"):
        payment_refund(payment=payment, reason="Wrong coin", actor=finance)
    refund = payment_refund(
        payment=payment, reason="Wrong coin", actor=finance, outside=True, note="tx 0xabc"
    )
    assert refund.status == PaymentStatus.COMPLETED and refund.total == Decimal("-80.00")
    assert refund.staff_comment == "tx 0xabc"
    assert balance(customer) == Decimal("0.00")


def test_events_of_a_payment_bound_by_another_gateways_id_are_refused(card_gateway):
    payment = card_payment()
    with pytest.raises(Exception, match="no known payment"):
        gateway_event_apply(
            event=RefundEvent(
                gateway="card",
                event_id="evt_x",
                refund_id="re_x",
                outcome=Outcome.COMPLETED,
                amount=Money(Decimal("5"), "USD"),
                transaction_id="pi_someone_else",
            )
        )
    assert not Payment.objects.filter(original=payment).exists()


def _fields(event: RefundEvent) -> dict:
    return {name: getattr(event, name) for name in RefundEvent.__slots__}


def _dispute(payment: Payment, stage: DisputeStage, event_id: str) -> None:
    gateway_event_apply(
        event=DisputeEvent(
            gateway="card",
            event_id=event_id,
            dispute_id="dp_1",
            stage=stage,
            amount=Money(payment.total, "USD"),
            transaction_id=payment.gateway_transaction,
            reason="fraudulent",
            gateway_status=str(stage),
        )
    )


def test_the_ledger_and_the_gateway_boundary_name_dispute_stages_alike():
    from paydesk.ledger import disputes

    assert {s.value for s in disputes.DisputeStage} == {s.value for s in DisputeStage}


def test_reconciliation_asks_again_for_a_refund_never_answered(card_gateway, finance):
    from datetime import timedelta

    from django.utils import timezone

    from paydesk.checkout.reconcile import gateway_payments_reconcile

    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="5")
    card_gateway.unavailable = False
    gateway_payments_reconcile(now=timezone.now() + timedelta(hours=1))
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED  # not abandoned as an unpaid checkout
    assert {r.idempotency_key for r in card_gateway.requests} == {f"refund-{refund.reference}"}
    assert balance(payment.customer) == Decimal("45.00")


def test_the_same_refund_request_twice_refunds_and_audits_once(card_gateway, finance):
    from paydesk.audit.models import AuditEntry

    payment = card_payment()
    first = payment_refund(payment=payment, reason="Asked", actor=finance, idempotency_key="k-1")
    again = payment_refund(payment=payment, reason="Asked", actor=finance, idempotency_key="k-1")
    assert again.pk == first.pk
    assert AuditEntry.objects.filter(action="payment.refund").count() == 1
    assert len(card_gateway.requests) == 1


def test_a_refund_asked_of_the_gateway_is_never_completed_or_cancelled_by_hand(
    card_gateway, finance
):
    """A pending refund waits for its gateway. Completing it by hand took any amount (-500.00 of
    a 50.00 payment: refunds past the payment), and cancelling it by hand kept its hold (the
    10.00 could not be refunded again) and would have ignored the gateway's later "refunded".
    Both are refused on every path (staff API here; the back office and the CLI call the same
    services), and the gateway's answer still settles it."""
    from django.test import Client

    from paydesk.checkout.refunds import refund_ask
    from tests.api.conftest import ApiClient, key_for

    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="10")
    assert refund.status == PaymentStatus.PENDING
    staff = ApiClient(key_for(finance), Client())
    done = staff.post(
        f"/api/v1/staff/payments/{refund.reference}/complete",
        {"total": "-500.00", "allow_overdraft": True},
    )
    assert done.status_code == 409, done.content
    assert "never by hand" in done.json()["error"]["message"]
    cancel = staff.post(f"/api/v1/staff/payments/{refund.reference}/cancel", {"reason": "Oops"})
    assert cancel.status_code == 409, cancel.content
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING and refund.total == Decimal("-10.00")
    assert balance(payment.customer) == Decimal("50.00")

    card_gateway.unavailable = False
    assert refund_ask(refund=refund).status == PaymentStatus.COMPLETED
    assert balance(payment.customer) == Decimal("40.00")
    assert refund_left(payment=payment) == Decimal("40.00")
    rest = payment_refund(payment=payment, reason="The rest", actor=finance)
    assert (rest.status, rest.total) == (PaymentStatus.COMPLETED, Decimal("-40.00"))
    assert balance(payment.customer) == Decimal("0.00")


def test_the_back_office_offers_no_complete_or_cancel_for_a_refund_waiting_for_its_gateway(
    card_gateway, finance
):
    from tests.backoffice.conftest import PAYMENTS, signed_in

    payment = card_payment()
    card_gateway.unavailable = True
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="10")
    desk = signed_in(finance)
    page = desk.get(f"{PAYMENTS}{refund.pk}/change/").content.decode()
    assert f"{PAYMENTS}{refund.pk}/complete/" not in page
    assert f"{PAYMENTS}{refund.pk}/cancel/" not in page
    desk.post(f"{PAYMENTS}{refund.pk}/complete/", {"total": "-500.00", "allow_overdraft": "on"})
    desk.post(f"{PAYMENTS}{refund.pk}/cancel/", {"reason": "Oops"})
    refund.refresh_from_db()
    assert (refund.status, refund.total) == (PaymentStatus.PENDING, Decimal("-10.00"))
    pending = payment_create(
        customer=payment.customer, total=Decimal("5.00"), description="x", status="pending"
    )
    page = desk.get(f"{PAYMENTS}{pending.pk}/change/").content.decode()
    assert f"{PAYMENTS}{pending.pk}/complete/" in page  # other pending payments keep them


def test_a_refund_its_gateway_cannot_be_asked_about_waits_for_its_notification(
    card_gateway, finance, caplog
):
    """A gateway with no "retrieve a refund": reconciliation never asks for the refund again
    (a second refund), leaves it pending with a log line, and the back office says that only
    the gateway's notification settles it."""
    from datetime import timedelta

    from django.utils import timezone

    from paydesk.checkout.reconcile import gateway_payments_reconcile
    from tests.backoffice.conftest import PAYMENTS, signed_in

    payment = card_payment()
    card_gateway.answer = Outcome.PENDING
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance, total="10")
    assert refund.status == PaymentStatus.PENDING and refund.gateway_transaction == "refund:re_0001"
    with caplog.at_level("INFO", logger="paydesk.checkout.refunds"):
        gateway_payments_reconcile(now=timezone.now() + timedelta(hours=1))
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.PENDING
    assert len(card_gateway.requests) == 1  # never asked for again
    assert f"Refund {refund.reference}: its gateway cannot be asked about a refund." in caplog.text
    page = signed_in(finance).get(f"{PAYMENTS}{refund.pk}/change/").content.decode()
    assert (
        "Credit Card offers no way to ask where a refund stands, so only its notification "
        "completes or cancels it" in page
    )
