"""The statement view: opening and closing balance, and a bounded balance chart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import (
    PAYMENT_SORTS,
    PaymentFilters,
    keyset_after,
    payment_list_for_customer,
    payment_statement,
)
from paydesk.ledger.services import payment_create
from paydesk.portal.charts import balance_chart_svg
from tests.portal.conftest import at

pytestmark = pytest.mark.django_db


def test_no_payments_gives_zero_opening_and_closing(customer):
    statement = payment_statement(customer=customer, start=None, end=None)
    assert (statement.opening, statement.closing, statement.points) == (0, 0, [])
    svg = balance_chart_svg(statement=statement, currency="USD", chart_id="c")
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg


def test_pending_and_cancelled_payments_do_not_move_the_statement(customer):
    payment_create(customer=customer, total="30", description="Top-up", at=at(0))
    payment_create(customer=customer, total="99", description="Pending", status="pending", at=at(5))
    statement = payment_statement(customer=customer, start=at(-60), end=at(60))
    assert statement.opening == 0
    assert statement.closing == Decimal("30")
    assert statement.points == [(at(0), Decimal("30"))]


def test_a_busy_period_is_sampled_to_a_bounded_number_of_points(customer):
    for n in range(40):
        payment_create(customer=customer, total="1.25", description=f"Top-up {n}", at=at(n))
    statement = payment_statement(customer=customer, start=None, end=None, points=10)
    assert statement.sampled
    assert len(statement.points) == 10
    # First sample is the first payment's balance; the last is the closing balance.
    assert statement.points[0] == (at(0), Decimal("1.25"))
    assert statement.points[-1] == (at(39), Decimal("50"))
    balances = [balance for _moment, balance in statement.points]
    assert balances == sorted(balances)
    svg = balance_chart_svg(statement=statement, currency="USD", chart_id="c")
    assert svg.count("H") - svg.count("High") <= 12  # one step per point, plus the ends


def test_opening_is_the_balance_just_before_the_period(customer):
    payment_create(customer=customer, total="100", description="Top-up", at=at(0, days=-1))
    payment_create(customer=customer, total="-40", description="Package", at=at(0))
    payment_create(customer=customer, total="5", description="Later", at=at(0, days=2))
    statement = payment_statement(customer=customer, start=at(-1), end=at(0, days=1))
    assert (statement.opening, statement.closing) == (Decimal("100"), Decimal("60"))


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, params)
        return " ".join(str(row) for row in cursor.fetchall())


def _bulk_pending_and_analyze(customer, *, start: int) -> None:
    """3,000 pending rows a minute apart from at(start), then fresh planner statistics."""
    Payment.objects.bulk_create(
        Payment(
            reference=f"P{n:06d}",
            customer=customer,
            total=Decimal(n % 50 + 1),
            status="pending",
            method="manual",
            description="Bulk",
            created_at=at(start + n),
            occurred_at=at(start + n),
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Payment._meta.db_table}")


def _busy_month(customer, *, dip: str, first: int = 0) -> None:
    """Usage of 0.01 a minute apart, one of them `dip` at n == 13 refilled a minute later: a
    lowest moment that falls between a sampled chart's points."""
    for n in range(first, 30):
        payment_create(
            customer=customer,
            total=f"-{dip}" if n == 13 else "-0.01",
            description=f"Usage {n}",
            at=at(n * 60),
        )
        if n == 13:
            payment_create(customer=customer, total=dip, description="Refill", at=at(n * 60 + 1))


@pytest.mark.parametrize("token", ["-date", "total"])
def test_deep_pages_walk_an_index_without_sorting(customer, token):
    payment_create(customer=customer, total="1", description="Seed", at=at(0))
    _bulk_pending_and_analyze(customer, start=0)
    sort = PAYMENT_SORTS[token]
    rows = payment_list_for_customer(customer=customer, filters=PaymentFilters())
    value = at(1500) if sort.field == "occurred_at" else Decimal(25)
    for scan in (sort, sort.reversed()):
        deep = rows.filter(keyset_after(scan.field, scan.descending, value, 1500))
        plan = _plan(deep.order_by(*scan.ordering())[:50])
        assert "INDEX" in plan.upper(), plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_chart_low_is_the_lowest_running_balance_and_the_axis_fits_the_period(customer):
    """Finding 4 of issue 13: "Low $0.00" for a month whose low was $895; an axis from zero; the
    axis ending July 1 for a period ending June 30."""
    from datetime import timedelta

    payment_create(customer=customer, total="1000", description="Top-up", at=at(0, days=-3))
    _busy_month(customer, dip="105")  # sampled, and its lowest moment falls between samples
    start, end = at(0, days=-1), at(0, days=2) - timedelta(minutes=570)  # midnight, exclusive
    statement = payment_statement(customer=customer, start=start, end=end, points=5)
    assert statement.sampled
    lowest = min(
        p.balance_after
        for p in Payment.objects.filter(
            customer=customer, occurred_at__gte=start, occurred_at__lt=end
        )
    )
    assert statement.low == lowest == Decimal("894.8700")
    svg = balance_chart_svg(statement=statement, currency="USD", chart_id="c")
    assert "Low $894.87 USD" in svg and "Low $0.00" not in svg
    assert 'class="chart-axis"' not in svg  # zero is far below the data: no axis from zero
    last_day = (end - timedelta(microseconds=1)).date()
    assert f">{last_day:%B} {last_day.day}, {last_day.year}</text></svg>" in svg  # not March 3


def test_whole_history_low_and_high_are_exact_from_the_balance_index(customer):
    """Bench P3: the default view's Low/High read every completed payment of the customer (one
    MIN/MAX aggregate: 118 ms of a 180 ms page at 100 k payments on SQLite). Now each is one step
    into the (customer, status, balance_after) index — and still exact between samples, this
    customer's only, completed payments only."""
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CustomerFactory

    other = CustomerFactory(currency="USD")
    payment_create(customer=other, total="5000", description="Someone else's", at=at(-5))
    payment_create(customer=customer, total="1000", description="Top-up", at=at(0))
    _busy_month(customer, dip="700", first=1)  # sampled at 5 points: the dip falls between
    payment_create(
        customer=customer, total="2", description="Pending", status="pending", at=at(2000)
    )
    with CaptureQueriesContext(connection) as queries:
        statement = payment_statement(customer=customer, start=None, end=None, points=5)
    assert statement.sampled
    assert (statement.low, statement.high) == (Decimal("299.8800"), Decimal("1000"))
    extremes = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT "ledger_payment"."balance_after"')
    ]
    assert len(extremes) == 2
    assert not any("MIN(" in q["sql"] or "MAX(" in q["sql"] for q in queries)
    _bulk_pending_and_analyze(customer, start=3000)
    with connection.cursor() as cursor:
        for sql in extremes:
            prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + sql)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "payment_customer_balance" in plan, plan
            assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
