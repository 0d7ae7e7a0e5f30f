"""Conversion told as worked examples: the ECB says 1 EUR = 1.0512 USD on Friday 10 January 2025."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from paydesk.errors import InvalidAmount, RateUnavailable
from paydesk.fx.selectors import convert, rate_for
from paydesk.fx.services import rate_import_ecb, rate_set
from paydesk.money import normalize_currency

pytestmark = pytest.mark.django_db

FRIDAY = date(2025, 1, 10)
MONDAY = date(2025, 1, 13)


def currencies_offerable(
    *, account_currency: str, candidates: list[str], on: date | None = None
) -> list[str]:
    """The candidates (in order, once each) with a usable rate to the account currency: what
    rate_for's freshness means for a list of currencies."""
    account = normalize_currency(account_currency)
    return [
        code
        for code in dict.fromkeys(normalize_currency(c) for c in candidates)
        if rate_for(base=code, quote=account, on=on) is not None
    ]


@pytest.fixture
def ecb_friday(daily_xml):
    rate_import_ecb(xml_bytes=daily_xml)


@pytest.fixture
def kwd_by_finance(ecb_friday, finance_user):
    # The ECB does not quote the Kuwaiti dinar: Finance keeps that rate by hand.
    return rate_set(base="EUR", quote="KWD", rate="0.3229", rate_date=FRIDAY, actor=finance_user)


def test_usd_100_is_eur_95_13(ecb_friday):
    # 100 / 1.0512 = 95.1294… → 95.13
    converted, rate = convert(amount="100", from_currency="USD", to_currency="EUR", on=FRIDAY)
    assert converted == Decimal("95.13")
    assert rate.rate == Decimal("0.9512937595")  # 1 / 1.0512 kept at 10 significant digits
    assert (rate.base, rate.quote, rate.rate_date, rate.source) == ("USD", "EUR", FRIDAY, "ECB")
    assert rate.derivation == "inverse"


def test_eur_to_usd_uses_the_published_rate_as_it_is(ecb_friday):
    conversion = convert(amount="95.13", from_currency="EUR", to_currency="USD", on=FRIDAY)
    assert conversion.amount == Decimal("100.00")  # 95.13 × 1.0512 = 100.000656
    assert conversion.rate.rate == Decimal("1.0512")
    assert conversion.rate.derivation == "direct"


def test_yen_has_no_decimals_and_rounds_half_up(ecb_friday):
    # 150 × 162.39 = 24358.5 → 24359 (half-up; half-even would give 24358)
    assert convert(amount="150", from_currency="EUR", to_currency="JPY", on=FRIDAY).amount == (
        Decimal("24359")
    )
    # 12.34 × 162.39 = 2003.8926 → 2004
    assert convert(amount="12.34", from_currency="EUR", to_currency="JPY", on=FRIDAY).amount == (
        Decimal("2004")
    )


def test_dinar_has_three_decimals_and_rounds_half_up(kwd_by_finance):
    # 5 × 0.3229 = 1.6145 → 1.615 (half-up; half-even would give 1.614)
    converted, rate = convert(amount="5", from_currency="EUR", to_currency="KWD", on=FRIDAY)
    assert converted == Decimal("1.615")
    assert rate.source == "manual: " + kwd_by_finance.created_by.email


def test_cross_rate_goes_through_eur(ecb_friday):
    # USD→GBP = EUR→GBP / EUR→USD = 0.8456 / 1.0512 = 0.804414003…
    rate = rate_for(base="USD", quote="GBP", on=FRIDAY)
    assert rate.rate == Decimal("0.804414003")
    assert rate.derivation == "via EUR"
    # 250 × 0.804414003 = 201.10350075 → 201.10
    assert convert(amount="250", from_currency="USD", to_currency="GBP", on=FRIDAY).amount == (
        Decimal("201.10")
    )
    # JPY→USD = 1.0512 / 162.39 = 0.006473305006; 10,000 yen → 64.73305006 → 64.73
    assert rate_for(base="JPY", quote="USD", on=FRIDAY).rate == Decimal("0.006473305006")
    assert convert(amount="10000", from_currency="JPY", to_currency="USD", on=FRIDAY).amount == (
        Decimal("64.73")
    )


def test_cross_rate_mixes_an_ecb_leg_and_a_manual_leg(kwd_by_finance):
    # USD→KWD = 0.3229 / 1.0512 = 0.3071727549; 100 USD → 30.71727549 → 30.717
    converted, rate = convert(amount="100", from_currency="USD", to_currency="KWD", on=FRIDAY)
    assert converted == Decimal("30.717")
    assert rate.rate == Decimal("0.3071727549")
    assert rate.source == "ECB, " + kwd_by_finance.source


