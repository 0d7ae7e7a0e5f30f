"""Demo data: two customers with a year of payments each, one login per role, exchange rates
dated today, and demo voucher batches whose codes the demo prints.

Every payment goes through the real ledger services (payment_create, payment_complete,
payment_cancel with `at=` in the past), in chronological order, so balances, `balance after` and
`paydesk check-balances` come out exactly as they would in production. The history is the same
on every run (a seeded random generator), relative to "now". Voucher codes are random (they are
real codes from voucher_batch_issue) and live only in the returned DemoVouchers: the demo prints
them, nothing stores them. Only `paydesk demo` and the tests call this; it must never run against
a real provider's database.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from paydesk.accounts.models import Contact, Customer, PaymentMethod, StaffRole, User
from paydesk.accounts.services import customer_create, portal_user_create, staff_user_create
from paydesk.banktransfers.services import bank_details_update
from paydesk.checkout.models import MethodConfig
from paydesk.demo.documents import seed_demo_documents
from paydesk.fx.models import ExchangeRate
from paydesk.fx.services import rate_set
from paydesk.gateways.registry import gateway_methods
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import (
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import format_money, round_half_up
from paydesk.outhooks.models import Endpoint
from paydesk.outhooks.services import endpoint_create, endpoint_update
from paydesk.twofactor.totp import DEMO_TOTP_SECRET, totp_key_from_secret
from paydesk.vouchers.batches import voucher_batch_issue

SEED = 20260101
COMPLETED = PaymentStatus.COMPLETED.value
CANCELLED = PaymentStatus.CANCELLED.value
PENDING = PaymentStatus.PENDING.value
DEMO_ENDPOINT = "Demo: the sandbox's webhook receiver"
BANK, CARD, PAYPAL = PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.PAYPAL
NOWPAYMENTS, MANUAL = PaymentMethod.NOWPAYMENTS, PaymentMethod.MANUAL


@dataclass(frozen=True)
class DemoLogin:
    """A sign-in the demo prints; the password is public on purpose (demo only)."""

    email: str
    password: str
    who: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("customer@example.com", "demo-customer-pass", "Customer: Acme Telecom (USD)"),
    DemoLogin(
        "bookkeeper@example.com", "demo-bookkeeper-pass", "Customer, view only: Acme Telecom"
    ),
    DemoLogin("eur@example.com", "demo-eur-pass", "Customer: Nordlicht Telekom GmbH (EUR)"),
    DemoLogin("admin@example.com", "demo-admin-pass", "Staff: Administrator"),
    DemoLogin("finance@example.com", "demo-finance-pass", "Staff: Finance"),
    DemoLogin("support@example.com", "demo-support-pass", "Staff: Support"),
)
# The demo's staff logins share this authenticator secret: public on purpose, like their
# passwords, so a tester can sign in (`paydesk totp-code` prints the current code). Staff added
# in the demo set up their own.


@dataclass(frozen=True)
class _Plan:
    """How one demo customer buys and pays over the year."""

    name: str
    currency: str
    debit_limit: str
    minimum_payment: str
    contacts: tuple[str, ...]
    # (months after the start it was taken, number, monthly rental, setup fee)
    dids: tuple[tuple[int, str, str, str], ...]
    package: tuple[str, str]
    trunk_setup_fee: str
    usage_weekdays: tuple[int, ...]  # Monday = 0
    usage_minutes: tuple[int, int]
    usage_rate: str  # per minute: below a cent, so usage charges have 4 decimals
    destinations: tuple[str, ...]
    topup_every_days: tuple[int, int]
    topup_amounts: tuple[int, ...]
    topup_methods: tuple[str, ...]  # repeated entries weigh more
    opening_topup: str
    bank_prefix: str


ACME = _Plan(
    name="Acme Telecom",
    currency="USD",
    debit_limit="100",
    minimum_payment="20",
    contacts=("billing@acme-telecom.example", "noc@acme-telecom.example"),
    dids=(
        (0, "+1 212 555 0142", "1.50", "5.00"),
        (0, "+1 212 555 0143", "1.50", "5.00"),
        (0, "+1 800 555 0199", "4.00", "10.00"),
        (4, "+1 646 555 0110", "1.75", "5.00"),
        (8, "+1 305 555 0177", "1.75", "5.00"),
    ),
    package=("Business Voice 5,000 minutes", "49.00"),
    trunk_setup_fee="25.00",
    usage_weekdays=(0, 3),
    usage_minutes=(600, 1500),
    usage_rate="0.0089",
    destinations=("US & Canada", "Mexico mobile", "United Kingdom", "India"),
    topup_every_days=(3, 7),
    topup_amounts=(20, 20, 25, 30, 50, 50, 75),
    topup_methods=(CARD, CARD, CARD, PAYPAL, PAYPAL, BANK, NOWPAYMENTS),
    opening_topup="200.00",
    bank_prefix="Wire transfer",
)

NORDLICHT = _Plan(
    name="Nordlicht Telekom GmbH",
    currency="EUR",
    debit_limit="0",
    minimum_payment="50",
    contacts=("buchhaltung@nordlicht.example",),
    dids=(
        (0, "+49 30 5555 0100", "1.00", "0"),
        (0, "+49 40 5555 0200", "1.00", "0"),
        (6, "+49 89 5555 0300", "1.20", "2.50"),
    ),
    package=("Flatrate DE Festnetz 10.000", "79.00"),
    trunk_setup_fee="49.00",
    usage_weekdays=(0, 2, 4),
    usage_minutes=(800, 2000),
    usage_rate="0.0065",
    destinations=("Germany fixed", "Germany mobile", "Austria", "Switzerland"),
    topup_every_days=(5, 9),
    topup_amounts=(50, 50, 50, 75, 100),
    topup_methods=(BANK, BANK, BANK, CARD, PAYPAL),
    opening_topup="300.00",
    bank_prefix="SEPA transfer",
)


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


# 1 EUR = rate units of each currency: the demo's rates, so top-ups in them can be quoted.
DEMO_RATES: tuple[tuple[str, str, str], ...] = (
    ("EUR", "USD", "1.0850"),
    ("EUR", "GBP", "0.8420"),
    ("EUR", "JPY", "162.35"),
    ("EUR", "INR", "90.25"),
    ("EUR", "NGN", "1650"),
)
# The online methods the demo offers through the offline sandbox, and their currencies; each is
# enabled only when its gateway is registered (settings.PAYDESK_GATEWAYS).
DEMO_METHOD_CURRENCIES: dict[str, list[str]] = {
    "card": ["USD", "EUR", "GBP"],
    "sepa_debit": ["EUR"],  # with a saved mandate only (docs/methods.md)
    "paypal": ["USD", "EUR", "GBP"],
    "razorpay": ["INR", "USD"],
    "paystack": ["NGN", "USD"],
    "nowpayments": ["USD", "EUR"],
}
# Acme may top up in these (Nordlicht only in euros, its account currency).
ACME_TOPUP_CURRENCIES = ["USD", "EUR", "GBP", "INR", "NGN"]
DEMO_RATE_SOURCE = "demo"
DEMO_FINANCE_EMAIL = "finance@example.com"
DEMO_VOUCHERS_PER_BATCH = 5


@dataclass(frozen=True)
class DemoVouchers:
    """The codes of the demo's two USD voucher batches, all unused when returned.

    Free credit: M = 0, A = 25 (credits $25.00 at once). Bonus: M = 50, X = 2, A = 5 (armed on
    redemption; the next top-up of at least $50.00 earns a bonus of 100% of the top-up plus
    $5.00, as a separate payment).
    """

    free_credit_codes: tuple[str, ...] = field(repr=False)
    bonus_codes: tuple[str, ...] = field(repr=False)

    @property
    def free_credit(self) -> str:
        return self.free_credit_codes[0]

    @property
    def bonus(self) -> str:
        return self.bonus_codes[0]


def seed_demo(*, now: datetime | None = None) -> list[Customer]:
    """Create the demo customers, a year of their payments, the DEMO_LOGINS users and the
    demo's exchange rates (dated `now`'s day)."""
    now = now or timezone.now()
    rng = random.Random(SEED)
    with transaction.atomic():
        customers = [_seed_customer(plan, rng, now) for plan in (ACME, NORDLICHT)]
        _seed_users(customers)
        seed_demo_rates(on=timezone.localdate(now))
        _seed_bank_details()
        seed_demo_methods()
        Customer.objects.filter(pk=customers[0].pk).update(topup_currencies=ACME_TOPUP_CURRENCIES)
        _seed_partial_crypto_payment()
        seed_demo_documents(customers, now=now)  # invoicing switched on today (docs/documents.md)
    return customers


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


def seed_demo_methods() -> list[str]:
    """Enable every online method whose gateway is registered (the sandbox plays it), with the
    demo's currencies; the methods enabled."""
    enabled = [m for m in DEMO_METHOD_CURRENCIES if m in gateway_methods()]
    for method in enabled:
        MethodConfig.objects.filter(method=method).update(
            enabled=True, currencies=DEMO_METHOD_CURRENCIES[method]
        )
    return enabled


