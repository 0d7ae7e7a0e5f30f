"""Issue 13, finding 5 in the back office: the quotes list shows amounts as money, in each
currency's decimals ("$25.00 USD", "€23.04 EUR"), never "25.0000 USD"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.models import Quote

pytestmark = pytest.mark.django_db


def test_the_quotes_list_shows_money_not_storage_digits(finance, customer):
    now = timezone.now()
    Quote.objects.create(
        customer=customer,
        method="card",
        idempotency_key="quote-list-1",
        amount=Decimal("23.04"),
        currency="EUR",
        surcharge=Decimal(0),
        total_charged=Decimal("23.04"),
        credit=Decimal("25.00"),
        account_currency="USD",
        fx_rate="1.085",
        rate_date=now.date(),
        rate_source="ECB",
        expires_at=now + timedelta(minutes=30),
    )
    page = finance.get("/backoffice/checkout/quote/").content.decode()
    assert "€23.04 EUR" in page and "$25.00 USD" in page
    assert "25.0000" not in page and "23.0400" not in page
