"""Reliability R1–R3 (docs quality.md; spec §3 invariants 1, 3 and 4), under real concurrency.

Each worker is a thread with its own database connection (tests/reliability/helpers.py), so the
database itself arbitrates: on PostgreSQL rows are locked (SELECT … FOR UPDATE, and the one
conditional `UPDATE … balance = balance + x` per posting); on SQLite every ledger transaction is
BEGIN IMMEDIATE and writers queue. The full-size runs are PostgreSQL-only; the reduced runs are
unmarked and run in both passes (on SQLite, against the test database file).

What each scenario proves:
- R1: many workers posting top-ups, purchases, completions and cancellations on ONE customer
  lose no update: the stored balance equals both the SQL SUM of completed payments and the sum
  the callers were told succeeded; every `balance after` chains from the previous one in
  completion order; no deadlock or database error ever reaches a caller. An auditor thread
  on its own connection checks stored balance = Σ completed in every snapshot it reads while
  the load runs (invariant 1 "at every commit", as far as sampling can see).
- R2: workers completing (or cancelling) the SAME pending payment at the same instant: exactly
  one wins, the balance moves once, the others get InvalidTransition.
- R3: purchases racing top-ups at the edge of available credit never take the balance below
  −debit limit at any commit (every `balance after`, and every auditor snapshot); the refused
  ones get InsufficientCredit and write nothing.
- Invariant 2 (service level; the HTTP-level R4 belongs with the API): eight workers posting
  the same idempotency key at once all get the one payment back; eight recording the same
  gateway transaction at once: one payment, the others refused; either way one credit.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

from paydesk.accounts.models import Customer
from paydesk.errors import InsufficientCredit, InvalidTransition, PaymentError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create
from tests.factories import CustomerFactory
from tests.reliability.helpers import (
    Auditor,
    assert_balance_after_chain,
    assert_separate_connections,
    completed_sum,
    raise_worker_errors,
    run_workers,
)

EXPECTED_REFUSALS = (InsufficientCredit, InvalidTransition)


def amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between low and high with up to 4 decimals (sub-cent telecom charges)."""
    return Decimal(rng.randint(low * 10_000, high * 10_000)).scaleb(-4)


# --- R1 -------------------------------------------------------------------------------------

R1_KINDS = ["top_up", "purchase", "complete_pooled", "complete_pooled", "own_pending", "cancel"]


