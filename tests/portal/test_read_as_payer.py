"""What a payer reads on the portal's pages, found by reading them at desk and phone width:
each test names the page and the words or markup it must carry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PortalUserFactory
from tests.portal.conftest import MODEL_BACKEND

pytestmark = pytest.mark.django_db
MAKE_PAYMENT = reverse("checkout:make_payment")


def _main(html: str) -> str:
    """The page below the header's navigation."""
    return html.split("</nav>", 1)[1]


def test_the_dashboard_offers_make_payment_to_a_user_who_may_pay(portal_client):
    dashboard = _main(portal_client.get(reverse("portal:dashboard")).content.decode())
    assert f'<a class="button" href="{MAKE_PAYMENT}">Make Payment</a>' in dashboard


def test_the_dashboard_offers_no_make_payment_to_a_view_only_user(client, customer):
    bookkeeper = PortalUserFactory(customer=customer, can_make_payments=False)
    client.force_login(bookkeeper, backend=MODEL_BACKEND)
    dashboard = _main(client.get(reverse("portal:dashboard")).content.decode())
    assert MAKE_PAYMENT not in dashboard
    assert f'href="{reverse("portal:payments")}">See your payments</a>' in dashboard
