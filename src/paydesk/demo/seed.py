"""Demo data: two customers with a year of payments each, one login per role, exchange rates
dated today, and demo voucher batches whose codes the demo prints. This module has the entry
points; the customers, their plans and the logins are in customers.py, the payments in
payments.py, the invoices in documents.py.

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
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, User
from paydesk.banktransfers.services import bank_details_update
from paydesk.checkout.models import MethodConfig
from paydesk.demo.customers import (
    ACME,
    ACME_TOPUP_CURRENCIES,
    NORDLICHT,
    _demo_finance,
    _seed_users,
)
from paydesk.demo.documents import seed_demo_documents
from paydesk.demo.payments import SEED, _seed_customer, _seed_partial_crypto_payment
from paydesk.demo.webhooks import seed_demo_deliveries
from paydesk.fx.models import ExchangeRate
from paydesk.fx.services import rate_set
from paydesk.gateways.registry import gateway_methods
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Endpoint
from paydesk.outhooks.services import endpoint_create, endpoint_update
from paydesk.vouchers.batches import voucher_batch_approve, voucher_batch_issue
from paydesk.vouchers.models import BatchApproval

DEMO_ENDPOINT = "Demo: the sandbox's webhook receiver"


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


DEMO_RATE_SOURCE = "demo"


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
    """The provider's "Payment details" shown with every pending bank transfer (made up)."""
    bank_details_update(
        actor=User.objects.get(email="admin@example.com"),
        beneficiary_name="Paydesk Telecom Ltd",
        account_number="GB33 BUKB 2020 1555 5555 55",
        bank_name="Example Bank plc",
        bank_address="1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
        swift="BUKBGB22",
    )


def seed_demo_webhook(*, base_url: str, now: datetime | None = None) -> None:
    """The demo's outgoing-webhook endpoint (docs/outgoing-webhooks.md): the sandbox's receiver
    at `base_url`/sandbox/receiver/, ordered, with the secret the receiver knows, and the
    delivery history of the seeded events' last days (webhooks.py). Kept (its address updated)
    when the demo restarts on a kept database."""
    url = base_url.rstrip("/") + "/sandbox/receiver/"
    existing = Endpoint.objects.filter(description=DEMO_ENDPOINT).first()
    admin = User.objects.get(email="admin@example.com")
    if existing is not None:
        if existing.url != url:
            endpoint_update(endpoint=existing, actor=admin, url=url)
        return
    # The seed's events are dispatched before the endpoint exists (the worker sends none of
    # them); the history's deliveries are written as the worker would have left them.
    events_dispatch(now=now)
    made = endpoint_create(
        url=url,
        description=DEMO_ENDPOINT,
        ordered=True,
        actor=admin,
        secret=settings.PAYDESK_SANDBOX_RECEIVER_SECRET,
    )
    seed_demo_deliveries(endpoint=made.endpoint, now=now or timezone.now())


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
    bonus, bonus_codes = voucher_batch_issue(
        count=count, currency="USD", minimum_activation="50", multiplier="2", addition="5",
        note="Demo: bonus on the next top-up", actor=actor,
    )  # fmt: skip
    if bonus.approval == BatchApproval.WAITING:
        # A bonus of 100% of each top-up has no upper bound: the demo's Administrator gives the
        # second approval the four-eyes rule asks for (vouchers/batches.py).
        voucher_batch_approve(batch=bonus, actor=User.objects.get(email="admin@example.com"))
    return DemoVouchers(free_credit_codes=tuple(free_codes), bonus_codes=tuple(bonus_codes))