def r1_concurrent_postings(*, workers: int, ops: int) -> None:
    customer = CustomerFactory(currency="USD", debit_limit=Decimal("100"))
    opening = payment_create(customer=customer, total="200", description="Opening top-up").total
    # Pending payments that every worker may try to complete or cancel: fewer than the attempts
    # planned below, so some attempts must meet a payment another worker already settled.
    seed = random.Random(7)
    pool = [
        payment_create(
            customer=customer,
            total=amount(seed, 1, 40) * (1 if n % 3 else -1),
            description=f"Pooled pending {n}",
            status=PaymentStatus.PENDING,
        ).pk
        for n in range(max(4, workers * ops // 8))
    ]
    plans = []
    for i in range(workers):
        rng = random.Random(1000 + i)
        plans.append(
            [
                (rng.choice(R1_KINDS), amount(rng, 1, 50), rng.choice(pool), rng.random() < 0.5)
                for _ in range(ops)
            ]
        )
    pool_attempts = sum(
        1 for plan in plans for step in plan if step[0] in ("complete_pooled", "cancel")
    )
    assert pool_attempts > len(pool), "the plan must contend for the pooled payments"

    def work(i: int, _step: object) -> list[tuple[str, int | None, Decimal, str]]:
        own = Customer.objects.get(pk=customer.pk)
        done = []
        for kind, value, pooled, purchase in plans[i]:
            moved = Decimal(0)
            pk = None
            try:
                if kind == "top_up":
                    moved = payment_create(customer=own, total=value, description="Top-up").total
                elif kind == "purchase":
                    moved = payment_create(customer=own, total=-value, description="DID").total
                elif kind == "complete_pooled":
                    pk = pooled
                    moved = payment_complete(payment=pooled).total
                elif kind == "cancel":
                    pk = pooled
                    payment_cancel(payment=pooled, reason="Race test")
                else:
                    pending = payment_create(
                        customer=own,
                        total=-value if purchase else value,
                        description="Own pending",
                        status=PaymentStatus.PENDING,
                    )
                    moved = payment_complete(payment=pending).total
                done.append((kind, pk, moved, "ok"))
            except EXPECTED_REFUSALS as exc:
                done.append((kind, pk, Decimal(0), type(exc).__name__))
        return done

    with Auditor(customer.pk):
        results = run_workers(workers, work)
    raise_worker_errors(results)
    assert_separate_connections(results)
    outcomes = [o for r in results for o in r.value]
    assert len(outcomes) == workers * ops, "every operation returned or raised a Paydesk error"

    told = opening + sum(moved for _kind, _pk, moved, status in outcomes if status == "ok")
    customer.refresh_from_db()
    assert customer.balance == told, "lost update: stored balance ≠ what the callers were told"
    assert completed_sum(customer.pk) == told
    assert balance_drifts() == []
    chain = assert_balance_after_chain(customer.pk)
    assert chain[-1] == customer.balance
    assert min(chain) >= -customer.debit_limit

    # Each pooled payment was settled at most once, and its row says by which action.
    wins = Counter((kind, pk) for kind, pk, _m, status in outcomes if pk and status == "ok")
    statuses = dict(Payment.objects.filter(pk__in=pool).values_list("pk", "status"))
    for pk in pool:
        completed, cancelled = wins[("complete_pooled", pk)], wins[("cancel", pk)]
        assert completed + cancelled <= 1, f"payment {pk} settled {completed + cancelled} times"
        expected = "completed" if completed else "cancelled" if cancelled else "pending"
        if expected == "pending":
            # Nobody won it: untouched, or every completion was refused for credit.
            assert statuses[pk] == "pending"
        else:
            assert statuses[pk] == expected
    refusals = Counter(status for *_rest, status in outcomes)
    assert refusals["InvalidTransition"] >= pool_attempts - len(pool)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r1_eight_workers_posting_on_one_customer_lose_no_update_postgres():
    r1_concurrent_postings(workers=8, ops=100)


@pytest.mark.django_db(transaction=True)
def test_r1_reduced_four_workers_posting_on_one_customer():
    r1_concurrent_postings(workers=4, ops=15)


# --- R2 -------------------------------------------------------------------------------------


def r2_same_payment_raced(*, workers: int, rounds: int, with_cancels: bool) -> None:
    customer = CustomerFactory(currency="USD")
    payment_create(customer=customer, total="1000", description="Opening top-up")
    targets = [
        payment_create(
            customer=customer,
            total=Decimal(10 + r) * (-1 if r % 2 else 1),
            description=f"Contested {r}",
            status=PaymentStatus.PENDING,
        )
        for r in range(rounds)
    ]

    def work(i: int, step: object) -> list[str]:
        seen = []
        for target in targets:
            step.wait()  # every worker leaves this line at the same moment, for the same payment
            try:
                if with_cancels and i % 2:
                    payment_cancel(payment=target.pk, reason="Customer cancelled")
                    seen.append("cancelled")
                else:
                    payment_complete(payment=target.pk)
                    seen.append("completed")
            except InvalidTransition:
                seen.append("refused")
        return seen

    results = run_workers(workers, work)
    raise_worker_errors(results)
    assert_separate_connections(results)

    expected_balance = Decimal(1000)
    for r, target in enumerate(targets):
        per_worker = [result.value[r] for result in results]
        winners = [o for o in per_worker if o != "refused"]
        assert len(winners) == 1, f"round {r}: {per_worker}"
        assert per_worker.count("refused") == workers - 1
        target.refresh_from_db()
        assert target.status == winners[0]
        if target.status == PaymentStatus.COMPLETED:
            expected_balance += target.total
    customer.refresh_from_db()
    assert customer.balance == expected_balance == completed_sum(customer.pk)
    assert balance_drifts() == []
    assert_balance_after_chain(customer.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r2_eight_workers_complete_the_same_payment_once_postgres():
    r2_same_payment_raced(workers=8, rounds=10, with_cancels=False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r2_completions_racing_cancellations_one_wins_postgres():
    r2_same_payment_raced(workers=8, rounds=10, with_cancels=True)


@pytest.mark.django_db(transaction=True)
def test_r2_reduced_workers_complete_the_same_payment_once():
    r2_same_payment_raced(workers=4, rounds=4, with_cancels=False)
    r2_same_payment_raced(workers=2, rounds=4, with_cancels=True)


# --- R3 -------------------------------------------------------------------------------------


def r3_purchases_racing_top_ups(*, workers: int, ops: int) -> None:
    limit = Decimal("10")
    customer = CustomerFactory(currency="USD", debit_limit=limit)
    plans = []
    for i in range(workers):
        rng = random.Random(3000 + i)
        if i % 2 == 0:  # a buyer: purchases, some as pending ones completed later
            plans.append(
                [(-amount(rng, 0, 6) - Decimal("0.0001"), rng.random() < 0.3) for _ in range(ops)]
            )
        else:  # a payer: small top-ups
            plans.append(
                [(amount(rng, 0, 2) + Decimal("0.0001"), rng.random() < 0.3) for _ in range(ops)]
            )
    spend = -sum(v for plan in plans for v, _p in plan if v < 0)
    income = sum(v for plan in plans for v, _p in plan if v > 0)
    assert spend > income + limit, "the plan must run out of credit, so refusals must happen"

    def work(i: int, _step: object) -> list[tuple[Decimal, str]]:
        own = Customer.objects.get(pk=customer.pk)
        done = []
        for value, via_pending in plans[i]:
            try:
                if via_pending:
                    pending = payment_create(
                        customer=own, total=value, description="Pending", status="pending"
                    )
                    payment_complete(payment=pending)
                else:
                    payment_create(customer=own, total=value, description="Posting")
                done.append((value, "ok"))
            except InsufficientCredit:
                assert value < 0, "a top-up was refused for credit"
                done.append((value, "refused"))
        return done

    with Auditor(customer.pk):
        results = run_workers(workers, work)
    raise_worker_errors(results)
    assert_separate_connections(results)
    outcomes = [o for r in results for o in r.value]
    assert any(status == "refused" for _v, status in outcomes)

    customer.refresh_from_db()
    told = sum(v for v, status in outcomes if status == "ok")
    assert customer.balance == told == completed_sum(customer.pk)
    assert customer.balance >= -limit
    chain = assert_balance_after_chain(customer.pk)
    # The balance after every commit that moved it: never past the limit, and the race was
    # really run at the edge (purchases were accepted below zero).
    assert min(chain) >= -limit
    assert min(chain) < 0
    assert balance_drifts() == []
    # A refused purchase wrote nothing: completed rows are exactly the successful operations,
    # and refused pending purchases are still pending.
    assert Payment.objects.filter(customer=customer, status="completed").count() == sum(
        1 for _v, status in outcomes if status == "ok"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r3_purchases_racing_top_ups_never_pass_the_debit_limit_postgres():
    r3_purchases_racing_top_ups(workers=8, ops=100)


@pytest.mark.django_db(transaction=True)
def test_r3_reduced_purchases_racing_top_ups_never_pass_the_debit_limit():
    r3_purchases_racing_top_ups(workers=4, ops=15)


# --- Invariant 2 at the service level: one external event, one credit ------------------------


def same_event_posted_at_once(*, workers: int, rounds: int, key: str) -> None:
    customer = CustomerFactory(currency="USD")

    def work(i: int, step: object) -> list[str]:
        own = Customer.objects.get(pk=customer.pk)
        seen = []
        for r in range(rounds):
            event = {key: f"EVT-{r}"}
            if key == "gateway_reference":
                event["gateway"] = "paypal"
            step.wait()
            try:
                payment = payment_create(
                    customer=own, total=Decimal("25.50"), description="Top-up", **event
                )
                seen.append(payment.reference)
            except PaymentError as exc:
                assert key == "gateway_reference", f"refused an idempotent retry: {exc!r}"
                assert type(exc) is PaymentError and "already recorded" in exc.message
                seen.append("refused")
        return seen

    results = run_workers(workers, work)
    raise_worker_errors(results)
    assert_separate_connections(results)
    for r in range(rounds):
        answers = [result.value[r] for result in results]
        references = set(answers) - {"refused"}
        assert len(references) == 1, f"round {r}: {answers}"
        if key == "idempotency_key":
            assert answers.count("refused") == 0  # every retry gets the first answer back
        else:
            assert answers.count("refused") == workers - 1
    customer.refresh_from_db()
    assert Payment.objects.filter(customer=customer).count() == rounds
    assert customer.balance == Decimal("25.50") * rounds == completed_sum(customer.pk)
    assert balance_drifts() == []


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_sent_by_eight_workers_at_once_credits_once():
    same_event_posted_at_once(workers=8, rounds=5, key="idempotency_key")


@pytest.mark.django_db(transaction=True)
def test_same_gateway_transaction_recorded_by_eight_workers_at_once_credits_once():
    same_event_posted_at_once(workers=8, rounds=5, key="gateway_reference")
