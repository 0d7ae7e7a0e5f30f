"""Saved payment methods through the sandbox's Stripe (issue 14): a Stripe Customer made on the
first save, SetupIntents (usage=off_session) confirmed as Stripe.js does (publishable key and
client secret), methods listed from Stripe with brand / last four / expiry, the default, removal
(detach at Stripe; removing the default asks which is next), and another customer's method is
NotFound."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.checkout.models import PaymentLogEntry
from paydesk.errors import NotFound, PaydeskError, PermissionDenied
from paydesk.gateways.stripe.declines import SETUP_AUTHENTICATION_FAILED
from paydesk.methods.models import MethodSetup, StripeCustomer
from paydesk.methods.services import (
    expiry_state,
    method_setup_finish,
    method_setup_start,
    saved_method_default_set,
    saved_method_owned,
    saved_method_remove,
    saved_methods_list,
)
from paydesk.sandbox.core import object_get, object_update
from tests.factories import PortalUserFactory
from tests.online.stripe_support import payment_method, save_card
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)
MASTERCARD = "5555555555554444"


def test_the_first_save_makes_a_stripe_customer_and_the_card_is_the_default(
    sandbox, online_customer
):
    user = online_customer("card")
    assert saved_methods_list(customer=user.customer) == []
    pm = save_card(sandbox.url, user)
    profile = StripeCustomer.objects.get(customer=user.customer)
    stripe_customer = object_get("stripe", "customer", profile.stripe_id)
    assert stripe_customer.data["metadata"] == {"paydesk_customer": str(user.customer.pk)}
    setup = MethodSetup.objects.get(customer=user.customer)
    intent = object_get("stripe", "setup_intent", setup.setup_intent).data
    assert (intent["usage"], intent["status"], intent["payment_method"]) == (
        "off_session",
        "succeeded",
        pm,
    )
    [saved] = saved_methods_list(customer=user.customer)
    year = timezone.localdate().year + 3
    assert (saved.id, saved.brand, saved.last4, saved.exp_month, saved.exp_year) == (
        pm,
        "visa",
        "4242",
        12,
        year,
    )
    assert saved.label == "Card •••• 4242 (default)"
    assert saved.expiry == ""
    assert (
        AuditEntry.objects.filter(
            action="payment_method_save", customer_id=user.customer.pk
        ).count()
        == 1
    )
    # A second save reuses the Stripe Customer and does not take the default.
    second = save_card(sandbox.url, user, MASTERCARD)
    assert StripeCustomer.objects.count() == 1
    labels = [m.label for m in saved_methods_list(customer=user.customer)]
    assert labels == ["Card •••• 4242 (default)", "Card •••• 4444"]
    assert [m.brand_text for m in saved_methods_list(customer=user.customer)] == [
        "Visa",
        "Mastercard",
    ]
    saved_method_default_set(customer=user.customer, user=user, payment_method=second)
    labels = [m.label for m in saved_methods_list(customer=user.customer)]
    assert labels == ["Card •••• 4444 (default)", "Card •••• 4242"]


def test_removing_the_default_asks_which_is_next_and_detaches_at_stripe(sandbox, online_customer):
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    with pytest.raises(PaydeskError) as refused:
        saved_method_remove(customer=user.customer, user=user, payment_method=first)
    assert refused.value.field == "next_default"
    assert len(saved_methods_list(customer=user.customer)) == 2
    saved_method_remove(
        customer=user.customer, user=user, payment_method=first, next_default=second
    )
    assert object_get("stripe", "payment_method", first).data["customer"] is None
    [left] = saved_methods_list(customer=user.customer)
    assert (left.id, left.is_default) == (second, True)
    # The last one goes without a question; none is the default then.
    saved_method_remove(customer=user.customer, user=user, payment_method=second)
    assert saved_methods_list(customer=user.customer) == []
    with pytest.raises(NotFound):  # detached: no longer theirs
        saved_method_owned(customer=user.customer, payment_method=second)


def test_a_failed_detach_after_the_default_moved_is_audited_and_told(sandbox, online_customer):
    """Removing the default card: the next default is set at Stripe, then the detach fails (the
    sandbox's "the next detach fails"). The default has moved, the card is still saved: the
    audit entry says so, and the customer reads that the card could not be removed."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    client = Client()
    client.force_login(user)
    armed = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "detach_fails", "detach_fails": "before"}
    )
    assert armed.status_code == 302
    answer = client.post(f"/billing/methods/{first}/remove", {"next_default": second}, follow=True)
    assert answer.status_code == 200
    [shown] = [str(m) for m in answer.context["messages"]]
    assert shown.startswith("Card •••• 4242 could not be removed: Stripe answered HTTP 500.")
    assert "Card •••• 4444 is your default payment method now." in shown
    assert "Card •••• 4242 is still saved" in shown
    assert "The payment method is removed." not in answer.content.decode()
    labels = [m.label for m in saved_methods_list(customer=user.customer)]
    assert labels == ["Card •••• 4444 (default)", "Card •••• 4242"]
    [entry] = AuditEntry.objects.filter(
        customer_id=user.customer.pk, action__startswith="payment_method_remove"
    )
    assert entry.action == "payment_method_remove_failed"
    assert entry.actor_id == user.pk
    assert entry.before == {"payment_method": first, "default": True}
    assert entry.after == {
        "default_payment_method": second,
        "default_moved": True,
        "detached": False,
        "error": "Stripe answered HTTP 500.",
    }
    # Stripe answered HTTP 500: Paydesk asked it about the card after the detach, and was told
    # it is still attached.
    assert _requests_about(first)[-2:] == [f"POST {_path(first)}/detach", f"GET {_path(first)}"]
    # The switch fires once: removing it again works.
    saved_method_remove(customer=user.customer, user=user, payment_method=first)
    assert object_get("stripe", "payment_method", first).data["customer"] is None
    assert AuditEntry.objects.filter(action="payment_method_remove").count() == 1


