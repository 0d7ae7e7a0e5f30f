"""The hot path's cached statements (paydesk/fastsql.py) load and store exactly what the ORM
would: every column, its conversions (JSON, amounts, times, binary), the save signals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.utils import timezone

from paydesk.accounts.models import Contact, PortalDefaults
from paydesk.api.models import IdempotencyRecord
from paydesk.audit.models import AuditEntry
from paydesk.fastsql import execute_hot, first_joined, first_row, first_rows, numbered, row_insert

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_first_row_loads_what_the_orm_loads(customer):
    customer.blocked_methods = ["card", "paypal"]
    customer.debit_limit = Decimal("12.5000")
    customer.save()
    loaded = first_row(type(customer), "id = %s", [customer.pk])
    assert _fields(loaded) == _fields(type(customer).objects.get(pk=customer.pk))
    assert not loaded._state.adding and loaded._state.db == "default"
    assert first_row(type(customer), "id = %s", [customer.pk + 1000]) is None


def test_first_row_without_a_where_takes_the_lowest_id():
    assert first_row(PortalDefaults, "", []) is None
    first = PortalDefaults.objects.create(show_balance=False, blocked_methods=["voucher"])
    PortalDefaults.objects.create()
    loaded = first_row(PortalDefaults, "", [])
    assert loaded.pk == first.pk and model_to_dict(loaded) == model_to_dict(first)


def test_first_joined_loads_each_row_as_the_orm_does_and_none_for_a_missing_join(
    portal_user, finance_user
):
    from paydesk.accounts.models import Customer, User

    joins = "LEFT JOIN accounts_customer ON accounts_customer.id = accounts_user.customer_id"
    user, customer = first_joined(
        (User, Customer), joins, "accounts_user.id = %s", [portal_user.pk]
    )
    assert _fields(user) == _fields(User.objects.get(pk=portal_user.pk))
    assert _fields(customer) == _fields(Customer.objects.get(pk=portal_user.customer_id))
    assert not customer._state.adding and customer._state.db == "default"
    staff, nobody = first_joined(
        (User, Customer), joins, "accounts_user.id = %s", [finance_user.pk]
    )
    assert staff.pk == finance_user.pk and nobody is None  # no customer: the LEFT JOIN's NULLs
    assert first_joined((User, Customer), joins, "accounts_user.id = %s", [0]) is None


def test_first_rows_reads_each_first_row_in_one_statement(customer, django_assert_num_queries):
    from paydesk.accounts.models import Customer
    from paydesk.banktransfers.models import BankDetails

    reads = ((PortalDefaults, ""), (Customer, "currency = %s"), (BankDetails, ""))
    with django_assert_num_queries(1):
        assert first_rows(reads, ["XYZ"]) == (None, None, None)
    first = PortalDefaults.objects.create(show_balance=False, blocked_methods=["card"])
    PortalDefaults.objects.create(blocked_methods=["voucher"])
    customer.blocked_methods = ["card", "paypal"]
    customer.debit_limit = Decimal("12.5000")
    customer.save()
    with django_assert_num_queries(1):
        defaults, loaded, details = first_rows(reads, [customer.currency])
    assert defaults.pk == first.pk and model_to_dict(defaults) == model_to_dict(first)
    assert _fields(loaded) == _fields(Customer.objects.get(pk=customer.pk))
    assert not loaded._state.adding and loaded._state.db == "default"
    assert details is None  # the LEFT JOIN's NULLs


def test_first_rows_lists_read_what_column_values_reads(customer, django_assert_num_queries):
    from paydesk.accounts.models import Customer

    other = type(customer).objects.create(name="Other", slug="other", currency="EUR")
    for email in ("zed@example.com", "ann@example.com"):
        Contact.objects.create(customer=customer, email=email)
    Contact.objects.create(customer=other, email="bob@example.com")
    reads = ((Customer, "currency = %s"),)
    lists = ((Contact, *Contact.EMAILS_OF), (Contact, *Contact.EMAILS_OF))
    # One statement on PostgreSQL (the lists are ARRAY columns), one per list besides elsewhere.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        loaded, mine, theirs = first_rows(
            reads, [customer.currency, customer.pk, other.pk], lists=lists
        )
    assert loaded.pk == customer.pk
    assert mine == Contact.emails_of(customer.pk) == ["ann@example.com", "zed@example.com"]
    assert theirs == Contact.emails_of(other.pk) == ["bob@example.com"]
    assert first_rows(reads, ["XYZ", other.pk + 1000], lists=lists[:1]) == (None, [])


def test_row_insert_stores_what_save_would(customer, finance_user):
    entry = row_insert(
        AuditEntry(
            actor=finance_user,
            actor_email=finance_user.email,
            action="test.fast",
            object_type="customer",
            object_id=str(customer.pk),
            customer_id=customer.pk,
            before={"a": "1.00"},
            after={"a": "2.00", "ü": [1, 2]},
            ip_address="192.0.2.1",
        )
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert _fields(entry) == _fields(stored)
    assert not entry._state.adding


def test_row_insert_binary_and_constraints():
    record = row_insert(
        IdempotencyRecord(caller="key:1", key="k", fingerprint="f", status_code=201, body=b"\x00{}")
    )
    assert bytes(IdempotencyRecord.objects.get(pk=record.pk).body) == b"\x00{}"
    with pytest.raises(IntegrityError), transaction.atomic():
        row_insert(IdempotencyRecord(caller="key:1", key="k", fingerprint="other"))


def test_row_insert_sends_the_save_signals_in_order():
    seen: list[tuple[str, object]] = []

    def before(sender, instance, **kwargs):
        seen.append(("pre_save", instance.pk))

    def after(sender, instance, created, **kwargs):
        seen.append(("post_save", created))

    pre_save.connect(before, sender=IdempotencyRecord)
    post_save.connect(after, sender=IdempotencyRecord)
    try:
        row_insert(IdempotencyRecord(caller="key:2", key="k", fingerprint="f"))
    finally:
        pre_save.disconnect(before, sender=IdempotencyRecord)
        post_save.disconnect(after, sender=IdempotencyRecord)
    assert seen == [("pre_save", None), ("post_save", True)]


def test_only_columns_defer_the_others_and_column_values_keep_the_order(customer):
    Contact.objects.create(customer=customer, email="b@example.com")
    Contact.objects.create(customer=customer, email="a@example.com")
    assert Contact.emails_of(customer.pk) == ["a@example.com", "b@example.com"]
    assert Contact.emails_of(customer.pk + 1000) == []
    loaded = first_row(type(customer), "id = %s", [customer.pk], only=("name",))
    assert loaded.name == customer.name and loaded.get_deferred_fields() >= {"balance", "slug"}


def _prepared() -> list[str]:  # this session's
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepared", [True, False])
def test_on_postgresql_the_cached_statements_are_prepared_unless_switched_off(
    customer, settings, prepared
):
    settings.PAYDESK_PG_PREPARED = prepared
    connection.close()  # a fresh session: nothing prepared yet
    record = row_insert(IdempotencyRecord(caller="key:3", key="k", fingerprint="f", body=b"\x01"))
    loaded = first_row(IdempotencyRecord, "caller = %s AND key = %s", ["key:3", "k"])
    (defaults,) = first_rows(((PortalDefaults, ""),), [])
    assert (loaded.pk, bytes(loaded.body), defaults) == (record.pk, b"\x01", None)
    Contact.objects.create(customer=customer, email="billing@example.com")
    assert Contact.emails_of(customer.pk) == ["billing@example.com"]
    texts = _prepared()
    expected = (
        'INSERT INTO "api_idempotencyrecord"',
        'SELECT "api_idempotencyrecord"',
        "SELECT r0.",
        'SELECT "accounts_contact"',
    )
    assert [any(t.startswith(e) for t in texts) for e in expected] == [prepared] * 4
    with pytest.raises(IntegrityError), transaction.atomic():  # still Django's errors
        row_insert(IdempotencyRecord(caller="key:3", key="k", fingerprint="other"))


def test_numbered_writes_postgresql_placeholders_once_and_refuses_any_other_percent():
    sql = "SELECT %s, 'a%%b', %s WHERE x LIKE 'p%%'"
    assert numbered(sql) == "SELECT $1, 'a%b', $2 WHERE x LIKE 'p%'"
    assert numbered(sql) is numbered(sql)  # found once, then remembered
    with pytest.raises(ValueError, match="Only %s placeholders"):
        numbered("SELECT %(name)s")
    with pytest.raises(ValueError, match="Only %s placeholders"):
        numbered("SELECT 1 %")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hot_statement_of_more_than_fifty_parameters_runs_prepared_as_written():
    """The hot statements go to PostgreSQL with its own `$n` placeholders (a RawCursor): a
    top-up's payment statement has 60 parameters, beyond what psycopg remembers its parse of.
    The values, a literal `%` and their order arrive as they were given."""
    connection.close()
    values = list(range(60))
    sql = "SELECT " + ", ".join(["%s::int"] * 60) + ", '100%%'"
    with transaction.atomic():
        row = execute_hot(sql, values)
    assert row == (*values, "100%")
    assert any(t.startswith("SELECT $1::int, $2::int") for t in _prepared())


def test_row_insert_converts_each_value_as_get_db_prep_save(customer, portal_user):
    """The values `row_insert` sends unconverted (text, booleans, None) are what the field's
    own conversion would send, for the rows a top-up writes; the others are converted by it."""
    from paydesk.checkout.models import Quote
    from paydesk.fastsql import _row_plan
    from paydesk.notifications.models import OutboundEmail

    rows = [
        IdempotencyRecord(caller="key:6", key="k", fingerprint="f", status_code=201, body=b"{}"),
        OutboundEmail(to="a@example.com", template="t", context={"amount": "1.00"}, kind="x"),
        Quote(
            customer=customer,
            created_by=portal_user,
            method="bank_transfer",
            idempotency_key="api-1",
            amount=Decimal("1.5"),
            currency="USD",
            total_charged=Decimal("1.5"),
            credit=Decimal("1.5"),
            account_currency="USD",
            fx_rate="1",
            rate_date=timezone.localdate(),
            rate_source="identity",
            expires_at=timezone.now(),
            test_mode=True,
        ),
        AuditEntry(action="a", object_type="o", object_id="1", after={"x": 1}, ip_address=None),
    ]
    for row in rows:
        _sql, plan, _plain = _row_plan(type(row), connection.vendor)
        for field, attname, kept in plan:
            value = field.pre_save(row, True)
            expected = field.get_db_prep_save(value, connection)
            if type(value) in kept:
                assert value == expected and type(value) is type(expected), attname
        stored = row_insert(row)
        assert not stored._state.adding and type(row).objects.filter(pk=stored.pk).exists()
    text = [a for _f, a, kept in _row_plan(Quote, connection.vendor)[1] if str in kept]
    assert {"method", "currency", "fx_rate", "gateway_url"} <= set(text)
    assert "amount" not in text and "customer_id" not in text and "expires_at" not in text
