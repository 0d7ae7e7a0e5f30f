"""The purge beside a replay or a resend of the same old event, on PostgreSQL with real
connections (one per thread): whichever takes the event's lock first, the other waits for it,
and neither meets a foreign-key error. A replay in batches holds no lock on a batch it committed,
and one stopped halfway runs again safely. The interleaving is forced with row locks held by the
test's own connection, and each step waits until PostgreSQL reports the other backend blocked
(pg_blocking_pids) — no sleeps standing in for an order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Attempt, Delivery, Endpoint, Event
from paydesk.outhooks.purge import events_purge
from paydesk.outhooks.services import (
    Resent,
    deliveries_resend,
    endpoint_create,
    events_replay,
)
from tests.factories import StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BLOCKED_WITHIN = 30  # seconds: a bound for a wait that ends as soon as the backend blocks


class Step(threading.Thread):
    """Runs `work` on its own connection; `pid` is its backend's once it started."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None
        self.pid: int | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.ready.set()
            self.result = self.work()
        except Exception as exc:  # reported by the test, in the main thread
            self.error = exc
        finally:
            self.ready.set()
            connection.close()

    def start_blocked(self) -> Step:
        """Start, and return once PostgreSQL has it waiting for another backend's lock."""
        self.start()
        assert self.ready.wait(BLOCKED_WITHIN)
        deadline = time.monotonic() + BLOCKED_WITHIN
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [self.pid])
                if cursor.fetchone()[0]:
                    return self
                assert self.is_alive(), f"finished without waiting: {self.error or self.result}"
                assert time.monotonic() < deadline, "never waited for the other's lock"
                time.sleep(0.005)

    def outcome(self) -> Any:
        self.join(BLOCKED_WITHIN)
        assert not self.is_alive()
        if self.error:
            raise self.error
        return self.result


@pytest.fixture
def old_event(customer):
    """A top-up's two events, delivered to endpoint A 40 days ago (purgeable), and an endpoint
    B added since (a replay gives it new deliveries of them: the foreign-key case)."""
    admin = StaffFactory(staff_role="admin")
    first = endpoint_create(url="https://a.example.invalid/h", actor=admin).endpoint
    payment_create(customer=customer, total="5.00", description="Top-up")
    events_dispatch()
    long_ago = Event.objects.order_by("pk").first().created_at
    for delivery in Delivery.objects.all():
        Attempt.objects.create(delivery=delivery, endpoint=first, status_code=200, ok=True)
    Delivery.objects.update(status="delivered", delivered_at=long_ago, attempts=1)
    second = endpoint_create(url="https://b.example.invalid/h", actor=admin).endpoint
    return {"admin": admin, "second": second, "purge_at": long_ago + timedelta(days=40)}


def _replay(old_event):
    return lambda: events_replay(endpoint=old_event["second"], after=0, actor=old_event["admin"])


def _resend(old_event):
    ids = list(Delivery.objects.values_list("pk", flat=True))
    return lambda: deliveries_resend(delivery_ids=ids, actor=old_event["admin"])


@pytest.mark.parametrize(
    ("action", "nothing"),
    [(_replay, 0), (_resend, Resent(resent=0, purged=2))],
    ids=["replay", "resend"],
)
def test_purge_first_then_the_action_finds_the_events_gone(old_event, action, nothing):
    purge = Step(lambda: events_purge(now=old_event["purge_at"]))
    second = Step(action(old_event))
    with transaction.atomic():
        # Hold the attempt rows: the purge stops at their DELETE, with the events and their
        # deliveries locked by then.
        list(Attempt.objects.select_for_update().values("pk"))
        purge.start_blocked()
        second.start_blocked()  # waits for the purge's locks
    assert purge.outcome() == 2
    # Nothing left to replay or resend, and no error (the resend says both were purged).
    assert second.outcome() == nothing
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_replay_first_then_the_purge_keeps_the_replayed_events(old_event):
    replay = Step(_replay(old_event))
    purge = Step(lambda: events_purge(now=old_event["purge_at"]))
    with transaction.atomic():
        # Hold endpoint B's row: the replay's new deliveries check their foreign key to it
        # (FOR KEY SHARE), so the replay waits there, its events locked and deliveries written.
        list(Endpoint.objects.select_for_update().filter(pk=old_event["second"].pk))
        replay.start_blocked()
        purge.start_blocked()  # found the events purgeable, then waits for their lock
    assert replay.outcome() == 2
    assert purge.outcome() == 0  # it checked again under lock: B's deliveries are pending
    assert Event.objects.count() == 2
    assert set(
        Delivery.objects.filter(endpoint=old_event["second"]).values_list("status", flat=True)
    ) == {"pending"}


def _events() -> list[int]:
    return list(Event.objects.order_by("pk").values_list("pk", flat=True))


def _replayed(old_event) -> list[int]:
    rows = Delivery.objects.filter(endpoint=old_event["second"], status="pending")
    return list(rows.order_by("event_id").values_list("event_id", flat=True))


def _lock_at_once(pk: int) -> list[int]:
    """The purge's lock on an event (FOR UPDATE), NOWAIT: an error at once if anyone holds it."""
    with transaction.atomic():
        rows = Event.objects.select_for_update(nowait=True).filter(pk=pk)
        return list(rows.values_list("pk", flat=True))


def test_a_replay_holds_no_lock_on_a_batch_it_committed(old_event):
    first, second = _events()
    replay = Step(
        lambda: events_replay(
            endpoint=old_event["second"], after=0, actor=old_event["admin"], batch=1
        )
    )
    with transaction.atomic():
        # Hold the second event: the replay's second batch waits for it.
        list(Event.objects.select_for_update().filter(pk=second).values("pk"))
        replay.start_blocked()
        assert _replayed(old_event) == [first]  # its first batch committed
        purge_lock = Step(lambda: _lock_at_once(first))
        purge_lock.start()
        assert purge_lock.outcome() == [first]  # not held: one transaction would still hold it
    assert replay.outcome() == 2
    assert _replayed(old_event) == [first, second]
    assert AuditEntry.objects.filter(action="webhook.replay").count() == 1


def test_a_replay_stopped_halfway_leaves_its_first_batch_and_runs_again(old_event):
    first, second = _events()

    def stopped_at_its_second_batch() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '50ms'")  # ends as soon as it waits that long
        return events_replay(
            endpoint=old_event["second"], after=0, actor=old_event["admin"], batch=1
        )

    replay = Step(stopped_at_its_second_batch)
    with transaction.atomic():
        list(Event.objects.select_for_update().filter(pk=second).values("pk"))
        replay.start()
        with pytest.raises(OperationalError, match="lock timeout"):
            replay.outcome()
    # What it leaves: the first batch due, the rest untouched, no audit entry (not finished).
    assert _replayed(old_event) == [first]
    assert not AuditEntry.objects.filter(action="webhook.replay").exists()
    Delivery.objects.filter(endpoint=old_event["second"]).update(status="delivered")
    written = Delivery.objects.count()
    assert _replay(old_event)() == 2
    assert Delivery.objects.count() == written + 1  # the second event's only: none twice
    assert _replayed(old_event) == [first, second]
    assert AuditEntry.objects.get(action="webhook.replay").after == {"after": 0, "due": 2}