def _path(pm: str) -> str:
    return f"/v1/payment_methods/{pm}"


def _requests_about(pm: str) -> list[str]:
    """The requests Paydesk made to Stripe about `pm`, in order (the payment log)."""
    return list(
        PaymentLogEntry.objects.filter(event_id__contains=_path(pm))
        .order_by("id")
        .values_list("event_id", flat=True)
    )


def _remove_with_detach_failing(user, mode: str, removed: str, next_default: str):
    """The Remove button for `removed` (`next_default` the default from now on) while the
    sandbox's next detach fails as `mode` says; the page the customer lands on."""
    armed = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "detach_fails", "detach_fails": mode}
    )
    assert armed.status_code == 302
    client = Client()
    client.force_login(user)
    return client.post(
        f"/billing/methods/{removed}/remove", {"next_default": next_default}, follow=True
    )


def test_a_detach_that_answered_500_after_detaching_is_a_removal(sandbox, online_customer):
    """Stripe detached the card, then answered HTTP 500 (the outcome unknown to Paydesk): asked,
    Stripe says the card is attached to no customer, so the removal is finished and told as
    such, and audited as a removal (with the error the detach answered)."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    answer = _remove_with_detach_failing(user, "after", first, second)
    assert answer.status_code == 200
    assert [str(m) for m in answer.context["messages"]] == ["The payment method is removed."]
    assert object_get("stripe", "payment_method", first).data["customer"] is None
    assert [m.label for m in saved_methods_list(customer=user.customer)] == [
        "Card •••• 4444 (default)"
    ]
    assert _requests_about(first)[-2:] == [f"POST {_path(first)}/detach", f"GET {_path(first)}"]
    [entry] = AuditEntry.objects.filter(
        customer_id=user.customer.pk, action__startswith="payment_method_remove"
    )
    assert entry.action == "payment_method_remove"
    assert entry.before == {"payment_method": first, "default": True}
    assert entry.after == {
        "default_payment_method": second,
        "detach_error": "Stripe answered HTTP 500.",
    }


def test_a_detach_stripe_cannot_say_anything_about_is_told_as_unknown(sandbox, online_customer):
    """The detach answered HTTP 500 and so did the question that followed: Paydesk cannot know
    whether the card is still saved, and says so (audited as a failed removal, `detached`
    unknown)."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    answer = _remove_with_detach_failing(user, "unanswered", first, second)
    [shown] = [str(m) for m in answer.context["messages"]]
    assert shown == (
        "Card •••• 4242 could not be removed: Stripe answered HTTP 500. Card •••• 4444 is your "
        "default payment method now. Stripe could not say whether Card •••• 4242 is still saved: "
        "look at your saved payment methods again later."
    )
    [entry] = AuditEntry.objects.filter(
        customer_id=user.customer.pk, action__startswith="payment_method_remove"
    )
    assert entry.action == "payment_method_remove_failed"
    assert entry.after == {
        "default_payment_method": second,
        "default_moved": True,
        "detached": None,
        "error": "Stripe answered HTTP 500.",
    }
    # Stripe had detached it: the list, asked again, no longer shows it.
    assert [m.id for m in saved_methods_list(customer=user.customer)] == [second]


