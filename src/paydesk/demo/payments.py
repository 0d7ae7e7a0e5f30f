"""The demo's year of payments: each customer's top-ups, purchases and special cases, posted
through the real ledger services in chronological order (a seeded random generator: the same
history on every run, relative to "now")."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from paydesk.accounts.models import Contact, Customer
from paydesk.accounts.services import customer_create
from paydesk.demo.customers import BANK, CARD, MANUAL, NOWPAYMENTS, PAYPAL, _Plan
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import (
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import format_money, round_half_up

SEED = 20260101


COMPLETED = PaymentStatus.COMPLETED.value


CANCELLED = PaymentStatus.CANCELLED.value


PENDING = PaymentStatus.PENDING.value


@dataclass
class _Entry:
    """One payment to post: created at `at`; when `settle_after` is set it is created pending
    and completed or cancelled (`outcome`) that much later, unless that is still in the future."""

    at: datetime
    total: Decimal
    description: str
    method: str = MANUAL
    outcome: str = COMPLETED
    settle_after: timedelta | None = None
    reason: str = ""
    fee: Decimal | None = None
    gateway: str = ""
    gateway_reference: str = ""
    payment: Payment | None = field(default=None, repr=False)


def _seed_partial_crypto_payment() -> None:
    """The demo's pending NOWPayments top-up was paid in part: flagged for Finance (spec §5),
    who complete it with what arrived or cancel it; reconciliation never abandons it."""
    payment = Payment.objects.filter(gateway="nowpayments", status=PaymentStatus.PENDING).first()
    if payment is not None:
        payment_pending_note(
            payment=payment,
            reason="Partially paid: 0.00041 of 0.00110 BTC received.",
            needs_attention=True,
        )


def _seed_customer(plan: _Plan, rng: random.Random, now: datetime) -> Customer:
    customer = customer_create(
        name=plan.name,
        currency=plan.currency,
        debit_limit=plan.debit_limit,
        minimum_payment=plan.minimum_payment,
    )
    for email in plan.contacts:
        Contact.objects.create(customer=customer, email=email)
    start = datetime.combine((now - timedelta(days=365)).date(), time(9, 0), tzinfo=now.tzinfo)
    entries = [
        *_purchases(plan, rng, start, now),
        *_topups(plan, rng, start, now),
        *_special(plan, now),
    ]
    _post(customer, entries, start=start, now=now, rng=rng)
    customer.refresh_from_db()
    return customer


def _money(value: str | int | Decimal) -> Decimal:
    return Decimal(str(value))


def _month_starts(start: datetime, now: datetime) -> Iterator[tuple[int, datetime]]:
    """(months since start, billing time) for the first of each month after `start`."""
    year, month, n = start.year, start.month, 0
    while True:
        year, month, n = year + month // 12, month % 12 + 1, n + 1
        billed = datetime(year, month, 1, 0, 5, tzinfo=start.tzinfo)
        if billed >= now:
            return
        yield n, billed


def _purchases(plan: _Plan, rng: random.Random, start: datetime, now: datetime) -> list[_Entry]:
    opening = start + timedelta(minutes=10)
    entries = [
        _Entry(opening, -_money(plan.trunk_setup_fee), "Setup fee: SIP trunk"),
    ]
    for months, number, _rent, fee in plan.dids:
        if _money(fee):
            taken = opening + timedelta(days=30 * months, minutes=5)
            entries.append(_Entry(taken, -_money(fee), f"Setup fee: DID {number}"))
    for n, billed in _month_starts(start, now):
        label = f"{billed:%b %Y}"
        name, price = plan.package
        entries.append(_Entry(billed, -_money(price), f"Package: {name} ({label})"))
        for months, number, rent, _fee in plan.dids:
            if months < n:
                entries.append(_Entry(billed, -_money(rent), f"DID rental {number} ({label})"))
    rate = _money(plan.usage_rate)
    day: date = start.date() + timedelta(days=1)
    while day < now.date():
        if day.weekday() in plan.usage_weekdays:
            minutes = rng.randint(*plan.usage_minutes)
            destination = rng.choice(plan.destinations)
            billed = datetime.combine(day, time(2, 0), tzinfo=start.tzinfo)
            entries.append(
                _Entry(
                    billed,
                    -(minutes * rate),
                    f"Voice termination: {minutes:,} min, {destination}",
                )
            )
        day += timedelta(days=1)
    return entries


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _fee(amount: Decimal, percent: str, fixed: str) -> Decimal:
    return round_half_up(amount * _money(percent) / 100 + _money(fixed), 2)


def _card_description(brand: str, last4: str, amount: Decimal, currency: str) -> str:
    """As Paydesk describes a card payment it takes (checkout's online_description)."""
    return f"Credit Card {brand} •••• {last4}, {format_money(amount, currency)}"


def _topup(plan: _Plan, rng: random.Random, at: datetime, amount: Decimal, method: str) -> _Entry:
    """A top-up as its gateway would record it: pending first, settled a little later."""
    if method == BANK:
        entry = _Entry(
            at,
            amount,
            f"{plan.bank_prefix} {_alnum(rng, 5)}-{_alnum(rng, 5)}",
            method=BANK,
            settle_after=timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6)),
        )
        if rng.random() < 0.08:
            entry.outcome, entry.settle_after = CANCELLED, timedelta(days=10)
            entry.reason = "No transfer arrived within 10 days."
        return entry
    if method == CARD:
        brand, last4 = rng.choice(
            (("Visa", "4242"), ("Mastercard", "4444"), ("American Express", "0005"))
        )
        entry = _Entry(
            at,
            amount,
            _card_description(brand, last4, amount, plan.currency),
            method=CARD,
            settle_after=timedelta(seconds=rng.randint(5, 40)),
            gateway="stripe",
            gateway_reference=f"pi_{_alnum(rng, 24)}",
            fee=_fee(amount, "2.9", "0.30"),
        )
        if rng.random() < 0.08:
            entry.outcome, entry.fee = CANCELLED, None
            entry.reason = "The card was declined by its issuer."
        return entry
    if method == PAYPAL:
        entry = _Entry(
            at,
            amount,
            f"PayPal {_digits(rng, 11)}",
            method=PAYPAL,
            settle_after=timedelta(minutes=rng.randint(1, 4)),
            gateway="paypal",
            gateway_reference=_alnum(rng, 17),
            fee=_fee(amount, "3.49", "0.49"),
        )
        if rng.random() < 0.06:
            entry.outcome, entry.fee = CANCELLED, None
            entry.reason = "You left the PayPal checkout without paying."
        return entry
    coin = rng.choice(("BTC", "USDT", "ETH", "LTC"))
    entry = _Entry(
        at,
        amount,
        f"NOWPayments invoice {_digits(rng, 10)} ({coin})",
        method=NOWPAYMENTS,
        settle_after=timedelta(minutes=rng.randint(20, 90)),
        gateway="nowpayments",
        gateway_reference=_digits(rng, 10),
        fee=_fee(amount, "0.5", "0"),
    )
    if rng.random() < 0.1:
        entry.outcome, entry.fee = CANCELLED, None
        entry.reason = "NOWPayments: the invoice expired unpaid."
    return entry


