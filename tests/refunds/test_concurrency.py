"""Refunds under concurrency, on PostgreSQL (real row locks and constraints): two Finance users
refunding one payment at once for more than it holds → one refund; the same refund or dispute
event delivered 8 times at once → one row; a refund and a chargeback of one payment at once →
the refund sees the chargeback, and the chargeback is always recorded."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.refunds import payment_refund
from paydesk.errors import RefundRefused
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.ledger.models import Payment, PaymentRelation, RefundLimit
from paydesk.ledger.refunds import chargeback_record, refund_create
from paydesk.ledger.selectors import balance_drifts
from paydesk.money import Money
from paydesk.notifications.models import EmailKind, OutboundEmail
from tests.factories import StaffFactory
from tests.refunds.conftest import card_payment
from tests.vouchers.conftest import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_finance_users_refunding_more_than_it_holds_at_once(card_gateway):
    payment = card_payment()
    people = [StaffFactory(staff_role="finance") for _ in range(2)]
    outcomes = run_at_once(
        2,
        lambda i: payment_refund(
            payment=payment.pk, reason=f"Refund by {i}", actor=people[i], total="30.00"
        ),
    )
    refused = [o for o in outcomes if isinstance(o, RefundRefused)]
    made = [o for o in outcomes if isinstance(o, Payment)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert Payment.objects.filter(original=payment).count() == 1
    assert RefundLimit.objects.get(payment=payment).held == Decimal("30.00")
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("20.00")
    assert not balance_drifts()


def test_one_refund_event_delivered_8_times_at_once(card_gateway):
    payment = card_payment()
    event = RefundEvent(
        gateway="card",
        event_id="evt_refund_once",
        refund_id="re_once",
        outcome=Outcome.COMPLETED,
        amount=Money(Decimal("50.00"), "USD"),
        transaction_id=payment.gateway_transaction,
    )
    outcomes = run_at_once(8, lambda i: gateway_event_apply(event=event))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Payment.objects.filter(original=payment, relation=PaymentRelation.REFUND).count() == 1
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")


def test_one_dispute_event_delivered_8_times_at_once_under_different_ids(card_gateway):
    """Retold with eight different event ids (a re-sent notification): still one chargeback,
    told to the customer's billing contact once."""
    payment = card_payment()
    payment.customer.contacts.create(email="billing@example.com")
    outcomes = run_at_once(
        8,
        lambda i: gateway_event_apply(
            event=DisputeEvent(
                gateway="card",
                event_id=f"evt_funds_withdrawn_{i}",
                dispute_id="dp_once",
                stage=DisputeStage.FUNDS_WITHDRAWN,
                amount=Money(Decimal("50.00"), "USD"),
                transaction_id=payment.gateway_transaction,
            )
        ),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    rows = Payment.objects.filter(original=payment, relation=PaymentRelation.CHARGEBACK)
    assert rows.count() == 1
    told = OutboundEmail.objects.filter(kind=EmailKind.CHARGEBACK)
    assert list(told.values_list("to", "payment")) == [("billing@example.com", rows.get().pk)]
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")
    assert not balance_drifts()


def test_two_refunds_of_a_bonus_earning_top_up_completing_at_once_take_the_bonus_once(
    card_gateway, finance_user
):
    """Top-up 100.00 earned 105.00 (M 50, X 2, A 5). Refunds of 20.00 and 40.00, pending, are
    completed by two gateway notifications at once: 40.00 is kept, below M, so exactly the
    whole bonus goes, whichever completes first (each reads what the other did)."""
    from paydesk.vouchers.batches import voucher_batch_issue
    from paydesk.vouchers.models import VoucherActivation
    from paydesk.vouchers.services import voucher_redeem
    from tests.factories import PortalUserFactory

    user = PortalUserFactory()
    terms = {"minimum_activation": "50", "multiplier": "2", "addition": "5"}
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", actor=None, **terms)
    voucher_redeem(code=code, customer=user.customer, currency="USD", user=user, ip_address="::1")
    payment = card_payment(user.customer, total="100.00")
    bonus = VoucherActivation.objects.get(applied_payment=payment).bonus_payment
    card_gateway.unavailable = True
    refunds = [
        payment_refund(payment=payment, reason="Asked", actor=finance_user, total=total)
        for total in ("20.00", "40.00")
    ]
    outcomes = run_at_once(
        2,
        lambda i: gateway_event_apply(
            event=RefundEvent(
                gateway="card",
                event_id=f"evt_settle_{i}",
                refund_id=f"re_{i}",
                outcome=Outcome.COMPLETED,
                amount=Money(-refunds[i].total, "USD"),
                transaction_id=payment.gateway_transaction,
                refund_reference=refunds[i].reference,
            )
        ),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    reversals = Payment.objects.filter(original=bonus, relation=PaymentRelation.BONUS_REVERSED)
    assert sum(r.total for r in reversals) == Decimal("-105.00")
    assert len(reversals) == 2
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("40.00")  # 100 paid, 60 refunded
    assert balance_drifts() == []


def _while_the_other_runs(first, second):
    """Run `first` in a transaction held open until `second` (started once `first` has done its
    work) has finished or waits for a row lock; then commit. Returns (first's, second's) outcome
    (a result or the exception raised). Waiting is read from pg_stat_activity, not timed."""
    from django.db import connection, transaction

    done, outcomes = threading.Event(), {}
    started = threading.Event()

    def other_waits() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] > 0

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                started.set()
                while not done.wait(0.01) and not other_waits():
                    pass
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes["first"] = exc
        finally:
            started.set()
            connection.close()

    def run_second() -> None:
        started.wait(30)
        try:
            outcomes["second"] = second()
        except Exception as exc:  # noqa: BLE001
            outcomes["second"] = exc
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes["first"], outcomes["second"]


def test_a_refund_asked_while_a_chargeback_is_recorded_waits_for_it_then_refuses(finance_user):
    """Paid 50.00; the gateway takes 50.00 back by chargeback while Finance refunds 50.00. The
    refund used to read the payment before the chargeback committed and pass: 100.00 given back.
    Now the chargeback holds the payment's lock; the refund waits, sees it and is refused."""
    payment = card_payment()
    chargeback, refund = _while_the_other_runs(
        lambda: chargeback_record(original=payment, total=Decimal("50.00"), dispute_id="c:dp_1")[0],
        lambda: refund_create(
            original=payment.pk, total="50.00", reason="Asked", actor=finance_user,
            allow_overdraft=True,
        ),
    )  # fmt: skip
    assert isinstance(chargeback, Payment), chargeback
    assert isinstance(refund, RefundRefused), refund
    assert f"by chargeback {chargeback.reference}" in str(refund)
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")
    assert not balance_drifts()


def test_a_chargeback_while_a_refund_is_made_is_still_recorded(finance_user):
    """The other order: the refund holds the payment; the chargeback waits, then is recorded
    (the gateway took the money: never refused), 100.00 given back for Finance to contest."""
    payment = card_payment()
    refund, chargeback = _while_the_other_runs(
        lambda: refund_create(
            original=payment.pk, total="50.00", reason="Asked", actor=finance_user,
            status="completed",
        ),
        lambda: chargeback_record(original=payment, total=Decimal("50.00"), dispute_id="c:dp_2")[0],
    )  # fmt: skip
    assert isinstance(refund, Payment) and isinstance(chargeback, Payment), (refund, chargeback)
    assert chargeback.total == Decimal("-50.00")
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("-50.00")
    assert not balance_drifts()
