"""The IDOR sweep for saved payment methods (issue 14), with real ids at the sandbox's Stripe:
every portal URL and API operation of paydesk.methods, given ANOTHER customer's saved method or
setup, answers 404 and changes nothing at Stripe; a user the methods gate refuses gets 403. A
route added later without a case here fails the coverage test."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.ledger.models import Payment
from paydesk.methods.models import MethodSetup, StripeCustomer
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from tests.api.conftest import ApiClient, key_for
from tests.checkout.conftest import method_configs, rates  # noqa: F401
from tests.factories import PortalUserFactory
from tests.online.conftest import online_customer, sandbox  # noqa: F401
from tests.online.stripe_support import save_card
from tests.security.urlsweep import routes

pytestmark = pytest.mark.django_db(transaction=True)

# route name → (HTTP method, path with {pm} / {seti}), for the portal and the API.
PORTAL = {
    "methods:setup": [
        ("get", "/billing/methods/setup/{seti}/"),
        ("post", "/billing/methods/setup/{seti}/"),
    ],
    "methods:default": [("post", "/billing/methods/{pm}/default")],
    "methods:remove": [("post", "/billing/methods/{pm}/remove")],
}
API = {
    "api:method_default": ("/api/v1/payment-methods/{pm}/default", None),
    "api:method_remove": ("/api/v1/payment-methods/{pm}/remove", None),
    "api:make_payment": (
        "/api/v1/payments",
        {"method": "card", "amount": "10.50", "currency": "USD", "payment_method": "{pm}"},
    ),
}
WITHOUT_IDS = {"methods:list", "methods:add", "api:method_list"}


def test_the_sweep_covers_every_route_of_saved_methods():
    found = {
        r.name for r in routes() if r.name.startswith("methods:") or "payment-methods" in r.path({})
    }
    assert found == (set(PORTAL) | set(API) | WITHOUT_IDS) - {"api:make_payment"}


@pytest.fixture
def victim_and_intruder(sandbox, online_customer):  # noqa: F811
    victim = online_customer("card")
    pm = save_card(sandbox.url, victim)
    intruder = PortalUserFactory(customer=online_customer("card").customer, can_manage_billing=True)
    save_card(sandbox.url, intruder)  # a Stripe Customer and a method of their own
    seti = MethodSetup.objects.get(customer=victim.customer).setup_intent
    return victim, intruder, pm, seti


def _unchanged(victim, pm) -> None:
    owner = StripeCustomer.objects.get(customer=victim.customer).stripe_id
    assert object_get("stripe", "payment_method", pm).data["customer"] == owner
    held = object_get("stripe", "customer", owner).data["invoice_settings"]
    assert held["default_payment_method"] == pm


def test_another_customers_method_or_setup_is_404_on_every_page(victim_and_intruder):
    victim, intruder, pm, seti = victim_and_intruder
    client = Client()
    client.force_login(intruder)
    for name, calls in PORTAL.items():
        for method, template in calls:
            path = template.format(pm=pm, seti=seti)
            answer = getattr(client, method)(path)
            assert answer.status_code == 404, (name, method, path, answer.status_code)
            assert pm not in answer.content.decode()
    listed = client.get("/billing/methods/").content.decode()
    assert pm not in listed and "4242" in listed  # their own card only
    _unchanged(victim, pm)


def test_another_customers_method_is_404_in_every_api_operation(victim_and_intruder):
    victim, intruder, pm, _seti = victim_and_intruder
    api = ApiClient(key_for(intruder, "read", "pay"))
    for n, (name, (template, body)) in enumerate(API.items()):
        payload = {k: v.format(pm=pm) for k, v in body.items()} if body else None
        answer = api.post(template.format(pm=pm), payload, **{"Idempotency-Key": f"idor-{n:04}"})
        assert answer.status_code == 404, (name, answer.status_code, answer.content)
        assert answer.json()["error"]["code"] == "not_found"
    assert pm not in api.get("/api/v1/payment-methods").content.decode()
    assert not Payment.objects.filter(customer=intruder.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()
    _unchanged(victim, pm)


def test_a_user_without_the_permission_gets_403(victim_and_intruder):
    victim, _intruder, pm, seti = victim_and_intruder
    viewer = PortalUserFactory(customer=victim.customer, can_manage_billing=False)
    client = Client()
    client.force_login(viewer)
    assert client.get("/billing/methods/").status_code == 403
    assert client.post("/billing/methods/add", {"method_type": "card"}).status_code == 403
    for calls in PORTAL.values():
        for method, template in calls:
            path = template.format(pm=pm, seti=seti)
            assert getattr(client, method)(path).status_code == 403, path
    api = ApiClient(key_for(viewer, "read", "pay"))
    assert api.get("/api/v1/payment-methods").status_code == 403
    for n, name in enumerate(("api:method_default", "api:method_remove")):
        template, _ = API[name]
        answer = api.post(template.format(pm=pm), None, **{"Idempotency-Key": f"perm-{n:04}"})
        assert answer.status_code == 403, name
    _unchanged(victim, pm)
