"""quality.md S1: a customer user never reaches another customer's data, by any URL.

Driven by the URL configuration: every customer-facing route is called with the other
customer's identifiers in its path and in its query string, so a route added later is swept too.
"""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory, PortalUserFactory
from tests.security.urlsweep import routes

pytestmark = pytest.mark.django_db

SECRET_DESCRIPTION = "Other customer private top-up"
SECRET_NAME = "Rival Telecom"


@pytest.fixture
def two_customers():
    mine = CustomerFactory(name="Mine Ltd", currency="USD")
    other = CustomerFactory(name=SECRET_NAME, currency="EUR")
    me = PortalUserFactory(customer=mine)
    PortalUserFactory(customer=other)
    payment_create(customer=mine, total="10", description="My own top-up")
    theirs = payment_create(
        customer=other, total="77.77", description=SECRET_DESCRIPTION + " #staff note"
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
    }


def _leaks(body: bytes, other, payment) -> list[str]:
    # The query string is echoed by some pages (the time zone form's return URL), so markers
    # are only things a request never names: the other customer's text, name and amount.
    text = body.decode("utf-8", "replace")
    markers = ["private top-up", SECRET_NAME, "staff note", "77.77"]
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
                # A pretend gateway (demo and tests only) refuses a caller without its key.
                allowed = (401, 403, 404, 405)
            assert response.status_code in allowed, (method, path, response.status_code)


@pytest.mark.parametrize("route", [r for r in routes() if r.is_backoffice], ids=lambda r: r.regex)
def test_portal_users_get_nothing_from_the_back_office(route, two_customers):
    me, other, theirs, pending = two_customers
    client = Client()
    client.force_login(me)
    response = client.get(route.path({"object_id": str(theirs.pk), "url": "x"}))
    # Only the back office's sign-in form answers; everything else sends the user there.
    expected = (200,) if route.regex.startswith("backoffice/login/") else (302, 404)
    assert response.status_code in expected, response.status_code
    assert _leaks(response.content, other, theirs) == []
