"""The demo's documents (docs/documents.md): the provider switched invoicing on today, after a
year of payments (those have receipts, not invoices), with its legal details; the two customers'
billing profiles and tax rules; then one bank-transfer top-up each, invoiced, and a part refund
of Acme's, with its credit note. Everything goes through the services, audited as the demo's
Administrator."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max

from paydesk.accounts.billing import billing_profile_update
from paydesk.accounts.models import Customer, PaymentMethod, User
from paydesk.documents.models import TaxRule
from paydesk.documents.services import customer_tax_rule_set, invoicing_settings_update
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import payment_complete, payment_create

PROFILES = {
    "USD": {
        "legal_name": "Acme Telecom Inc.",
        "address_line1": "500 Market Street, Suite 12",
        "city": "San Francisco",
        "postal_code": "94105",
        "region": "CA",
        "country": "US",
        "rule": TaxRule.ZERO_RATED,
        "topup": "500.00",
    },
    "EUR": {
        "legal_name": "Nordlicht Telekom GmbH",
        "address_line1": "Hauptstraße 5",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
        "tax_id": "DE136695976",
        "rule": TaxRule.REVERSE_CHARGE,
        "topup": "250.00",
    },
}


def _after_the_last(customer: Customer, now: datetime) -> datetime:
    """A moment after the customer's last statement row and no later than `now`, so that the
    balance chain stays in time order."""
    last = Payment.objects.filter(customer=customer).aggregate(at=Max("occurred_at"))["at"]
    return min(now, (last or now) + timedelta(seconds=1))


def seed_demo_documents(customers: list[Customer], *, now: datetime) -> list[Payment]:
    """Switch invoicing on and make the demo's invoiced top-ups and credit note; the payments."""
    admin = User.objects.get(email="admin@example.com")
    invoicing_settings_update(
        actor=admin,
        invoices_enabled=True,
        legal_name="Paydesk Telecom Ltd",
        address="1 Example Street\nLondon EC1A 1AA",
        country="GB",
        tax_id="GB980780684",
        tax_rate="20",
    )
    made = []
    for customer in customers:
        plan = dict(PROFILES[customer.currency])
        rule, amount = plan.pop("rule"), plan.pop("topup")
        billing_profile_update(customer=customer, actor=admin, **plan)
        customer_tax_rule_set(customer=customer, rule=rule, actor=admin)
        pending = payment_create(
            customer=customer,
            total=amount,
            description="Bank transfer",
            method=PaymentMethod.BANK_TRANSFER,
            gateway="bank_transfer",
            status="pending",
            at=_after_the_last(customer, now),
        )
        made.append(payment_complete(payment=pending, at=_after_the_last(customer, now)))
    acme = made[0]
    made.append(
        refund_create(
            original=acme,
            total="100.00",
            reason="Part of the transfer was sent twice",
            # Not "Refund of <reference>": references are random, the demo's history is not.
            description="Refund: part of the transfer was sent twice",
            status="completed",
            allow_overdraft=True,
            at=_after_the_last(acme.customer, now),
        )
    )
    for customer in customers:
        customer.refresh_from_db(fields=["balance"])
    return made