def _topups(plan: _Plan, rng: random.Random, start: datetime, now: datetime) -> list[_Entry]:
    entries = [_Entry(start, _money(plan.opening_topup), f"{plan.bank_prefix} (opening balance)")]
    day = start.date() + timedelta(days=rng.randint(*plan.topup_every_days))
    end = now.date() - timedelta(days=3)  # the last few days get their own pending top-ups
    while day < end:
        at = datetime.combine(
            day, time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=now.tzinfo
        )
        amount = _money(rng.choice(plan.topup_amounts))
        entries.append(_topup(plan, rng, at, amount, rng.choice(plan.topup_methods)))
        day += timedelta(days=rng.randint(*plan.topup_every_days))
    return entries


def _special(plan: _Plan, now: datetime) -> list[_Entry]:
    """Rows a demo should show: a staff comment, a reversal, cancelled top-ups, and top-ups
    still pending."""

    def ago(**delta: float) -> datetime:
        return now - timedelta(**delta)

    amount = _money(plan.minimum_payment) * 2
    common = [
        _Entry(
            ago(days=2, hours=3),
            amount * 5,
            f"{plan.bank_prefix} awaiting funds",
            method=BANK,
            outcome=PENDING,
            settle_after=timedelta(days=30),
        ),
        _Entry(
            ago(days=75, hours=4),
            amount,
            _card_description("Visa", "0002", amount, plan.currency),
            method=CARD,
            outcome=CANCELLED,
            settle_after=timedelta(seconds=12),
            reason="The card was declined by its issuer.",
        ),
        _Entry(
            ago(days=45, hours=6),
            amount * 3,
            f"{plan.bank_prefix} announced, never received",
            method=BANK,
            outcome=CANCELLED,
            settle_after=timedelta(days=10),
            reason="No transfer arrived within 10 days.",
        ),
    ]
    if plan.currency != "USD":
        return common
    return [
        *common,
        _Entry(
            ago(days=110, hours=1),
            amount,
            "PayPal checkout",
            method=PAYPAL,
            outcome=CANCELLED,
            settle_after=timedelta(minutes=30),
            reason="You left the PayPal checkout without paying.",
        ),
        _Entry(
            ago(days=320, hours=2),
            _money(100),
            "PayPal 87878787744 #payment from the demo",
            method=PAYPAL,
            settle_after=timedelta(minutes=2),
            gateway="paypal",
            gateway_reference="87878787744",
            fee=_fee(_money(100), "3.49", "0.49"),
        ),
        _Entry(
            ago(days=200, hours=20), _money(-2), "DID rental +1 212 555 0142 (duplicate charge)"
        ),
        _Entry(
            ago(days=199, hours=3),
            _money(2),
            "Reversal of a duplicate DID rental charge #billing run ran twice, ticket 4411",
        ),
        _Entry(
            ago(days=150, hours=5),
            _money(15),
            "Goodwill credit: service outage #approved by Finn (Finance), incident 2291",
        ),
        _Entry(
            ago(hours=5),
            _money(75),
            "NOWPayments invoice 5077123344 (BTC)",
            method=NOWPAYMENTS,
            outcome=PENDING,
            settle_after=timedelta(days=1),
            gateway="nowpayments",
            gateway_reference="5077123344",
        ),
    ]


