"""Exchange rates in the back office: every staff role reads the table (filtered by currency and
dates); Finance adds and changes rates (audited, exact, a float-looking or zero rate refused at
the field) and imports the ECB file through a form — all of it, or nothing and a clear error."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.fx.models import ExchangeRate
from paydesk.fx.selectors import convert
from paydesk.fx.services import rate_set
from tests.fx.conftest import ecb_xml
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

RATES = "/backoffice/fx/exchangerate/"
ADD = "/backoffice/fx/exchangerate/add/"
IMPORT = "/backoffice/fx/exchangerate/import/"
DAY = date(2025, 1, 10)


def rate_form(**overrides: str) -> dict[str, str]:
    data = {
        "base": "EUR",
        "quote": "USD",
        "rate": "1.0512",
        "rate_date": "2025-01-10",
        "source": "",
    }
    data.update(overrides)
    return data


def upload(content: bytes, name: str = "eurofxref-daily.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/xml")


# --- the table ---------------------------------------------------------------------------------


def test_every_staff_role_reads_the_table_filtered_by_currency_and_dates(support, finance_user):
    rate_set(base="EUR", quote="USD", rate="1.0512", rate_date=DAY, actor=finance_user)
    rate_set(base="EUR", quote="JPY", rate="162.35", rate_date=DAY, actor=finance_user)
    rate_set(
        base="EUR", quote="GBP", rate="0.8412", rate_date=DAY - timedelta(days=30),
        actor=finance_user,
    )  # fmt: skip
    page = support.get(RATES).content.decode()
    for text in ("1.0512", "162.35", "0.8412"):
        assert text in page
    assert ADD not in page and IMPORT not in page  # nothing to add for Support
    usd = support.get(RATES, {"currency": "usd"}).content.decode()
    assert "1.0512" in usd and "162.35" not in usd and "0.8412" not in usd
    recent = support.get(RATES, {"date_from": "2025-01-01", "date_to": "2025-01-31"})
    assert "0.8412" not in recent.content.decode() and "162.35" in recent.content.decode()
    # A currency no rate has (only a hand-made URL names one) is the admin's "bad lookup"
    # redirect, not a 500.
    assert support.get(RATES, {"currency": "XYZ"}).status_code == 302


def test_a_date_that_does_not_parse_is_named_and_the_other_filters_still_apply(
    support, finance_user
):
    """A bad date sent the list to the admin's `?e=1`, which dropped every filter and showed
    every rate without a word."""
    rate_set(base="EUR", quote="USD", rate="1.0512", rate_date=DAY, actor=finance_user)
    rate_set(base="EUR", quote="JPY", rate="162.35", rate_date=DAY, actor=finance_user)
    response = support.get(RATES, {"currency": "USD", "date_from": "soon"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "1.0512" in page and "162.35" not in page  # the currency still applies
    assert "These filters are not applied (the list uses the others):" in page
    assert "<li>From: Enter a date like 2026-01-31.</li>" in page
    assert 'id="id_date_from" name="date_from" value="soon" aria-invalid="true"' in page


# --- add and change ----------------------------------------------------------------------------


def test_finance_adds_a_rate_exactly_and_it_is_audited(finance, finance_user):
    assert finance.get(ADD).status_code == 200
    response = finance.post(ADD, rate_form(rate="1.0512"))
    assert response.status_code == 302
    row = ExchangeRate.objects.get()
    assert (row.base_currency, row.quote_currency, row.rate) == ("EUR", "USD", Decimal("1.0512"))
    assert row.source == f"manual: {finance_user.email}" and row.created_by == finance_user
    entry = AuditEntry.objects.get(action="fx.rate_set")
    assert entry.actor_id == finance_user.pk and entry.before is None
    assert entry.after["rate"] == "1.0512"
    # The worked example: 100.00 EUR at 1.0512 is 105.12 USD.
    assert convert(
        amount=Decimal("100"), from_currency="EUR", to_currency="USD", on=DAY
    ).amount == (Decimal("105.12"))


def test_finance_changes_a_manual_rate_and_the_audit_has_before_and_after(finance, finance_user):
    row = rate_set(base="EUR", quote="USD", rate="1.0512", rate_date=DAY, actor=finance_user)
    page = finance.get(f"{RATES}{row.pk}/change/")
    assert page.status_code == 200 and 'value="1.0512"' in page.content.decode()
    response = finance.post(f"{RATES}{row.pk}/change/", {"rate": "1.0498"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.rate == Decimal("1.0498")
    change = AuditEntry.objects.filter(action="fx.rate_set").latest("id")
    assert (change.before["rate"], change.after["rate"]) == ("1.0512", "1.0498")
    assert ExchangeRate.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "greater than zero"),
        ("-1.2", "not a rate like"),
        ("1.05e0", "not a rate like"),
        ("1,0512", "not a rate like"),
        ("NaN", "not a rate like"),
        ("1.00000000001", "at most 10 decimal places"),
        ("", "This field is required"),
    ],
)
def test_a_rate_that_is_not_an_exact_positive_decimal_is_refused_at_the_field(
    finance, finance_user, value, message
):
    response = finance.post(ADD, rate_form(rate=value))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["rate"])
    row = rate_set(base="EUR", quote="GBP", rate="0.84", rate_date=DAY, actor=finance_user)
    edit = finance.post(f"{RATES}{row.pk}/change/", {"rate": value})
    assert edit.status_code == 200
    assert message in " ".join(edit.context["form"].errors["rate"])
    row.refresh_from_db()
    assert row.rate == Decimal("0.84")
    assert not ExchangeRate.objects.filter(quote_currency="USD").exists()
    assert AuditEntry.objects.filter(action="fx.rate_set").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"base": "XYZ"}, "base", "not an ISO 4217"),
        ({"quote": "EUR"}, "quote", "two different currencies"),
        ({"rate_date": (date.today() + timedelta(days=5)).isoformat()}, "rate_date", "future"),
        ({"rate_date": "10/01/2025"}, "rate_date", "valid date"),
    ],
)
def test_other_mistakes_are_shown_next_to_their_field(finance, overrides, field, message):
    response = finance.post(ADD, rate_form(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ExchangeRate.objects.exists()


def test_an_imported_ecb_rate_is_not_edited_in_place(finance):
    finance.post(IMPORT, {"xml_file": upload(ecb_xml({DAY: {"USD": "1.0305"}}))})
    row = ExchangeRate.objects.get(source="ECB")
    response = finance.get(f"{RATES}{row.pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith(ADD + "?base=EUR&quote=USD&rate_date=2025-01-10")
    finance.post(f"{RATES}{row.pk}/change/", {"rate": "2"})
    row.refresh_from_db()
    assert row.rate == Decimal("1.0305")


# --- the ECB import ----------------------------------------------------------------------------


def test_finance_imports_an_ecb_file_through_the_form(finance, finance_user):
    xml = ecb_xml(
        {
            DAY: {"USD": "1.0305", "JPY": "162.35", "GBP": "0.83950"},
            DAY - timedelta(days=1): {"USD": "1.0300", "JPY": "162.01", "GBP": "0.8401"},
        }
    )
    assert finance.get(IMPORT).status_code == 200
    response = finance.post(IMPORT, {"xml_file": upload(xml)}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported 6 rates for 2 dates, 2025-01-09 to 2025-01-10: 6 new" in page
    assert ExchangeRate.objects.filter(source="ECB", base_currency="EUR").count() == 6
    assert ExchangeRate.objects.get(quote_currency="GBP", rate_date=DAY).rate == Decimal("0.8395")
    entry = AuditEntry.objects.get(action="fx.import")
    assert entry.actor_id == finance_user.pk and entry.after["created"] == 6
    again = finance.post(IMPORT, {"xml_file": upload(xml)}, follow=True).content.decode()
    assert "6 already stored" in again
    assert ExchangeRate.objects.count() == 6


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not xml", "Nothing was imported"),
        (ecb_xml({DAY: {"USD": "1.03", "JPY": "abc"}}), "JPY"),
        (ecb_xml({DAY: {"USD": "1.03", "QQQ": "2"}}), "QQQ"),
        (
            ecb_xml({DAY: {"USD": "1.03"}}, prolog='<!DOCTYPE x [<!ENTITY a "aaaa">]>'),
            "Nothing was imported",
        ),
        (b"", "The submitted file is empty"),
    ],
)
def test_a_bad_file_shows_an_error_and_stores_nothing(finance, content, message):
    response = finance.post(IMPORT, {"xml_file": upload(content)})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["xml_file"])
    assert message in errors
    assert not ExchangeRate.objects.exists()
    assert not AuditEntry.objects.filter(action="fx.import").exists()


# --- roles and CSRF ----------------------------------------------------------------------------


def test_support_cannot_add_change_or_import_and_nothing_is_written(support, finance_user):
    row = rate_set(base="EUR", quote="USD", rate="1.0512", rate_date=DAY, actor=finance_user)
    entries = AuditEntry.objects.count()
    assert support.get(ADD).status_code == 403
    assert support.post(ADD, rate_form(quote="GBP", rate="0.84")).status_code == 403
    assert support.get(IMPORT).status_code == 403
    xml = ecb_xml({DAY: {"GBP": "0.84"}})
    assert support.post(IMPORT, {"xml_file": upload(xml)}).status_code == 403
    view = support.get(f"{RATES}{row.pk}/change/")
    assert view.status_code == 200 and "1.0512" in view.content.decode()  # read-only
    assert support.post(f"{RATES}{row.pk}/change/", {"rate": "9"}).status_code == 403
    assert support.post(f"{RATES}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.rate == Decimal("1.0512")
    assert ExchangeRate.objects.count() == 1
    assert AuditEntry.objects.count() == entries


def test_every_rate_form_needs_its_csrf_token(finance_user):
    row = rate_set(base="EUR", quote="USD", rate="1.0512", rate_date=DAY, actor=finance_user)
    client = Client(enforce_csrf_checks=True)
    sign_in(client, finance_user)
    assert client.post(ADD, rate_form(quote="GBP", rate="0.84")).status_code == 403
    assert client.post(f"{RATES}{row.pk}/change/", {"rate": "2"}).status_code == 403
    xml = ecb_xml({DAY: {"GBP": "0.84"}})
    assert client.post(IMPORT, {"xml_file": upload(xml)}).status_code == 403
    assert ExchangeRate.objects.count() == 1
    row.refresh_from_db()
    assert row.rate == Decimal("1.0512")
