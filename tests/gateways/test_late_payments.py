"""Gateway events after the first answer (issue 9): an event reaches a payment only through what
Paydesk set or the gateway's server returned, and money confirmed for a payment Paydesk already
cancelled is credited once, as its own row linked to the cancelled one.

Events are made as each gateway's adapter makes them (GatewayEvent, the boundary's data) and
applied through the one place that applies them, `gateway_event_apply`; the payments are real
(quote locked, pending payment created by the checkout service, with stand-in gateways that only
redirect).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.models import EventResult, LogChannel, MethodConfig, PaymentLogEntry
from paydesk.errors import GatewayError
from paydesk.gateways.base import GatewayEvent, Outcome
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_create, payment_pending_note
from paydesk.money import Money
from paydesk.notifications.models import EmailKind, OutboundEmail
from tests.gateways.conftest import CHARGED, start_payment
from tests.gateways.senders import SENDERS
from tests.signin import sign_in
from tests.vouchers.conftest import run_at_once

pytestmark = pytest.mark.django_db
RAZORPAY = next(s for s in SENDERS if s.name == "razorpay")


def _event(payment: Payment, event_id: str, outcome=Outcome.COMPLETED, **fields) -> GatewayEvent:
    defaults = {
        "gateway": payment.gateway,
        "event_id": event_id,
        "outcome": outcome,
        "gateway_reference": payment.gateway_reference,
        "transaction_id": "pay_ONE",
        "amount": Money(Decimal(CHARGED), payment.customer.currency),
    }
    return GatewayEvent(**{**defaults, **fields})


def _balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db()
    return payment.customer.balance


def _two_payments() -> tuple[Payment, Payment]:
    first = start_payment(RAZORPAY, key="binding-form-token-0001")
    second = start_payment(RAZORPAY, key="binding-form-token-0002")
    return first, second


# --- binding -----------------------------------------------------------------------------


def test_an_event_naming_one_payment_by_our_reference_and_another_by_theirs_is_refused():
    p1, p2 = _two_payments()
    event = _event(p1, "EvT-mixed", payment_reference=p2.reference)

    with pytest.raises(GatewayError, match="Refused"):
        gateway_event_apply(event=event)

    for payment in (p1, p2):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
        assert _balance(payment) == 0
    entry = PaymentLogEntry.objects.get(event_id="EvT-mixed")
    assert entry.result == EventResult.REFUSED and p1.reference in entry.detail


def test_an_event_whose_gateway_reference_is_not_the_one_stored_is_refused():
    p1, _p2 = _two_payments()
    event = _event(
        p1, "EvT-other-order", payment_reference=p1.reference, gateway_reference="order_SOMEONE"
    )

    with pytest.raises(GatewayError, match="Refused"):
        gateway_event_apply(event=event)

    p1.refresh_from_db()
    assert p1.status == PaymentStatus.PENDING and _balance(p1) == 0


def test_our_reference_binds_a_payment_whose_gateway_reference_never_arrived():
    payment = start_payment(SENDERS[0], key="binding-form-token-0003")  # Stripe: no reference
    assert payment.gateway_reference == ""
    event = _event(
        payment, "evt_first", payment_reference=payment.reference, gateway_reference="pi_NEW"
    )

    gateway_event_apply(event=event)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert (payment.gateway_reference, payment.gateway_transaction) == ("pi_NEW", "pay_ONE")


def test_one_gateway_transaction_never_credits_two_payments():
    p1, p2 = _two_payments()
    gateway_event_apply(event=_event(p1, "EvT-1"))
    # A second payment's order reported paid by the very same transaction (a gateway bug, or a
    # forged pairing): the database refuses it and the log says why.
    with pytest.raises(GatewayError, match="already credited another payment"):
        gateway_event_apply(event=_event(p2, "EvT-2"))

    p2.refresh_from_db()
    assert p2.status == PaymentStatus.PENDING
    assert _balance(p1) == Decimal(CHARGED) and _balance(p2) == 0
    assert Payment.objects.filter(gateway_transaction="pay_ONE").count() == 1


def test_the_database_refuses_a_gateway_transaction_recorded_twice(customer):
    payment_create(
        customer=customer,
        total="5",
        description="One",
        gateway="paypal",
        gateway_transaction="CAP-1",
    )
    other = payment_create(
        customer=customer,
        total="5",
        description="Two",
        gateway="paypal",
        status=PaymentStatus.PENDING,
    )
    with pytest.raises(IntegrityError):
        Payment.objects.filter(pk=other.pk).update(gateway_transaction="CAP-1")


def test_a_linked_payment_needs_its_original_of_the_same_customer(customer):
    from paydesk.errors import PaymentError
    from tests.factories import CustomerFactory

    stranger = payment_create(
        customer=CustomerFactory(currency="USD"),
        total="5",
        description="Not yours",
        status=PaymentStatus.PENDING,
    )
    with pytest.raises(PaymentError):
        payment_create(customer=customer, total="5", description="Orphan", relation="late_payment")
    with pytest.raises(PaymentError):
        payment_create(
            customer=customer,
            total="5",
            description="Stolen link",
            original=stranger,
            relation=PaymentRelation.LATE_PAYMENT,
        )


# --- late outcomes ------------------------------------------------------------------------


def _cancelled(sender=RAZORPAY, key="late-form-token-0001") -> Payment:
    payment = start_payment(sender, key=key)
    gateway_event_apply(
        event=_event(
            payment,
            "EvT-failed",
            Outcome.CANCELLED,
            amount=None,
            transaction_id="pay_ONE",
            reason="Payment was declined by the bank.",
        )
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    return payment


def test_a_late_capture_is_credited_once_as_a_new_payment_linked_to_the_cancelled_one():
    original = _cancelled()
    Contact.objects.create(customer=original.customer, email="billing@example.com")
    cancelled_at = original.cancelled_at

    applied = gateway_event_apply(event=_event(original, "EvT-captured"))

    late = applied.payment
    assert late.pk != original.pk
    assert (late.status, late.total, late.original_id, late.relation) == (
        PaymentStatus.COMPLETED,
        Decimal(CHARGED),
        original.pk,
        PaymentRelation.LATE_PAYMENT,
    )
    assert late.description == f"Late payment for {original.reference}"
    assert (late.gateway, late.gateway_transaction) == ("razorpay", "pay_ONE")
    assert (late.paid_amount, late.paid_currency) == (original.paid_amount, original.paid_currency)
    original.refresh_from_db()
    assert (original.status, original.cancelled_at) == (PaymentStatus.CANCELLED, cancelled_at)
    assert _balance(original) == Decimal(CHARGED) and late.balance_after == Decimal(CHARGED)
    assert applied.entry.result == EventResult.APPLIED and applied.entry.payment == late
    audit = AuditEntry.objects.get(action="payment.late")
    assert audit.after["original"] == original.reference
    assert OutboundEmail.objects.filter(kind=EmailKind.PAYMENT_RECEIVED).count() == 1
    assert balance_drifts() == []


@pytest.mark.parametrize("channel", [LogChannel.WEBHOOK, LogChannel.RETURN, LogChannel.RECONCILE])
def test_the_same_late_money_told_again_by_every_channel_credits_once(channel):
    original = _cancelled()
    gateway_event_apply(event=_event(original, "EvT-captured"))
    # order.paid for the same payment, the return's answer, reconciliation's query: other
    # event ids, the same Razorpay payment.
    for n, event_id in enumerate(
        ("EvT-order-paid", "return:order:pay_ONE:captured", "query:order:pay_ONE:captured")
    ):
        again = gateway_event_apply(event=_event(original, event_id), channel=channel)
        assert again.entry.result == EventResult.IGNORED, n
        assert again.entry.detail.startswith("Already recorded as")

    assert Payment.objects.filter(original=original).count() == 1
    assert _balance(original) == Decimal(CHARGED)
    assert balance_drifts() == []


def test_late_money_that_names_no_transaction_is_credited_once_whoever_tells_it():
    """A notification naming only our reference (no transaction, no gateway object): the webhook
    and the return are two tellings of one late payment, not two."""
    original = _cancelled()
    for event_id in ("charge.success:", "return:ref:success"):
        gateway_event_apply(
            event=_event(
                original,
                event_id,
                transaction_id="",
                gateway_reference="",
                payment_reference=original.reference,
            )
        )

    assert Payment.objects.filter(original=original).count() == 1
    assert _balance(original) == Decimal(CHARGED)


def test_a_second_payment_on_the_same_order_is_credited_as_its_own_late_payment():
    """NOWPayments: after the first payment expired, a second payment (another transaction) on
    the same invoice — real money again, credited again."""
    original = _cancelled()
    gateway_event_apply(event=_event(original, "5001:finished", transaction_id="5001"))
    gateway_event_apply(event=_event(original, "5002:finished", transaction_id="5002"))

    assert Payment.objects.filter(original=original).count() == 2
    assert _balance(original) == Decimal(CHARGED) * 2


def test_a_late_payment_of_another_amount_waits_for_finance_and_credits_nothing():
    original = _cancelled()
    Contact.objects.create(customer=original.customer, email="billing@example.com")

    applied = gateway_event_apply(
        event=_event(original, "EvT-short", amount=Money(Decimal("20.00"), "INR"))
    )

    late = applied.payment
    assert late.status == PaymentStatus.PENDING and late.needs_attention
    assert "reported ₹20.00 INR" in late.pending_reason and "₹50.25 INR" in late.pending_reason
    assert _balance(original) == 0
    assert OutboundEmail.objects.filter(kind=EmailKind.PAYMENT_RECEIVED).count() == 0


def test_a_pending_notice_about_a_cancelled_payment_says_a_later_success_will_be_credited():
    original = _cancelled()

    applied = gateway_event_apply(event=_event(original, "EvT-authorized", Outcome.PENDING))

    assert applied.entry.result == EventResult.IGNORED
    assert "credited as a late payment" in applied.entry.detail
    assert not Payment.objects.filter(original=original).exists()


def test_a_late_payment_deducts_the_gateways_fee_when_the_method_says_so():
    original = _cancelled()
    MethodConfig.objects.filter(method="razorpay").update(deduct_gateway_fee=True)

    late = gateway_event_apply(event=_event(original, "EvT-fee", fee=Decimal("1.25"))).payment

    assert (late.total, late.fee) == (Decimal(CHARGED) - Decimal("1.25"), Decimal("1.25"))


def test_a_cancelled_payment_cancelled_by_staff_is_credited_late_too(finance_user):
    payment = start_payment(RAZORPAY, key="late-form-token-0002")
    payment_pending_note(payment=payment, gateway_reference="order_STAFF")
    payment_cancel(payment=payment, reason="Customer asked.", actor=finance_user)
    payment.refresh_from_db()

    late = gateway_event_apply(event=_event(payment, "EvT-after-staff")).payment

    assert late.original == payment and late.status == PaymentStatus.COMPLETED


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_late_notifications_racing_reconciliation_credit_once_on_postgresql():
    """The capture notified three times (two event ids, one twice) while reconciliation's query
    and the return apply the same Razorpay payment, all at once on their own connections."""
    original = _cancelled(key="late-form-token-race")
    event_ids = [
        "EvT-captured",
        "EvT-captured",
        "EvT-order-paid",
        "query:o:pay_ONE:captured",
        "return:o:pay_ONE:captured",
        "EvT-captured",
    ]

    def apply(i: int):
        return gateway_event_apply(event=_event(original, event_ids[i]))

    results = run_at_once(len(event_ids), apply)

    assert all(not isinstance(r, Exception) for r in results), results
    late = Payment.objects.get(original=original)
    assert late.status == PaymentStatus.COMPLETED
    assert _balance(original) == Decimal(CHARGED)
    assert balance_drifts() == []


# --- where a late payment shows ------------------------------------------------------------


def test_a_late_payment_shows_its_link_in_the_portal_the_api_the_csv_and_the_back_office():
    import csv
    import io

    from django.test import Client

    from tests.api.conftest import ApiClient, key_for
    from tests.factories import PortalUserFactory, StaffFactory

    original = _cancelled()
    late = gateway_event_apply(event=_event(original, "EvT-captured")).payment
    user = PortalUserFactory(customer=original.customer)
    portal = Client()
    portal.force_login(user)

    page = portal.get("/payments/").content.decode()
    assert f"Late payment for {original.reference}" in page and late.reference in page

    api = ApiClient(key_for(user))
    body = api.get(f"/api/v1/payments/{late.reference}").json()
    assert (body["original"], body["relation"], body["status"]) == (
        original.reference,
        "late_payment",
        "completed",
    )
    assert api.get(f"/api/v1/payments/{original.reference}").json()["original"] == ""
    listed = {p["reference"]: p for p in api.get("/api/v1/payments").json()["data"]}
    assert listed[late.reference]["original"] == original.reference

    text = b"".join(api.get("/api/v1/payments.csv").streaming_content).decode("utf-8-sig")
    rows = {row[1]: row for row in csv.reader(io.StringIO(text))}
    assert rows[late.reference][6] == f"Late payment for {original.reference}"

    staff = Client()
    sign_in(staff, StaffFactory(staff_role="finance"))
    late_page = staff.get(f"/backoffice/ledger/payment/{late.pk}/change/").content.decode()
    assert f"/backoffice/ledger/payment/{original.pk}/change/" in late_page
    original_page = staff.get(f"/backoffice/ledger/payment/{original.pk}/change/")
    assert f"/backoffice/ledger/payment/{late.pk}/change/" in original_page.content.decode()
    filtered = staff.get("/backoffice/ledger/payment/", {"relation__exact": "late_payment"})
    assert late.reference in filtered.content.decode()


# --- money after a completion ----------------------------------------------------------------


def _completed(key="late-form-token-done", transaction_id="5001") -> Payment:
    payment = start_payment(RAZORPAY, key=key)
    gateway_event_apply(
        event=_event(payment, f"{transaction_id}:finished", transaction_id=transaction_id)
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def test_a_second_payment_on_a_completed_invoice_is_credited_as_its_own_late_payment():
    """NOWPayments: the invoice's first payment completed the payment; the payer paid the
    invoice again (another payment id). Real money again: its own row, linked, never an edit."""
    original = _completed()
    completed_at, total = original.completed_at, original.total

    applied = gateway_event_apply(event=_event(original, "5002:finished", transaction_id="5002"))

    late = applied.payment
    assert (late.status, late.total, late.original_id, late.relation) == (
        PaymentStatus.COMPLETED,
        Decimal(CHARGED),
        original.pk,
        PaymentRelation.LATE_PAYMENT,
    )
    assert late.gateway_transaction == "5002"
    assert applied.entry.result == EventResult.APPLIED
    original.refresh_from_db()
    assert (original.completed_at, original.total) == (completed_at, total)
    assert _balance(original) == Decimal(CHARGED) * 2
    assert balance_drifts() == []


def test_the_second_payment_told_again_and_the_first_told_again_create_nothing():
    original = _completed()
    gateway_event_apply(event=_event(original, "5002:finished", transaction_id="5002"))

    for event_id, transaction_id in [
        ("5002:finished", "5002"),  # the same IPN again: a duplicate
        ("return:5002:finished", "5002"),  # the return's answer about the same payment
        ("query:5002:finished", "5002"),  # reconciliation's
        ("return:5001:finished", "5001"),  # the money that completed it
    ]:
        gateway_event_apply(
            event=_event(original, event_id, transaction_id=transaction_id),
            channel=LogChannel.RETURN,
        )

    assert Payment.objects.filter(original=original).count() == 1
    assert _balance(original) == Decimal(CHARGED) * 2


def _partly_paid_completed_by_finance(finance_user, total: str) -> Payment:
    from paydesk.credits.services import staff_payment_complete

    payment = start_payment(RAZORPAY, key="late-form-token-part")
    gateway_event_apply(
        event=_event(
            payment,
            "5001:partially_paid",
            Outcome.PENDING,
            transaction_id="5001",
            attention="Partially paid: 0.0004 of 0.001 BTC received.",
            partly_received=("0.0004", "BTC"),
        )
    )
    staff_payment_complete(payment=payment, actor=finance_user, total=total)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.gateway_transaction == ""
    return payment


def test_the_rest_of_a_partly_paid_payment_finance_completed_waits_for_finance(finance_user):
    """`partially_paid`, completed by Finance for the part received; then `finished` when the
    payer sent the rest. What arrived since cannot be decided here: a pending late payment for
    the difference, flagged; the completed payment is not touched."""
    original = _partly_paid_completed_by_finance(finance_user, "20.00")

    applied = gateway_event_apply(event=_event(original, "5001:finished", transaction_id="5001"))

    late = applied.payment
    assert late.original == original and late.relation == PaymentRelation.LATE_PAYMENT
    assert late.status == PaymentStatus.PENDING and late.needs_attention
    assert late.total == Decimal(CHARGED) - Decimal("20.00")
    assert original.paid_amount is not None and late.paid_amount is None  # not what was paid
    assert "completed with ₹20.00 INR of ₹50.25 INR" in late.pending_reason
    assert "at most ₹30.25 INR" in late.pending_reason
    assert _balance(original) == Decimal("20.00")
    original.refresh_from_db()
    assert (original.status, original.total) == (PaymentStatus.COMPLETED, Decimal("20.00"))
    # Told again, by any channel: nothing more.
    for event_id in ("return:5001:finished", "query:5001:finished"):
        again = gateway_event_apply(event=_event(original, event_id, transaction_id="5001"))
        assert again.entry.result == EventResult.IGNORED
    assert Payment.objects.filter(original=original).count() == 1


def test_a_payment_finance_completed_in_full_is_not_credited_again(finance_user):
    original = _partly_paid_completed_by_finance(finance_user, CHARGED)

    applied = gateway_event_apply(event=_event(original, "5001:finished", transaction_id="5001"))

    assert applied.entry.result == EventResult.IGNORED
    assert not Payment.objects.filter(original=original).exists()
    assert _balance(original) == Decimal(CHARGED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_payment_told_at_once_by_every_channel_credits_once_on_postgresql():
    original = _completed(key="late-form-token-done-race")
    event_ids = [
        "5002:finished",
        "5002:finished",
        "return:5002:finished",
        "query:5002:finished",
        "5002:finished",
        "return:5001:finished",
    ]

    def apply(i: int):
        transaction_id = event_ids[i].split(":")[-2]
        return gateway_event_apply(
            event=_event(original, event_ids[i], transaction_id=transaction_id)
        )

    results = run_at_once(len(event_ids), apply)

    assert all(not isinstance(r, Exception) for r in results), results
    late = Payment.objects.get(original=original)
    assert (late.status, late.gateway_transaction) == (PaymentStatus.COMPLETED, "5002")
    assert _balance(original) == Decimal(CHARGED) * 2
    assert balance_drifts() == []


def test_a_second_payment_after_a_fee_deducted_completion_credits_the_quote_less_its_own_fee():
    MethodConfig.objects.filter(method="razorpay").update(deduct_gateway_fee=True)
    payment = start_payment(RAZORPAY, key="late-form-token-fee2")
    MethodConfig.objects.filter(method="razorpay").update(deduct_gateway_fee=True)
    gateway_event_apply(event=_event(payment, "EvT-1", transaction_id="5001", fee=Decimal("1.25")))

    late = gateway_event_apply(
        event=_event(payment, "EvT-2", transaction_id="5002", fee=Decimal("2.00"))
    ).payment

    payment.refresh_from_db()
    assert payment.total == Decimal(CHARGED) - Decimal("1.25")
    assert (late.total, late.fee) == (Decimal(CHARGED) - Decimal("2.00"), Decimal("2.00"))
