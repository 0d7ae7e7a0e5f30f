"""`paydesk import-rates PATH_OR_URL [--json]`, in-process and as the real console command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paydesk.fx.models import ExchangeRate
from tests.fx.conftest import DAILY_FILE, HISTORY_FILE, ecb_xml

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("import_rates", *args, stdout=out)
    return out.getvalue()


def test_import_a_daily_file_from_a_path():
    output = _run(str(DAILY_FILE))
    assert output.strip() == (
        "Imported 30 ECB rates for 2025-01-10: 30 new, 0 changed, 0 unchanged."
    )
    assert ExchangeRate.objects.get(quote_currency="USD").rate == Decimal("1.0512")


def test_import_a_history_file_with_json_output():
    report = json.loads(_run(str(HISTORY_FILE), "--json"))
    assert report == {
        "ok": True,
        "source": "ECB",
        "rates": 12,
        "created": 12,
        "updated": 0,
        "unchanged": 0,
        "dates": [
            {"date": "2025-01-10", "rates": 4},
            {"date": "2025-01-09", "rates": 4},
            {"date": "2025-01-08", "rates": 4},
        ],
    }
    again = _run(str(HISTORY_FILE))
    assert "3 dates (2025-01-10, 2025-01-09, 2025-01-08): 0 new, 0 changed, 12 unchanged" in again


def test_import_from_a_url(rate_server):
    output = _run(f"{rate_server}/eurofxref-daily.xml")
    assert "Imported 30 ECB rates for 2025-01-10" in output
    assert ExchangeRate.objects.count() == 30


def test_a_url_that_is_not_found_is_an_error(rate_server):
    with pytest.raises(CommandError, match="answered HTTP 404"):
        _run(f"{rate_server}/missing.xml")
    assert ExchangeRate.objects.count() == 0


def test_a_missing_path_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run(str(tmp_path / "nowhere.xml"))


def test_a_bad_file_is_an_error_and_json_says_why(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(ecb_xml({"2025-01-10": {"USD": "n/a"}}))
    out = StringIO()
    with pytest.raises(CommandError, match="Bad rate for USD on 2025-01-10"):
        call_command("import_rates", str(bad), "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "ok": False,
        "error": "invalid_rate_file",
        "message": "Bad rate for USD on 2025-01-10: 'n/a' is not a rate like 1.0512.",
    }
    assert ExchangeRate.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    from paydesk.fx.management.commands.import_rates import RateFileUnreadable, read_location

    big = tmp_path / "big.xml"
    big.write_bytes(DAILY_FILE.read_bytes())
    with pytest.raises(RateFileUnreadable, match="larger than 100 bytes"):
        read_location(str(big), timeout=5, max_bytes=100)


def test_a_url_over_the_size_limit_is_refused(rate_server):
    from paydesk.fx.management.commands.import_rates import RateFileUnreadable, read_location

    with pytest.raises(RateFileUnreadable, match="larger than 100 bytes"):
        read_location(f"{rate_server}/eurofxref-daily.xml", timeout=5, max_bytes=100)


@pytest.fixture
def migrated_sqlite(tmp_path):
    """Environment for the real `python -m paydesk`, with a freshly migrated throwaway SQLite."""
    database = tmp_path / "fx.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DATABASE_URL": f"sqlite:///{database}",
        "PAYDESK_VAR_DIR": str(tmp_path / "var"),
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "paydesk", "migrate", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    return env, database


def _rates_in(database) -> dict[tuple[str, str], int]:
    with sqlite3.connect(database) as db:
        return {
            (quote, day): units
            for quote, day, units in db.execute(
                "SELECT quote_currency, rate_date, rate FROM fx_exchangerate"
            )
        }


def test_the_console_command_imports_a_path_and_a_url(migrated_sqlite, rate_server, tmp_path):
    env, database = migrated_sqlite

    def paydesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "paydesk", "import-rates", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    daily = paydesk(str(DAILY_FILE))
    assert daily.returncode == 0, daily.stderr
    assert "Imported 30 ECB rates for 2025-01-10: 30 new" in daily.stdout
    # Stored as an exact integer of ten-billionths: 1.0512 → 10,512,000,000.
    assert _rates_in(database)[("USD", "2025-01-10")] == 10_512_000_000

    history = paydesk(f"{rate_server}/eurofxref-hist.xml", "--json")
    assert history.returncode == 0, history.stderr
    report = json.loads(history.stdout)
    assert (report["created"], report["unchanged"]) == (8, 4)
    assert [d["date"] for d in report["dates"]] == ["2025-01-10", "2025-01-09", "2025-01-08"]
    assert len(_rates_in(database)) == 38

    bad = tmp_path / "future.xml"
    bad.write_bytes(ecb_xml({date(2999, 1, 1): {"USD": "1.05"}}))
    refused = paydesk(str(bad))
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert "2999-01-01, a date in the future" in refused.stderr
    assert len(_rates_in(database)) == 38

    missing = paydesk(f"{rate_server}/nothing-here.xml")
    assert missing.returncode != 0
    assert "HTTP 404" in missing.stderr