def _seed_bank_details() -> None:
    """The provider's "Payment Details" shown with every pending bank transfer (made up)."""
    bank_details_update(
        actor=User.objects.get(email="admin@example.com"),
        beneficiary_name="Paydesk Telecom Ltd",
        account_number="GB33 BUKB 2020 1555 5555 55",
        bank_name="Example Bank plc",
        bank_address="1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
        swift="BUKBGB22",
    )


def _demo_finance() -> User | None:
    """The demo's Finance user, who sets the rates and issues the vouchers (audited as them)."""
    return User.objects.filter(email=DEMO_FINANCE_EMAIL, is_active=True).first()


def seed_demo_webhook(*, base_url: str) -> None:
    """The demo's outgoing-webhook endpoint (docs/outgoing-webhooks.md): the sandbox's receiver
    at `base_url`/sandbox/receiver/, ordered, with the secret the receiver knows. Kept (its
    address updated) when the demo restarts on a kept database."""
    url = base_url.rstrip("/") + "/sandbox/receiver/"
    existing = Endpoint.objects.filter(description=DEMO_ENDPOINT).first()
    admin = User.objects.get(email="admin@example.com")
    if existing is not None:
        if existing.url != url:
            endpoint_update(endpoint=existing, actor=admin, url=url)
        return
    endpoint_create(
        url=url,
        description=DEMO_ENDPOINT,
        ordered=True,
        actor=admin,
        secret=settings.PAYDESK_SANDBOX_RECEIVER_SECRET,
    )


