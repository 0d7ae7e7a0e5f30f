"""Reliability R8 (docs quality.md): random sequences of ledger operations, checked step by step
against an in-memory model of the account (spec §3: balance, statuses, invariants 1, 3, 4).

The model is a few lines of arithmetic: a balance, a debit limit, and each payment's total and
status. Hypothesis drives the real services with top-ups and purchases created completed,
pending or cancelled (with and without an allowed overdraft), completions (some with a new
amount, some of a final payment), cancellations (some of a final payment), purchases of exactly
the available credit and of a ten-thousandth either side, amounts the ledger must refuse, and
debit-limit changes. Every call must raise exactly the error class the model
predicts — InsufficientCredit exactly when available credit would go below zero without an
allowed overdraft, InvalidTransition exactly for a final payment, InvalidAmount exactly for a
bad amount — and, after every step, the stored balance must equal the model's balance and the
SQL SUM of completed payments, every status must match, and the `balance after` chain must hold.

Each example opens a fresh customer, so the examples cannot see each other's payments; the
whole test runs in one rolled-back transaction. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
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
from paydesk.errors import InsufficientCredit, InvalidAmount, InvalidTransition, PaydeskError
from paydesk.ledger.models import Payment
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


class Ledger(RuleBasedStateMachine):
    payments = Bundle("payments")

    def __init__(self) -> None:
        super().__init__()
        self.balance = Decimal(0)
        self.limit = Decimal(0)
        self.status: dict[int, str] = {}
        self.total: dict[int, Decimal] = {}

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

    # --- rules ---------------------------------------------------------------------------------

    @initialize(limit=limits)
    def open_account(self, limit: Decimal) -> None:
        self.customer = CustomerFactory(currency="USD", debit_limit=limit)
        self.admin = StaffFactory(staff_role="admin")
        self.limit = limit

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
