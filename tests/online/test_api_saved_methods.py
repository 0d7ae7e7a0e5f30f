"""The API's saved payment methods (issue 14): list, set the default, remove (the default asks
which is next), and pay with a saved method (`payment_method` = the saved id) — each POST with
Idempotency-Key, errors as JSON with a code; another customer's method → 404; a user without the
permission → 403; a read-only key may list but not change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.api.models import IdempotencyRecord
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.models import SandboxObject
from tests.api.conftest import ApiClient, key_for
from tests.factories import PortalUserFactory
from tests.online.stripe_support import payment_method, save_card, save_sepa
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)
MASTERCARD = "5555555555554444"


def test_list_default_and_remove(sandbox, online_customer):
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    api = ApiClient(key_for(user, "read", "pay"))
    listed = api.get("/api/v1/payment-methods")
    assert listed.status_code == 200, listed.content
    assert [(m["id"], m["label"], m["brand"], m["last4"]) for m in listed.json()["data"]] == [
        (first, "Card •••• 4242 (default)", "visa", "4242"),
        (second, "Card •••• 4444", "mastercard", "4444"),
    ]
    made = api.post(
        f"/api/v1/payment-methods/{second}/default", None, **{"Idempotency-Key": "default-0001"}
    )
    assert made.status_code == 200 and made.json()["data"][0]["id"] == second
    again = api.post(
        f"/api/v1/payment-methods/{second}/default", None, **{"Idempotency-Key": "default-0001"}
    )
    assert again.content == made.content and again["Idempotent-Replayed"] == "true"

    refused = api.post(
        f"/api/v1/payment-methods/{second}/remove", None, **{"Idempotency-Key": "remove-0001"}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "next_default"
    removed = api.post(
        f"/api/v1/payment-methods/{second}/remove?next_default={first}",
        None,
        **{"Idempotency-Key": "remove-0002"},
    )
    assert removed.status_code == 200
    assert [(m["id"], m["is_default"]) for m in removed.json()["data"]] == [(first, True)]


def _remove_the_default_while_detach_fails(sandbox, online_customer, mode: str):
    """Two saved cards; the first (the default) removed through the API, the second the default
    from now on, while the sandbox's next detach fails as `mode` says. (api, first, second,
    the answer)."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    sandbox_staff().post("/sandbox/stripe/panel/", {"action": "detach_fails", "detach_fails": mode})
    api = ApiClient(key_for(user, "read", "pay"))
    answer = api.post(
        f"/api/v1/payment-methods/{first}/remove?next_default={second}",
        None,
        **{"Idempotency-Key": f"remove-{mode}-01"},
    )
    return api, first, second, answer


def test_a_removal_whose_detach_fails_says_so(sandbox, online_customer):
    """The default moved at Stripe, then the detach failed (the sandbox's switch): 422 with the
    gateway's code and a message that the card is still saved."""
    api, first, second, failed = _remove_the_default_while_detach_fails(
        sandbox, online_customer, "before"
    )
    assert failed.status_code == 422
    error = failed.json()["error"]
    assert error["code"] == "gateway_unavailable"
    assert error["message"].startswith("Card •••• 4242 could not be removed:")
    assert "Card •••• 4444 is your default payment method now." in error["message"]
    listed = api.get("/api/v1/payment-methods").json()["data"]
    assert [(m["id"], m["is_default"]) for m in listed] == [(second, True), (first, False)]


def _sent_again(api, first, second, mode: str):
    return api.post(
        f"/api/v1/payment-methods/{first}/remove?next_default={second}",
        None,
        **{"Idempotency-Key": f"remove-{mode}-01"},
    )


def test_a_rate_limited_removal_says_to_try_again_and_the_same_key_removes_it(
    sandbox, online_customer
):
    """Stripe rate limited the detach (HTTP 429): nothing was detached, so the API answers 503
    with Retry-After and the gateway's code, tells the caller to try again in a minute, and
    keeps nothing under the Idempotency-Key: the same request sent again removes the card."""
    api, first, second, failed = _remove_the_default_while_detach_fails(
        sandbox, online_customer, "rate_limited"
    )
    assert failed.status_code == 503 and failed["Retry-After"] == "60"
    error = failed.json()["error"]
    assert error["code"] == "gateway_unavailable"
    assert error["message"].endswith(
        "Card •••• 4242 is still saved: try removing it again in a minute."
    )
    listed = api.get("/api/v1/payment-methods").json()["data"]
    assert [(m["id"], m["is_default"]) for m in listed] == [(second, True), (first, False)]

    again = _sent_again(api, first, second, "rate_limited")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    assert [(m["id"], m["is_default"]) for m in again.json()["data"]] == [(second, True)]


