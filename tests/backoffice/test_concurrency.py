"""A double-clicked Add payment arriving at once from 8 connections records one payment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from paydesk.ledger.models import Payment
from tests.backoffice.conftest import ADD_PAYMENT, signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_submits_of_one_form_record_one_payment(finance_user, customer):
    data = {
        "customer": customer.pk,
        "description": "Wire",
        "total": "10",
        "status": "completed",
        "form_token": "same-token-" + "x" * 16,
    }
    clients = [signed_in(finance_user) for _ in range(8)]

    def submit(client):
        try:
            return client.post(ADD_PAYMENT, data).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(submit, clients))
    assert codes == [302] * 8
    assert Payment.objects.count() == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("10")
