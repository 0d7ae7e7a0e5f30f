"""Hostile input into every POST form of the portal and the back office.

Paydesk's bar: bad input gets a clear error and loses nothing — never a 500, never half a
change. The JSON API and the gateway webhooks are fuzzed elsewhere
(tests/api/test_schemathesis.py, tests/gateways/test_webhook_fuzz.py); this module does the
HTML forms. Each page below is opened by a user whose role may use it (a portal user who may
manage billing, an Administrator, or nobody for sign-in and password reset); every POST form on
it is read from the page itself (so a field added later is attacked too), then posted once per
field and hostile value, the other fields as the page filled them in (an empty one given a
plausible value, so the attack gets past "required"). The values: empty, whitespace, 10,000
characters, a valid but over-long email, NUL and other control characters, SQL and HTML
fragments, odd amounts (negative, huge, `NaN`, `1e999`, `0.00001`, `1,000.00`, Arabic-Indic
digits), unknown currency codes; into file inputs, empty and non-UTF-8 files and hostile names.
Make Payment is attacked once per method it offers and per button (quote, pay); the gateway
settings once per gateway. The forms that need a saved card — each method's "Make default" and
"Remove", automatic top-up's settings and its review — get two cards saved at the sandbox's
Stripe over HTTP (a live server), and method ids of every kind in their URLs.

The answer must be a re-rendered page, a redirect or a 4xx (the test client raises what would
be a 500), and when the input was refused (anything but a redirect or a 201, or a redirect that
carries an error message) the payments, balances, audit entries and vouchers — and, for the
saved-card forms, the saved methods, the default and the top-up settings — must be exactly as
before. A post without its CSRF token is a 403; a passkey endpoint given JSON of the wrong type
or, after its ceremony began, a credential with garbage inside, and the live quote given
hostile query values, never a 5xx (and no passkey kept, no session verified). Hypothesis draws
further text and amount-like strings into Make Payment and Add payment. The value sets are
bounded (values_for, LARGE_FORM) so that the module runs in about two minutes on SQLite. Run it
on PostgreSQL too: it refuses NUL in text columns and enforces column lengths, which SQLite does
not.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paydesk.accounts.models import Customer
from paydesk.audit.models import AuditEntry
from paydesk.gateways.credentials import CATALOGUE
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.vouchers.models import Voucher, VoucherBatch
from tests.banktransfers.conftest import bank_details  # noqa: F401 (a fixture)
from tests.banktransfers.conftest import transfer as pending_transfer
from tests.factories import PASSWORD
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = [
    "",
    "   \t ",
    "x" * 10_000,
    "a" * 300 + "@example.com",  # a valid address, longer than any column that keeps one
    "abc\x00def",
    "\x00",
    "\x01\x07\x1b[31m\x7f",
    "line\r\nbreak\u2028sep",
    "' OR 1=1; DROP TABLE ledger_payment; --",
    '"><script>alert(1)</script>',
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]
HOSTILE_AMOUNTS = [
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999",
    "NaN",
    "Infinity",
    "1e999",
    "0.00001",
    "1,000.00",
    "١٢٣",
    "12.345.67",
]
HOSTILE_CODES = ["XXX", "usd ", "ZZZZ", "€"]
HOSTILE_VALUES = HOSTILE_TEXT + HOSTILE_AMOUNTS + HOSTILE_CODES
# Posted into every field; the others go to every field in turn (values_for).
CORE_VALUES = ["", "x" * 10_000, "abc\x00def"]
# A field named like a number gets every hostile amount.
NUMBER_WORDS = ("amount", "total", "fee", "rate", "limit", "minimum", "count", "multiplier")

NON_UTF8 = b"\xff\xfe\x00\x81invalid \xc3\x28 utf-8\x00\n"
HOSTILE_FILES = [
    ("proof.pdf", b""),
    ("proof.pdf", NON_UTF8),
    ("import.csv", NON_UTF8),
    ("a" * 300 + ".csv", b"date,total\n"),
    ("na\x00me.png", b"\x89PNG\r\n\x1a\n"),
]


@dataclass
class Form:
    action: str
    enctype: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)


class FormsOnPage(HTMLParser):
    """The POST forms of a page: each field's name and the value the page filled in (the first
    option of a select with none selected, checked boxes only), and the file inputs."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.submit_named = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                action = a.get("action") or self.url
                if action.startswith("?"):
                    action = self.url.split("?")[0] + action
                self.form = Form(action=action, enctype=a.get("enctype", ""))
                self.forms.append(self.form)
                self.submit_named = False
            return
        form = self.form
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind in ("submit", "image", "button"):
                form.choices.setdefault(name, []).append(a.get("value", ""))
                if not self.submit_named:
                    self.submit_named = True
                    form.fields[name] = [a.get("value", "")]
            else:
                form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            form.choices.setdefault(name, []).append(a.get("value", ""))
            if not self.submit_named:
                self.submit_named = True
                form.fields[name] = [a.get("value", "")]
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            form.choices.setdefault(self.select, []).append(value)
            if self.select_first is None and value:
                self.select_first = value
            if "selected" in a and not self.select_chosen:
                self.select_chosen = True
                form.fields[self.select] = [value]
        elif tag == "textarea" and name:
            self.textarea = name
            form.fields[name] = [""]

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form.fields[self.textarea] = [self.form.fields[self.textarea][0] + data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.form is not None and self.select:
            if not self.select_chosen and self.select_first is not None:
                self.form.fields[self.select] = [self.select_first]
            self.select = None
        elif tag == "textarea":
            self.textarea = None


# The forms that are not data entry: signing out, switching pages, the sandbox.
SKIPPED_ACTIONS = ("/logout/", "/sandbox/", "/sign-out")


def forms_on(client: Client, url: str) -> list[Form]:
    """The POST forms on the page at url; "page#word": only those whose action has /word/ (a
    page of alike forms, one per gateway, is attacked through one of them)."""
    url, _, only = url.partition("#")
    page = client.get(url, follow=True)
    assert page.status_code == 200, f"{url} answered {page.status_code}"
    parser = FormsOnPage(page.request["PATH_INFO"])
    parser.feed(page.content.decode())
    return [
        f
        for f in parser.forms
        if not any(s in f.action for s in SKIPPED_ACTIONS) and (not only or f"/{only}/" in f.action)
    ]


def state() -> dict[str, Any]:
    """What a refused post must leave exactly as it was. Refused attempts that are audited on
    purpose (sign-in and second-factor failures and lockouts, the voucher guessing limit) are
    not a change."""
    return {
        "payments": sorted(Payment.objects.values_list("pk", "status", "total", "description")),
        "customers": sorted(Customer.objects.values_list("pk", "balance", "name")),
        "audit": sorted(
            AuditEntry.objects.exclude(action__startswith="auth.")
            .exclude(action__endswith="_failed")
            .exclude(action__in=["voucher.failure_limit", "two_factor.locked"])
            .values_list("pk", "action")
        ),
        "vouchers": Voucher.objects.count(),
        "voucher batches": VoucherBatch.objects.count(),
        "sum of totals": Payment.objects.aggregate(Sum("total"))["total__sum"],
    }


# A post that was taken: a redirect, or a page that shows what was made (a new API key, once).
ACCEPTED = (201, 302, 303)


def refused_with_a_message(response: Any) -> bool:
    """A redirect back with an error message (Django's messages) refused the post too. Only
    the messages this request added: those of earlier posts, never shown, are carried along."""
    added = getattr(get_messages(response.wsgi_request), "_queued_messages", [])
    return any(m.level >= messages.ERROR for m in added)


def post_hostile(
    client: Client,
    form: Form,
    data: dict[str, Any],
    what: str,
    more_state: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Post `data`; `more_state` adds what this form may change to what must stay as it was."""

    def now() -> dict[str, Any]:
        return {**state(), **(more_state() if more_state else {})}

    before = now()
    try:
        response = client.post(form.action, data)
    except Exception as exc:  # the test client re-raises what would have been a 500
        raise AssertionError(f"{form.action} {what}: 500 ({exc!r})") from exc
    status = response.status_code
    assert status < 500, f"{form.action} {what}: {status}"
    assert status in (200, 201, 302, 303) or 400 <= status < 500, f"{form.action} {what}: {status}"
    if status not in ACCEPTED or refused_with_a_message(response):
        after = now()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, f"{form.action} {what}: refused ({status}) but changed {changed}"


# What an empty field is filled with before another field is attacked, so that the attack gets
# past "this field is required" to the checks behind it (by a word in the field's name).
PLAUSIBLE = [
    ("amount", "50"),
    ("total", "50"),
    ("email", "someone@example.com"),
    ("code", "123456"),
    ("name", "Hostile input test"),
    ("description", "Hostile input test"),
    ("reason", "Hostile input test"),
]


def base_data(form: Form, **chosen: str) -> dict[str, Any]:
    """The form as the page filled it in, empty fields given a plausible value, and `chosen`."""
    data: dict[str, Any] = {}
    for name, values in form.fields.items():
        value: Any = values if len(values) > 1 else values[0]
        if value == "":
            value = next((v for word, v in PLAUSIBLE if word in name.lower()), "")
        data[name] = value
    return {**data, **chosen}


# A form with more fields than this (the customer's page and its inlines, slow to draw again)
# gets one hostile value per field, in turn.
LARGE_FORM = 20


def values_for(index: int, name: str, large: bool = False) -> list[str]:
    """The hostile values posted into the form's index-th field: the core ones, every hostile
    amount into a number's field, and one of the others in turn into any field (every value
    still reaches many fields; the module stays fast)."""
    if large:
        return [HOSTILE_VALUES[index % len(HOSTILE_VALUES)]]
    rest = [v for v in HOSTILE_VALUES if v not in CORE_VALUES]
    numbers = HOSTILE_AMOUNTS if any(word in name.lower() for word in NUMBER_WORDS) else []
    return [*CORE_VALUES, *numbers, rest[index % len(rest)]]


def attack(
    client: Client,
    form: Form,
    more_state: Callable[[], dict[str, Any]] | None = None,
    **chosen: str,
) -> None:
    """Every field of the form, one at a time, with hostile values; then each file input with
    every hostile file. `chosen`: fields set in every post (a method, a button); `more_state`:
    what else a refused post must leave as it was."""
    targets = [n for n in form.fields if n != "csrfmiddlewaretoken" and not n.startswith("_")]
    targets += [n for n in form.choices if n not in targets]
    for index, name in enumerate(targets):
        for value in values_for(index, name, large=len(targets) > LARGE_FORM):
            data = base_data(form, **chosen)
            data[name] = value
            post_hostile(client, form, data, f"{name}={value[:30]!r}", more_state)
    for name in form.files:
        for filename, content in HOSTILE_FILES:
            data = base_data(form, **chosen)
            data[name] = SimpleUploadedFile(filename, content)
            post_hostile(client, form, data, f"{name}=file {filename[:20]!r}", more_state)


# --- the world the forms act on ----------------------------------------------------------------


@pytest.fixture
def world(request, customer, portal_user, admin_user, finance_user):
    request.getfixturevalue("bank_details")  # the provider's bank details, for bank transfers
    from paydesk.checkout.models import MethodConfig
    from tests.checkout.conftest import DEFAULT_METHODS

    portal_user.can_manage_billing = True
    portal_user.save(update_fields=["can_manage_billing"])
    for method, name, enabled in DEFAULT_METHODS:
        MethodConfig.objects.update_or_create(
            method=method, defaults={"display_name": name, "enabled": enabled}
        )
    pending = payment_create(
        customer=customer, total="25", description="Top-up", status="pending", method="manual"
    )
    completed = payment_create(
        customer=customer, total="40", description="Top-up", status="completed", method="manual"
    )
    transfer = pending_transfer(customer)
    return {
        "customer": customer,
        "portal_user": portal_user,
        "admin_user": admin_user,
        "finance_user": finance_user,
        "pending": pending,
        "completed": completed,
        "transfer": transfer,
    }


def portal_pages(w: dict[str, Any]) -> list[str]:
    transfer = w["transfer"]
    return [
        "/billing/",
        "/api-keys/",
        "/preferences/",
        f"/transfers/{transfer.reference}/",
        "/billing/methods/",
        "/billing/autotopup/",
        "/accounts/two-factor/authenticator/",
        "/accounts/password/",
    ]


# The back office's forms, "{name}" standing for a payment of the world fixture.
BACKOFFICE_PAGES = [
    "/backoffice/ledger/payment/add/",
    "/backoffice/ledger/payment/{pending}/complete/",
    "/backoffice/ledger/payment/{pending}/cancel/",
    "/backoffice/ledger/payment/{completed}/refund/",
    "/backoffice/banktransfers/banktransfer/{transfer}/change/",
    "/backoffice/vouchers/voucherbatch/add/",
    "/backoffice/fx/exchangerate/add/",
    "/backoffice/accounts/customer/{customer}/change/",
    *(f"/backoffice/provider/gatewaysecret/#{entry.gateway}" for entry in CATALOGUE),
    "/backoffice/provider/brand/",
    "/backoffice/imports/importedpayment/import/",
    "/backoffice/users/portaluser/add/",
    "/backoffice/documents/customertaxrule/add/",
]


def test_portal_forms_survive_hostile_input(world):
    client = sign_in(Client(), world["portal_user"])
    seen = 0
    for url in portal_pages(world):
        forms = forms_on(client, url)
        assert forms, f"no POST form on {url}"
        for form in forms:
            attack(client, form)
            seen += 1
    assert seen >= len(portal_pages(world))


@pytest.mark.parametrize("page", BACKOFFICE_PAGES)
def test_backoffice_forms_survive_hostile_input(world, page):
    client = sign_in(Client(), world["admin_user"])
    keys = {name: getattr(world[name], "pk", None) for name in world}
    for url in [page.format(**keys)]:
        forms = forms_on(client, url)
        assert forms, f"no POST form on {url}"
        for form in forms:
            attack(client, form)


def test_make_payment_survives_hostile_input_for_each_method_and_button(world):
    """Make Payment once per method it offers and per button (quote, pay)."""
    client = sign_in(Client(), world["portal_user"])
    (form,) = forms_on(client, "/pay/")
    methods = [m for m in form.choices["method"] if m]
    assert {"bank_transfer", "voucher"} <= set(methods)
    buttons = form.choices["action"]
    assert len(buttons) >= 2
    for method in methods:
        for button in buttons:
            attack(client, form, method=method, action=button)


def test_sign_in_and_password_reset_survive_hostile_input(world):
    """Anonymous, then with the right email and password around the attacked field (a hostile
    `next` after a sign-in that succeeds)."""
    for url, user in (
        ("/accounts/login/", world["portal_user"]),
        ("/backoffice/login/", world["admin_user"]),
        ("/accounts/password-reset/", world["portal_user"]),
    ):
        client = Client()
        for form in forms_on(client, url):
            attack(client, form)
            right = {"username": user.email, "password": PASSWORD}
            attack(client, form, **{k: v for k, v in right.items() if k in form.fields})


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(world):
    client = sign_in(Client(enforce_csrf_checks=True), world["admin_user"])
    portal = sign_in(Client(enforce_csrf_checks=True), world["portal_user"])
    before = state()
    response = client.post(
        "/backoffice/ledger/payment/add/",
        {"customer": world["customer"].pk, "description": "No token", "total": "10"},
    )
    assert response.status_code == 403
    assert state() == before
    assert portal.post("/api-keys/", {"name": "No token"}).status_code == 403
    assert state() == before


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=60), amount=st.text(alphabet="0123456789.,-+eE ١٢٣NaIfy", max_size=14))
def test_make_payment_and_add_payment_with_drawn_text(world, text, amount):
    """Free text and amount-like strings drawn by Hypothesis into Make Payment and Add payment."""
    portal = sign_in(Client(), world["portal_user"])
    staff = sign_in(Client(), world["admin_user"])
    for client, url in ((portal, "/pay/"), (staff, "/backoffice/ledger/payment/add/")):
        for form in forms_on(client, url):
            chosen = {"method": "bank_transfer", "action": "pay"} if url == "/pay/" else {}
            data = base_data(form, **chosen)
            for name in list(data):
                if name.endswith(("amount", "total", "fee")):
                    data[name] = amount
                elif name.endswith(("description", "code")):
                    data[name] = text
            post_hostile(client, form, data, f"text={text!r} amount={amount!r}")


WRONG_JSON = [b"[]", b'"text"', b"42", b"null", b'{"id": 5, "response": []}', b"{", NON_UTF8]


def test_json_endpoints_refuse_wrong_json_and_the_quote_hostile_values(world):
    """Where a page posts JSON (passkeys) a body of the wrong type or not JSON at all is a 4xx
    or an answer that says why; the live quote (query parameters) answers hostile ones in JSON."""
    client = sign_in(Client(), world["portal_user"])
    before = state()
    for url in (
        "/accounts/two-factor/passkeys/registration/begin/",
        "/accounts/two-factor/passkeys/registration/complete/",
        "/accounts/two-factor/passkeys/authentication/complete/",
    ):
        for body in WRONG_JSON:
            response = client.post(url, body, content_type="application/json")
            assert response.status_code < 500, f"{url} {body!r}: {response.status_code}"
    for value in HOSTILE_VALUES:
        for name in ("amount", "method", "currency"):
            query = {"method": "bank_transfer", "amount": "50", "currency": "USD", name: value}
            response = client.get("/pay/quote", query)
            assert response.status_code < 500, f"quote {name}={value[:30]!r}"
            assert response["Content-Type"] == "application/json"
    assert state() == before


@pytest.mark.parametrize("next_value", ["abc", "x" * 10_000, "/ok\x00", "//evil.example/"])
def test_a_hostile_next_on_the_second_factor_page_falls_back(world, next_value):
    """The verify page sends a verified session on to `next`: a bare word was taken for a URL
    name (a 500); now anything but a local path goes to the user's own landing page."""
    client = sign_in(Client(), world["admin_user"])
    response = client.get("/accounts/two-factor/verify/", {"next": next_value})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"


# --- the forms that need a saved card: kept at Stripe, so played by the sandbox over HTTP ------

# Method ids put into the URLs of "Make default" and "Remove" (the pages name the method there).
HOSTILE_METHOD_IDS = ["x" * 2_000, "pm_\x00", "pm_' OR 1=1; --", '"><script>', "pm_unknown", ".."]


@pytest.mark.django_db(transaction=True)
def test_saved_methods_and_automatic_top_up_survive_hostile_input(sandbox, online_customer):
    """Two saved cards (made through the portal's services and the sandbox's Stripe, as Stripe.js
    makes them): automatic top-up's settings form and the review it leads to, each method's
    "Make default" and "Remove" (and its choice of the next default), and method ids in their
    URLs. A refusal — a page again, a 4xx or a redirect with an error — leaves the saved methods,
    the default and the automatic top-up settings as they were."""
    from paydesk.autotopup.models import TopupSettings
    from paydesk.checkout.models import MethodConfig
    from paydesk.methods.services import saved_methods_list
    from tests.checkout.conftest import DEFAULT_METHODS
    from tests.online.stripe_support import save_card

    for method, name, enabled in DEFAULT_METHODS:  # a transactional test's flush erased them
        MethodConfig.objects.get_or_create(
            method=method, defaults={"display_name": name, "enabled": enabled}
        )
    user = online_customer("card")
    save_card(sandbox.url, user)
    save_card(sandbox.url, user, "5555555555554444")
    client = sign_in(Client(), user)

    def methods_and_topup() -> dict[str, Any]:
        saved = saved_methods_list(customer=user.customer)
        topup = TopupSettings.objects.filter(customer=user.customer).values_list(
            "enabled", "threshold", "amount", "monthly_cap", "payment_method", "consent_text"
        )
        return {"saved methods": [(m.id, m.is_default) for m in saved], "top-up": list(topup)}

    (terms,) = [f for f in forms_on(client, "/billing/autotopup/") if "threshold" in f.fields]
    attack(client, terms, methods_and_topup)
    plausible = {"threshold": "20", "amount": "50", "monthly_cap": "200"}
    review = client.post(terms.action, base_data(terms, **plausible))
    parser = FormsOnPage(terms.action)
    parser.feed(review.content.decode())
    (confirm,) = [f for f in parser.forms if "consent_text" in f.fields]
    attack(client, confirm, methods_and_topup, **plausible, consent="on")

    forms = forms_on(client, "/billing/methods/")
    defaults = [f for f in forms if f.action.endswith("/default")]
    removes = [f for f in forms if f.action.endswith("/remove")]
    assert len(defaults) == 1 and len(removes) == 2, [f.action for f in forms]
    assert "next_default" in removes[0].fields  # the default's: which method is next
    for value in HOSTILE_METHOD_IDS:
        for verb in ("default", "remove"):
            form = Form(action=f"/billing/methods/{quote(value, safe='')}/{verb}", enctype="")
            data = {"next_default": removes[0].fields["next_default"][0]}
            post_hostile(client, form, data, f"method id {value[:20]!r}", methods_and_topup)
    for form in [*removes, *defaults]:
        attack(client, form, methods_and_topup)
    assert len(methods_and_topup()["saved methods"]) == 2  # every hostile choice was refused
    for form in [*defaults, *removes]:  # then as the page filled them in: taken
        post_hostile(client, form, base_data(form), "as the page filled it", methods_and_topup)
    assert methods_and_topup()["saved methods"] == []


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Credentials as a browser's WebAuthn answer is shaped, with garbage inside: not base64, a
# client data of the wrong ceremony or challenge, huge and NUL-bearing ids, wrong types.
_CLIENT_DATA = _b64(b'{"type":"webauthn.create","challenge":"AAAA","origin":"http://testserver"}')
GARBAGE_CREDENTIALS: list[Any] = [
    {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
    {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "!!! not base64 !!!", "attestationObject": "%%%"},
    },
    {
        "id": "x" * 10_000,
        "rawId": "x" * 10_000,
        "type": "public-key",
        "response": {
            "clientDataJSON": _CLIENT_DATA,
            "attestationObject": _b64(b"\xa3cfmtdnone"),
            "authenticatorData": _b64(b"\x00" * 37),
            "signature": _b64(b"\x30\x00"),
            "userHandle": _b64(b"\xff" * 64),
        },
    },
    {
        "id": "abc\x00def",
        "rawId": "abc\x00def",
        "type": "public-key",
        "response": {"clientDataJSON": _b64(b"\xff\xfe not json"), "attestationObject": ""},
    },
    {"id": 5, "rawId": None, "type": ["public-key"], "response": {"clientDataJSON": 7}},
    {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": "garbage"},
    {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"transports": 3}},
]


def test_passkey_registration_and_sign_in_survive_garbage_credentials(world):
    """Each ceremony begun as the page begins it, then completed with garbage: never a 5xx, no
    passkey kept, and a staff session still not past its second factor."""
    from django_otp_webauthn.models import WebAuthnCredential

    from tests.signin import authenticator_for

    passkeys = "/accounts/two-factor/passkeys"
    portal = sign_in(Client(), world["portal_user"])
    for credential in GARBAGE_CREDENTIALS:
        begun = portal.post(f"{passkeys}/registration/begin/")
        assert begun.status_code == 200, begun.content
        done = portal.post(f"{passkeys}/registration/complete/", credential, "application/json")
        assert 400 <= done.status_code < 500, f"registration {credential!r:.60}: {done.status_code}"
    assert not WebAuthnCredential.objects.exists()

    staff = world["finance_user"]
    authenticator_for(staff)
    for credential in GARBAGE_CREDENTIALS:
        client = Client()
        client.force_login(staff)  # the password step only
        begun = client.post(f"{passkeys}/authentication/begin/")
        assert begun.status_code in (200, 429), begun.content  # 429: five failures lock it
        done = client.post(f"{passkeys}/authentication/complete/", credential, "application/json")
        assert 400 <= done.status_code < 500, f"sign-in {credential!r:.60}: {done.status_code}"
        assert client.get("/backoffice/").status_code == 302  # still sent to verify