def test_a_rate_limited_new_default_says_to_try_again_and_the_same_key_removes_it(
    sandbox, online_customer
):
    """Stripe rate limited the new default asked before the detach: nothing changed, 503 with
    Retry-After and the words to try again in a minute; the list is as it was, and the same
    request sent again removes the card."""
    api, first, second, failed = _remove_the_default_while_detach_fails(
        sandbox, online_customer, "default_rate_limited"
    )
    assert failed.status_code == 503 and failed["Retry-After"] == "60"
    error = failed.json()["error"]
    assert error["code"] == "gateway_unavailable"
    assert error["message"].endswith(
        "Nothing was changed: it is still saved and still your default. Try removing it again "
        "in a minute."
    )
    listed = api.get("/api/v1/payment-methods").json()["data"]
    assert [(m["id"], m["is_default"]) for m in listed] == [(first, True), (second, False)]

    again = _sent_again(api, first, second, "default_rate_limited")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    assert [(m["id"], m["is_default"]) for m in again.json()["data"]] == [(second, True)]


def test_a_removal_stripe_made_before_answering_500_is_a_removal(sandbox, online_customer):
    """The detach was made at Stripe, then answered HTTP 500: Paydesk asks Stripe, which says
    the card is detached, so the API answers the removal made (the list without it)."""
    _api, _first, second, removed = _remove_the_default_while_detach_fails(
        sandbox, online_customer, "after"
    )
    assert removed.status_code == 200, removed.content
    assert [(m["id"], m["is_default"]) for m in removed.json()["data"]] == [(second, True)]


def test_a_mandate_is_listed_with_its_reference_and_every_method_with_when_added(
    sandbox, online_customer
):
    user = online_customer("card", "EUR", account="EUR")
    setup = save_sepa(sandbox.url, user)
    [listed] = ApiClient(key_for(user, "read")).get("/api/v1/payment-methods").json()["data"]
    assert (listed["mandate"], listed["mandate_reference"]) == (
        setup.mandate,
        setup.mandate_reference,
    )
    assert listed["mandate_reference"] and listed["added"].startswith(
        setup.completed_at.strftime("%Y-%m-%dT%H:%M")
    )


def test_pay_with_a_saved_card_and_a_saved_mandate(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    card = save_card(sandbox.url, user)
    mandate = save_sepa(sandbox.url, user).payment_method
    api = ApiClient(key_for(user, "read", "pay"))
    paid = api.post(
        "/api/v1/payments",
        {"method": "card", "amount": "10.00", "currency": "EUR", "payment_method": card},
        **{"Idempotency-Key": "saved-card-0001"},
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["outcome"] == "completed"
    debit = api.post(
        "/api/v1/payments",
        {"method": "card", "amount": "20.00", "currency": "EUR", "payment_method": mandate},
        **{"Idempotency-Key": "saved-sepa-0001"},
    )
    assert debit.status_code == 201, debit.content
    assert debit.json()["outcome"] == "pending"
    assert debit.json()["message"].startswith("The SEPA Direct Debit is on its way")
    # A mandate pays as SEPA Direct Debit (whichever method the caller named), its last four
    # in the description.
    assert debit.json()["method"] == debit.json()["payment"]["method"] == "sepa_debit"
    assert debit.json()["payment"]["description"] == "SEPA Direct Debit •••• 3000, €20.00 EUR"
    # A new card's pm (attached to nobody) still pays as before.
    fresh = api.post(
        "/api/v1/payments",
        {
            "method": "card",
            "amount": "5.00",
            "currency": "EUR",
            "payment_method": payment_method(sandbox.url),
        },
        **{"Idempotency-Key": "new-card-0001"},
    )
    assert fresh.json()["outcome"] == "completed"


# The sandbox's "next GET of a PaymentMethod" switch, and what Stripe's answer then says.
LOOKUP_FAILURES = pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("rate_limited", "Stripe is rate limiting requests (HTTP 429)."),
        ("error", "Stripe answered HTTP 500."),
    ],
)


def _next_method_lookup_fails(failure: str) -> None:
    armed = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "method_get_fails", "method_get_fails": failure}
    )
    assert armed.status_code == 302


def _nothing_done(answer, said: str) -> None:
    """503 `gateway_unavailable` with Retry-After, saying so, and nothing kept under the key."""
    assert (answer.status_code, answer["Retry-After"]) == (503, "60"), answer.content
    assert answer.json()["error"] == {
        "code": "gateway_unavailable",
        "message": f"{said} Nothing was done: try again in a minute.",
        "field": None,
    }
    assert "Idempotent-Replayed" not in answer
    assert not IdempotencyRecord.objects.exists()


