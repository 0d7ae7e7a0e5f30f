"""Free text without control characters (paydesk/text.py): one rule for every description,
comment, reason, name, note, address and label typed into the portal, the back office or the
API. C0 controls, DEL and C1 controls are refused (a multi-line field keeps TAB, LF and CR) with
a field message in a page and a JSON error naming the field in the API; ordinary Unicode
(accents, CJK, emoji, right-to-left text) is taken as typed.

Before the rule, every post below was accepted and stored the escape sequence as it came (the
API keys' name alone refused them, with its own check).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from paydesk.accounts.models import BillingProfile, Customer
from paydesk.banktransfers.models import BankDetails
from paydesk.checkout.models import MethodConfig
from paydesk.ledger.models import Payment
from paydesk.outhooks.models import Endpoint
from paydesk.provider.models import Brand
from paydesk.text import control_characters_refusal, multi_line, single_line
from paydesk.vouchers.models import VoucherBatch
from tests.api.conftest import ApiClient, key_for
from tests.signin import sign_in
from tests.web.test_hostile_forms import base_data, forms_on, state

pytestmark = pytest.mark.django_db

ONE_LINE = "Write this on one line, without tabs or other control characters."
LINES = "Remove the control characters (line breaks and tabs are fine here)."
ESCAPE = "Top-up\x1b[31m red"
PLAIN = [
    "Café crème, naïve façade – “quoted”",
    "東京の請求書 발신 서울",
    "Top-up 🎉 👩‍💻 🇩🇪",
    "دفعة مسبقة للحساب",
    "תשלום מראש",
    "Non-breaking\u00a0space and soft\u00adhyphen",
]
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))]


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_character_is_refused_on_one_line(char):
    assert control_characters_refusal(f"a{char}b") == ONE_LINE


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_multi_line_field_keeps_tab_and_line_breaks_only(char):
    refusal = control_characters_refusal(f"a{char}b", multiline=True)
    assert refusal == (None if char in "\t\n\r" else LINES)


@pytest.mark.parametrize("text", PLAIN)
def test_ordinary_unicode_is_plain_text(text):
    assert control_characters_refusal(text) is None
    assert control_characters_refusal(text, multiline=True) is None


# The free text of each model typed by someone: (model, field, multi-line). Identifiers, hashes,
# codes, choices and what a gateway or Paydesk itself writes are not in it.
FREE_TEXT_FIELDS = [
    ("ledger.Payment", "description", False),
    ("ledger.Payment", "staff_comment", False),
    ("ledger.Payment", "cancel_reason", False),
    ("accounts.Customer", "name", False),
    ("accounts.User", "full_name", False),
    *(
        ("accounts.BillingProfile", name, False)
        for name in ("legal_name", "address_line1", "address_line2", "city", "postal_code")
    ),
    ("accounts.BillingProfile", "region", False),
    ("vouchers.VoucherBatch", "note", False),
    ("banktransfers.BankDetails", "beneficiary_name", False),
    ("banktransfers.BankDetails", "account_number", False),
    ("banktransfers.BankDetails", "bank_name", False),
    ("banktransfers.BankDetails", "swift", False),
    ("banktransfers.BankDetails", "bank_address", True),
    ("checkout.MethodConfig", "display_name", False),
    ("outhooks.Endpoint", "description", False),
    ("provider.Brand", "name", False),
    ("provider.Brand", "support_phone", False),
    ("provider.Brand", "legal_footer", True),
    ("documents.InvoicingSettings", "legal_name", False),
    ("documents.InvoicingSettings", "tax_id", False),
    ("documents.InvoicingSettings", "address", True),
    ("api.ApiKey", "name", False),
    ("fx.ExchangeRate", "source", False),
]


@pytest.mark.parametrize(("model", "name", "multiline"), FREE_TEXT_FIELDS)
def test_each_free_text_model_field_carries_the_rule(model, name, multiline):
    """So every model form and back-office page editing it refuses control characters."""
    field = apps.get_model(model)._meta.get_field(name)
    assert (multi_line if multiline else single_line) in field.validators


# --- the portal and the back office: a field message, nothing changed --------------------------


def refused_at_the_field(client: Client, url: str, name: str, value: str, message: str) -> None:
    (form,) = [f for f in forms_on(client, url) if name in f.fields]
    data = base_data(form)
    data[name] = value
    before = state()
    response = client.post(form.action, data)
    assert response.status_code in (200, 400), f"{url} {name}: {response.status_code}"
    assert message in response.content.decode(), f"{url} {name}: no field message"
    assert state() == before


PORTAL_FIELDS = [
    ("/billing/", "legal_name"),
    ("/billing/", "address_line1"),
    ("/api-keys/", "name"),
    ("/accounts/two-factor/authenticator/", "name"),
]


@pytest.mark.parametrize(("url", "name"), PORTAL_FIELDS)
def test_the_portal_refuses_control_characters_at_the_field(world, url, name):
    client = sign_in(Client(), world["portal_user"])
    refused_at_the_field(client, url, name, ESCAPE, ONE_LINE)
    assert not BillingProfile.objects.filter(legal_name__contains="\x1b").exists()


BACKOFFICE_FIELDS = [
    ("/backoffice/ledger/payment/add/", "description", ONE_LINE),
    ("/backoffice/ledger/payment/{pending}/cancel/", "reason", ONE_LINE),
    ("/backoffice/ledger/payment/{completed}/refund/", "reason", ONE_LINE),
    ("/backoffice/vouchers/voucherbatch/add/", "note", ONE_LINE),
    ("/backoffice/accounts/customer/{customer}/change/", "name", ONE_LINE),
    ("/backoffice/banktransfers/bankdetails/", "bank_name", ONE_LINE),
    ("/backoffice/banktransfers/bankdetails/", "bank_address", LINES),
    ("/backoffice/provider/brand/", "name", ONE_LINE),
    ("/backoffice/provider/brand/", "legal_footer", LINES),
    ("/backoffice/checkout/methodconfig/{bank_transfer}/change/", "display_name", ONE_LINE),
    ("/backoffice/outhooks/endpoint/add/", "description", ONE_LINE),
    ("/backoffice/fx/exchangerate/add/", "source", ONE_LINE),
    ("/backoffice/users/staffuser/add/", "full_name", ONE_LINE),
    ("/backoffice/documents/invoicingsettings/add/", "address", LINES),
]


def keys_of(world: dict[str, Any]) -> dict[str, Any]:
    keys = {name: getattr(world[name], "pk", None) for name in world}
    return {**keys, "bank_transfer": MethodConfig.objects.get(method="bank_transfer").pk}


@pytest.mark.parametrize(("url", "name", "message"), BACKOFFICE_FIELDS)
def test_the_back_office_refuses_control_characters_at_the_field(world, url, name, message):
    client = sign_in(Client(), world["admin_user"])
    value = "First line\x07 bell" if message == LINES else ESCAPE
    refused_at_the_field(client, url.format(**keys_of(world)), name, value, message)
    assert not Endpoint.objects.exists()
    assert not Brand.objects.filter(name__contains="\x1b").exists()


def test_a_multi_line_field_takes_line_breaks_and_tabs(world):
    client = sign_in(Client(), world["admin_user"])
    (form,) = forms_on(client, "/backoffice/banktransfers/bankdetails/")
    address = "1 Bank Street\r\nLondon\tEC2"
    response = client.post(form.action, {**base_data(form), "bank_address": address})
    assert response.status_code == 302
    assert BankDetails.objects.get().bank_address == "1 Bank Street\r\nLondon\tEC2"


def test_a_description_in_any_script_is_taken_as_typed(world):
    client = sign_in(Client(), world["admin_user"])
    for text in PLAIN:
        (form,) = forms_on(client, "/backoffice/ledger/payment/add/")  # a new form token each
        chosen = {"customer": str(world["customer"].pk), "total": "5", "status": "completed"}
        data = {**base_data(form, **chosen), "description": text}
        response = client.post(form.action, data)
        assert response.status_code == 302, text
        assert Payment.objects.filter(description=text).exists(), text


# --- the API: a JSON error naming the field ----------------------------------------------------


def api_refuses(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == field
    assert error["message"] == f"{field}: {ONE_LINE}"


def test_the_staff_api_refuses_control_characters_in_each_free_text_field(
    customer, admin_user, finance_user
):
    finance = ApiClient(key_for(finance_user))
    admin = ApiClient(key_for(admin_user))
    before = state()
    payment = {"customer_id": customer.pk, "total": "10", "description": ESCAPE}
    api_refuses(finance.post("/api/v1/staff/payments", payment), "description")
    batch = {"count": 1, "currency": "USD", "addition": "5", "note": ESCAPE}
    api_refuses(finance.post("/api/v1/staff/voucher-batches", batch), "note")
    api_refuses(admin.post("/api/v1/staff/customers", {"name": ESCAPE, "currency": "USD"}), "name")
    hook = {"url": "https://billing.example.com/h", "description": ESCAPE}
    api_refuses(admin.post("/api/v1/staff/webhook-endpoints", hook), "description")
    connexcs = {"company_id": customer.pk, "description": ESCAPE, "total": "-1"}
    api_refuses(finance.post("/api/cp/payment", connexcs), "description")
    pending = finance.post(
        "/api/v1/staff/payments", {**payment, "description": "Wire", "status": "pending"}
    )
    reference = pending.json()["reference"]
    cancel = finance.post(f"/api/v1/staff/payments/{reference}/cancel", {"reason": "bad\x85"})
    api_refuses(cancel, "reason")
    assert Payment.objects.get(reference=reference).status == "pending"
    assert state()["customers"] == before["customers"]
    assert not VoucherBatch.objects.exists() and not Endpoint.objects.exists()
    assert not Customer.objects.filter(name__contains="\x1b").exists()


def test_the_billing_api_refuses_control_characters_and_takes_any_script(portal_user):
    portal_user.can_manage_billing = True
    portal_user.save(update_fields=["can_manage_billing"])
    client = ApiClient(key_for(portal_user))

    def put(body: dict[str, str]) -> Any:
        return client.client.put(
            "/api/v1/billing/profile", json.dumps(body), "application/json", headers=client.headers
        )

    api_refuses(put({"city": "Zürich\x00"}), "city")
    assert not BillingProfile.objects.filter(city__startswith="Zürich").exists()
    taken = put({"legal_name": PLAIN[1], "city": PLAIN[3]})
    assert taken.status_code == 200, taken.content
    assert taken.json()["legal_name"] == PLAIN[1] and taken.json()["city"] == PLAIN[3]


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.sqlite_pass_only
def test_a_one_line_field_is_offered_as_one_line():
    """A field that refuses line breaks is not a text box that invites them (Enter would only
    earn a field message): every form of ours gives its single-line fields a one-line input."""
    import importlib
    import pkgutil

    from django import forms

    import paydesk

    skipped = (".migrations", ".sandbox", "__main__", "paydesk.settings", "wsgi")
    for module in pkgutil.walk_packages(paydesk.__path__, "paydesk."):
        if not any(part in module.name for part in skipped):
            importlib.import_module(module.name)
    checked, boxes = 0, []
    for form in _subclasses(forms.BaseForm):
        if not form.__module__.startswith("paydesk."):
            continue
        for name, field in getattr(form, "base_fields", {}).items():
            if single_line in field.validators:
                checked += 1
                if isinstance(field.widget, forms.Textarea):
                    boxes.append(f"{form.__module__}.{form.__qualname__}.{name}")
    assert checked > 10
    assert boxes == []
