"""`paydesk import-payments`: worked examples per format from the sample files, idempotence,
all-or-nothing on a bad line, the forward-only rule for backdated history, and the summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from paydesk.accounts.models import Customer
from paydesk.imports.models import ImportedPayment
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create

SAMPLES = Path(__file__).parent / "samples"
pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_payments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_payments", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def sample_into(customer: Customer) -> tuple[str, ...]:
    """The arguments importing the ConnexCS sample into `customer`."""
    return (str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer", customer.slug)


def rows(customer: Customer) -> list[tuple]:
    return list(
        Payment.objects.filter(customer=customer)
        .order_by("occurred_at", "id")
        .values_list("occurred_at", "total", "status", "method", "description", "balance_after")
    )


def test_connexcs_portal_file_into_one_customer(customer):
    out, _ = run(str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer", customer.slug)

    assert "Imported 5 row(s); skipped 0 already imported; refused 0." in out
    got = rows(customer)
    assert [(r[1], r[2]) for r in got] == [
        (Decimal("100"), "completed"),
        (Decimal("-12.5"), "completed"),
        (Decimal("50"), "pending"),
        (Decimal("25"), "cancelled"),
        (Decimal("-7.25"), "completed"),
    ]
    # Two time zones, stored as the same instants.
    assert got[0][0] == datetime(2025, 1, 5, 8, 0, tzinfo=UTC)
    assert got[2][0] == datetime(2025, 1, 7, 13, 0, tzinfo=UTC)
    assert got[0][4] == "Überweisung Januar — Müller GmbH"
    assert got[4][4] == "Package « Europe 1000 min »"
    assert [r[5] for r in got] == [Decimal("100"), Decimal("87.5"), None, None, Decimal("80.25")]
    customer.refresh_from_db()
    assert customer.balance == Decimal("80.25")
    assert balance_drifts() == []


def test_connexcs_columns_by_name_in_any_order_through_a_map(customer):
    mapping = SAMPLES.parent / "map_c17.csv"
    mapping.write_text(f"external_id,customer\nC-17,{customer.slug}\n")
    try:
        run(
            str(SAMPLES / "connexcs_reordered.csv"),
            "--format",
            "connexcs",
            "--customer-map",
            str(mapping),
        )
    finally:
        mapping.unlink()
    assert [(r[1], r[4]) for r in rows(customer)] == [
        (Decimal("40"), "Top-up"),
        (Decimal("-15.5"), "Purchase of minutes"),
    ]


def test_whmcs_transactions_create_the_mapped_customers(db):
    out, _ = run(
        str(SAMPLES / "whmcs.csv"),
        "--format",
        "whmcs",
        "--customer-map",
        str(SAMPLES / "map_whmcs.csv"),
        "--time-zone",
        "Europe/Berlin",
    )

    assert "Imported 4 row(s)" in out
    krakow = Customer.objects.get(name="Kraków Telecom sp. z o.o.")
    nordwind = Customer.objects.get(name="Nordwind Telefonie")
    assert (krakow.currency, krakow.balance) == ("EUR", Decimal("160"))
    assert nordwind.balance == Decimal("300")
    got = Payment.objects.filter(customer=krakow).order_by("occurred_at", "id")
    assert [(p.total, p.method, p.fee) for p in got] == [
        (Decimal("120"), "paypal", Decimal("3.78")),
        (Decimal("60"), "card", Decimal("1.2")),
        (Decimal("-20"), "paypal", Decimal("0")),
    ]
    assert got[0].occurred_at == datetime(2024, 11, 2, 13, 5, tzinfo=UTC)  # CET = UTC+1
    assert got[0].description == "Invoice Payment (#1201) – Zürich"
    assert set(ImportedPayment.objects.values_list("origin_key", flat=True)) == {
        "901",
        "902",
        "903",
        "904",
    }
    assert balance_drifts() == []


def test_dates_without_a_zone_are_refused_by_line_when_no_zone_is_given(db):
    text = refused(
        str(SAMPLES / "whmcs.csv"),
        "--format",
        "whmcs",
        "--customer-map",
        str(SAMPLES / "map_whmcs.csv"),
    )
    for line in (2, 3, 4, 5):
        assert f"line {line}: '" in text
    assert "has no time zone" in text
    assert not Payment.objects.exists() and not Customer.objects.exists()


def test_the_same_file_twice_adds_nothing(customer):
    args = (str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer", customer.slug)
    run(*args)
    before = rows(customer)

    out, _ = run(*args)

    assert "Imported 0 row(s); skipped 5 already imported; refused 0." in out
    assert rows(customer) == before
    customer.refresh_from_db()
    assert customer.balance == Decimal("80.25")


def test_one_bad_line_writes_nothing_and_names_the_line(customer, tmp_path):
    good = (SAMPLES / "connexcs.csv").read_text().splitlines()
    good.insert(3, "2025-01-06 11:00:00+01:00,12.345,Completed,Three decimals in USD")
    good.insert(5, "2025-01-06 12:00:00+01:00,5,Refunded,Unknown status")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(good) + "\n")

    text = refused(str(path), "--format", "connexcs", "--customer", customer.slug)

    assert "line 4: 12.345 has more decimals than USD allows (2)." in text
    assert "line 6: Unknown status 'Refunded'" in text
    assert "nothing was imported" in text
    assert not Payment.objects.exists()
    assert not ImportedPayment.objects.exists()


def test_a_completed_row_dated_in_the_future_is_refused_by_line(customer, tmp_path):
    """A year typed 2925 for 2025 was imported; the next live payment then came before it in
    time with a `balance after` computed after it, and check-balances reported a drift. A
    moment with no UTC time (the calendar's ends with an offset) was a traceback."""
    lines = (SAMPLES / "connexcs.csv").read_text().splitlines()
    lines.insert(2, "2925-01-05 09:00:00+01:00,100.00,Completed,Typo in the year")
    lines.insert(3, "9999-12-31 23:00:00-12:00,5.00,Pending,Past the calendar in UTC")
    lines.insert(4, "0001-01-01 00:00:00+14:00,5.00,Cancelled,Before the calendar in UTC")
    path = tmp_path / "future.csv"
    path.write_text("\n".join(lines) + "\n")

    text = refused(str(path), "--format", "connexcs", "--customer", customer.slug)

    assert "line 3: Dated 2925-01-05T09:00:00+01:00, after now (" in text
    assert "never dated in the future" in text
    assert "line 4: '9999-12-31 23:00:00-12:00' is outside the calendar once in UTC" in text
    assert "line 5: '0001-01-01 00:00:00+14:00' is outside the calendar once in UTC" in text
    assert not Payment.objects.exists()
    # A pending row may still be dated ahead (it carries no balance).
    ahead = tmp_path / "ahead.csv"
    ahead.write_text(lines[0] + "\n2925-01-05 09:00:00+01:00,100.00,Pending,Announced\n")
    run(str(ahead), "--format", "connexcs", "--customer", customer.slug)
    assert Payment.objects.get().status == "pending"


def test_the_ledger_refuses_a_completed_payment_dated_in_the_future(customer):
    from datetime import timedelta

    from django.utils import timezone

    from paydesk.ledger.imports import BackdatedEntry

    with pytest.raises(BackdatedEntry, match="dated in the future"):
        payment_create(
            customer=customer, total="10", description="Ahead", at=timezone.now() + timedelta(1)
        )
    assert not Payment.objects.exists() and balance_drifts() == []


def test_a_dry_run_shows_what_would_be_imported_and_writes_nothing(customer):
    out, _ = run(
        str(SAMPLES / "connexcs.csv"),
        "--format",
        "connexcs",
        "--customer",
        customer.slug,
        "--dry-run",
    )
    assert f"{customer.name} ({customer.slug}): 5 to import, 0 already imported" in out
    assert "Dry run: 5 row(s) would be imported; 0 skipped as already imported; 0 refused." in out
    assert not Payment.objects.exists()


def test_history_before_a_live_payment_is_refused_with_a_clear_message(customer):
    payment_create(customer=customer, total="10", description="Live top-up")

    text = refused(
        str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer", customer.slug
    )

    assert "line 2: Dated 2025-01-05T09:00:00+01:00, before" in text
    assert "history is imported only forward in time" in text
    assert Payment.objects.filter(customer=customer).count() == 1


def test_history_continues_after_an_earlier_import(customer, tmp_path):
    run(str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer", customer.slug)
    later = tmp_path / "later.csv"
    later.write_text(
        "Date / Time,Total,Status,Description\n"
        "2025-01-05 09:00:00+01:00,100.00,Completed,Überweisung Januar — Müller GmbH\n"
        "2025-02-01 09:00:00+00:00,19.75,Completed,February top-up\n"
    )

    out, _ = run(str(later), "--format", "connexcs", "--customer", customer.slug)

    assert "Imported 1 row(s); skipped 1 already imported" in out
    customer.refresh_from_db()
    assert customer.balance == Decimal("100")
    assert rows(customer)[-1][5] == Decimal("100")
    assert balance_drifts() == []


def test_a_staff_member_below_administrator_cannot_import(customer, finance_user):
    text = refused(*sample_into(customer), "--as", finance_user.email)
    assert "Only an Administrator can import payments." in text
    assert not Payment.objects.exists()


def test_an_administrator_import_is_audited(customer, admin_user):
    from paydesk.audit.models import AuditEntry

    run(*sample_into(customer), "--as", admin_user.email)
    entry = AuditEntry.objects.get(action="payment.import")
    assert entry.actor == admin_user
    assert entry.after["payments"] == 5
    assert ImportedPayment.objects.filter(imported_by=admin_user).count() == 5


def test_customer_map_mistakes_are_named(customer, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"external_id,customer\nA,{customer.slug}\nB,nope\nA,{customer.slug}\n")
    text = refused(
        str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer-map", str(mapping)
    )
    assert "Customer map, line 3: no Paydesk customer 'nope'." in text
    assert "Customer map, line 4: 'A' is mapped twice." in text
    # The file has no customer column and the map more than one customer: each line says so.
    mapping.write_text(f"external_id,customer\nA,{customer.slug}\nB,{customer.pk}\n")
    text = refused(
        str(SAMPLES / "connexcs.csv"), "--format", "connexcs", "--customer-map", str(mapping)
    )
    assert "line 2: This line names no customer" in text
    assert not Payment.objects.exists()


def test_a_header_without_the_format_s_columns_is_refused(customer, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("When,Amount\n2025-01-01T00:00:00Z,5\n")
    text = refused(str(path), "--format", "connexcs", "--customer", customer.slug)
    assert "line 1: The header has no column for date, status, description" in text


def test_a_dry_run_in_json_lists_refusals_by_line(customer, tmp_path):
    import json

    path = tmp_path / "one-bad.csv"
    path.write_text(
        "Date / Time,Total,Status,Description\n"
        "2025-01-01T10:00:00Z,5.00,Completed,Fine\n"
        "2025-01-02T10:00:00Z,abc,Completed,Not a number\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_payments",
            str(path),
            "--format",
            "connexcs",
            "--customer",
            customer.slug,
            "--dry-run",
            "--json",
            stdout=out,
            stderr=io.StringIO(),
        )
    data = json.loads(out.getvalue().splitlines()[0])
    assert (data["rows_read"], data["to_import"]) == (2, 1)
    assert data["refused"] == [{"line": 3, "message": "Total: 'abc' is not a number like 1234.56."}]
    assert not Payment.objects.exists()


def test_a_description_with_a_control_character_is_refused_by_line(customer, tmp_path):
    """paydesk/text.py's rule holds for imported history too: the line is refused with what to
    fix, nothing is written, and the text is never rewritten on the way in."""
    lines = (SAMPLES / "connexcs.csv").read_text().splitlines()
    lines.insert(2, '2025-01-05 09:30:00+01:00,5.00,Completed,"Two\nlines"')
    lines.insert(3, "2025-01-05 09:40:00+01:00,6.00,Completed,A\ttab")
    lines.insert(4, "2025-01-05 09:50:00+01:00,7.00,Completed,An escape \x1b[31m")
    path = tmp_path / "controls.csv"
    path.write_text("\n".join(lines) + "\n")

    text = refused(str(path), "--format", "connexcs", "--customer", customer.slug)

    for line in (3, 5, 6):
        assert f"line {line}: The description has a line break, tab or other control" in text
    assert "nothing was imported" in text
    assert not Payment.objects.exists()
