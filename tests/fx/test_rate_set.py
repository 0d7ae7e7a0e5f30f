"""Finance keeps the rate table by hand: who may, what is refused, what the audit log shows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.errors import InvalidCurrency, InvalidRate, PermissionDenied
from paydesk.fx.models import ExchangeRate
from paydesk.fx.services import rate_set

pytestmark = pytest.mark.django_db

FRIDAY = date(2025, 1, 10)


def test_finance_sets_a_rate_and_the_audit_log_shows_it(finance_user):
    row = rate_set(base="eur", quote="kwd", rate="0.3229", rate_date=FRIDAY, actor=finance_user)
    row.refresh_from_db()
    assert (row.base_currency, row.quote_currency, row.rate) == ("EUR", "KWD", Decimal("0.3229"))
    assert row.source == f"manual: {finance_user.email}"
    assert row.created_by == finance_user
    entry = AuditEntry.objects.get(action="fx.rate_set")
    assert entry.actor == finance_user
    assert entry.object_type == "exchangerate"
    assert entry.object_id == str(row.pk)
    assert entry.before is None
    assert entry.after == {
        "base": "EUR",
        "quote": "KWD",
        "rate": "0.3229",
        "rate_date": "2025-01-10",
        "source": f"manual: {finance_user.email}",
    }


def test_an_edit_updates_the_same_row_and_is_audited_with_before_and_after(finance_user):
    first = rate_set(base="EUR", quote="KWD", rate="0.3229", rate_date=FRIDAY, actor=finance_user)
    second = rate_set(base="EUR", quote="KWD", rate="0.3231", rate_date=FRIDAY, actor=finance_user)
    assert second.pk == first.pk
    assert ExchangeRate.objects.get().rate == Decimal("0.3231")
    edit = AuditEntry.objects.filter(action="fx.rate_set").order_by("id").last()
    assert edit.before["rate"] == "0.3229"
    assert edit.after["rate"] == "0.3231"
    # Setting the same value again changes nothing and records nothing.
    rate_set(base="EUR", quote="KWD", rate="0.32310", rate_date=FRIDAY, actor=finance_user)
    assert AuditEntry.objects.filter(action="fx.rate_set").count() == 2


def test_an_administrator_may_set_a_rate(admin_user):
    rate_set(base="USD", quote="NGN", rate="1545.5", rate_date=FRIDAY, actor=admin_user)
    assert ExchangeRate.objects.get().rate == Decimal("1545.5")


@pytest.mark.parametrize("who", ["support_user", "portal_user", None])
def test_support_a_customer_or_nobody_cannot_set_a_rate(who, request):
    actor = request.getfixturevalue(who) if who else None
    with pytest.raises(PermissionDenied):
        rate_set(base="EUR", quote="USD", rate="1.05", rate_date=FRIDAY, actor=actor)
    assert ExchangeRate.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (1.0512, "never floats"),
        ("0", "greater than zero"),
        ("-1.05", "not a rate"),
        ("1,0512", "not a rate"),
        ("1e3", "not a rate"),
        ("NaN", "not a rate"),
        (Decimal("NaN"), "greater than zero"),
        ("0.00000000001", "at most 10 decimal places"),
        (Decimal("1.00000000000000000000000000001"), "at most 10 decimal places"),
        ("100000001", "above"),
    ],
)
def test_a_rate_must_be_a_positive_exact_decimal(finance_user, rate, message):
    with pytest.raises(InvalidRate, match=message) as excinfo:
        rate_set(base="EUR", quote="USD", rate=rate, rate_date=FRIDAY, actor=finance_user)
    assert excinfo.value.field == "rate"
    assert ExchangeRate.objects.count() == 0


def test_ten_decimals_are_kept_exactly(finance_user):
    rate_set(base="IDR", quote="EUR", rate="0.0000598901", rate_date=FRIDAY, actor=finance_user)
    assert ExchangeRate.objects.get().rate == Decimal("0.0000598901")
    # In the database: an integer of ten-billionths, not a floating-point number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT rate FROM fx_exchangerate")
        (stored,) = cursor.fetchone()
    assert stored == 598901
    assert isinstance(stored, int)


def test_bad_currencies_and_dates_are_refused_next_to_their_field(finance_user):
    with pytest.raises(InvalidCurrency):
        rate_set(base="EUR", quote="XYZ", rate="1", rate_date=FRIDAY, actor=finance_user)
    with pytest.raises(InvalidRate) as same:
        rate_set(base="EUR", quote="eur", rate="1", rate_date=FRIDAY, actor=finance_user)
    assert same.value.field == "quote"
    future = timezone.localdate() + timedelta(days=2)
    with pytest.raises(InvalidRate, match="future") as later:
        rate_set(base="EUR", quote="USD", rate="1.05", rate_date=future, actor=finance_user)
    assert later.value.field == "rate_date"
    with pytest.raises(InvalidRate) as junk:
        rate_set(base="EUR", quote="USD", rate="1.05", rate_date="10/01/2025", actor=finance_user)
    assert junk.value.field == "rate_date"
    assert ExchangeRate.objects.count() == 0


def test_the_database_itself_refuses_a_rate_that_is_not_positive_or_has_one_currency():
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO fx_exchangerate (base_currency, quote_currency, rate, rate_date, "
                "source, created_at, updated_at) VALUES ('EUR', 'USD', 0, '2025-01-10', 'x', "
                "'2025-01-10 12:00:00+00', '2025-01-10 12:00:00+00')"
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(
            base_currency="USD", quote_currency="USD", rate=Decimal(1), rate_date=FRIDAY, source="x"
        )


def test_the_same_rate_from_two_sources_is_two_rows(finance_user):
    rate_set(base="EUR", quote="USD", rate="1.05", rate_date=FRIDAY, actor=finance_user)
    rate_set(
        base="EUR", quote="USD", rate="1.06", rate_date=FRIDAY, actor=finance_user, source="Reuters"
    )
    assert ExchangeRate.objects.count() == 2
    with pytest.raises(InvalidRate) as blank:
        rate_set(
            base="EUR", quote="USD", rate="1", rate_date=FRIDAY, actor=finance_user, source=" "
        )
    assert blank.value.field == "source"


def test_rate_list_shows_the_table_newest_first_and_filters(finance_user):
    from paydesk.fx.selectors import rate_list

    rate_set(base="EUR", quote="USD", rate="1.03", rate_date="2025-01-08", actor=finance_user)
    rate_set(base="EUR", quote="USD", rate="1.05", rate_date=FRIDAY, actor=finance_user)
    rate_set(base="USD", quote="NGN", rate="1545.5", rate_date=FRIDAY, actor=finance_user)
    rate_set(base="EUR", quote="GBP", rate="0.84", rate_date=FRIDAY, actor=finance_user)
    listed = [(r.base_currency, r.quote_currency, str(r.rate_date)) for r in rate_list()]
    assert listed == [
        ("EUR", "GBP", "2025-01-10"),
        ("EUR", "USD", "2025-01-10"),
        ("USD", "NGN", "2025-01-10"),
        ("EUR", "USD", "2025-01-08"),
    ]
    usd = [(r.quote_currency, str(r.rate_date)) for r in rate_list(currency="usd")]
    assert usd == [("USD", "2025-01-10"), ("NGN", "2025-01-10"), ("USD", "2025-01-08")]
    assert rate_list(date_to=date(2025, 1, 9)).get().rate == Decimal("1.03")
    assert rate_list(date_from=FRIDAY, currency="GBP").get().rate == Decimal("0.84")
