"""Importing from an open file with flat memory: the rows wait in the staging store between the
check and the write, and come back out as the in-memory plan gave them — identical rows of a
file without ids numbered in file order, a newest-first file's same-second rows read backwards,
ids twice in the file refused by line, a re-import skipped."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from paydesk.imports.models import ImportedPayment
from paydesk.imports.services import import_plan, import_run
from paydesk.ledger.models import Payment

pytestmark = pytest.mark.django_db

HEADER = "Date / Time,Total,Status,Description\n"


def plan_of(text: str, customer, file_format: str = "connexcs"):
    return import_plan(text=io.StringIO(text), file_format=file_format, customer=customer.slug)


def test_identical_rows_of_a_file_without_ids_are_numbered_and_imported_once(customer):
    text = HEADER + (
        "2025-01-01T10:00:00Z,10.00,Completed,Top-up\n"
        "2025-01-01T10:00:00Z,10.00,Completed,Top-up\n"
        "2025-01-01T10:00:00Z,10.00,Completed,Top-up\n"
        "2025-01-02T10:00:00Z,-3.00,Completed,Calls\n"
    )
    plan = plan_of(text, customer)
    assert plan.refusals == [] and plan.new_rows == 4
    assert import_run(plan=plan).imported == 4

    keys = sorted(
        ImportedPayment.objects.filter(customer=customer).values_list("origin_key", "line")
    )
    digest = next(k for k, line in keys if line == 2)
    assert (f"{digest}#2", 3) in keys and (f"{digest}#3", 4) in keys

    again = plan_of(text, customer)
    assert (again.new_rows, again.skipped, again.refusals) == (0, 4, [])
    assert import_run(plan=again).imported == 0
    customer.refresh_from_db()
    assert customer.balance == Decimal("27.00")


def test_a_newest_first_file_is_posted_oldest_first_same_second_rows_backwards(customer):
    text = HEADER + (
        "2025-01-03T10:00:00Z,-1.00,Completed,Third\n"
        "2025-01-02T10:00:00Z,-2.00,Completed,Second (b)\n"
        "2025-01-02T10:00:00Z,5.00,Completed,Second (a)\n"
        "2025-01-01T10:00:00+01:00,10.00,Completed,First\n"
    )
    plan = plan_of(text, customer)
    assert [r.description for r in plan.customers[0].rows()] == [
        "First", "Second (a)", "Second (b)", "Third",
    ]  # fmt: skip
    assert plan.customers[0].completed_total == Decimal("12.00")
    import_run(plan=plan)

    got = list(
        Payment.objects.filter(customer=customer)
        .order_by("occurred_at", "id")
        .values_list("description", "balance_after")
    )
    assert got == [
        ("First", Decimal("10")),
        ("Second (a)", Decimal("15")),
        ("Second (b)", Decimal("13")),
        ("Third", Decimal("12")),
    ]


def test_an_id_twice_in_the_file_is_refused_by_line_and_nothing_is_written(customer):
    text = "Date / Time,Total,Status,Description,Id\n" + (
        "2025-01-01T10:00:00Z,10.00,Completed,One,A-1\n"
        "2025-01-02T10:00:00Z,10.00,Completed,Two,A-2\n"
        "2025-01-03T10:00:00Z,10.00,Completed,Three,A-1\n"
    )
    plan = plan_of(text, customer)
    assert [(r.line, r.message) for r in plan.refusals] == [(4, "Same id 'A-1' as line 2.")]
    plan.close()
    assert not Payment.objects.filter(customer=customer).exists()
