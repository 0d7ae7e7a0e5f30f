"""quality.md R4 through the API: Idempotency-Key with Stripe's semantics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paydesk.accounts.models import Customer
from paydesk.api.auth import Caller
from paydesk.api.errors import response_for_error
from paydesk.api.idempotency import IN_FLIGHT_ABANDONED, idempotent_storing
from paydesk.api.models import ApiKey, IdempotencyRecord
from paydesk.api.services import idempotency_purge
from paydesk.audit.models import AuditEntry
from paydesk.checkout.models import Quote
from paydesk.errors import GatewayRateLimited
from paydesk.ledger.models import Payment
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import Voucher, VoucherStatus
from tests.api.conftest import ApiClient, key_for
from tests.factories import CustomerFactory, PortalUserFactory
from tests.vouchers.conftest import run_at_once

BODY = {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}
GUESS = {"method": "voucher", "code": "AAAA-BBBB-CCCC-DDDD", "currency": "USD"}
POSTS = 8


@pytest.mark.django_db
def test_a_replay_returns_the_first_answer_byte_for_byte(api):
    first = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "order-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    replay = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "order-1"})
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(api):
    api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "order-2"})
    other = api.post(
        "/api/v1/payments", {**BODY, "amount": "200.00"}, **{"Idempotency-Key": "order-2"}
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_while_the_first_is_in_flight_is_409(api, portal_user):
    first = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "warm-up"})
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get(key="warm-up")
    # A request still being processed: its row is inserted, not yet answered.
    IdempotencyRecord.objects.create(
        caller=record.caller, key="order-3", fingerprint=record.fingerprint
    )
    response = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "order-3"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_refusals_are_replayed_and_keys_are_scoped_to_the_caller(api, customer):
    bad = {**BODY, "amount": "ten"}
    first = api.post("/api/v1/payments", bad, **{"Idempotency-Key": "k"})
    assert first.status_code == 422
    assert api.post("/api/v1/payments", bad, **{"Idempotency-Key": "k"}).content == first.content
    # Another caller may use the same key for its own request.
    other = ApiClient(key_for(PortalUserFactory(customer=CustomerFactory())))
    assert other.post("/api/v1/payments", BODY, **{"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.django_db
def test_keys_are_kept_24_hours_then_purged(api):
    api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "old"})
    assert idempotency_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_bad_idempotency_key_is_400(api):
    response = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "x" * 300})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"


def _eight_posts_at_once():
    customer = CustomerFactory(currency="USD")
    user = PortalUserFactory(customer=customer)
    plain = key_for(user)
    clients = [ApiClient(plain) for _ in range(POSTS)]

    outcomes = run_at_once(
        POSTS,
        lambda i: clients[i].post("/api/v1/payments", BODY, **{"Idempotency-Key": "once-only"}),
    )

    statuses = sorted(getattr(o, "status_code", repr(o)) for o in outcomes)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    created = [o for o in outcomes if o.status_code == 201]
    assert len({o.content for o in created}) == 1  # any 201 is the first answer, replayed
    assert payment.reference in created[0].content.decode()
    # After the first answer, a retry gets it back.
    again = clients[0].post("/api/v1/payments", BODY, **{"Idempotency-Key": "once-only"})
    assert (again.status_code, again.content) == (201, created[0].content)
    assert ApiKey.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_8_identical_posts_at_once_make_one_payment_on_sqlite(method_configs):
    _eight_posts_at_once()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_identical_posts_at_once_make_one_payment_on_postgresql(method_configs):
    _eight_posts_at_once()


@pytest.mark.django_db(transaction=True)
def test_a_bank_transfer_is_one_transaction_without_savepoints(
    portal_user, method_configs, bank_details
):
    """Outside any test transaction, as served: the quote is inserted holding its payment (no
    UPDATE), neither checkout_start's block nor the ledger takes a savepoint inside the
    request's transaction, the settings are read in one statement, and the record commits with
    them."""
    api = ApiClient(key_for(portal_user))
    with CaptureQueriesContext(connection) as queries:
        answer = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "lean"})
    assert answer.status_code == 201
    assert answer.json()["bank_details"]["reference"] == answer.json()["payment"]["reference"]
    sql = [q["sql"] for q in queries.captured_queries]
    assert [s for s in sql if s.startswith("COMMIT")] == ["COMMIT"]
    assert not [s for s in sql if s.startswith("UPDATE") and "checkout_quote" in s]
    assert len([s for s in sql if s.startswith("INSERT") and '"checkout_quote"' in s]) == 1
    assert not [s for s in sql if s.startswith(("SAVEPOINT", "RELEASE"))]
    settings_reads = [
        s
        for s in sql
        if s.startswith("SELECT")
        and any(t in s for t in ("portaldefaults", "methodconfig", "bankdetails"))
    ]
    assert len(settings_reads) == 1
    assert all(t in settings_reads[0] for t in ("portaldefaults", "methodconfig", "bankdetails"))
    quote = Quote.objects.get(idempotency_key__startswith="api-")
    assert quote.payment == Payment.objects.get()
    assert IdempotencyRecord.objects.filter(key="lean", status_code=201).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_voucher_is_one_transaction_without_savepoints(portal_user):
    """As served: neither the redemption nor the ledger takes a savepoint inside the request's
    transaction, and the credit commits with the record."""
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="7", actor=None)
    api = ApiClient(key_for(portal_user))
    body = {"method": "voucher", "code": code, "currency": "USD"}
    with CaptureQueriesContext(connection) as queries:
        answer = api.post("/api/v1/payments", body, **{"Idempotency-Key": "lean-voucher"})
    assert answer.status_code == 201, answer.content
    sql = [q["sql"] for q in queries.captured_queries]
    assert [s for s in sql if s.startswith("COMMIT")] == ["COMMIT"]
    assert not [s for s in sql if s.startswith(("SAVEPOINT", "RELEASE"))]
    assert Payment.objects.get().total == Decimal("7")
    assert IdempotencyRecord.objects.filter(key="lean-voucher", status_code=201).count() == 1


@pytest.mark.django_db
def test_the_guess_that_reaches_the_voucher_limit_is_audited_in_the_requests_transaction(
    api, settings, any_cache
):
    """A refused code writes nothing, so the request's one transaction stays usable: the
    failure limit's audit entry commits with the recorded refusal; a code of a batch in another
    currency is refused the same way and stays available."""
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 2
    _batch, [euro] = voucher_batch_issue(count=1, currency="EUR", addition="5", actor=None)
    guesses = [{"method": "voucher", "code": euro, "currency": "USD"}, {**GUESS}]
    answers = [
        api.post("/api/v1/payments", body, **{"Idempotency-Key": f"guess-{n}"})
        for n, body in enumerate(guesses)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert AuditEntry.objects.filter(action="voucher.failure_limit").count() == 1
    assert IdempotencyRecord.objects.filter(key__startswith="guess-", status_code=422).count() == 2
    assert Voucher.objects.get().status == VoucherStatus.AVAILABLE


@pytest.mark.django_db
def test_a_request_left_in_flight_by_a_dead_process_is_taken_over(api, portal_user, settings):
    """A server killed mid-request leaves its in-flight row: after IN_FLIGHT_ABANDONED the
    retry runs (and the checkout's own key still makes one payment), before it the key is 409.
    A voucher takes the in-flight path when the rate-limit counters are a database table."""
    settings.CACHES = {
        "default": {"BACKEND": "paydesk.web.cache.DatabaseCache", "LOCATION": "paydesk_cache"}
    }
    call_command("createcachetable", verbosity=0)
    voucher_body = {"method": "voucher", "code": "NO-SUCH-CODE", "currency": "USD"}
    first = api.post("/api/v1/payments", voucher_body, **{"Idempotency-Key": "warm-up"})
    record = IdempotencyRecord.objects.get(key="warm-up")
    IdempotencyRecord.objects.create(
        caller=record.caller, key="dead", fingerprint=record.fingerprint
    )
    assert (
        api.post("/api/v1/payments", voucher_body, **{"Idempotency-Key": "dead"}).status_code == 409
    )
    IdempotencyRecord.objects.filter(key="dead").update(
        created_at=timezone.now() - IN_FLIGHT_ABANDONED - timedelta(seconds=1)
    )
    retry = api.post("/api/v1/payments", voucher_body, **{"Idempotency-Key": "dead"})
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert IdempotencyRecord.objects.get(key="dead").completed_at is not None


def _writes_then_busy(request):
    """A one-transaction request that wrote something, then answers "nothing done, retry"."""
    CustomerFactory(name="Written then undone")
    return response_for_error(GatewayRateLimited("Busy: try again in a minute."))


@pytest.mark.django_db(transaction=True)
def test_a_503_in_one_transaction_keeps_neither_its_writes_nor_a_record(portal_user):
    """Never half a change: what the request wrote is rolled back with it, and the key is free
    for the same request to run again (nothing replayed)."""
    view = idempotent_storing(None, one_transaction=lambda request: True)(_writes_then_busy)
    request = RequestFactory().post(
        "/api/v1/payments", b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy"
    )
    request.auth = Caller(user=portal_user, api_key=None, scopes=frozenset({"pay"}))
    for _ in range(2):
        answer = view(request)
        assert (answer.status_code, answer["Retry-After"]) == (503, "60")
        assert "Idempotent-Replayed" not in answer
    assert not Customer.objects.filter(name="Written then undone").exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.fixture(params=["memory", "redis", "database"])
def voucher_counters(request, settings):
    """The voucher failure counters in each cache a deployment may have: memory and Redis (the
    request is one transaction with its record), a database table (the in-flight row)."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_cache")
        return
    if request.param == "database":
        settings.CACHES = {
            "default": {"BACKEND": "paydesk.web.cache.DatabaseCache", "LOCATION": "paydesk_cache"}
        }
        call_command("createcachetable", verbosity=0)
    yield caches["default"]