def _two_cards_the_default_removed(sandbox, online_customer, mode: str):
    """Two saved cards; the first (the default) removed on the page, the second the default
    from now on, while the sandbox's detach switch is armed as `mode`. (user, first, second,
    the messages the customer reads)."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    answer = _remove_with_detach_failing(user, mode, first, second)
    assert answer.status_code == 200
    return user, first, second, [str(m) for m in answer.context["messages"]]


def test_a_rate_limited_detach_is_not_a_removal_and_stripe_is_not_asked(sandbox, online_customer):
    """Stripe answered the detach HTTP 429: its rate limiter answers before the request is run,
    so the card is still saved. Paydesk does not ask Stripe about it (no GET after the detach),
    audits no removal (the failed one, `detached` false), and tells the customer to try again in
    a minute; a minute later the removal works."""
    user, first, second, told = _two_cards_the_default_removed(
        sandbox, online_customer, "rate_limited"
    )
    assert told == [
        "Card •••• 4242 could not be removed: Stripe is rate limiting requests (HTTP 429). "
        "Card •••• 4444 is your default payment method now. Card •••• 4242 is still saved: try "
        "removing it again in a minute."
    ]
    assert _requests_about(first)[-1] == f"POST {_path(first)}/detach"
    assert object_get("stripe", "payment_method", first).data["customer"] is not None
    assert [m.label for m in saved_methods_list(customer=user.customer)] == [
        "Card •••• 4444 (default)",
        "Card •••• 4242",
    ]
    [entry] = AuditEntry.objects.filter(
        customer_id=user.customer.pk, action__startswith="payment_method_remove"
    )
    assert entry.action == "payment_method_remove_failed"
    assert entry.after == {
        "default_payment_method": second,
        "default_moved": True,
        "detached": False,
        "error": "Stripe is rate limiting requests (HTTP 429).",
    }
    saved_method_remove(customer=user.customer, user=user, payment_method=first)
    assert object_get("stripe", "payment_method", first).data["customer"] is None


def test_a_rate_limited_new_default_changes_nothing_and_says_try_again_in_a_minute(
    sandbox, online_customer
):
    """Removing the default: Stripe rate limited the new default (HTTP 429) asked before the
    detach, so it did nothing. Nothing is detached or audited, the card is still the default,
    and the customer reads it in words, to try again in a minute; a minute later it works."""
    user, first, second, told = _two_cards_the_default_removed(
        sandbox, online_customer, "default_rate_limited"
    )
    assert told == [
        "Card •••• 4242 could not be removed: Stripe is rate limiting requests (HTTP 429). "
        "Nothing was changed: it is still saved and still your default. Try removing it again "
        "in a minute."
    ]
    assert f"POST {_path(first)}/detach" not in _requests_about(first)
    assert [m.label for m in saved_methods_list(customer=user.customer)] == [
        "Card •••• 4242 (default)",
        "Card •••• 4444",
    ]
    assert not AuditEntry.objects.filter(
        customer_id=user.customer.pk, action__startswith="payment_method_remove"
    ).exists()
    saved_method_remove(
        customer=user.customer, user=user, payment_method=first, next_default=second
    )
    assert [m.label for m in saved_methods_list(customer=user.customer)] == [
        "Card •••• 4444 (default)"
    ]


def test_another_customers_method_is_not_found(sandbox, online_customer):
    owner = online_customer("card")
    other = PortalUserFactory(can_manage_billing=True)
    theirs = save_card(sandbox.url, owner)
    save_card(sandbox.url, other)
    for action in (
        lambda: saved_method_owned(customer=other.customer, payment_method=theirs),
        lambda: saved_method_default_set(
            customer=other.customer, user=other, payment_method=theirs
        ),
        lambda: saved_method_remove(customer=other.customer, user=other, payment_method=theirs),
        lambda: method_setup_finish(
            customer=other.customer,
            user=other,
            setup_intent=MethodSetup.objects.get(customer=owner.customer).setup_intent,
        ),
    ):
        with pytest.raises(NotFound):
            action()
    assert object_get("stripe", "payment_method", theirs).data["customer"] == (
        StripeCustomer.objects.get(customer=owner.customer).stripe_id
    )
    # A method never attached to anyone is not theirs either.
    with pytest.raises(NotFound):
        saved_method_owned(customer=other.customer, payment_method=payment_method(sandbox.url))


def test_a_view_only_user_cannot_save(sandbox, online_customer):
    user = online_customer("card")
    viewer = PortalUserFactory(customer=user.customer, can_manage_billing=False)
    with pytest.raises(PermissionDenied):
        method_setup_start(customer=user.customer, user=viewer, method_type="card")
    assert not StripeCustomer.objects.exists()


def test_an_unconfirmed_setup_saves_nothing(sandbox, online_customer):
    user = online_customer("card")
    setup = method_setup_start(customer=user.customer, user=user, method_type="card")
    with pytest.raises(PaydeskError, match="not saved"):
        method_setup_finish(customer=user.customer, user=user, setup_intent=setup.setup_intent)
    assert saved_methods_list(customer=user.customer) == []


def test_a_setup_the_bank_did_not_authenticate_says_so_plainly(sandbox, online_customer):
    """Stripe leaves a SetupIntent whose 3-D Secure failed in requires_payment_method with a
    developer's message: the customer reads plain words, the payment log keeps Stripe's code."""
    user = online_customer("card")
    setup = method_setup_start(customer=user.customer, user=user, method_type="card")
    stored = object_get("stripe", "setup_intent", setup.setup_intent)
    object_update(
        stored,
        last_setup_error={
            "code": "setup_intent_authentication_failure",
            "type": "invalid_request_error",
            "message": "The latest attempt to set up the payment method has failed because "
            "authentication failed.",
        },
    )
    with pytest.raises(PaydeskError) as refused:
        method_setup_finish(customer=user.customer, user=user, setup_intent=setup.setup_intent)
    assert refused.value.message == SETUP_AUTHENTICATION_FAILED
    assert "authentication failed" not in refused.value.message
    logged = PaymentLogEntry.objects.filter(event_id__contains=setup.setup_intent)
    assert any(
        e.summary.get("response.last_setup_error.code") == "setup_intent_authentication_failure"
        and "authentication failed" in e.summary.get("response.last_setup_error.message", "")
        for e in logged
    )
    assert saved_methods_list(customer=user.customer) == []


def test_the_sandbox_confirms_a_setup_only_with_its_client_secret(sandbox, online_customer):
    user = online_customer("card")
    setup = method_setup_start(customer=user.customer, user=user, method_type="card")
    answer = httpx.post(
        f"{sandbox.url}/sandbox/stripe/v1/setup_intents/{setup.setup_intent}/confirm",
        data={
            "key": settings.PAYDESK_STRIPE_PUBLISHABLE_KEY,
            "client_secret": "wrong",
            "payment_method": payment_method(sandbox.url),
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert "client_secret" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("month", "year", "expected"),
    [
        (5, 2026, ""),
        (4, 2026, ""),
        (3, 2026, "expiring"),
        (2, 2026, "expired"),
        (12, 2025, "expired"),
        (None, None, ""),
    ],
)
def test_expired_and_expiring_cards_are_marked(month, year, expected):
    assert expiry_state(month, year, today=date(2026, 3, 20)) == expected


def test_the_same_card_saved_again_is_not_kept_twice(sandbox, online_customer):
    """Stripe gives every PaymentMethod of one card number the same fingerprint: the second copy
    of a saved card (same number, same expiry) is detached and the customer told which one it
    is; a renewed card (same number, new expiry) is kept, and the list says they share a number."""
    from paydesk.methods.services import AlreadySaved
    from paydesk.methods.views import method_details

    user = online_customer("card")
    first = save_card(sandbox.url, user, exp_month="12", exp_year="2031")
    first_fp = object_get("stripe", "payment_method", first).data["card"]["fingerprint"]
    assert first_fp and "4242" not in first_fp
    with pytest.raises(AlreadySaved) as refused:
        save_card(sandbox.url, user, exp_month="12", exp_year="2031")
    assert refused.value.message == (
        "This card is saved already, as Card •••• 4242 (expires 12/2031): nothing was added."
    )
    assert [m.id for m in saved_methods_list(customer=user.customer)] == [first]
    [copy] = MethodSetup.objects.filter(customer=user.customer, payment_method="")
    copy_pm = object_get("stripe", "setup_intent", copy.setup_intent).data["payment_method"]
    copy_data = object_get("stripe", "payment_method", copy_pm).data
    assert copy_data["customer"] is None  # detached at Stripe
    assert copy_data["card"]["fingerprint"] == first_fp
    assert AuditEntry.objects.filter(action="payment_method_save_duplicate").count() == 1
    # Finishing the refused setup again changes nothing.
    method_setup_finish(customer=user.customer, user=user, setup_intent=copy.setup_intent)
    assert len(saved_methods_list(customer=user.customer)) == 1

    renewed = save_card(sandbox.url, user, exp_month="3", exp_year="2034")
    other = save_card(sandbox.url, user, MASTERCARD, exp_month="12", exp_year="2031")
    methods = {m.id: m for m in saved_methods_list(customer=user.customer)}
    assert set(methods) == {first, renewed, other}
    assert methods[other].fingerprint != first_fp
    listed = list(methods.values())
    assert "same card number as the one expiring 03/2034" in method_details(methods[first], listed)
    assert "same card number as the one expiring 12/2031" in method_details(
        methods[renewed], listed
    )
    assert "same card number" not in method_details(methods[other], listed)


def test_the_same_iban_saved_again_is_not_kept_twice(sandbox, online_customer):
    from paydesk.methods.services import AlreadySaved
    from tests.online.stripe_support import save_sepa

    user = online_customer("card", "EUR", account="EUR")
    first = save_sepa(sandbox.url, user)
    with pytest.raises(AlreadySaved) as refused:
        save_sepa(sandbox.url, user)
    assert refused.value.message == (
        "This account is saved already, as SEPA Direct Debit •••• 3000: nothing was added."
    )
    assert [m.id for m in saved_methods_list(customer=user.customer)] == [first.payment_method]


def test_the_methods_page_is_marked_as_billing_in_the_menu(sandbox, online_customer):
    """The Payment methods page is reached from Billing and lives under /billing/; the menu
    marked no item (its view named a 'methods' item the menu does not have)."""
    user = online_customer("card")
    client = Client()
    client.force_login(user)
    html = client.get("/billing/methods/").content.decode()
    assert '<a href="/billing/" aria-current="page">Billing</a>' in html
    assert html.count('aria-current="page"') == 1


def test_the_methods_page_writes_when_a_method_was_added_as_the_rest_of_the_portal(
    sandbox, online_customer
):
    """A saved card reads "added Dec. 6, 2026, 9:33 a.m. CET": in the user's zone and naming it,
    as every portal time does (the page wrote the time alone)."""
    user = online_customer("card")
    user.time_zone = "Europe/Berlin"
    user.save(update_fields=["time_zone"])
    save_card(sandbox.url, user)
    client = Client()
    client.force_login(user)
    html = client.get("/billing/methods/").content.decode()
    assert re.search(
        r"added [A-Z][a-z]{2,3}\.? \d{1,2}, \d{4}, \d{1,2}:\d{2} [ap]\.m\. CES?T\b", html
    ), html


@pytest.mark.parametrize(
    ("mode", "status", "error_type", "detached", "retrieve_status"),
    [
        ("before", 500, "api_error", False, 200),
        ("after", 500, "api_error", True, 200),
        ("unanswered", 500, "api_error", True, 500),
        ("rate_limited", 429, "invalid_request_error", False, 200),
    ],
)
def test_the_sandbox_s_detach_switch_fails_once_as_chosen(
    sandbox, online_customer, mode, status, error_type, detached, retrieve_status
):
    """The Stripe panel's "next removal of a saved method": HTTP 500 before or after detaching
    (and, "unanswered", the method's next GET too), or HTTP 429 without detaching, once; the
    page shows what is armed."""
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    sandbox_staff().post("/sandbox/stripe/panel/", {"action": "detach_fails", "detach_fails": mode})
    page = sandbox_staff().get("/sandbox/").content.decode()
    assert f'<option value="{mode}" selected>' in page
    headers = {"Authorization": f"Bearer {settings.PAYDESK_STRIPE_SECRET_KEY}"}
    url = f"{sandbox.url}/sandbox/stripe{_path(pm)}"
    failed = httpx.post(f"{url}/detach", headers=headers)
    assert failed.status_code == status
    assert failed.json()["error"]["type"] == error_type
    assert (object_get("stripe", "payment_method", pm).data["customer"] is None) is detached
    assert httpx.get(url, headers=headers).status_code == retrieve_status
    assert httpx.get(url, headers=headers).status_code == 200  # once
    assert (
        '<option value="" selected>works</option>'
        in sandbox_staff().get("/sandbox/").content.decode()
    )
    again = httpx.post(f"{url}/detach", headers=headers)
    assert again.status_code == (400 if detached else 200)  # the switch fired once
