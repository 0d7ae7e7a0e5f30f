"""Importing the ECB's eurofxref files: all of a good file, nothing of a bad one, never twice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.errors import InvalidRateFile, PermissionDenied
from paydesk.fx.models import ExchangeRate
from paydesk.fx.services import rate_import_ecb
from tests.fx.conftest import ecb_xml

pytestmark = pytest.mark.django_db

FRIDAY = date(2025, 1, 10)


def _stored() -> dict[tuple[str, date], Decimal]:
    return {
        (r.quote_currency, r.rate_date): r.rate
        for r in ExchangeRate.objects.filter(base_currency="EUR")
    }


def test_daily_file_stores_thirty_eur_rates_for_one_day(daily_xml):
    result = rate_import_ecb(xml_bytes=daily_xml)
    assert (result.rates, result.created, result.updated, result.unchanged) == (30, 30, 0, 0)
    assert result.rates_per_date == [(FRIDAY, 30)]
    stored = _stored()
    assert stored[("USD", FRIDAY)] == Decimal("1.0512")
    assert stored[("JPY", FRIDAY)] == Decimal("162.39")
    assert stored[("GBP", FRIDAY)] == Decimal("0.8456")  # published as 0.84560
    assert stored[("IDR", FRIDAY)] == Decimal("16697.3")
    row = ExchangeRate.objects.get(quote_currency="USD")
    assert (row.base_currency, row.source, row.created_by) == ("EUR", "ECB", None)
    entry = AuditEntry.objects.get(action="fx.import")
    assert entry.actor_email == "import-rates"
    assert entry.after["created"] == 30


def test_history_file_stores_every_day_newest_first(history_xml):
    result = rate_import_ecb(xml_bytes=history_xml)
    assert result.dates == [date(2025, 1, 10), date(2025, 1, 9), date(2025, 1, 8)]
    assert result.created == 12
    stored = _stored()
    assert stored[("USD", date(2025, 1, 8))] == Decimal("1.0335")
    assert stored[("CHF", date(2025, 1, 9))] == Decimal("0.9402")


def test_days_out_of_order_are_still_reported_newest_first():
    xml = ecb_xml({"2025-01-08": {"USD": "1.0335"}, "2025-01-10": {"USD": "1.0512"}})
    assert rate_import_ecb(xml_bytes=xml).dates == [date(2025, 1, 10), date(2025, 1, 8)]


def test_re_import_changes_nothing(daily_xml, history_xml):
    rate_import_ecb(xml_bytes=daily_xml)
    again = rate_import_ecb(xml_bytes=daily_xml)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 30)
    # The history file overlaps the daily one on the 10th: those 4 rates are already there.
    history = rate_import_ecb(xml_bytes=history_xml)
    assert (history.created, history.updated, history.unchanged) == (8, 0, 4)
    assert ExchangeRate.objects.count() == 38
    assert AuditEntry.objects.filter(action="fx.import").count() == 2  # no entry for a no-op


def test_a_corrected_rate_replaces_the_stored_one_and_is_audited(daily_xml):
    rate_import_ecb(xml_bytes=daily_xml)
    corrected = rate_import_ecb(xml_bytes=ecb_xml({FRIDAY: {"USD": "1.0515"}}))
    assert (corrected.created, corrected.updated) == (0, 1)
    assert _stored()[("USD", FRIDAY)] == Decimal("1.0515")
    entry = AuditEntry.objects.filter(action="fx.import").order_by("id").last()
    assert entry.after["updated_count"] == 1
    assert entry.after["updated"] == [
        {"quote": "USD", "rate_date": "2025-01-10", "before": "1.0512", "after": "1.0515"}
    ]


def test_another_source_keeps_its_own_rows(daily_xml):
    rate_import_ecb(xml_bytes=daily_xml)
    rate_import_ecb(xml_bytes=daily_xml, source="ECB mirror")
    assert ExchangeRate.objects.filter(quote_currency="USD").count() == 2


def test_an_import_with_a_support_actor_is_refused(daily_xml, support_user):
    with pytest.raises(PermissionDenied):
        rate_import_ecb(xml_bytes=daily_xml, actor=support_user)
    assert ExchangeRate.objects.count() == 0


FUTURE = (timezone.localdate() + timedelta(days=2)).isoformat()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2025-01-10"><Cube currency="USD" rate="1.0512"/></Cube></Cube>
<gesmes:subject>&lol4;</gesmes:subject>
</gesmes:Envelope>
"""

