"""Method settings in the back office: Administrators edit (audited), every staff role reads the
payment log, and a secret is never shown — only whether it is set."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.method_settings import method_config_update
from paydesk.checkout.models import MethodConfig, PaymentLogEntry
from paydesk.checkout.services import checkout_start
from paydesk.errors import InvalidAmount, PermissionDenied
from paydesk.gateways.base import GatewayEvent
from paydesk.money import Money
from tests.factories import CustomerFactory, PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    return sign_in(Client(), user)


def change_url(method: str) -> str:
    return f"/backoffice/checkout/methodconfig/{MethodConfig.objects.get(method=method).pk}/change/"


def form(**changes) -> dict[str, str]:
    data = {
        "display_name": "Bank Transfer",
        "enabled": "on",
        "mode": "live",
        "currencies": "usd, EUR",
        "amounts_currency": "USD",
        "surcharge_fixed": "0.30",
        "surcharge_percent": "2.5",
        "minimum_amount": "10",
        "maximum_amount": "5000",
        "deduct_gateway_fee": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_an_administrator_edits_a_method_and_the_change_is_audited(admin_user):
    client = signed_in(admin_user)
    page = client.get(change_url("bank_transfer"))
    assert page.status_code == 200
    assert "This method needs no secrets." in page.content.decode()

    response = client.post(change_url("bank_transfer"), form())

    assert response.status_code == 302, response.content.decode()[:2000]
    config = MethodConfig.objects.get(method="bank_transfer")
    assert config.currencies == ["USD", "EUR"]
    assert (config.surcharge_fixed, config.surcharge_percent) == (Decimal("0.30"), Decimal("2.5"))
    assert (config.minimum_amount, config.maximum_amount, config.mode) == (
        Decimal("10"),
        Decimal("5000"),
        "live",
    )
    entry = AuditEntry.objects.get(action="method_config.update")
    assert entry.actor == admin_user
    assert entry.before["surcharge_percent"] == "0.0000"
    assert entry.after["surcharge_percent"] == "2.5000"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"surcharge_percent": "100.5"}, "surcharge_percent", "less than or equal to 100"),
        ({"currencies": "USD, XYZ"}, "currencies", "not an ISO 4217"),
        ({"amounts_currency": "JPY", "surcharge_fixed": "0.5"}, "surcharge_fixed", "decimals"),
    ],
)
def test_bad_settings_are_refused_at_the_field(admin_user, changes, field, message):
    response = signed_in(admin_user).post(change_url("bank_transfer"), form(**changes))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not AuditEntry.objects.filter(action="method_config.update").exists()


def test_the_service_refuses_a_maximum_below_the_minimum_and_non_administrators(
    admin_user, finance_user
):
    config = MethodConfig.objects.get(method="bank_transfer")
    with pytest.raises(InvalidAmount):
        method_config_update(
            config=config,
            actor=admin_user,
            minimum_amount=Decimal("10"),
            maximum_amount=Decimal("5"),
        )
    with pytest.raises(PermissionDenied):
        method_config_update(config=config, actor=finance_user, enabled=False)
    response = signed_in(admin_user).post(
        change_url("bank_transfer"), form(minimum_amount="100", maximum_amount="5")
    )
    assert response.status_code == 302  # back to the form, with the service's message
    assert MethodConfig.objects.get(method="bank_transfer").maximum_amount is None


def test_finance_and_support_read_but_cannot_change_methods(finance_user, support_user):
    for user in (finance_user, support_user):
        client = signed_in(user)
        assert client.get("/backoffice/checkout/methodconfig/").status_code == 200
        assert client.post(change_url("bank_transfer"), form()).status_code == 403
    assert MethodConfig.objects.get(method="bank_transfer").mode == "test"


def test_every_staff_role_reads_the_payment_log(support_user):
    customer = CustomerFactory(currency="USD")
    user = PortalUserFactory(customer=customer)
    checkout = checkout_start(
        customer=customer,
        user=user,
        method="bank_transfer",
        amount="50",
        currency="USD",
        idempotency_key="backoffice-log-token-123",
    )
    gateway_event_apply(
        event=GatewayEvent(
            gateway="bank_transfer",
            event_id="line-1",
            outcome="completed",
            payment_reference=checkout.payment.reference,
            amount=Money("50", "USD"),
        )
    )
    client = signed_in(support_user)
    listing = client.get("/backoffice/checkout/paymentlogentry/")
    assert listing.status_code == 200
    assert "line-1" in listing.content.decode()
    entry = PaymentLogEntry.objects.get()
    assert (
        client.post(f"/backoffice/checkout/paymentlogentry/{entry.pk}/change/", {}).status_code
        == 403
    )
    assert client.get("/backoffice/checkout/quote/").status_code == 200


def test_portal_users_never_reach_the_method_settings(customer, portal_user):
    response = signed_in(portal_user).get("/backoffice/checkout/methodconfig/")
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]