def seed_demo_rates(*, on: date | None = None) -> list[ExchangeRate]:
    """EUR→USD, GBP and JPY (and so every cross rate between them) dated `on` (default today),
    set by the demo's Finance user; nothing when that user does not exist."""
    finance = _demo_finance()
    if finance is None:
        return []
    day = on or timezone.localdate()
    return [
        rate_set(
            base=base, quote=quote, rate=rate, rate_date=day, source=DEMO_RATE_SOURCE,
            actor=finance,
        )
        for base, quote, rate in DEMO_RATES
    ]  # fmt: skip


def seed_demo_vouchers(*, count: int = DEMO_VOUCHERS_PER_BATCH) -> DemoVouchers:
    """Issue the demo's two USD batches through voucher_batch_issue; return their plain codes.

    Issued by the demo's Finance user (or the system when it does not exist). Each call issues
    new batches, so a demo started on a kept database still has unused codes to print.
    """
    actor = _demo_finance()
    _free, free_codes = voucher_batch_issue(
        count=count, currency="USD", minimum_activation="0", multiplier="1", addition="25",
        note="Demo: free credit", actor=actor,
    )  # fmt: skip
    _bonus, bonus_codes = voucher_batch_issue(
        count=count, currency="USD", minimum_activation="50", multiplier="2", addition="5",
        note="Demo: bonus on the next top-up", actor=actor,
    )  # fmt: skip
    return DemoVouchers(free_credit_codes=tuple(free_codes), bonus_codes=tuple(bonus_codes))


def _seed_users(customers: list[Customer]) -> None:
    acme, nordlicht = customers
    passwords = {login.email: login.password for login in DEMO_LOGINS}

    def portal(email: str, customer: Customer, name: str, can_pay: bool = True) -> None:
        portal_user_create(
            customer=customer,
            email=email,
            password=passwords[email],
            full_name=name,
            can_make_payments=can_pay,
            can_manage_billing=can_pay,  # the bookkeeper only reads: no billing setup either
            validate=False,  # the demo passwords are public; validators would refuse some
        )

    portal("customer@example.com", acme, "Casey Customer")
    portal("bookkeeper@example.com", acme, "Bo Bookkeeper", can_pay=False)
    portal("eur@example.com", nordlicht, "Erika Schmidt")
    nordlicht.users.filter(email="eur@example.com").update(time_zone="Europe/Berlin")
    for email, role, name in (
        ("admin@example.com", StaffRole.ADMIN, "Ada Admin"),
        ("finance@example.com", StaffRole.FINANCE, "Finn Finance"),
        ("support@example.com", StaffRole.SUPPORT, "Sam Support"),
    ):
        staff = staff_user_create(
            email=email, password=passwords[email], role=role, full_name=name, validate=False
        )
        # Demo only: enrolled without a confirming code, since its secret is public anyway.
        TOTPDevice.objects.create(
            user=staff,
            name="Demo authenticator (public secret)",
            key=totp_key_from_secret(DEMO_TOTP_SECRET),
            confirmed=True,
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
            entry.reason = "The customer left the PayPal checkout without paying."
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
            reason="The customer left the PayPal checkout without paying.",
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
