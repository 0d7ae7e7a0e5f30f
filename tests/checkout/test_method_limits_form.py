"""Finding 7 of issue 13: an Administrator saves a method's surcharge with no limits. An empty
Minimum or Maximum means no limit; 0 means the same and is stored as no limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.checkout.models import MethodConfig
from tests.checkout.test_backoffice import change_url, form, signed_in

pytestmark = pytest.mark.django_db


def test_a_surcharge_saves_with_empty_minimum_and_maximum(admin_user):
    response = signed_in(admin_user).post(
        change_url("card"),
        form(
            display_name="Credit Card", surcharge_fixed="0.30", minimum_amount="", maximum_amount=""
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    config = MethodConfig.objects.get(method="card")
    assert config.surcharge_fixed == Decimal("0.30")
    assert (config.minimum_amount, config.maximum_amount) == (None, None)


def test_zero_limits_mean_no_limit(admin_user):
    response = signed_in(admin_user).post(
        change_url("card"), form(display_name="Credit Card", minimum_amount="0", maximum_amount="0")
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    config = MethodConfig.objects.get(method="card")
    assert (config.minimum_amount, config.maximum_amount) == (None, None)


def test_the_form_says_that_empty_means_no_limit(admin_user):
    page = signed_in(admin_user).get(change_url("card")).content.decode()
    assert "Empty or 0 = no minimum" in page
    assert "Empty or 0 = no maximum" in page
