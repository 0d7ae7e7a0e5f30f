"""The sandbox's own pages — the switches page, each gateway's panel on it, the webhook
receiver's page — act on every customer's payments: in a demo anyone may reach, only signed-in
staff use them (paydesk.sandbox.access). The payer's pages and the pretend APIs stay open.

The story: a stranger who found the demo's address tries to open and lose a dispute on someone
else's card payment; a customer signed in to the portal tries the same; both are turned away
with a sign-in link, and the payment's dispute never opens. Support staff can press the buttons.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client
from django.urls import URLResolver, get_resolver, path, reverse
from django.urls.resolvers import RoutePattern

from paydesk.sandbox.access import staff_unless_open, without_sign_in
from paydesk.sandbox.models import Switches
from paydesk.sandbox.stripe.returns import refund_failure_armed
from tests.signin import sandbox_staff, sign_in

pytestmark = pytest.mark.django_db

SIGN_IN_LINK = 'href="/backoffice/login/?next=%2Fsandbox%2F"'

# Every button of the switches page posts to one of these (sandbox/templates/sandbox/*).
PANEL_POSTS = [
    ("/sandbox/", {"webhook_mode": "late", "api_fault": "none"}),
    ("/sandbox/", {"action": "release"}),
    ("/sandbox/stripe/panel/", {"action": "refund_fails", "refund_fails": "on"}),
    ("/sandbox/stripe/panel/", {"action": "dispute", "intent": "pi_someone_elses"}),
    ("/sandbox/stripe/sepa/settle/", {"intent": "pi_someone_elses", "action": "fail"}),
    ("/sandbox/paypal/dashboard", {"action": "decline_next_refund"}),
    ("/sandbox/paystack/dashboard", {"paystack_action": "refund_fails"}),
    ("/sandbox/razorpay/dashboard/", {"action": "fail_next_refund", "armed": "1"}),
    ("/sandbox/receiver/switch", {"state": "down"}),
]
STAFF_PAGES = ["/sandbox/", "/sandbox/receiver/"]


@pytest.fixture(params=["stranger", "customer"])
def outsider(request) -> Client:
    if request.param == "stranger":
        return Client()
    return sign_in(Client(), request.getfixturevalue("portal_user"))


def assert_turned_away(answer) -> None:
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "only signed-in staff may use them" in text and "Nothing was changed." in text


@pytest.mark.parametrize(("path", "form"), PANEL_POSTS, ids=lambda v: str(v))
def test_a_panel_button_needs_a_signed_in_staff_user(outsider, path, form, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    answer = outsider.post(path, form)

    assert_turned_away(answer)
    assert SIGN_IN_LINK in answer.content.decode()  # back to the switches page after signing in
    switches = Switches.current()
    assert switches.webhook_mode == "normal" and not refund_failure_armed()
    assert not (tmp_path / "sandbox-receiver.down").exists()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_the_switches_and_receiver_pages_need_a_signed_in_staff_user(outsider, path):
    answer = outsider.get(path)
    assert_turned_away(answer)
    assert f'href="/backoffice/login/?next={path.replace("/", "%2F")}"' in answer.content.decode()
    assert sandbox_staff().get(path).status_code == 200


def test_support_staff_press_the_panels_buttons():
    staff = sandbox_staff()
    answer = staff.post("/sandbox/stripe/panel/", {"action": "refund_fails", "refund_fails": "on"})
    assert answer.status_code == 302 and answer["Location"] == "/sandbox/"
    assert refund_failure_armed()
    assert staff.post("/sandbox/", {"webhook_mode": "late", "api_fault": "none"}).status_code == 302
    assert Switches.current().webhook_mode == "late"


@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/stripe/js/v3.js",
        "/sandbox/stripe/elements/card/",
        "/sandbox/stripe/3ds/pi_unknown/",
        "/sandbox/paypal/checkoutnow?token=UNKNOWN",
        "/sandbox/paystack/checkout/unknown",
        "/sandbox/razorpay/v1/checkout.js",
        "/sandbox/razorpay/checkout/order_unknown/",
        "/sandbox/nowpayments/payment/?iid=unknown",
    ],
)
def test_the_payers_pages_are_not_for_staff_only(path):
    # What they show the paying customer is driven through a browser by tests/online (the card
    # fields, 3-D Secure, PayPal approval, the hosted checkouts, the NOWPayments invoice); here
    # only that a stranger is not turned away from them.
    answer = Client().get(path)
    assert answer.status_code != 403
    assert b"only signed-in staff" not in answer.content


# What the sandbox leaves open to anyone, and for which methods ("*": every method): the pretend
# APIs (Paydesk's clients call them server to server, with the gateway's keys), the payer's
# pages, and the receiver's POST (Paydesk's signed webhooks). Everything else is staff only.
OPEN = {
    "sandbox:receiver": {"POST"},
    **{
        f"sandbox:stripe:{name}": {"*"}
        for name in (
            "payment_methods", "payment_method", "payment_method_detach", "customers",
            "customer", "customer_payment_methods", "mandate", "setup_intents", "setup_intent",
            "setup_intent_confirm", "payment_intents", "payment_intent", "payment_intent_search",
            "refunds", "refund",
            "stripe_js", "element_frame", "three_d_secure",
        )
    },
    **{
        f"sandbox:paypal:{name}": {"*"}
        for name in (
            "token", "orders", "order", "capture", "checkoutnow", "capture_get",
            "capture_refund", "refund_get",
        )
    },
    **{
        f"sandbox:paystack:{name}": {"*"}
        for name in ("list", "initialize", "verify", "checkout", "refund", "refund_fetch")
    },
    **{
        f"sandbox:razorpay:{name}": {"*"}
        for name in (
            "orders", "order", "order_payments", "payment", "payment_capture", "payment_refund",
            "payment_refunds", "refund", "checkout_js", "checkout",
        )
    },
    **{
        f"sandbox:nowpayments:{name}": {"*"}
        for name in ("auth", "invoice_create", "payment_list", "payment_get", "invoice_page")
    },
}  # fmt: skip
# A value for each path argument that every pattern taking it accepts (Razorpay's ids have shapes).
ARGUMENT = {"order_id": "order_T1", "payment_id": "pay_T1", "refund_id": "rfnd_T1"}


def sandbox_urls() -> dict[str, str]:
    """Every path the sandbox mounts, by its full name: walked from the URL configuration, so
    a path added later is in it."""
    found: dict[str, str] = {}

    def walk(entries, namespace: str) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}:{entry.namespace}")
                continue
            assert entry.name, f"a sandbox path without a name: {entry.pattern}"
            name = f"{namespace}:{entry.name}"
            names = entry.pattern.converters if isinstance(entry.pattern, RoutePattern) else {}
            names = names or entry.pattern.regex.groupindex
            found[name] = reverse(name, kwargs={n: ARGUMENT.get(n, "T1") for n in names})

    (sandbox,) = (
        e for e in get_resolver().url_patterns
        if isinstance(e, URLResolver) and e.namespace == "sandbox"
    )  # fmt: skip
    walk(sandbox.url_patterns, "sandbox")
    return found


def test_every_sandbox_path_is_staff_only_but_those_left_open_on_purpose(portal_user):
    urls = sandbox_urls()
    assert set(OPEN) <= set(urls), "OPEN names a path the sandbox no longer has"
    assert len(urls) > len(OPEN) + 5  # the walk found the staff pages too
    outsiders = {"stranger": Client(), "customer": sign_in(Client(), portal_user)}
    wrong = []
    for name, url in sorted(urls.items()):
        for method in ("GET", "POST"):
            expected_open = method in OPEN.get(name, set()) or "*" in OPEN.get(name, set())
            for who, client in outsiders.items():
                client.raise_request_exception = False
                answer = client.generic(method, url)
                refused = answer.status_code == 403 and b"only signed-in staff" in answer.content
                if refused == expected_open:
                    wrong.append(f"{method} {url} ({name}) as {who}: {answer.status_code}")
    assert wrong == []


def test_a_path_added_without_a_word_is_staff_only(rf, portal_user):
    """The rule is the sandbox's URL configuration's, not each view's: a new view that says
    nothing about access is turned away from anyone but staff."""
    answered = []

    def new_panel(request):
        answered.append(request.user)
        return HttpResponse("pressed")

    urls = URLResolver(
        RoutePattern(""),
        staff_unless_open([path("new-panel/", new_panel, name="new"),
                           *without_sign_in(path("new-api", new_panel, name="api"))]),
    )  # fmt: skip
    for user in (AnonymousUser(), portal_user):
        request = rf.post("/sandbox/new-panel/")
        request.user = user
        assert_turned_away(urls.resolve("new-panel/").func(request))
        request = rf.post("/sandbox/new-api")
        request.user = user
        assert urls.resolve("new-api").func(request).content == b"pressed"
    assert answered == [AnonymousUser(), portal_user]
