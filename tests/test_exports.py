"""CSV download: exactly the rows shown, spreadsheet-safe, UTF-8 that Excel reads, streamed with
flat memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from paydesk.exports import (
    TOTAL_UNITS,
    CsvColumn,
    csv_fields,
    csv_rows,
    csv_safe_text,
    payment_csv_columns,
    payment_link_columns,
    plain_units,
)
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.money import from_storage_units, plain_amount
from tests.portal.conftest import MODEL_BACKEND, at

pytestmark = pytest.mark.django_db
CSV = reverse("portal:payments_csv")
HEADER = [
    "Date / Time", "Reference", "Total", "Currency", "Status", "Method", "Description",
    "Relation", "Original reference",
]  # fmt: skip


def download(client, **params: str) -> tuple[bytes, list[list[str]], object]:
    response = client.get(CSV, params)
    assert response.status_code == 200
    raw = b"".join(response.streaming_content)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return raw, table, response


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user, backend=MODEL_BACKEND)
    return client


@pytest.mark.parametrize(
    "text, cell",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-10.00", "'-10.00"),
        ("@HYPERLINK", "'@HYPERLINK"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("\x00Nul", "'\x00Nul"),
        ("\ufeff=SUM(A1:A9)", "'\ufeff=SUM(A1:A9)"),  # a byte-order mark hides nothing
        ("\ufeffPlain", "'\ufeffPlain"),
        ("DID rental = 10", "DID rental = 10"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cells_that_could_run_a_formula_are_neutralised(text, cell):
    assert csv_safe_text(text) == cell


def test_numeric_columns_are_never_altered_and_text_round_trips():
    columns = [
        CsvColumn("Total", ("total",), str, raw=True),
        CsvColumn("Description", ("description",)),
    ]
    chunks = [[(Decimal("-10.00"), "=cmd|' /C calc'!A0"), (Decimal("5"), 'a,"quoted"\nline\x00')]]
    text = "".join(csv_rows(chunks, columns))
    assert text.startswith("\ufeffTotal,Description\r\n")
    table = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert table == [
        ["Total", "Description"],
        ["-10.00", "'=cmd|' /C calc'!A0"],
        ["5", 'a,"quoted"\nline\x00'],
    ]


def test_a_field_several_columns_read_is_selected_once():
    """The Description reads the relation and the method (a chargeback's reason in its gateway's
    words) that the Relation and Method columns read too: each is selected once, as the stored
    total the Total and Method columns share, so the words add no column to a million rows."""
    columns = [*payment_csv_columns(time_zone=UTC, currency="USD"), *payment_link_columns()]
    fields = csv_fields(columns)
    names = [field for field in fields if isinstance(field, str)]
    assert len(names) == len(set(names)) and {"description", "relation", "method"} <= set(names)
    assert [field for field in fields if field is TOTAL_UNITS] == [TOTAL_UNITS]
    values = {"occurred_at": datetime(2026, 12, 6, tzinfo=UTC), "relation": "chargeback"}
    row = tuple(
        values.get(field, f"<{field}>") if isinstance(field, str) else 100000 for field in fields
    )
    text = "".join(csv_rows([[row]], columns))
    assert text.splitlines()[1] == (
        "2026-12-06T00:00:00+00:00,<reference>,10.00,USD,<status>,<method>,<description>,"
        "Chargeback,<original__reference>"
    )


@given(
    units=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"]),
)
def test_plain_units_matches_plain_amount(units, currency):
    assert plain_units(units, {"JPY": 0, "KWD": 3, "CLF": 4}.get(currency, 2)) == plain_amount(
        from_storage_units(units), currency
    )


@pytest.fixture
def ledger(customer):
    payment_create(
        customer=customer, total="50", description="PayPal 8787 #demo", method="paypal", at=at(0)
    )
    payment_create(customer=customer, total="-10", description="DID rental", at=at(60))
    payment_create(customer=customer, total="0.0125", description="Sub-cent credit", at=at(90))
    payment_create(
        customer=customer,
        total="20",
        description="Zahlung für Müller — 東京 ✓",
        method="bank_transfer",
        status="pending",
        at=at(120),
    )
    for n, text in enumerate(["=SUM(A1:A2)", "+44 20 7946 0000", "-5 adjustment", "@cmd"]):
        payment_create(customer=customer, total="1", description=text, at=at(200 + n))
    return customer


def test_header_rows_and_values(portal_client, ledger):
    raw, table, response = download(portal_client)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads it as UTF-8
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert table[0] == HEADER
    by_description = {row[6]: row for row in table[1:]}
    assert len(table) == 9
    did = by_description["DID rental"]
    assert did[0] == "2026-03-01T10:30:00+00:00"
    # A purchase the provider posted reads as what it did to the account, not how it was entered.
    assert did[2:6] == ["-10.00", "USD", "Completed", "Account charge"]
    assert did[1] == ledger.payments.get(description="DID rental").reference
    assert by_description["Sub-cent credit"][2] == "0.0125"
    assert by_description["Sub-cent credit"][5] == "Account credit"
    assert "Manual entry" not in raw.decode("utf-8-sig")
    assert by_description["PayPal 8787"][2:6] == ["50.00", "USD", "Completed", "PayPal"]
    pending = by_description["Zahlung für Müller — 東京 ✓"]
    assert pending[4:6] == ["Pending", "Bank Transfer"]
    assert "demo" not in raw.decode("utf-8-sig")  # the staff comment never leaves


def test_formula_descriptions_are_neutralised_and_negative_totals_stay_numbers(
    portal_client, ledger
):
    _raw, table, _response = download(portal_client)
    descriptions = [row[6] for row in table[1:]]
    assert "'=SUM(A1:A2)" in descriptions
    assert "'+44 20 7946 0000" in descriptions
    assert "'-5 adjustment" in descriptions
    assert "'@cmd" in descriptions
    totals = [row[2] for row in table[1:]]
    assert "-10.00" in totals
    assert all(not total.startswith("'") for total in totals)
    assert all(Decimal(total) for total in totals)


def test_descriptions_starting_with_tab_or_carriage_return_are_neutralised(portal_client, customer):
    now = timezone.now()
    Payment.objects.bulk_create(
        Payment(
            reference=f"RAW{n}",
            customer=customer,
            total=Decimal("1"),
            status="pending",
            method="manual",
            description=text,
            created_at=now,
            occurred_at=now,
        )
        for n, text in enumerate(["\tTabbed", "\rReturned", "\ufeff=HYPERLINK(1)"])
    )
    _raw, table, _response = download(portal_client)
    assert sorted(row[6] for row in table[1:]) == [
        "'\tTabbed",
        "'\rReturned",
        "'\ufeff=HYPERLINK(1)",
    ]


def test_only_the_rows_the_filters_show_in_their_order(portal_client, ledger):
    _raw, table, _response = download(portal_client, status="completed", sort="total")
    assert [row[2] for row in table[1:]] == [
        "-10.00",
        "0.0125",
        "1.00",
        "1.00",
        "1.00",
        "1.00",
        "50.00",
    ]
    _raw, table, _response = download(portal_client, q="rental", after="ignored")
    assert [row[6] for row in table[1:]] == ["DID rental"]
    _raw, table, _response = download(portal_client, date_from="2026-03-02")
    assert table == [HEADER]


def test_times_carry_the_users_utc_offset(portal_client, portal_user, ledger):
    portal_user.time_zone = "Asia/Kolkata"
    portal_user.save(update_fields=["time_zone"])
    _raw, table, _response = download(portal_client, q="rental")
    assert table[1][0] == "2026-03-01T16:00:00+05:30"


def test_file_name_has_the_customer_and_the_users_date(portal_client, portal_user, ledger):
    ledger.slug = "acme-telecom"
    ledger.save(update_fields=["slug"])
    _raw, _table, response = download(portal_client)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="payments-acme-telecom-{today}.csv"'
    )
    # Late evening in UTC is already tomorrow in Auckland: the name follows the user's date.
    portal_user.time_zone = "Pacific/Auckland"
    portal_user.save(update_fields=["time_zone"])
    _raw, _table, response = download(portal_client)
    import zoneinfo

    their_today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Pacific/Auckland")).isoformat()
    assert f"payments-acme-telecom-{their_today}.csv" in response["Content-Disposition"]


def _seed(customer, start: int, stop: int) -> None:
    """Rows generated by one INSERT … SELECT in the database (fast), not through the ledger:
    balances are not asserted here. Totals alternate -10.00 and 12.3456, one second apart."""
    columns = (
        "reference, customer_id, total, status, method, description, staff_comment, gateway, "
        "gateway_reference, created_at, occurred_at, completed_at, cancel_reason, balance_after"
    )
    if connection.vendor == "postgresql":
        numbers = "SELECT i FROM generate_series(%s::integer, %s::integer) AS i"
        moment = "(%s::timestamptz + i * interval '1 second')"
        reference = "'BULK' || lpad(i::text, 9, '0')"
    else:
        numbers = (
            "WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            "SELECT i FROM n"
        )
        moment = "strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || i || ' seconds')"
        reference = "'BULK' || printf('%%09d', i)"
    sql = (
        f"INSERT INTO {Payment._meta.db_table} ({columns}) "
        f"SELECT {reference}, %s, CASE WHEN i % 2 = 1 THEN -100000 ELSE 123456 END, "
        f"'completed', 'manual', 'Row ' || i || ' =not a formula', 'private', '', '', "
        f"{moment}, {moment}, {moment}, '', 0 FROM ({numbers}) AS numbers"
    ).replace("i % 2", "i %% 2")
    first = connection.ops.adapt_datetimefield_value(at(0))
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer.pk, first, first, first, start, stop - 1])
        # Fresh planner statistics, as autovacuum keeps them in production: with none, PostgreSQL
        # may sort every remaining row per chunk instead of walking the index.
        cursor.execute(f"ANALYZE {Payment._meta.db_table}")


def _export_peak(client) -> tuple[int, int]:
    """(rows, peak bytes allocated) while the streamed CSV is consumed in this process."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        response = client.get(CSV)
        lines = 0
        for piece in response.streaming_content:
            lines += piece.count(b"\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines - 1, peak


@pytest.mark.slow
def test_a_big_export_needs_no_more_memory_than_a_small_one(portal_client, customer):
    _seed(customer, 0, 2_000)
    small_rows, small_peak = _export_peak(portal_client)
    _seed(customer, 2_000, 200_000)
    big_rows, big_peak = _export_peak(portal_client)
    assert (small_rows, big_rows) == (2_000, 200_000)
    # 200,000 rows are ~14 MB of CSV: holding them would dwarf the small export's peak.
    assert big_peak < 2 * small_peak + 1_000_000, (small_peak, big_peak)


def test_back_office_export_of_every_customer_has_a_customer_column(customer):
    from paydesk.exports import payments_csv_response
    from paydesk.ledger.selectors import PAYMENT_SORTS
    from tests.factories import CustomerFactory

    yen = CustomerFactory(name="=Tokyo KK", currency="JPY")
    payment_create(customer=customer, total="12.5", description="Top-up", at=at(0))
    payment_create(customer=yen, total="1500", description="チャージ", at=at(1))
    response = payments_csv_response(
        queryset=Payment.objects.all(),
        sort=PAYMENT_SORTS["date"],
        time_zone=timezone.get_current_timezone(),
        filename="payments-all.csv",
        with_customer=True,
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == [*HEADER[:2], "Customer", *HEADER[2:]]
    assert [row[2] for row in table[1:]] == [customer.name, "'=Tokyo KK"]
    assert [row[3:5] for row in table[1:]] == [["12.50", "USD"], ["1500", "JPY"]]
    assert table[2][7] == "チャージ"