def test_same_currency_is_identity_and_needs_no_rate():
    converted, rate = convert(amount="12.345", from_currency="usd", to_currency="USD")
    assert converted == Decimal("12.35")
    assert rate.rate == Decimal(1)
    assert rate.derivation == "identity"


def test_negative_amounts_round_half_away_from_zero(ecb_friday):
    assert convert(amount="-150", from_currency="EUR", to_currency="JPY", on=FRIDAY).amount == (
        Decimal("-24359")
    )


def test_a_float_amount_is_refused(ecb_friday):
    with pytest.raises(InvalidAmount):
        convert(amount=100.0, from_currency="USD", to_currency="EUR", on=FRIDAY)  # type: ignore[arg-type]


def test_friday_rate_still_serves_on_tuesday_but_not_on_wednesday(ecb_friday):
    # Default maximum age: 4 days, enough for a weekend and a holiday.
    assert rate_for(base="USD", quote="EUR", on=date(2025, 1, 14)).rate_date == FRIDAY
    assert rate_for(base="USD", quote="EUR", on=date(2025, 1, 15)) is None
    with pytest.raises(RateUnavailable) as excinfo:
        convert(amount="100", from_currency="USD", to_currency="EUR", on=date(2025, 1, 15))
    assert excinfo.value.code == "rate_unavailable"
    assert excinfo.value.field == "currency"
    assert "USD to EUR" in excinfo.value.message


def test_a_rate_is_not_used_before_its_own_date(ecb_friday):
    assert rate_for(base="USD", quote="EUR", on=date(2025, 1, 9)) is None


@override_settings(PAYDESK_FX_MAX_AGE_DAYS=1)
def test_the_maximum_age_is_a_setting(ecb_friday):
    assert rate_for(base="USD", quote="EUR", on=date(2025, 1, 11)) is not None
    assert rate_for(base="USD", quote="EUR", on=date(2025, 1, 12)) is None


def test_the_newest_usable_rate_wins(history_xml):
    rate_import_ecb(xml_bytes=history_xml)
    assert rate_for(base="EUR", quote="USD", on=date(2025, 1, 9)).rate == Decimal("1.0305")
    assert rate_for(base="EUR", quote="USD", on=MONDAY).rate == Decimal("1.0512")


def test_cross_rate_is_as_old_as_its_older_leg(ecb_friday, finance_user):
    rate_set(base="EUR", quote="KWD", rate="0.3215", rate_date="2025-01-08", actor=finance_user)
    rate = rate_for(base="USD", quote="KWD", on=date(2025, 1, 12))
    assert rate.rate_date == date(2025, 1, 8)  # the KWD leg, though the USD leg is from the 10th
    # On Monday 13th the KWD leg is 5 days old: too old, so KWD is not offered.
    assert currencies_offerable(account_currency="USD", candidates=["KWD"], on=MONDAY) == []


def test_a_newer_direct_rate_beats_an_older_cross_rate(ecb_friday, finance_user):
    rate_set(base="USD", quote="GBP", rate="0.8100", rate_date=MONDAY, actor=finance_user)
    rate = rate_for(base="USD", quote="GBP", on=MONDAY)
    assert (rate.rate, rate.derivation) == (Decimal("0.81"), "direct")
    inverse = rate_for(base="GBP", quote="USD", on=MONDAY)
    assert (inverse.rate, inverse.derivation) == (Decimal("1.234567901"), "inverse")
    # On Friday only the ECB rates exist: the cross rate is used.
    assert rate_for(base="USD", quote="GBP", on=FRIDAY).derivation == "via EUR"


def test_the_rate_written_last_wins_between_sources_on_the_same_day(ecb_friday, finance_user):
    rate_set(base="EUR", quote="USD", rate="1.05", rate_date=FRIDAY, actor=finance_user)
    rate = rate_for(base="EUR", quote="USD", on=FRIDAY)
    assert rate.rate == Decimal("1.05")
    assert rate.source.startswith("manual: ")


def test_only_currencies_with_a_usable_rate_are_offered(kwd_by_finance):
    offered = currencies_offerable(
        account_currency="USD",
        candidates=["USD", "eur", "GBP", "KWD", "NGN", "EUR", "JPY"],
        on=MONDAY,
    )
    # NGN has no rate at all; EUR is listed once.
    assert offered == ["USD", "EUR", "GBP", "KWD", "JPY"]


def test_stale_rates_offer_only_the_account_currency(ecb_friday):
    offered = currencies_offerable(
        account_currency="USD", candidates=["USD", "EUR", "GBP"], on=date(2025, 1, 20)
    )
    assert offered == ["USD"]


def test_a_moment_counts_as_its_date_in_the_provider_time_zone(ecb_friday):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    late_thursday = datetime(2025, 1, 9, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert rate_for(base="USD", quote="EUR", on=late_thursday) is None
    assert rate_for(base="USD", quote="EUR", on=late_thursday.replace(day=10)) is not None