MALFORMED = {
    "not xml": (b"USD,1.0512\n", "not well-formed XML"),
    "empty": (b"", "not well-formed XML"),
    "wrong root": (
        b"<html><body><Cube time='2025-01-10'/></body></html>",
        "root element is <html>",
    ),
    "right names, no namespace": (
        b"<Envelope><Cube><Cube time='2025-01-10'><Cube currency='USD' rate='1'/></Cube></Cube>"
        b"</Envelope>",
        "root element is <Envelope>",
    ),
    "no cube": (
        ecb_xml({}).replace(b"<Cube></Cube>", b""),
        "found 0",
    ),
    "no days": (ecb_xml({}), "holds no rates"),
    "day without rates": (ecb_xml({"2025-01-10": {}}), "No rates on 2025-01-10"),
    "missing rate": (
        ecb_xml({"2025-01-10": {"USD": "1.0512"}}).replace(b" rate='1.0512'", b""),
        "rate for USD on 2025-01-10 is missing",
    ),
    "non-numeric rate": (ecb_xml({"2025-01-10": {"USD": "n/a"}}), "Bad rate for USD"),
    "comma decimal": (ecb_xml({"2025-01-10": {"USD": "1,0512"}}), "Bad rate for USD"),
    "zero rate": (ecb_xml({"2025-01-10": {"USD": "0"}}), "greater than zero"),
    "negative rate": (ecb_xml({"2025-01-10": {"USD": "-1.05"}}), "Bad rate for USD"),
    "bad date": (ecb_xml({"2025-13-01": {"USD": "1.05"}}), "not a date"),
    "date without dashes": (ecb_xml({"20250110": {"USD": "1.05"}}), "not a date"),
    "future date": (ecb_xml({FUTURE: {"USD": "1.05"}}), "in the future"),
    "unknown currency": (ecb_xml({"2025-01-10": {"XYZ": "1.05"}}), "not an ISO 4217"),
    "lower-case currency": (ecb_xml({"2025-01-10": {"usd": "1.05"}}), "not a currency"),
    "euro against itself": (ecb_xml({"2025-01-10": {"EUR": "1"}}), "not a currency"),
    "currency twice": (
        ecb_xml({"2025-01-10": {"USD": "1.05"}}).replace(
            b"<Cube currency='USD'", b"<Cube currency='USD' rate='1.06'/><Cube currency='USD'"
        ),
        "USD appears twice",
    ),
    "day twice": (
        ecb_xml({"2025-01-10": {"USD": "1.05"}, "2025-01-09": {"USD": "1.04"}}).replace(
            b"2025-01-09", b"2025-01-10"
        ),
        "2025-01-10 twice",
    ),
    "external entity (XXE)": (
        ecb_xml(
            {"2025-01-10": {"USD": "1.0512"}},
            prolog='<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
        ).replace(b"Reference rates", b"&xxe;"),
        "declares a DTD",
    ),
    "billion laughs": (BILLION_LAUGHS, "declares a DTD"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_bad_file_is_refused_with_a_clear_error_and_nothing_is_stored(case, daily_xml):
    xml_bytes, message = MALFORMED[case]
    with pytest.raises(InvalidRateFile, match=message) as excinfo:
        rate_import_ecb(xml_bytes=xml_bytes)
    assert excinfo.value.code == "invalid_rate_file"
    assert ExchangeRate.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_file_good_except_for_its_last_day_stores_nothing():
    xml = ecb_xml(
        {
            "2025-01-10": {"USD": "1.0512", "JPY": "162.39"},
            "2025-01-09": {"USD": "1.0305", "JPY": "162.81"},
            "2025-01-08": {"USD": "1.0335", "JPY": "abc"},
        }
    )
    with pytest.raises(InvalidRateFile, match="Bad rate for JPY on 2025-01-08"):
        rate_import_ecb(xml_bytes=xml)
    assert ExchangeRate.objects.count() == 0


def test_a_bad_file_leaves_earlier_rates_as_they_were(daily_xml):
    rate_import_ecb(xml_bytes=daily_xml)
    bad = ecb_xml({"2025-01-10": {"USD": "9.99", "JPY": ""}})
    with pytest.raises(InvalidRateFile):
        rate_import_ecb(xml_bytes=bad)
    assert _stored()[("USD", FRIDAY)] == Decimal("1.0512")
    assert ExchangeRate.objects.count() == 30
