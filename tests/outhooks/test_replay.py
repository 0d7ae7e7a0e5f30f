"""Replay in batches (services.events_replay): small batches make the same deliveries, the same
count and the same one audit entry as one batch; a replay run again (as after one stopped
halfway) makes the deliveries due again and writes none twice; a replay inside the caller's
own transaction is refused. Beside the purge, on PostgreSQL: test_purge_concurrency.py."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Delivery, Event
from paydesk.outhooks.services import endpoint_create, events_replay
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return StaffFactory(staff_role="admin")


@pytest.fixture
def twins(admin, customer):
    """Two endpoints with the same history: five top-ups (ten events), the first eight
    delivered, the ninth given up, the tenth pending."""
    endpoints = [
        endpoint_create(url=f"https://{name}.example.invalid/h", actor=admin).endpoint
        for name in ("a", "b")
    ]
    for amount in range(1, 6):
        payment_create(customer=customer, total=f"{amount}.00", description="Top-up")
    events_dispatch()
    ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    Delivery.objects.filter(event_id__in=ids[:8]).update(
        status="delivered", delivered_at=Event.objects.get(pk=ids[0]).created_at, attempts=1
    )
    Delivery.objects.filter(event_id=ids[8]).update(
        status="failed", given_up_at=Event.objects.get(pk=ids[8]).created_at, attempts=9
    )
    return endpoints, ids


def _batch_reads(queries) -> int:
    """How many batches read their events (one SELECT … LIMIT on the events table each)."""
    table = Event._meta.db_table
    return sum(
        1
        for query in queries
        if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]
        and "LIMIT" in query["sql"]
    )  # fmt: skip


def _state(endpoint) -> list[tuple[int, str, object, object]]:
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .order_by("event_id")
        .values_list("event_id", "status", "delivered_at", "given_up_at")
    )


def test_small_batches_make_what_one_batch_makes(twins, admin):
    (small, whole), ids = twins
    after = ids[1]  # the receiver had the first top-up
    with CaptureQueriesContext(connection) as in_threes:
        assert events_replay(endpoint=small, after=after, actor=admin, batch=3) == 8
    with CaptureQueriesContext(connection) as at_once:
        assert events_replay(endpoint=whole, after=after, actor=admin) == 8
    assert _batch_reads(in_threes.captured_queries) == 3  # 3 + 3 + 2 events
    assert _batch_reads(at_once.captured_queries) == 1
    assert [row[1:] for row in _state(small)] == [row[1:] for row in _state(whole)]
    assert [row[0] for row in _state(small)] == ids
    # The first top-up stays delivered; everything after it, given up or not, is due again.
    assert [row[1] for row in _state(small)] == ["delivered"] * 2 + ["pending"] * 8
    entries = AuditEntry.objects.filter(action="webhook.replay").order_by("pk")
    assert [(e.object_id, e.after) for e in entries] == [
        (str(small.pk), {"after": after, "due": 8}),
        (str(whole.pk), {"after": after, "due": 8}),
    ]


def test_a_batch_that_ends_exactly_at_the_last_event(twins, admin):
    (endpoint, _other), ids = twins
    with CaptureQueriesContext(connection) as queries:
        assert events_replay(endpoint=endpoint, after=0, actor=admin, batch=5) == 10
    assert _batch_reads(queries.captured_queries) == 3  # 5 + 5, then an empty read ends it
    assert AuditEntry.objects.filter(action="webhook.replay").count() == 1


def test_an_endpoint_added_later_gets_new_deliveries_in_batches(twins, admin):
    _endpoints, ids = twins
    late = endpoint_create(
        url="https://late.example.invalid/h", actor=admin, event_types=["balance.changed"]
    ).endpoint
    assert events_replay(endpoint=late, after=0, actor=admin, batch=2) == 5
    assert [row[0] for row in _state(late)] == ids[1::2]  # every balance.changed, once
    assert {row[1] for row in _state(late)} == {"pending"}


def test_run_again_it_makes_due_again_and_writes_nothing_twice(twins, admin):
    """What a replay stopped halfway leaves is some batches done: running it again is safe."""
    (endpoint, _other), ids = twins
    late = endpoint_create(url="https://late.example.invalid/h", actor=admin).endpoint
    assert events_replay(endpoint=late, after=0, actor=admin, batch=3) == 10
    Delivery.objects.filter(endpoint=late, event_id__in=ids[:4]).update(status="delivered")
    written = Delivery.objects.count()
    assert events_replay(endpoint=late, after=0, actor=admin, batch=3) == 10
    assert Delivery.objects.count() == written
    assert {row[1] for row in _state(late)} == {"pending"}
    assert AuditEntry.objects.filter(action="webhook.replay").count() == 2


def test_refused_inside_the_callers_transaction(twins, admin):
    """Its batches are durable transactions: wrapped in one, they would be one again."""
    (endpoint, _other), _ids = twins
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        events_replay(endpoint=endpoint, after=0, actor=admin)
    assert not AuditEntry.objects.filter(action="webhook.replay").exists()


def test_deliveries_of_a_type_the_endpoint_no_longer_wants_are_not_sent_again(twins, admin):
    """Replay sends "every event after `after` it wants": an endpoint that dropped
    balance.changed got its old balance.changed deliveries made due again (and counted)."""
    from paydesk.outhooks.services import endpoint_update

    (endpoint, _other), ids = twins
    endpoint_update(endpoint=endpoint, actor=admin, event_types=["payment.completed"])
    assert events_replay(endpoint=endpoint, after=0, actor=admin, batch=2) == 5
    state = {row[0]: row[1] for row in _state(endpoint)}
    assert [state[i] for i in ids[0::2]] == ["pending"] * 5  # payment.completed: due again
    # balance.changed: left as they were (the last one was never delivered)
    assert [state[i] for i in ids[1::2]] == ["delivered"] * 4 + ["pending"]