@LOOKUP_FAILURES
@pytest.mark.parametrize("card", ["saved", "new"])
def test_a_saved_method_stripe_did_not_look_up_is_a_503_and_the_same_key_pays_once(
    sandbox, online_customer, failure, said, card
):
    """A card's pm is first asked of Stripe (`saved_method_is_own`: a saved method of the
    caller's, or a new card's attached to nobody). Stripe rate limited that GET, or did not
    answer it: nothing was asked to pay and nothing written, so the answer is 503
    `gateway_unavailable` with Retry-After, kept under no Idempotency-Key, and the same key sent
    again pays, once."""
    user = online_customer("card")
    token = save_card(sandbox.url, user) if card == "saved" else payment_method(sandbox.url)
    api = ApiClient(key_for(user, "read", "pay"))
    body = {"method": "card", "amount": "10.50", "currency": "USD", "payment_method": token}
    key = {"Idempotency-Key": f"busy-{card}-{failure}"}
    _next_method_lookup_fails(failure)
    _nothing_done(api.post("/api/v1/payments", body, **key), said)
    assert not Payment.objects.filter(customer=user.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()

    paid = api.post("/api/v1/payments", body, **key)
    assert paid.status_code == 201 and "Idempotent-Replayed" not in paid, paid.content
    assert paid.json()["outcome"] == "completed"
    replayed = api.post("/api/v1/payments", body, **key)
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed.content == paid.content
    [payment] = Payment.objects.filter(customer=user.customer)
    assert (payment.status, payment.total) == (PaymentStatus.COMPLETED, Decimal("10.50"))


@LOOKUP_FAILURES
def test_a_removal_whose_method_stripe_did_not_look_up_is_a_503_and_the_same_key_removes_it(
    sandbox, online_customer, failure, said
):
    """A removal first asks Stripe that the method is the customer's (`saved_method_owned`):
    that GET rate limited or not answered, nothing was changed, and the same key removes it."""
    user = online_customer("card")
    first = save_card(sandbox.url, user)
    second = save_card(sandbox.url, user, MASTERCARD)
    api = ApiClient(key_for(user, "read", "pay"))
    key = {"Idempotency-Key": f"remove-lookup-{failure}"}
    path = f"/api/v1/payment-methods/{second}/remove"
    _next_method_lookup_fails(failure)
    _nothing_done(api.post(path, None, **key), said)
    listed = api.get("/api/v1/payment-methods").json()["data"]
    assert [m["id"] for m in listed] == [first, second]

    removed = api.post(path, None, **key)
    assert removed.status_code == 200 and "Idempotent-Replayed" not in removed, removed.content
    assert [m["id"] for m in removed.json()["data"]] == [first]


def test_another_customers_method_is_404_everywhere(sandbox, online_customer):
    owner = online_customer("card")
    theirs = save_card(sandbox.url, owner)
    other = PortalUserFactory(customer=online_customer("card").customer, can_manage_billing=True)
    save_card(sandbox.url, other)
    api = ApiClient(key_for(other, "read", "pay"))
    answers = [
        api.post(
            f"/api/v1/payment-methods/{theirs}/default", None, **{"Idempotency-Key": "idor-0001"}
        ),
        api.post(f"/api/v1/payment-methods/{theirs}/remove", None, **{"Idempotency-Key": "idor-2"}),
        api.post(
            "/api/v1/payments",
            {"method": "card", "amount": "10.50", "currency": "USD", "payment_method": theirs},
            **{"Idempotency-Key": "idor-0003"},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.content
        assert answer.json()["error"]["code"] == "not_found"
    assert theirs not in api.get("/api/v1/payment-methods").content.decode()
    assert not Payment.objects.filter(customer=other.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()


def test_permissions_and_scopes(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    viewer = PortalUserFactory(customer=user.customer, can_manage_billing=False)
    refused = ApiClient(key_for(viewer, "read")).get("/api/v1/payment-methods")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    read_only = ApiClient(key_for(user, "read"))
    assert read_only.get("/api/v1/payment-methods").status_code == 200
    change = read_only.post(
        f"/api/v1/payment-methods/{pm}/default", None, **{"Idempotency-Key": "scope-0001"}
    )
    assert change.status_code == 403 and change.json()["error"]["code"] == "insufficient_scope"
    assert Payment.objects.filter(status=PaymentStatus.COMPLETED).count() == 0
