"""Reliability R8 (docs quality.md): random sequences of ledger operations, checked step by step
against an in-memory model of the account (spec §3: balance, statuses, invariants 1, 3, 4).

The model is a few lines of arithmetic: a balance, a debit limit, and each payment's total and
status. Hypothesis drives the real services with top-ups and purchases created completed,
pending or cancelled (with and without an allowed overdraft), completions (some with a new
amount, some of a final payment), cancellations (some of a final payment), purchases of exactly
the available credit and of a ten-thousandth either side, amounts the ledger must refuse, and
debit-limit changes; refunds of top-ups (Finance's, pending then completed or declined, or
recorded as made outside a gateway; past what is left, past the available credit with and
without Allow overdraft), chargebacks and their reversals. Every call must raise exactly the
error class the model predicts — InsufficientCredit exactly when available credit would go
below zero without an allowed overdraft, InvalidTransition exactly for a final payment,
InvalidAmount exactly for a bad amount, RefundRefused exactly for a refund of something that is
not a completed top-up or of more than is left of it — and, after every step, the stored
balance must equal the model's balance and the
SQL SUM of completed payments, every status must match, and the `balance after` chain must hold.

Each example opens a fresh customer, so the examples cannot see each other's payments; the
whole test runs in one rolled-back transaction. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from paydesk.accounts.services import customer_update
from paydesk.errors import (
    InsufficientCredit,
    InvalidAmount,
    InvalidTransition,
    PaydeskError,
    RefundRefused,
)
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import (
    chargeback_record,
    chargeback_reversal_record,
    refund_create,
    refund_left,
    refund_settle,
)
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from tests.factories import CustomerFactory, StaffFactory
from tests.reliability.helpers import assert_balance_after_chain, completed_sum

amounts = st.one_of(
    st.integers(min_value=1, max_value=60).map(Decimal),
    st.integers(min_value=1, max_value=2_000_000).map(lambda n: Decimal(n).scaleb(-4)),
)
limits = st.sampled_from([Decimal("0"), Decimal("10"), Decimal("25.5"), Decimal("0.0001")])
# Each must be refused with InvalidAmount, wherever a total is taken.
bad_totals = st.sampled_from(
    [0, "0", "0.0000", "0.00001", "-1.23456", 1.5, "abc", "1e5", "12.3.4", "", "NaN",
     Decimal("Infinity"), Decimal("NaN"), 10**12, "1,000.00", None]
)  # fmt: skip


# What the refund and chargeback rules did across all examples: the test checks that each kind
# of outcome happened, so a machine that never reaches them cannot pass unseen.
SEEN: Counter[str] = Counter()


class Ledger(RuleBasedStateMachine):
    payments = Bundle("payments")
    topups = Bundle("topups")  # completed top-ups: what refunds and chargebacks mostly pick
    refunds = Bundle("refunds")

    def __init__(self) -> None:
        super().__init__()
        self.balance = Decimal(0)
        self.limit = Decimal(0)
        self.status: dict[int, str] = {}
        self.total: dict[int, Decimal] = {}
        self.refund_of: dict[int, int] = {}  # refund row → the top-up it refunds
        self.held: dict[int, Decimal] = {}  # top-up → its pending and completed refunds
        self.charged: dict[int, Decimal] = {}  # top-up → chargebacks less reversals
        self.chargebacks: dict[int, int] = {}  # top-up → its chargeback row (one dispute each)
        self.reversed: set[int] = set()

    # --- the model's predictions --------------------------------------------------------------

    def refused_for_credit(self, total: Decimal, overdraft: bool) -> bool:
        return total < 0 and not overdraft and self.balance + self.limit + total < 0

    def call(self, expected: type[PaydeskError] | None, action, **kwargs):
        """Run the service; it must raise exactly `expected` (or nothing when None)."""
        if expected is None:
            return action(**kwargs)
        with pytest.raises(PaydeskError) as caught:
            action(**kwargs)
        assert type(caught.value) is expected, f"expected {expected.__name__}: {caught.value!r}"
        return None

    def refundable(self, pk: int) -> bool:
        return (
            self.status.get(pk) == "completed"
            and self.total[pk] > 0
            and pk not in self.refund_of
            and not self.is_follow_up(pk)
        )

    def is_follow_up(self, pk: int) -> bool:
        return pk in self.refund_of or pk in self.chargebacks.values() or pk in self.reversed

    def left(self, pk: int) -> Decimal:
        if not self.refundable(pk):
            return Decimal(0)
        charged = max(self.charged.get(pk, Decimal(0)), Decimal(0))
        return max(self.total[pk] - self.held.get(pk, Decimal(0)) - charged, Decimal(0))

    # --- rules ---------------------------------------------------------------------------------

    @initialize(target=topups, limit=limits, value=amounts)
    def open_account(self, limit: Decimal, value: Decimal):
        """An account with its first completed top-up: every example can reach refunds and
        chargebacks (drawn from `topups`; an empty bundle left it to chance, and one run in
        make test never drew a chargeback)."""
        self.customer = CustomerFactory(currency="USD", debit_limit=limit)
        self.admin = StaffFactory(staff_role="admin")
        self.limit = limit
        return self.top_up_completed(value)

    @rule(
        target=payments,
        value=amounts,
        purchase=st.booleans(),
        status=st.sampled_from(["completed", "pending", "cancelled"]),
        overdraft=st.booleans(),
    )
    def create(self, value: Decimal, purchase: bool, status: str, overdraft: bool):
        total = -value if purchase else value
        refused = status == "completed" and self.refused_for_credit(total, overdraft)
        payment = self.call(
            InsufficientCredit if refused else None,
            payment_create,
            customer=self.customer,
            total=total,
            description="Purchase" if purchase else "Top-up",
            status=status,
            allow_overdraft=overdraft,
        )
        if payment is None:
            return multiple()
        assert (payment.total, payment.status) == (total, status)
        if status == "completed":
            self.balance += total
            assert payment.balance_after == self.balance
        self.status[payment.pk] = status
        self.total[payment.pk] = total
        return payment.pk

    @rule(target=topups, value=amounts)
    def top_up_completed(self, value: Decimal):
        """A completed top-up (what refunds and chargebacks apply to)."""
        payment = payment_create(customer=self.customer, total=value, description="Card top-up")
        self.balance += value
        self.status[payment.pk], self.total[payment.pk] = "completed", value
        return payment.pk

    @precondition(lambda self: self.balance + self.limit > 0)
    @rule(target=payments)
    def spend_all_credit(self):
        """Calls use up every cent of available credit (so a refund then needs an overdraft)."""
        total = -(self.balance + self.limit)
        payment = payment_create(customer=self.customer, total=total, description="Calls")
        self.balance += total
        self.status[payment.pk], self.total[payment.pk] = "completed", total
        return payment.pk

    @precondition(lambda self: self.balance + self.limit > Decimal("0.0001"))
    @rule(
        target=payments,
        offset=st.sampled_from([Decimal("-0.0001"), Decimal(0), Decimal("0.0001")]),
        pending_first=st.booleans(),
        overdraft=st.booleans(),
    )
    def purchase_at_the_edge(self, offset: Decimal, pending_first: bool, overdraft: bool):
        """A purchase of exactly the available credit, or a ten-thousandth either side."""
        total = -(self.balance + self.limit + offset)
        refused = self.refused_for_credit(total, overdraft)
        assert refused == (offset > 0 and not overdraft)
        if pending_first:
            pk = payment_create(
                customer=self.customer, total=total, description="Package", status="pending"
            ).pk
            self.status[pk], self.total[pk] = "pending", total
            payment = self.call(
                InsufficientCredit if refused else None,
                payment_complete,
                payment=pk,
                allow_overdraft=overdraft,
            )
        else:
            payment = self.call(
                InsufficientCredit if refused else None,
                payment_create,
                customer=self.customer,
                total=total,
                description="Package",
                allow_overdraft=overdraft,
            )
        if payment is None:
            return pk if pending_first else multiple()
        self.balance += total
        self.status[payment.pk], self.total[payment.pk] = "completed", total
        assert payment.balance_after == self.balance == -self.limit - offset
        return payment.pk

    @rule(
        pk=payments,
        overdraft=st.booleans(),
        new_value=st.one_of(st.none(), amounts),
        flip_sign=st.booleans(),
    )
    def complete(self, pk: int, overdraft: bool, new_value: Decimal | None, flip_sign: bool):
        old = self.total[pk]
        new = None if new_value is None else (-new_value if (old < 0) != flip_sign else new_value)
        amount = old if new is None else new
        if self.status[pk] != "pending":
            expected = InvalidTransition
        elif new is not None and (new < 0) != (old < 0):
            expected = InvalidAmount
        elif self.refused_for_credit(amount, overdraft):
            expected = InsufficientCredit
        else:
            expected = None
        payment = self.call(
            expected, payment_complete, payment=pk, total=new, allow_overdraft=overdraft
        )
        if payment is not None:
            self.balance += amount
            self.status[pk], self.total[pk] = "completed", amount
            assert payment.balance_after == self.balance

    @rule(pk=payments)
    def cancel(self, pk: int) -> None:
        expected = None if self.status[pk] == "pending" else InvalidTransition
        if self.call(expected, payment_cancel, payment=pk, reason="Changed my mind"):
            self.status[pk] = "cancelled"

    @rule(pk=payments, bad=bad_totals)
    def complete_with_bad_amount(self, pk: int, bad: object) -> None:
        if bad in (None, ""):  # means "keep the amount": not a bad amount for completion
            return
        expected = InvalidTransition if self.status[pk] != "pending" else InvalidAmount
        self.call(expected, payment_complete, payment=pk, total=bad)

    @rule(bad=bad_totals, status=st.sampled_from(["completed", "pending", "cancelled"]))
    def create_with_bad_amount(self, bad: object, status: str) -> None:
        self.call(
            InvalidAmount,
            payment_create,
            customer=self.customer,
            total=bad,
            description="Bad",
            status=status,
        )

    @rule(
        target=refunds,
        pk=st.one_of(topups, payments),
        value=amounts,
        portion=st.sampled_from(["all", "half", "any"]),
        outside=st.booleans(),
        overdraft=st.booleans(),
    )
    def refund(self, pk: int, value: Decimal, portion: str, outside: bool, overdraft: bool):
        """Finance refunds a payment: pending (the gateway is asked) or recorded as made."""
        left = self.left(pk)
        if portion == "all" and left > 0:
            value = left
        elif portion == "half" and left >= Decimal("0.0002"):
            value = (left / 2).quantize(Decimal("0.0001"))
        if not self.refundable(pk) or value > left:
            expected = RefundRefused
        elif not overdraft and self.balance + self.limit - value < 0:
            expected = InsufficientCredit
        else:
            expected = None
        status = "completed" if outside else "pending"
        event(f"refund: {expected.__name__ if expected else status}")
        SEEN[expected.__name__ if expected else status] += 1
        refund = self.call(
            expected,
            refund_create,
            original=pk,
            total=value,
            reason="Customer asked",
            actor=self.admin,
            status=status,
            allow_overdraft=overdraft,
        )
        assert (
            (refund_left(payment=Payment.objects.get(pk=pk)) == left - value)
            if refund
            else (refund_left(payment=Payment.objects.get(pk=pk)) == left)
        )
        if refund is None:
            return multiple()
        assert (refund.total, refund.status, refund.original_id) == (-value, status, pk)
        self.held[pk] = self.held.get(pk, Decimal(0)) + value
        self.refund_of[refund.pk] = pk
        self.status[refund.pk], self.total[refund.pk] = status, -value
        if outside:
            self.balance -= value
            assert refund.balance_after == self.balance
        return refund.pk

    @rule(pk=refunds, completed=st.booleans())
    def gateway_answers_a_refund(self, pk: int, completed: bool) -> None:
        """The gateway made the refund (posted whatever the credit: the money has left) or
        declined it (what it held is free again)."""
        expected = None if self.status[pk] == "pending" else InvalidTransition
        refund = self.call(expected, refund_settle, refund=pk, completed=completed)
        if refund is None:
            return
        if completed:
            self.balance += self.total[pk]
            self.status[pk] = "completed"
            assert refund.balance_after == self.balance
        else:
            self.status[pk] = "cancelled"
            self.held[self.refund_of[pk]] += self.total[pk]

    @rule(pk=st.one_of(topups, payments), value=amounts)
    def chargeback(self, pk: int, value: Decimal) -> None:
        """The gateway takes money back for a dispute: posted whatever the credit, once."""
        if not self.refundable(pk):
            return
        row, created = chargeback_record(
            original=Payment.objects.get(pk=pk), total=value, dispute_id=f"dp_{pk}"
        )
        assert created == (pk not in self.chargebacks)
        event(f"chargeback: {'posted' if created else 'replayed'}")
        SEEN[f"chargeback {'posted' if created else 'replayed'}"] += 1
        if not created:
            return
        self.chargebacks[pk] = row.pk
        self.charged[pk] = self.charged.get(pk, Decimal(0)) + value
        self.balance -= value
        self.status[row.pk], self.total[row.pk] = "completed", -value
        assert row.balance_after == self.balance

    @rule(pk=topups)
    def chargeback_reversed(self, pk: int) -> None:
        if pk not in self.chargebacks:
            return
        chargeback = Payment.objects.get(pk=self.chargebacks[pk])
        row, created = chargeback_reversal_record(
            original=Payment.objects.get(pk=pk), chargeback=chargeback, dispute_id=f"dp_{pk}"
        )
        assert created == (row.pk not in self.reversed)
        if not created:
            return
        self.reversed.add(row.pk)
        self.charged[pk] += chargeback.total
        self.balance -= chargeback.total
        self.status[row.pk], self.total[row.pk] = "completed", -chargeback.total
        assert row.balance_after == self.balance

    @rule(limit=limits)
    def change_debit_limit(self, limit: Decimal) -> None:
        # A lower limit never touches the balance; it only refuses later purchases.
        customer_update(customer=self.customer, actor=self.admin, debit_limit=limit)
        self.limit = limit

    # --- checked after every step ----------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self) -> None:
        if not hasattr(self, "customer"):
            return
        self.customer.refresh_from_db()
        assert self.customer.balance == self.balance
        assert self.customer.debit_limit == self.limit
        assert completed_sum(self.customer.pk) == self.balance
        stored = dict(Payment.objects.filter(customer=self.customer).values_list("pk", "status"))
        assert stored == self.status, "a payment was written, lost or changed status unseen"
        chain = assert_balance_after_chain(self.customer.pk)
        assert (chain[-1] if chain else Decimal(0)) == self.balance

    def teardown(self) -> None:
        assert balance_drifts() == []


@pytest.mark.django_db
def test_r8_random_operation_sequences_match_the_model():
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The machine must have reached refunds and chargebacks (each outcome's exact error is
    # checked where it happens; tests/refunds has a worked example of each).
    made = SEEN["pending"] + SEEN["completed"]
    assert made > 0 and SEEN["RefundRefused"] > 0, f"refunds were never exercised: {SEEN}"
    assert SEEN["chargeback posted"] > 0, f"chargebacks were never exercised: {SEEN}"
