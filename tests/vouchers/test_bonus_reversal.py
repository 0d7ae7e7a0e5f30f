"""A voucher bonus goes back with the top-up that earned it, told as worked examples: the customer
arms a bonus voucher (M 50, X 2, A 5), tops up by card, and the top-up is refunded or charged
back. Balances, rows and links after each step; the ledger's drift check stays empty."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.refunds import payment_refund
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from paydesk.money import Money
from paydesk.outhooks.models import Event
from paydesk.vouchers.models import VoucherActivation
from tests.api.conftest import ApiClient, key_for
from tests.backoffice.conftest import PAYMENTS, signed_in
from tests.refunds.conftest import card_gateway, card_payment  # noqa: F401 (card_gateway: fixture)
from tests.vouchers.test_bonus import arm

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TERMS = {"minimum_activation": "50", "multiplier": "2", "addition": "5"}


def balance(customer) -> Decimal:
    customer.refresh_from_db(fields=["balance"])
    return customer.balance


def bonus_of(topup: Payment) -> Payment:
    return VoucherActivation.objects.get(applied_payment=topup).bonus_payment


def bonus_rows(bonus: Payment) -> list[tuple[str, Decimal]]:
    rows = Payment.objects.filter(original=bonus, status=PaymentStatus.COMPLETED).order_by("id")
    return [(r.relation, r.total) for r in rows]


def dispute(topup: Payment, stage: DisputeStage, event_id: str, amount: str = "") -> None:
    gateway_event_apply(
        event=DisputeEvent(
            gateway="card",
            event_id=event_id,
            dispute_id="dp_1",
            stage=stage,
            amount=Money(Decimal(amount) if amount else topup.total, "USD"),
            transaction_id=topup.gateway_transaction,
            reason="fraudulent",
            gateway_status=str(stage),
        )
    )


def refund_at_gateway(topup: Payment, event_id: str, refund_id: str, amount: str) -> None:
    gateway_event_apply(
        event=RefundEvent(
            gateway="card",
            event_id=event_id,
            refund_id=refund_id,
            outcome=Outcome.COMPLETED,
            amount=Money(Decimal(amount), "USD"),
            transaction_id=topup.gateway_transaction,
        )
    )


@pytest.fixture
def earned(issue, portal_user, card_gateway):  # noqa: F811
    """The customer armed the voucher and topped up 50.00 by card: a 55.00 bonus, balance 105."""
    arm(issue, portal_user, **TERMS)
    topup = card_payment(portal_user.customer)
    assert balance(portal_user.customer) == Decimal("105.00")
    return topup


def test_finance_refunds_the_top_up_through_the_api_and_the_bonus_goes_with_it(
    earned, finance_user
):
    """The reviewer's first story: 50.00 paid, 55.00 bonus, Finance refunds the 50.00. The
    customer paid nothing, so they keep nothing."""
    customer, bonus = earned.customer, bonus_of(earned)
    finance = ApiClient(key_for(finance_user))
    path = f"/api/v1/staff/payments/{earned.reference}/refund"
    answer = finance.post(path, {"reason": "Customer asked"}, **{"Idempotency-Key": "r-1"})
    assert answer.status_code == 201, answer.content
    again = finance.post(path, {"reason": "Customer asked"}, **{"Idempotency-Key": "r-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"

    reversal = Payment.objects.get(original=bonus)
    assert (reversal.relation, reversal.total, reversal.status, reversal.method) == (
        PaymentRelation.BONUS_REVERSED,
        Decimal("-55.00"),
        PaymentStatus.COMPLETED,
        "voucher",
    )
    assert reversal.description == f"Voucher bonus reversed: {earned.reference} refunded"
    assert balance(customer) == Decimal("0.00")
    assert reversal.balance_after == Decimal("0.00")
    entry = AuditEntry.objects.get(action="voucher.bonus_reversed")
    assert entry.after["posted"] == reversal.reference
    assert entry.after["because_of"] == Payment.objects.get(original=earned).reference
    assert (entry.after["topup_kept"], entry.after["bonus_due"]) == ("0.00", "0.00")
    assert balance_drifts() == []


def test_a_lost_dispute_takes_the_bonus_back_once_and_a_won_one_gives_it_back(earned):
    """The reviewer's second story, then the dispute reversed; every event delivered twice."""
    customer, bonus = earned.customer, bonus_of(earned)
    dispute(earned, DisputeStage.OPENED, "e1")
    dispute(earned, DisputeStage.FUNDS_WITHDRAWN, "e2")
    dispute(earned, DisputeStage.FUNDS_WITHDRAWN, "e2")  # the same delivery twice
    dispute(earned, DisputeStage.LOST, "e3")
    dispute(earned, DisputeStage.LOST, "e3-redelivered-with-a-new-id")
    assert bonus_rows(bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-55.00"))]
    reversal = Payment.objects.get(original=bonus)
    assert reversal.description == f"Voucher bonus reversed: {earned.reference} charged back"
    assert balance(customer) == Decimal("0.00")  # paid 50, charged back 50: nothing kept

    dispute(earned, DisputeStage.FUNDS_REINSTATED, "e4")
    dispute(earned, DisputeStage.FUNDS_REINSTATED, "e4")
    dispute(earned, DisputeStage.WON, "e5")
    assert bonus_rows(bonus) == [
        (PaymentRelation.BONUS_REVERSED, Decimal("-55.00")),
        (PaymentRelation.BONUS_RESTORED, Decimal("55.00")),
    ]
    restored = Payment.objects.filter(original=bonus).last()
    assert restored.description == (
        f"Voucher bonus restored: {earned.reference} chargeback reversed"
    )
    assert balance(customer) == Decimal("105.00")
    assert AuditEntry.objects.filter(action="voucher.bonus_restored").count() == 1
    assert balance_drifts() == []


def test_a_chargeback_takes_the_bonus_back_past_the_available_credit(earned):
    """The customer spent 90.00 of the 105.00: the chargeback and the bonus reversal both post,
    as a chargeback does, and leave the account at what was spent beyond what was paid."""
    customer = earned.customer
    payment_create(customer=customer, total=Decimal("-90.00"), description="Calls")
    dispute(earned, DisputeStage.LOST, "e1")
    assert balance(customer) == Decimal("-90.00")  # 50 paid - 50 charged back - 90 spent
    assert balance_drifts() == []


def test_partial_refunds_keep_the_bonus_the_kept_top_up_earns(issue, portal_user, card_gateway):  # noqa: F811
    """Top-up 100.00 earns 105.00. Refunds of 20.00 and 30.00 leave 80.00 and 50.00 kept, worth
    85.00 and 55.00; one more cent leaves 49.99, below the minimum: the whole bonus goes."""
    customer = portal_user.customer
    arm(issue, portal_user, **TERMS)
    topup = card_payment(customer, total="100.00")
    bonus = bonus_of(topup)
    assert (bonus.total, balance(customer)) == (Decimal("105.00"), Decimal("205.00"))

    refund_at_gateway(topup, "evt_1", "re_1", "20.00")
    assert bonus_rows(bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-20.00"))]
    assert balance(customer) == Decimal("165.00")
    refund_at_gateway(topup, "evt_1", "re_1", "20.00")  # delivered twice
    refund_at_gateway(topup, "evt_2", "re_2", "30.00")
    assert balance(customer) == Decimal("105.00")
    refund_at_gateway(topup, "evt_3", "re_3", "0.01")
    assert [total for _, total in bonus_rows(bonus)] == [
        Decimal("-20.00"),
        Decimal("-30.00"),
        Decimal("-55.00"),
    ]
    assert balance(customer) == Decimal("49.99")  # what the customer paid and kept
    assert balance_drifts() == []


def test_each_step_rounds_once_so_the_rows_sum_exactly(issue, portal_user, card_gateway):  # noqa: F811
    """X 1.1 on 33.33 earns 3.33 (3.333 rounded). 33.28 kept still earns 3.33 (3.328): nothing
    moves. 23.28 kept earns 2.33 (2.328): 1.00 goes, not the 0.9995 a share would say."""
    customer = portal_user.customer
    arm(issue, portal_user, minimum_activation="10", multiplier="1.1", addition="0")
    topup = card_payment(customer, total="33.33")
    bonus = bonus_of(topup)
    assert bonus.total == Decimal("3.33")
    refund_at_gateway(topup, "evt_1", "re_1", "0.05")
    assert bonus_rows(bonus) == []
    refund_at_gateway(topup, "evt_2", "re_2", "10.00")
    assert bonus_rows(bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-1.00"))]
    assert balance(customer) == Decimal("23.28") + Decimal("2.33")


def test_a_pending_refund_takes_nothing_until_it_completes_and_a_declined_one_nothing(
    earned,
    finance_user,
    card_gateway,  # noqa: F811
):
    bonus = bonus_of(earned)
    card_gateway.answer = Outcome.CANCELLED
    declined = payment_refund(payment=earned, reason="Asked", actor=finance_user, total="10")
    assert declined.status == PaymentStatus.CANCELLED
    card_gateway.unavailable = True
    pending = payment_refund(payment=earned, reason="Asked", actor=finance_user, total="10")
    assert pending.status == PaymentStatus.PENDING
    assert bonus_rows(bonus) == [] and balance(earned.customer) == Decimal("105.00")
    gateway_event_apply(
        event=RefundEvent(
            gateway="card",
            event_id="evt_settled",
            refund_id="re_settled",
            outcome=Outcome.COMPLETED,
            amount=Money(Decimal("10.00"), "USD"),
            transaction_id=earned.gateway_transaction,
            refund_reference=pending.reference,
        )
    )
    assert bonus_rows(bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-55.00"))]
    assert balance(earned.customer) == Decimal("40.00")  # 50 paid, 10 refunded
    assert balance_drifts() == []


def test_a_refund_of_a_top_up_that_earned_no_bonus_posts_nothing_more(card_gateway):  # noqa: F811
    topup = card_payment()
    refund_at_gateway(topup, "evt_1", "re_1", "50.00")
    assert Payment.objects.count() == 2
    assert not AuditEntry.objects.filter(action__startswith="voucher.bonus_").exists()


def test_outgoing_events_tell_the_refund_then_the_bonus_reversal_with_their_balances(earned):
    customer = earned.customer
    first = Event.objects.order_by("-id").first()
    refund_at_gateway(earned, "evt_1", "re_1", "50.00")
    events = Event.objects.filter(pk__gt=first.pk).order_by("id")
    data = [json.loads(e.data) for e in events]
    told = [(e.type, json.loads(e.data).get("balance", {}).get("amount")) for e in events]
    assert told == [
        ("refund.completed", None),
        ("balance.changed", "55.00"),
        ("voucher_bonus.reversed", None),
        ("balance.changed", "0.00"),
    ]
    assert data[2]["original"] == bonus_of(earned).reference
    assert data[2]["relation"] == "bonus_reversed"
    assert data[3]["customer_id"] == customer.pk


def test_the_customer_and_finance_read_why_the_bonus_went(earned, portal_user, finance_user):
    refund_at_gateway(earned, "evt_1", "re_1", "50.00")
    bonus = bonus_of(earned)
    reversal = Payment.objects.get(original=bonus)
    portal = Client()
    portal.force_login(portal_user, backend=MODEL_BACKEND)
    page = portal.get("/payments/").content.decode()
    assert f"Voucher bonus reversed: {earned.reference} refunded" in page
    assert f"Takes back the bonus {bonus.reference}" in page
    detail = portal.get(f"/payments/{reversal.reference}/").content.decode()
    assert "Takes back the bonus" in detail and bonus.reference in detail
    backoffice = signed_in(finance_user)
    bonus_page = backoffice.get(f"{PAYMENTS}{bonus.pk}/change/").content.decode()
    assert f'Voucher bonus reversed <a href="{PAYMENTS}{reversal.pk}/change/"' in bonus_page
    reversal_page = backoffice.get(f"{PAYMENTS}{reversal.pk}/change/").content.decode()
    assert f"Voucher bonus reversed: {earned.reference} refunded" in reversal_page
    assert f'Takes back the bonus <a href="{PAYMENTS}{bonus.pk}/change/"' in reversal_page


def test_a_reversed_chargeback_never_gives_back_a_bonus_finance_refunded_by_hand(
    earned, finance_user
):
    """Finance took the 55.00 bonus back themselves (a refund of it, recorded outside any
    gateway). The top-up's chargeback then finds nothing left to take, and its reversal gives
    back only what the chargeback's bonus row took: nothing."""
    customer, bonus = earned.customer, bonus_of(earned)
    payment_refund(
        payment=bonus, reason="Bonus given in error", actor=finance_user, outside=True, note="n/a"
    )
    assert balance(customer) == Decimal("50.00")
    dispute(earned, DisputeStage.FUNDS_WITHDRAWN, "e1")
    dispute(earned, DisputeStage.FUNDS_REINSTATED, "e2")
    assert [relation for relation, _ in bonus_rows(bonus)] == [PaymentRelation.REFUND]
    assert balance(customer) == Decimal("50.00")
    assert balance_drifts() == []


def test_a_bonus_taken_back_is_not_refundable_again(earned, finance_user):
    """Once the follow-up took the bonus back, Finance cannot refund it a second time: what is
    left to refund of the bonus counts the reversal, as a chargeback counts."""
    from paydesk.ledger.refunds import refund_left

    bonus = bonus_of(earned)
    assert refund_left(payment=bonus) == Decimal("55.00")
    refund_at_gateway(earned, "re-1", "re_1", "20.00")  # K 30 < M 50: the whole bonus goes
    assert bonus_rows(bonus) == [(PaymentRelation.BONUS_REVERSED, Decimal("-55.00"))]
    assert refund_left(payment=bonus) == Decimal("0.00")
    dispute(earned, DisputeStage.OPENED, "d1")  # a chargeback of the rest, then reversed
    dispute(earned, DisputeStage.FUNDS_WITHDRAWN, "d2", amount="30.00")
    dispute(earned, DisputeStage.FUNDS_REINSTATED, "d3", amount="30.00")
    assert refund_left(payment=bonus) == Decimal("0.00")  # K back to 30: still below M


def test_a_reversed_chargeback_earns_no_bonus_of_another_armed_voucher(earned, issue, portal_user):
    """The chargeback reversal gives back the money of the top-up that already earned its bonus:
    it is not a new top-up, so a second voucher the customer armed meanwhile stays armed (it
    was paid a second bonus for the same 50.00)."""
    customer, bonus = earned.customer, bonus_of(earned)
    second = arm(issue, portal_user, **TERMS)
    dispute(earned, DisputeStage.LOST, "e1")
    assert balance(customer) == Decimal("0.00")
    dispute(earned, DisputeStage.WON, "e2")
    assert bonus_rows(bonus) == [
        (PaymentRelation.BONUS_REVERSED, Decimal("-55.00")),
        (PaymentRelation.BONUS_RESTORED, Decimal("55.00")),
    ]
    second.refresh_from_db()
    assert (second.applied_payment_id, second.bonus_payment_id) == (None, None)
    assert balance(customer) == Decimal("105.00")
    assert balance_drifts() == []


def test_the_chargeback_emails_state_the_balance_after_the_bonus_went_and_came_back(earned):
    """The chargeback email's "balance after" was the chargeback row's: 55.00, before the bonus
    reversal the same transaction posts. It is the balance after all that transaction did;
    the reversal's email likewise counts the bonus restored."""
    from paydesk.notifications.models import EmailKind, OutboundEmail
    from paydesk.notifications.services import email_content

    customer = earned.customer
    customer.contacts.create(email="billing@acme.example")
    dispute(earned, DisputeStage.LOST, "e1")
    taken = OutboundEmail.objects.get(kind=EmailKind.CHARGEBACK)
    assert balance(customer) == Decimal("0.00")
    assert taken.context["balance"] == "$0.00 USD"
    _subject, text, _html = email_content(taken)
    assert "Balance after this chargeback: $0.00 USD" in " ".join(text.split())

    dispute(earned, DisputeStage.FUNDS_REINSTATED, "e2")
    returned = OutboundEmail.objects.get(kind=EmailKind.CHARGEBACK_REVERSED)
    assert balance(customer) == Decimal("105.00")
    assert returned.context["balance"] == "$105.00 USD"