def _voucher_window_ends(cache, user) -> None:
    """What the end of PAYDESK_VOUCHER_FAILURE_WINDOW does: the failure counters expire."""
    scopes = [f"user:{user.pk}", f"customer:{user.customer_id}", "ip:127.0.0.1"]
    counters = [f"paydesk:voucher-failures:{scope}" for scope in scopes]
    assert all(cache.get(counter) for counter in counters)
    cache.delete_many(counters)


@pytest.mark.django_db
def test_the_voucher_limit_s_429_is_kept_under_no_key_so_the_same_key_redeems_after_the_window(
    api, portal_user, settings, voucher_counters
):
    """A 429 says "try later", not "no": replayed for 24 hours it would refuse a good code long
    after the window. Nothing is kept under the key, and after the window the same key redeems
    (once, replayed from then on)."""
    settings.PAYDESK_VOUCHER_FAILURE_LIMIT = 2
    settings.PAYDESK_VOUCHER_FAILURE_WINDOW = 900
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="7", actor=None)
    for n in range(2):
        guess = api.post("/api/v1/payments", GUESS, **{"Idempotency-Key": f"guess-{n}"})
        assert guess.status_code == 422, guess.content
    body, key = {"method": "voucher", "code": code, "currency": "USD"}, {"Idempotency-Key": "v-1"}
    for _ in range(2):  # sent again within the window: refused again, not replayed
        limited = api.post("/api/v1/payments", body, **key)
        assert (limited.status_code, limited["Retry-After"]) == (429, "900"), limited.content
        assert limited.json()["error"]["code"] == "rate_limited"
        assert "Idempotent-Replayed" not in limited
        assert not IdempotencyRecord.objects.filter(key="v-1").exists()
    assert Voucher.objects.get().status == VoucherStatus.AVAILABLE

    _voucher_window_ends(voucher_counters, portal_user)
    redeemed = api.post("/api/v1/payments", body, **key)
    assert redeemed.status_code == 201, redeemed.content
    assert "Idempotent-Replayed" not in redeemed and redeemed.json()["outcome"] == "completed"
    replayed = api.post("/api/v1/payments", body, **key)
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed.content == redeemed.content
    portal_user.customer.refresh_from_db()
    assert portal_user.customer.balance == Decimal("7")
    assert Voucher.objects.get().status == VoucherStatus.USED


@pytest.mark.django_db
def test_the_api_rate_limit_s_429_records_nothing_under_the_key(api, settings, any_cache):
    """The per-key rate limit refuses before the view runs: the same key, once the caller may
    send again, makes the payment."""
    settings.PAYDESK_API_RATE = "1/m"
    assert api.get("/api/v1/balance").status_code == 200
    limited = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "rated"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"
    assert not IdempotencyRecord.objects.exists()
    settings.PAYDESK_API_RATE = "600/m"
    paid = api.post("/api/v1/payments", BODY, **{"Idempotency-Key": "rated"})
    assert paid.status_code == 201 and "Idempotent-Replayed" not in paid, paid.content
    assert Payment.objects.count() == 1
