"""quality.md S1: a customer user never reaches another customer's data, by any URL.

Driven by the URL configuration: every customer-facing route is called with the other
customer's identifiers in its path and in its query string, so a route added later is swept too.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from paydesk.accounts.billing import billing_profile_update
from paydesk.checkout.models import Quote
from paydesk.documents.models import Document, InvoicingSettings
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory, PortalUserFactory
from tests.security.urlsweep import routes

pytestmark = pytest.mark.django_db

SECRET_DESCRIPTION = "Other customer private top-up"
SECRET_NAME = "Rival Telecom"
SECRET_TAX_ID = "FR40303265045"  # the other customer's billing profile


@pytest.fixture
def two_customers():
    mine = CustomerFactory(name="Mine Ltd", currency="USD")
    other = CustomerFactory(name=SECRET_NAME, currency="EUR")
    me = PortalUserFactory(customer=mine, can_manage_billing=True)
    rival = PortalUserFactory(customer=other, can_manage_billing=True)
    billing_profile_update(
        customer=other,
        actor=rival,
        legal_name=SECRET_NAME + " SAS",
        country="FR",
        tax_id=SECRET_TAX_ID,
        contacts=["secret-billing@rival.example"],
    )
    # Invoicing on: the other customer's top-up has an invoice, whose number the sweep names.
    InvoicingSettings.objects.create(invoices_enabled=True, tax_rate="20")
    payment_create(customer=mine, total="10", description="My own top-up")
    theirs = payment_create(  # money received (a staff credit has no receipt or invoice)
        customer=other,
        total="77.77",
        description=SECRET_DESCRIPTION + " #staff note",
        method="bank_transfer",
    )
    pending = payment_create(
        customer=other,
        total="5",
        description=SECRET_DESCRIPTION,
        status="pending",
        method="bank_transfer",
    )
    return me, other, theirs, pending


def _identifiers(other, payment, pending) -> dict[str, str]:
    return {
        "pk": str(payment.pk),
        "id": str(payment.pk),
        "payment_id": str(payment.pk),
        "reference": payment.reference,
        "customer_id": str(other.pk),
        "customer": str(other.pk),
        "slug": other.slug,
        # A document's number: the other customer's invoice (portal `code`, API `number`).
        "code": Document.objects.get(payment=payment).code,
        "number": Document.objects.get(payment=payment).code,
    }


def _leaks(body: bytes, other, payment) -> list[str]:
    # The query string is echoed by some pages (the time zone form's return URL), so markers
    # are only things a request never names: the other customer's text, name and amount.
    text = body.decode("utf-8", "replace")
    markers = [
        "private top-up",
        SECRET_NAME,
        "staff note",
        "77.77",
        SECRET_TAX_ID,
        "secret-billing@rival.example",
    ]
    return [m for m in markers if m in text]


CUSTOMER_ROUTES = [r for r in routes() if not r.is_backoffice]


@pytest.mark.parametrize("route", CUSTOMER_ROUTES, ids=lambda r: r.name or r.regex)
def test_route_never_shows_another_customers_data(route, two_customers):
    me, other, theirs, pending = two_customers
    client = Client()
    client.force_login(me)
    values = _identifiers(other, theirs, pending)
    path = route.path(values)
    query = {
        "ids": f"{theirs.pk},{pending.pk}",
        "id": str(theirs.pk),
        "payment": theirs.reference,
        "reference": theirs.reference,
        "customer": str(other.pk),
        "customer_id": str(other.pk),
        "q": "top",
    }
    for method in ("get", "post"):
        response = getattr(client, method)(path, query if method == "get" else query)
        if hasattr(response, "streaming_content"):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        assert response.status_code < 500, (method, path, response.status_code)
        assert _leaks(body, other, theirs) == [], (method, path)
        if route.kwargs and not route.name.startswith("password_reset"):
            # A path naming another customer's object must not exist for this user; the staff
            # API refuses a portal user outright (403), whatever the id.
            allowed = (403, 404, 405) if route.regex.startswith("api/v1/staff/") else (404, 405)
            if route.regex.startswith("sandbox/"):
                # A pretend gateway's own API (never in production): it refuses anyone without
                # that gateway's credentials (401) before reading an id, and holds no customer.
                allowed = (401, 403, 404, 405)
            assert response.status_code in allowed, (method, path, response.status_code)


@pytest.mark.parametrize("route", [r for r in routes() if r.is_backoffice], ids=lambda r: r.regex)
def test_portal_users_get_nothing_from_the_back_office(route, two_customers):
    me, other, theirs, pending = two_customers
    client = Client()
    client.force_login(me)
    response = client.get(route.path({"object_id": str(theirs.pk), "url": "x"}))
    if route.regex.startswith("backoffice/backoffice/"):
        # The old addresses only move to the new ones (a permanent redirect, nothing else):
        # the new address must then refuse like any other.
        assert response.status_code == 301 and not response.content
        response = client.get(response["Location"])
    # Only the back office's sign-in form answers; everything else sends the user there.
    expected = (200,) if route.regex.startswith("backoffice/login/") else (302, 404)
    assert response.status_code in expected, response.status_code
    assert _leaks(response.content, other, theirs) == []


# --- within one customer: who sees a payment, and the balance (the probe's finding 3) -----------
#
# A payment is shown to its creator, and to others only with *view payments* where the payments
# list is shown; the balance only where *show balance* allows. Every customer-facing route that
# names a payment, and every route for the balance, is swept.

COLLEAGUE_SECRET = "Colleague private top-up"
PAYMENT_MARKERS = [COLLEAGUE_SECRET, "55.55", "66.66"]
# Σ of 4,000.00 and 321.09, as pages and the API write it: no payment's total. (Not "4,321.09"
# alone: a CSV row may hold a reference ending in 4 just before the total 321.09.)
BALANCE_MARKERS = ["$4,321.09", "4321.09"]


@pytest.fixture
def colleagues(settings):
    """One customer (balance 4,321.09); `payer` made a pending Razorpay payment and a pending
    bank transfer; `viewer` may view and pay; `blind` may pay but not view payments."""
    # A gateway asked about a payment here refuses the connection at once: no test waits on it.
    settings.PAYDESK_PUBLIC_URL = "http://127.0.0.1:9"
    customer = CustomerFactory(name="Colleagues Ltd", currency="USD")
    payer = PortalUserFactory(customer=customer)
    viewer = PortalUserFactory(customer=customer)
    blind = PortalUserFactory(customer=customer, can_view_payments=False)
    payment_create(customer=customer, total="4000", description="Opening top-up")
    payment_create(customer=customer, total="321.09", description="Second top-up")
    online = payment_create(
        customer=customer,
        total="55.55",
        description=COLLEAGUE_SECRET,
        method="razorpay",
        gateway="razorpay",
        gateway_reference="order_colleague1",
        status="pending",
        actor=payer,
    )
    now = timezone.now()
    Quote.objects.create(
        customer=customer,
        created_by=payer,
        method="razorpay",
        idempotency_key="colleague-1",
        amount=Decimal("55.55"),
        currency="USD",
        total_charged=Decimal("55.55"),
        credit=Decimal("55.55"),
        account_currency="USD",
        fx_rate="1",
        rate_date=now.date(),
        rate_source="test",
        expires_at=now + timedelta(minutes=30),
        payment=online,
    )
    transfer = payment_create(
        customer=customer,
        total="66.66",
        description=COLLEAGUE_SECRET,
        method="bank_transfer",
        gateway="bank_transfer",
        status="pending",
        actor=payer,
    )
    customer.refresh_from_db()
    assert customer.balance == Decimal("4321.09")
    return customer, payer, viewer, blind, [online, transfer]


def _body(response) -> str:
    raw = (
        b"".join(response.streaming_content)
        if hasattr(response, "streaming_content")
        else response.content
    )
    return raw.decode("utf-8", "replace")


PAYMENT_ROUTES = [r for r in routes() if r.names_a_payment]


def test_the_sweep_covers_every_page_that_shows_one_payment():
    names = {r.name for r in PAYMENT_ROUTES}
    assert {
        "checkout:status",
        "checkout:return",
        "checkout:razorpay",
        "banktransfers:detail",
        "banktransfers:proof_download",
    } <= names, names


@pytest.mark.parametrize("route", PAYMENT_ROUTES, ids=lambda r: r.name or r.regex)
def test_a_user_without_view_payments_never_sees_a_colleagues_payment(route, colleagues):
    _customer, _payer, _viewer, blind, payments = colleagues
    client = Client()
    client.force_login(blind)
    for payment in payments:
        path = route.path({"reference": payment.reference})
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"cancelled": "1"})
            assert response.status_code < 500, (method, path, response.status_code)
            assert response.status_code != 200, (method, path)
            body = _body(response)
            assert [m for m in PAYMENT_MARKERS if m in body] == [], (method, path)
    assert set(
        Payment.objects.filter(pk__in=[p.pk for p in payments]).values_list("status", flat=True)
    ) == {"pending"}


def test_the_creator_follows_their_own_payment_without_view_payments(colleagues):
    _customer, payer, _viewer, _blind, (online, transfer) = colleagues
    payer.can_view_payments = False
    payer.save(update_fields=["can_view_payments"])
    client = Client()
    client.force_login(payer)
    for path, amount in (
        (f"/pay/status/{online.reference}/", "55.55"),
        (f"/pay/razorpay/{online.reference}/", "55.55"),
        (f"/transfers/{transfer.reference}/", "66.66"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert amount in response.content.decode(), path
    assert client.get("/payments/").status_code == 403  # the list stays refused


def test_show_payments_off_hides_a_colleagues_payment_but_not_ones_own(colleagues):
    customer, payer, viewer, _blind, (online, transfer) = colleagues
    customer.show_payments = False
    customer.save(update_fields=["show_payments"])
    for user, expected in ((viewer, 403), (payer, 200)):
        client = Client()
        client.force_login(user)
        for path, amount in (
            (f"/pay/status/{online.reference}/", "55.55"),
            (f"/transfers/{transfer.reference}/", "66.66"),
        ):
            response = client.get(path)
            assert response.status_code == expected, (user.email, path, response.status_code)
            assert (amount in response.content.decode()) is (expected == 200), path


BALANCE_ROUTES = [r for r in routes() if r.is_customer_facing]


def test_the_status_page_shows_the_balance_when_the_flag_allows(colleagues):
    _customer, payer, _viewer, _blind, (online, _transfer) = colleagues
    client = Client()
    client.force_login(payer)
    assert "$4,321.09" in client.get(f"/pay/status/{online.reference}/").content.decode()


@pytest.mark.parametrize("route", BALANCE_ROUTES, ids=lambda r: r.name or r.regex)
def test_show_balance_off_hides_the_balance_on_every_page(route, colleagues):
    customer, payer, viewer, _blind, payments = colleagues
    customer.show_balance = False
    customer.save(update_fields=["show_balance"])
    for user in (payer, viewer):
        client = Client()
        client.force_login(user)
        for payment in payments:
            path = route.path({"reference": payment.reference, "proof_id": "1"})
            response = client.get(path)
            assert response.status_code < 500, (path, response.status_code)
            body = _body(response)
            assert [m for m in BALANCE_MARKERS if m in body] == [], (user.email, path)
            if not route.kwargs:
                break


# --- the billing profile (issue 14): no id in its URLs, so only one's own is ever reached ------

BILLING_PATHS = ["/billing/", "/api/v1/billing/profile"]


def test_the_sweep_covers_the_billing_urls():
    swept = {r.path({}) for r in CUSTOMER_ROUTES}
    assert set(BILLING_PATHS) <= swept, swept


def test_another_customers_profile_is_never_reached_nor_changed(two_customers):
    me, other, _theirs, _pending = two_customers
    client = Client()
    client.force_login(me)
    for path in BILLING_PATHS:
        for query in ({"customer": other.pk}, {"customer_id": other.pk}, {"id": other.pk}):
            response = client.get(path, query)
            assert response.status_code == 200, (path, query)
            assert _leaks(response.content, other, None) == [], (path, query)
    token = client.get("/billing/").cookies.get("csrftoken")
    csrf = {"X-CSRFToken": token.value} if token else {}
    response = client.put(
        f"/api/v1/billing/profile?customer_id={other.pk}",
        json.dumps({"legal_name": "Overwritten", "customer_id": other.pk}),
        content_type="application/json",
        headers=csrf,
    )
    assert response.status_code in (200, 403), response.content
    other.billing_profile.refresh_from_db()
    assert other.billing_profile.legal_name == SECRET_NAME + " SAS"


def test_a_user_without_manage_billing_gets_403_on_every_billing_url(two_customers):
    me, _other, _theirs, _pending = two_customers
    me.can_manage_billing = False
    me.save(update_fields=["can_manage_billing"])
    client = Client()
    client.force_login(me)
    for path in BILLING_PATHS:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (403, 405), (method, path, response.status_code)
    response = client.put("/api/v1/billing/profile", "{}", content_type="application/json")
    assert response.status_code == 403
