"""Online gateways through the offline sandbox, over real HTTP: a live server serves Paydesk and
the sandbox together; Paydesk's clients call the sandbox's API through PAYDESK_PUBLIC_URL and the
sandbox posts its signed webhooks back to /webhooks/<gateway>/ — exactly as in the demo.

`sandbox` gives the test the live server plus the sandbox's switches; `online_customer` makes a
portal user whose account may pay by one method; `sign_in` signs a browser in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from paydesk.checkout.models import MethodConfig
from paydesk.sandbox.core import switch_set, webhooks_release
from paydesk.sandbox.models import CASE_SWITCHES, SandboxWebhook, Switches
from tests.checkout.conftest import method_configs, rates  # noqa: F401 (fixtures)
from tests.factories import PASSWORD, CustomerFactory, PortalUserFactory

# A client's timeout while the sandbox answers: generous, because the live server shares two
# cores with the other database's test run in CI (a 2 s timeout failed an ordinary call there).
# With the `timeout` fault on, 2 s: the sandbox then answers only after the timeout + 1 s.
ANSWERING_TIMEOUT = 20
FAULT_TIMEOUT = 2


@dataclass
class Sandbox:
    url: str  # the live server: Paydesk at /, the sandbox at /sandbox/
    settings: Any  # pytest-django's settings fixture

    def switch(self, *, webhooks: str = "normal", fault: str = "none", only: str = "") -> None:
        """Webhooks normal | twice | late | out_of_order | none; API fault none | timeout |
        error_500 | garbage, for every gateway or `only` one. A client made while the timeout
        fault is on waits 2 s."""
        self.settings.PAYDESK_GATEWAY_TIMEOUT = (
            FAULT_TIMEOUT if fault == "timeout" else ANSWERING_TIMEOUT
        )
        Switches.objects.update_or_create(
            pk=1, defaults={"webhook_mode": webhooks, "api_fault": fault, "fault_gateway": only}
        )

    def set_switch(self, name: str, on: bool = True) -> None:
        """Turn one behaviour switch (models.CASE_SWITCHES) on or off."""
        switch_set(name, on)

    def release(self, gateway: str = "") -> int:
        """Deliver the webhooks the `late` / `out_of_order` switches held."""
        return webhooks_release(gateway)

    def webhooks(self, gateway: str = "") -> list[SandboxWebhook]:
        hooks = SandboxWebhook.objects.order_by("id")
        return list(hooks.filter(gateway=gateway) if gateway else hooks)


@pytest.fixture
def sandbox(live_server, settings) -> Sandbox:
    """The live server with the sandbox's switches as a fresh sandbox has them (every
    behaviour switch off)."""
    settings.PAYDESK_PUBLIC_URL = live_server.url
    settings.PAYDESK_GATEWAY_TIMEOUT = ANSWERING_TIMEOUT
    Switches.objects.update_or_create(
        pk=1,
        defaults={
            "webhook_mode": "normal",
            "api_fault": "none",
            "fault_gateway": "",
            **dict.fromkeys(CASE_SWITCHES, False),
        },
    )
    return Sandbox(url=live_server.url, settings=settings)


@pytest.fixture
def online_customer(rates):  # noqa: F811
    """online_customer("paypal", "USD") → a portal user whose customer (account currency
    `account`, USD by default) may pay by `method` in `currency` (rates set for both); with
    `sepa`, by SEPA Direct Debit in euros too (with a saved mandate)."""

    def make(
        method: str,
        currency: str = "USD",
        *,
        account: str = "USD",
        sepa: bool = False,
        **config: object,
    ):
        table = {code: "1" for code in {currency, account} if code != "EUR"}
        if table:
            rates(
                {
                    code: {
                        "USD": "1.0850",
                        "INR": "90.25",
                        "NGN": "1650",
                        "GHS": "16.5",
                        "ZAR": "20.1",
                        "KES": "140",
                        "JPY": "160.5",
                    }.get(code, "1")
                    for code in table
                }
            )
        MethodConfig.objects.filter(method=method).update(
            enabled=True, currencies=[currency], amounts_currency=currency, **config
        )
        if sepa:  # SEPA Direct Debit too (a saved mandate pays in euros)
            MethodConfig.objects.filter(method="sepa_debit").update(
                enabled=True, currencies=["EUR"], amounts_currency="EUR"
            )
        topup = [currency, "EUR"] if sepa and currency != "EUR" else [currency]
        customer = CustomerFactory(
            currency=account, topup_currencies=topup, minimum_payment=Decimal("0")
        )
        return PortalUserFactory(customer=customer, can_manage_billing=True)

    return make


def sign_in(page, base_url: str, user) -> None:
    """Sign `user` in to the portal in the browser `page`."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
