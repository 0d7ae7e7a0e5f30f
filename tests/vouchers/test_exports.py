"""The one-time CSV of a new batch's codes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.exports import batch_codes_csv, batch_codes_filename

pytestmark = pytest.mark.django_db


def test_the_csv_lists_each_code_with_the_batch_terms(finance_user):
    expires = timezone.now() + timedelta(days=30)
    batch, codes = voucher_batch_issue(
        count=3,
        currency="KWD",
        minimum_activation="10",
        multiplier="2.0000",
        addition="1.5",
        expires_at=expires,
        actor=finance_user,
    )
    rows = list(csv.reader(io.StringIO(batch_codes_csv(batch, codes))))
    assert rows[0] == [
        "Code",
        "Currency",
        "Minimum activation",
        "Multiplier",
        "Addition",
        "Expires",
    ]
    assert [row[0] for row in rows[1:]] == codes
    assert {tuple(row[1:]) for row in rows[1:]} == {
        ("KWD", "10.000", "2", "1.500", expires.isoformat())
    }
    assert batch_codes_filename(batch).startswith(f"vouchers-batch-{batch.pk}-")


def test_no_expiry_is_an_empty_cell(finance_user):
    batch, codes = voucher_batch_issue(count=1, currency="USD", addition="5", actor=finance_user)
    [_header, row] = list(csv.reader(io.StringIO(batch_codes_csv(batch, codes))))
    assert row[1:] == ["USD", "0.00", "1", "5.00", ""]
