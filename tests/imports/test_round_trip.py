"""A customer's Paydesk CSV (the portal's download) imported into an empty customer gives the
same rows, running balances, balance and statement; the back-office CSV (with its Customer
column) goes through a customer map."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from paydesk.accounts.models import Customer
from paydesk.exports import payments_csv_response
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import DEFAULT_PAYMENT_SORT, balance_drifts, payment_statement
from paydesk.ledger.services import payment_cancel, payment_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def history(customer: Customer) -> None:
    def at(minutes: int) -> datetime:
        return START + timedelta(minutes=minutes)

    payment_create(
        customer=customer,
        total="250",
        description="Wire — Société Générale",
        method="bank_transfer",
        at=at(0),
    )
    payment_create(
        customer=customer, total="-10.0125", description="DID rental #prorated", at=at(60)
    )
    payment_create(customer=customer, total="-3", description="-Minutes, same second", at=at(90))
    payment_create(customer=customer, total="2", description="+Credit, same second", at=at(90))
    pending = payment_create(
        customer=customer,
        total="40",
        description="Card top-up",
        method="card",
        status="pending",
        at=at(120),
    )
    cancelled = payment_create(
        customer=customer,
        total="15",
        description="Voucher",
        method="voucher",
        status="pending",
        at=at(150),
    )
    payment_cancel(payment=cancelled, reason="Expired", at=at(151))
    payment_create(customer=customer, total="0.0125", description="Sub-cent credit", at=at(24 * 60))
    assert pending.status == "pending"


def export(customer: Customer, zone: str) -> str:
    response = payments_csv_response(
        queryset=Payment.objects.filter(customer=customer),
        sort=DEFAULT_PAYMENT_SORT,
        time_zone=ZoneInfo(zone),
        filename="payments.csv",
        currency=customer.currency,
    )
    return b"".join(response.streaming_content).decode("utf-8")


def import_with_map(path, mapping) -> None:
    call_command(
        "import_payments", str(path), "--format", "paydesk", "--customer-map", str(mapping),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip


def shape(customer: Customer) -> list[tuple]:
    return [
        (
            p.occurred_at.replace(microsecond=0),
            p.total,
            p.status,
            p.method,
            p.description,
            p.balance_after,
        )
        for p in Payment.objects.filter(customer=customer).order_by("occurred_at", "id")
    ]


def test_a_portal_export_imported_into_an_empty_customer_is_the_same_account(tmp_path):
    source = CustomerFactory(currency="USD")
    history(source)
    path = tmp_path / "acme.csv"
    path.write_text(export(source, "America/New_York"), encoding="utf-8")
    mapping = tmp_path / "map.csv"
    mapping.write_text("external_id,name,currency\n,Acme Telecom (moved),USD\n")

    import_with_map(path, mapping)

    copy = Customer.objects.get(name="Acme Telecom (moved)")
    source.refresh_from_db()
    assert copy.balance == source.balance == Decimal("239.0000")
    assert shape(copy) == shape(source)
    for start, end in [
        (START - timedelta(days=1), START),  # before
        (START + timedelta(minutes=30), START + timedelta(days=2)),  # across
        (START + timedelta(days=2), START + timedelta(days=3)),  # after
    ]:
        a = payment_statement(customer=source, start=start, end=end)
        b = payment_statement(customer=copy, start=start, end=end)
        assert (a.opening, a.closing, a.low, a.high) == (b.opening, b.closing, b.low, b.high)
    assert balance_drifts() == []


def test_the_back_office_export_goes_through_a_customer_map(tmp_path):
    from paydesk.exports import payment_csv_columns  # the back office's columns

    source = CustomerFactory(currency="EUR", name="Nordlicht Telekom")
    payment_create(customer=source, total="99.90", description="Überweisung", at=START)
    payment_create(customer=source, total="-9.90", description="Paket", at=START + timedelta(1))
    columns = payment_csv_columns(time_zone=ZoneInfo("Europe/Berlin"), with_customer=True)
    assert [c.header for c in columns][2] == "Customer"
    target = CustomerFactory(currency="EUR")
    response = payments_csv_response(
        queryset=Payment.objects.filter(customer=source),
        sort=DEFAULT_PAYMENT_SORT,
        time_zone=ZoneInfo("Europe/Berlin"),
        filename="all.csv",
        with_customer=True,
    )
    path = tmp_path / "all.csv"
    path.write_bytes(b"".join(response.streaming_content))
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"external_id,customer\nNordlicht Telekom,{target.slug}\n")

    import_with_map(path, mapping)

    target.refresh_from_db()
    assert target.balance == Decimal("90")
    assert shape(target) == shape(source)
