"""An Idempotency-Key is unique per customer, as Stripe's is per account: a rotated API key (or
the session) of the user who sent it gets the first answer; another user of the customer gets
`idempotency_key_used`, not the answer; never a second payment. Another customer's same key is
its own. Staff keys are scoped to the staff user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from paydesk.api.models import ApiKey, IdempotencyRecord
from paydesk.api.services import api_key_revoke
from paydesk.ledger.models import Payment
from tests.api.conftest import ApiClient, key_for
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory
from tests.migrating import migrate_back_and_forth
from tests.refunds.conftest import card_payment
from tests.vouchers.conftest import run_at_once

BODY = {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}
POSTS = 8


def _replayed(response, first) -> bool:
    return (
        response.status_code == first.status_code
        and response.content == first.content
        and response["Idempotent-Replayed"] == "true"
    )


def _rotated_key_replays(user) -> None:
    old_plain = key_for(user)
    first = ApiClient(old_plain).post("/api/v1/payments", BODY, **{"Idempotency-Key": "rot-1"})
    assert first.status_code == 201, first.content
    api_key_revoke(key=ApiKey.objects.get(), actor=user)
    new = ApiClient(key_for(user))
    assert _replayed(new.post("/api/v1/payments", BODY, **{"Idempotency-Key": "rot-1"}), first)
    other = new.post(
        "/api/v1/payments", {**BODY, "amount": "200.00"}, **{"Idempotency-Key": "rot-1"}
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"
    assert Payment.objects.count() == 1
    # An endpoint on the in-flight path (the row committed before the work): the same.
    reference = first.json()["payment"]["reference"]
    cancel = f"/api/v1/payments/{reference}/cancel"
    cancelled = ApiClient(key_for(user)).post(cancel, **{"Idempotency-Key": "rot-2"})
    assert cancelled.status_code == 200, cancelled.content
    assert _replayed(new.post(cancel, **{"Idempotency-Key": "rot-2"}), cancelled)


@pytest.mark.django_db
def test_a_rotated_key_replays_the_first_answer_on_sqlite(portal_user, method_configs):
    _rotated_key_replays(portal_user)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_rotated_key_replays_the_first_answer_on_postgresql(portal_user, method_configs):
    _rotated_key_replays(portal_user)


@pytest.mark.django_db
def test_the_user_s_session_replays_what_their_key_sent(api, portal_user, method_configs):
    first = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "by-key"})
    assert first.status_code == 201
    session = Client()
    session.force_login(portal_user)
    again = ApiClient(client=session).post(
        "/api/v1/payments", BODY, **{"Idempotency-Key": "by-key"}
    )
    assert _replayed(again, first)
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_another_user_of_the_customer_is_told_it_was_made_not_shown_it(
    api, customer, method_configs
):
    """The colleague may not be allowed to see the first user's payment (can_view_payments):
    no second payment, no copy of the answer, and words that say the request was made."""
    first = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "shared"})
    assert first.status_code == 201
    reference = first.json()["payment"]["reference"]
    colleague = PortalUserFactory(customer=customer, can_view_payments=False)
    session = Client()
    session.force_login(colleague)
    for client in (ApiClient(key_for(colleague)), ApiClient(client=session)):
        again = client.post("/api/v1/payments", BODY, **{"Idempotency-Key": "shared"})
        assert again.status_code == 422
        error = again.json()["error"]
        assert (error["code"], error["field"]) == ("idempotency_key_used", "Idempotency-Key")
        assert "it was made once" in error["message"]
        assert reference not in again.content.decode()
        assert "Idempotent-Replayed" not in again
    other = ApiClient(key_for(colleague)).post(
        "/api/v1/payments", {**BODY, "amount": "5.00"}, **{"Idempotency-Key": "shared"}
    )
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_after_the_record_is_purged_a_rotated_key_still_finds_the_same_checkout(
    portal_user, method_configs
):
    """checkout_start's own key is derived from the customer's scope, not the API key's."""
    first = ApiClient(key_for(portal_user)).post(
        "/api/v1/payments", BODY, **{"Idempotency-Key": "old-one"}
    )
    assert first.status_code == 201
    IdempotencyRecord.objects.all().delete()  # as idempotency_purge does after 24 hours
    again = ApiClient(key_for(portal_user)).post(
        "/api/v1/payments", BODY, **{"Idempotency-Key": "old-one"}
    )
    assert again.status_code == 200, again.content  # the checkout found again, not made
    assert again.json()["payment"]["reference"] == first.json()["payment"]["reference"]
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_of_two_customers_never_collides(api, customer, method_configs):
    mine = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "same"})
    other_customer = CustomerFactory(currency="USD")
    theirs = ApiClient(key_for(PortalUserFactory(customer=other_customer))).post(
        "/api/v1/payments", BODY, **{"Idempotency-Key": "same"}
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["payment"]["reference"] != theirs.json()["payment"]["reference"]
    owners = sorted(Payment.objects.values_list("customer_id", flat=True))
    assert owners == sorted([customer.pk, other_customer.pk])
    assert sorted(IdempotencyRecord.objects.values_list("caller", flat=True)) == sorted(
        [f"customer:{customer.pk}", f"customer:{other_customer.pk}"]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("one_user", [True, False], ids=["keys of one user", "two users"])
def test_two_keys_of_one_customer_at_once_make_one_payment_on_postgresql(method_configs, one_user):
    customer = CustomerFactory(currency="USD")
    first_user = PortalUserFactory(customer=customer)
    second_user = first_user if one_user else PortalUserFactory(customer=customer)
    plains = [key_for(first_user), key_for(second_user)]
    clients = [ApiClient(plains[i % 2]) for i in range(POSTS)]

    outcomes = run_at_once(
        POSTS, lambda i: clients[i].post("/api/v1/payments", BODY, **{"Idempotency-Key": "both"})
    )

    statuses = sorted(getattr(o, "status_code", repr(o)) for o in outcomes)
    assert set(statuses) <= ({201, 409} if one_user else {201, 409, 422}), statuses
    assert Payment.objects.count() == 1
    created = {o.content for o in outcomes if o.status_code == 201}
    assert len(created) == 1  # every 201 is the first answer, replayed
    again = [c.post("/api/v1/payments", BODY, **{"Idempotency-Key": "both"}) for c in clients[:2]]
    replayed = [a for a in again if a.status_code == 201]
    assert {a.content for a in replayed} == created
    assert len(replayed) == (2 if one_user else 1)  # the other user: idempotency_key_used
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_a_staff_user_s_keys_share_their_idempotency_keys_not_another_s(card_gateway, customer):
    finance = StaffFactory(staff_role="finance")
    payment = card_payment(customer)
    path = f"/api/v1/staff/payments/{payment.reference}/refund"
    body = {"total": "10.00", "reason": "Unused minutes"}
    first = ApiClient(key_for(finance)).post(path, body, **{"Idempotency-Key": "r"})
    assert first.status_code == 201, first.content
    again = ApiClient(key_for(finance)).post(path, body, **{"Idempotency-Key": "r"})
    assert _replayed(again, first)
    assert Payment.objects.filter(original=payment).count() == 1
    # The refund's own key is derived from the staff user's scope: purged, still refunded once.
    IdempotencyRecord.objects.all().delete()
    purged = ApiClient(key_for(finance)).post(path, body, **{"Idempotency-Key": "r"})
    assert purged.json()["reference"] == first.json()["reference"]
    assert Payment.objects.filter(original=payment).count() == 1
    colleague = ApiClient(key_for(StaffFactory(staff_role="finance")))
    theirs = colleague.post(path, body, **{"Idempotency-Key": "r"})
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Payment.objects.filter(original=payment).count() == 2


BEFORE = [("api", "0002_text_without_control_characters")]
AFTER = [("api", "0003_idempotency_scope_per_customer")]


def _record(caller: str, key: str, minutes_ago: int) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        caller=caller,
        key=key,
        fingerprint="POST /api/v1/payments x",
        status_code=201,
        body=b"{}",
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        completed_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_stored_records_to_the_new_scope(customer):
    """A record stored under the old scope (`key:<id>`, `user:<id>`) before the deploy is found
    by the retry after it: re-keyed to its customer (staff: their user). Of two of one
    customer's records under one key, the earlier takes the scope; a gone key's stays."""
    user, colleague = PortalUserFactory(customer=customer), PortalUserFactory(customer=customer)
    staff = StaffFactory(staff_role="finance")
    key = ApiKey.objects.get(pk=api_key_pk(user))
    staff_key = ApiKey.objects.get(pk=api_key_pk(staff))
    by_key = _record(f"key:{key.pk}", "a", 10)
    by_session = _record(f"user:{colleague.pk}", "b", 9)
    earlier = _record(f"user:{colleague.pk}", "c", 8)
    later = _record(f"key:{key.pk}", "c", 7)  # the same key from another key of the customer
    by_staff_key = _record(f"key:{staff_key.pk}", "a", 6)
    by_staff_session = _record(f"user:{staff.pk}", "d", 5)
    gone = _record("key:999999", "e", 4)

    migrate_back_and_forth(BEFORE, AFTER)

    callers = dict(IdempotencyRecord.objects.values_list("pk", "caller"))
    mine = f"customer:{customer.pk}"
    assert callers[by_key.pk] == mine
    assert callers[by_session.pk] == mine
    assert (callers[earlier.pk], callers[later.pk]) == (mine, f"key:{key.pk}")
    assert callers[by_staff_key.pk] == f"user:{staff.pk}"
    assert callers[by_staff_session.pk] == f"user:{staff.pk}"
    assert callers[gone.pk] == "key:999999"
    users = dict(IdempotencyRecord.objects.values_list("pk", "requested_by"))
    assert (users[by_key.pk], users[by_session.pk], users[earlier.pk]) == (
        user.pk,
        colleague.pk,
        colleague.pk,
    )
    assert users[by_staff_key.pk] == users[by_staff_session.pk] == staff.pk
    assert users[later.pk] is None and users[gone.pk] is None


def api_key_pk(user) -> int:
    key_for(user)
    return ApiKey.objects.filter(user=user).latest("pk").pk