def _post(
    customer: Customer, entries: list[_Entry], *, start: datetime, now: datetime, rng: random.Random
) -> None:
    """Replay the entries through the ledger services in time order.

    A purchase that would go past the customer's available credit is preceded by a card top-up,
    as a real customer's auto top-up would; statement times are kept strictly increasing.
    """
    steps: list[tuple[datetime, int, str, _Entry]] = []
    for seq, entry in enumerate(entries):
        steps.append((entry.at, seq, "create", entry))
        if entry.settle_after is not None and entry.outcome != PENDING:
            if entry.at + entry.settle_after < now - timedelta(minutes=1):
                steps.append((entry.at + entry.settle_after, seq, "settle", entry))
            else:
                entry.outcome = PENDING
    steps.sort(key=lambda step: (step[0], step[1]))
    limit = customer.debit_limit
    balance = Decimal(0)
    last = start - timedelta(seconds=1)

    def next_time(at: datetime) -> datetime:
        nonlocal last
        last = max(at, last + timedelta(seconds=1))
        return last

    for at, _seq, kind, entry in steps:
        if kind == "settle":
            assert entry.payment is not None
            when = next_time(at)
            if entry.outcome == COMPLETED:
                entry.payment = payment_complete(payment=entry.payment, at=when)
                balance = entry.payment.balance_after
            else:
                payment_cancel(payment=entry.payment, reason=entry.reason, at=when)
            continue
        direct = entry.settle_after is None
        if direct and entry.total < 0 and balance + limit + entry.total < 0:
            needed = max(-(balance + limit + entry.total), customer.minimum_payment)
            rescue = round_half_up(needed / 50, 0) * 50 + 50
            top_up = payment_create(
                customer=customer,
                total=rescue,
                description=(
                    _card_description("Visa", "4242", rescue, customer.currency)
                    + " (automatic top-up)"
                ),
                method=CARD,
                gateway="stripe",
                gateway_reference=f"pi_{_alnum(rng, 24)}",
                fee=_fee(rescue, "2.9", "0.30"),
                at=next_time(at),
            )
            balance = top_up.balance_after
        entry.payment = payment_create(
            customer=customer,
            total=entry.total,
            description=entry.description,
            method=entry.method,
            status=entry.outcome if direct else PENDING,
            cancel_reason=entry.reason,
            fee=entry.fee,
            gateway=entry.gateway,
            gateway_reference=entry.gateway_reference,
            at=next_time(at),
        )
        if entry.payment.balance_after is not None:
            balance = entry.payment.balance_after
