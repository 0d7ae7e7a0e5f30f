"""The two-person thresholds are parsed once, while the settings load: good values become typed
values, a bad one stops the start with ImproperlyConfigured naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from paydesk.settings.values import Threshold, threshold_amount_parse, threshold_parse

CREDIT = "PAYDESK_CREDIT_TWO_PERSON_THRESHOLD"
TRANSFER = "PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD"


def test_one_amount_for_every_currency_and_others_for_some():
    threshold = threshold_parse(" 1000, JPY=150000, kwd=300.5 ,", setting=CREDIT)
    others = {"JPY": Decimal("150000"), "KWD": Decimal("300.5")}
    assert threshold == Threshold(Decimal("1000"), others)
    assert threshold.of("USD") == Decimal("1000")
    assert threshold.of("JPY") == Decimal("150000")
    assert threshold.of("KWD") == Decimal("300.5")
    assert threshold_parse("JPY=1, 0", setting=CREDIT) == Threshold(Decimal(0), {"JPY": Decimal(1)})
    with pytest.raises(TypeError):
        threshold.per_currency["EUR"] = Decimal(1)  # type: ignore[index]


@pytest.mark.parametrize(
    "bad", ["", " , ", "lots", "1000,1000", "-5", "1000,QQQ=1", "JPY=100", "1000,JPY=", "1e400"]
)
def test_a_threshold_that_does_not_parse_is_improperly_configured(bad):
    with pytest.raises(ImproperlyConfigured, match=CREDIT):
        threshold_parse(bad, setting=CREDIT)


def test_the_transfers_threshold_is_one_amount():
    assert threshold_amount_parse(" 2500.50 ", setting=TRANSFER) == Decimal("2500.50")
    assert threshold_amount_parse("0", setting=TRANSFER) == Decimal(0)
    for bad in ("", "lots", "-1", "1000,JPY=150000", "1.5.0"):
        with pytest.raises(ImproperlyConfigured, match=TRANSFER):
            threshold_amount_parse(bad, setting=TRANSFER)


def test_the_settings_read_the_environment_once_typed():
    from django.conf import settings

    # The test settings load without either variable (tests set them where they need them).
    assert isinstance(settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD, Decimal)
    assert isinstance(settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD, Threshold)


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with these variables (and no others of theirs)."""
    clean = {k: v for k, v in os.environ.items() if k not in (CREDIT, TRANSFER)}
    script = (
        "from paydesk.settings import base as s;"
        "print(s.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD,"
        " s.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD.default,"
        " dict(s.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD.per_currency))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_credits_threshold_defaults_to_the_transfers_and_may_differ_per_currency():
    default = _load_settings()
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["1000", "1000", "{}"]
    inherited = _load_settings(**{TRANSFER: "750"})
    assert inherited.stdout.split() == ["750", "750", "{}"]
    own = _load_settings(**{TRANSFER: "750", CREDIT: "500,JPY=90000"})
    assert own.returncode == 0, own.stderr
    assert own.stdout.split()[:2] == ["750", "500"]
    assert "'JPY': Decimal('90000')" in own.stdout


@pytest.mark.parametrize(
    ("variable", "value"), [(CREDIT, "1000,1000"), (TRANSFER, "1000,JPY=150000")]
)
def test_a_bad_value_stops_the_start_with_a_clear_error(variable, value):
    loaded = _load_settings(**{variable: value})
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr
    assert f"{variable} must be an amount" in loaded.stderr
    assert repr(value) in loaded.stderr
