"""`paydesk vouchers issue`: a batch from a script, codes printed once as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paydesk.audit.models import AuditEntry
from paydesk.vouchers.codes import voucher_code_hash, voucher_code_is_well_formed
from paydesk.vouchers.models import Voucher, VoucherBatch

pytestmark = pytest.mark.django_db


def test_issue_json_lists_the_new_codes_and_stores_only_their_hashes(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    out = StringIO()
    call_command(
        "vouchers",
        "issue",
        "--count",
        "3",
        "--currency",
        "eur",
        "--minimum-activation",
        "20",
        "--multiplier",
        "1.1",
        "--addition",
        "2.50",
        "--expires",
        "2099-01-31",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    batch = VoucherBatch.objects.get()
    assert result == {
        "batch": batch.pk,
        "count": 3,
        "currency": "EUR",
        "minimum_activation": "20.00",
        "multiplier": "1.1",
        "addition": "2.50",
        "expires_at": "2099-02-01T00:00:00+01:00",
        "codes": result["codes"],
    }
    assert len(set(result["codes"])) == 3
    assert all(voucher_code_is_well_formed(code) for code in result["codes"])
    assert sorted(Voucher.objects.values_list("code_hash", flat=True)) == sorted(
        voucher_code_hash(code) for code in result["codes"]
    )
    assert batch.multiplier == Decimal("1.1")
    assert batch.expires_at == datetime(2099, 2, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert batch.created_by is None
    entry = AuditEntry.objects.get(action="voucher_batch.issue")
    assert entry.actor_email == "cli"
    assert not any(code in json.dumps(entry.after) for code in result["codes"])


def test_issue_prints_the_codes_one_per_line_without_json():
    out = StringIO()
    call_command(
        "vouchers", "issue", "--count", "2", "--currency", "USD", "--addition", "5", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Batch ") and "USD" in lines[0]
    assert len(lines) == 3 and all(voucher_code_is_well_formed(code) for code in lines[1:])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--count", "2", "--currency", "USD"], "needs a free credit above zero"),
        (["--count", "2", "--currency", "XXQ", "--addition", "5"], "not an ISO 4217"),
        (["--count", "2", "--currency", "USD", "--addition", "five"], "not a number"),
        (
            ["--count", "2", "--currency", "USD", "--addition", "5", "--expires", "soon"],
            "not a date",
        ),
        (
            ["--count", "2", "--currency", "USD", "--addition", "5", "--expires", "2001-01-01"],
            "must be in the future",
        ),
        (
            ["--count", "2", "--currency", "USD", "--addition", "5", "--expires", "9999-12-31"],
            "on or before 9000-12-31",
        ),
        (
            ["--count", "1", "--currency", "USD", "--addition", "5", "--expires", "9999-12-31T23Z"],
            "on or before 9000-12-31",
        ),
    ],
)
def test_errors_are_command_errors(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("vouchers", "issue", *arguments, "--json", stdout=StringIO())
    assert not VoucherBatch.objects.exists()


def test_the_paydesk_entry_point_issues_and_fails_like_a_script_expects(tmp_path):
    """The real console script in a fresh process, on its own SQLite file."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "PAYDESK_VAR_DIR": str(tmp_path),
        "PAYDESK_VOUCHER_KEY": "cli-test-key",
    }
    paydesk = [sys.executable, "-m", "paydesk"]
    subprocess.run([*paydesk, "migrate", "-v", "0"], env=env, check=True, timeout=300)

    ok = subprocess.run(
        [
            *paydesk,
            "vouchers",
            "issue",
            "--count",
            "2",
            "--currency",
            "USD",
            "--addition",
            "5",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["codes"]) == 2

    failed = subprocess.run(
        [*paydesk, "vouchers", "issue", "--count", "2", "--currency", "USD", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode != 0
    assert "needs a free credit above zero" in failed.stderr
    assert failed.stdout == ""
