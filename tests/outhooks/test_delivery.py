"""Delivery to a real receiver on 127.0.0.1 that verifies every signature with the documented
snippet: signed, retried through 500s, timeouts and downtime until delivered, none lost, in order
where asked; given up after the retry period; a failing endpoint paused with an email."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from paydesk.ledger.services import payment_create
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import email_content
from paydesk.outhooks.delivery import deliveries_send_due
from paydesk.outhooks.models import Attempt, Delivery, Endpoint
from paydesk.outhooks.services import (
    Resent,
    deliveries_resend,
    endpoint_create,
    events_replay,
)
from tests.factories import StaffFactory
from tests.outhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

LATER = timedelta(days=1)


@pytest.fixture
def admin(db):
    return StaffFactory(staff_role="admin", email="root@example.com")


@pytest.fixture
def hook(admin):
    """An endpoint and a receiver that knows its secret."""
    made = endpoint_create(url="http://127.0.0.1:1/placeholder", actor=admin)
    receiver = Receiver(made.secret).start()
    Endpoint.objects.filter(pk=made.endpoint.pk).update(url=receiver.url)
    yield made.endpoint, receiver
    receiver.stop()


def top_up(customer, amount="10.00"):
    return payment_create(customer=customer, total=amount, description="Top-up")


def test_signed_with_the_documented_scheme_and_verified(hook, customer):
    endpoint, receiver = hook
    payment = top_up(customer, "25.00")
    assert deliveries_send_due() == 2
    assert receiver.bad_signatures == 0
    assert [receiver.events[i]["type"] for i in receiver.order] == [
        "payment.completed",
        "balance.changed",
    ]
    first = receiver.events[receiver.order[0]]
    assert first["data"]["reference"] == payment.reference
    assert first["data"]["total"] == {"amount": "25.00", "currency": "USD"}
    headers = receiver.requests[0]["headers"]
    assert headers["Paydesk-Event-Id"] == first["id"]
    assert headers["Paydesk-Event-Type"] == "payment.completed"
    log = Attempt.objects.filter(endpoint=endpoint).first()
    assert log.ok and log.status_code == 200 and log.response_excerpt == "thanks"


def test_a_wrong_secret_fails_verification_and_is_retried(hook, customer):
    endpoint, receiver = hook
    receiver.secret = "whsec_not-the-right-one"
    top_up(customer)
    assert deliveries_send_due() == 0
    assert receiver.bad_signatures == 2 and not receiver.events
    assert set(Attempt.objects.values_list("status_code", flat=True)) == {400}
    assert Delivery.objects.filter(status="pending").count() == 2


def test_500_then_timeout_then_down_then_back_none_lost_in_order(hook, customer, settings):
    settings.PAYDESK_OUTHOOKS_TIMEOUT = 0.5
    endpoint, receiver = hook
    Endpoint.objects.filter(pk=endpoint.pk).update(ordered=True)
    now = timezone.now()
    receiver.mode = "error"
    top_up(customer, "1.00")
    assert deliveries_send_due(now=now) == 0
    error = Attempt.objects.get()
    assert error.status_code == 500 and "maintenance" in error.response_excerpt
    receiver.mode = "hang"
    receiver.hang_seconds = 1.5
    now += LATER
    assert deliveries_send_due(now=now) == 0
    assert "Timeout" in Attempt.objects.first().error
    receiver.stop()  # down: connection refused
    top_up(customer, "2.00")
    top_up(customer, "3.00")
    now += LATER
    assert deliveries_send_due(now=now) == 0
    assert "ConnectError" in Attempt.objects.first().error
    # Ordered: only the customer's first event was tried while the receiver failed.
    assert set(Attempt.objects.values_list("delivery__event_id", flat=True)) == {
        Delivery.objects.order_by("event_id").first().event_id
    }
    back = Receiver(receiver.secret, port=receiver.port).start()
    try:
        now += LATER
        assert deliveries_send_due(now=now) == 6
        totals = [
            back.events[i]["data"]["total"]["amount"]
            for i in back.order
            if back.events[i]["type"] == "payment.completed"
        ]
        assert totals == ["1.00", "2.00", "3.00"]
        ids = [int(i.removeprefix("evt_")) for i in back.order]
        assert ids == sorted(ids) and len(ids) == 6
        assert back.bad_signatures == 0
        assert not Delivery.objects.exclude(status="delivered").exists()
    finally:
        back.stop()


def test_given_up_after_the_retry_period_then_resent(hook, customer, admin):
    endpoint, receiver = hook
    receiver.mode = "error"
    top_up(customer)
    deliveries_send_due()
    gave_up = timezone.now() + timedelta(days=3, minutes=1)
    deliveries_send_due(now=gave_up)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    # When: the purge keeps a given-up delivery for PAYDESK_OUTHOOKS_KEEP_DAYS from then.
    assert set(Delivery.objects.values_list("given_up_at", flat=True)) == {gave_up}
    receiver.mode = "ok"
    assert deliveries_resend(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)),
                             actor=admin) == Resent(resent=2, purged=0)  # fmt: skip
    assert set(Delivery.objects.values_list("given_up_at", flat=True)) == {None}
    assert deliveries_send_due() == 2
    assert len(receiver.events) == 2


def test_paused_after_a_day_of_failures_with_an_email_to_administrators(
    hook, customer, admin, caplog
):
    StaffFactory(staff_role="finance", email="money@example.com")
    endpoint, receiver = hook
    # A receiver's token in the URL (found in review: logs and the email named it whole).
    Endpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url + "?token=s3cret-token")
    receiver.mode = "error"
    top_up(customer)
    now = timezone.now()
    for hours in range(0, 30, 4):
        deliveries_send_due(now=now + timedelta(hours=hours))
    endpoint.refresh_from_db()
    assert endpoint.paused_at is not None and "HTTP 500" in endpoint.pause_reason
    mail = OutboundEmail.objects.get(kind="webhook_paused")
    subject, text, html = email_content(mail)
    shown = receiver.url.split("/", 3)[:3]  # http://127.0.0.1:<port>
    assert mail.to == "root@example.com" and "/".join(shown) + "/…" in text
    assert not any("s3cret-token" in part for part in (subject, text, html, caplog.text))
    assert "paused" in caplog.text and "/".join(shown) in caplog.text
    tried = Attempt.objects.count()
    assert deliveries_send_due(now=now + timedelta(days=2)) == 0
    assert Attempt.objects.count() == tried  # a paused endpoint is not tried


def test_replay_since_an_id(hook, customer, admin):
    endpoint, receiver = hook
    top_up(customer, "1.00")
    top_up(customer, "2.00")
    deliveries_send_due()
    seen = list(receiver.order)
    assert len(seen) == 4
    receiver.events.clear()
    receiver.order.clear()
    after = int(seen[1].removeprefix("evt_"))  # the receiver had processed up to its 2nd
    assert events_replay(endpoint=endpoint, after=after, actor=admin) == 2
    assert deliveries_send_due() == 2
    assert receiver.order == seen[2:]
    assert json.loads(receiver.requests[-1]["body"])["id"] == seen[3]


def test_an_endpoint_gets_only_the_types_it_wants_and_nothing_before_it_existed(admin, customer):
    top_up(customer)  # before the endpoint
    made = endpoint_create(url="http://127.0.0.1:1/x", actor=admin, event_types=["balance.changed"])
    receiver = Receiver(made.secret).start()
    try:
        Endpoint.objects.filter(pk=made.endpoint.pk).update(url=receiver.url)
        top_up(customer)
        assert deliveries_send_due() == 1
        assert [receiver.events[i]["type"] for i in receiver.order] == ["balance.changed"]
    finally:
        receiver.stop()


def test_an_unreadable_secret_is_a_logged_failure_not_a_crash(hook, customer, settings):
    endpoint, receiver = hook
    settings.PAYDESK_SECRETS_KEYS = ("A" * 43 + "=",)  # not the key it was stored with
    top_up(customer)
    assert deliveries_send_due() == 0
    assert not receiver.requests
    assert "roll the secret" in Attempt.objects.first().error
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_receiver_answering_an_endless_body_does_not_hold_the_worker(admin, customer):
    """A 2xx whose body goes on and on (64 MB here): the delivery counts, the log keeps the
    first 500 characters, and the worker reads no further than that — it stops reading, so the
    receiver cannot write the rest (a whole read would have taken it all into memory)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    total = 64 * 1024 * 1024
    written = []

    class Endless(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", str(total))
            self.end_headers()
            chunk, sent = b"x" * 65536, 0
            try:
                while sent < total:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:  # the worker hung up
                pass
            written.append(sent)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        made = endpoint_create(url="http://127.0.0.1:1/placeholder", actor=admin)
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        Endpoint.objects.filter(pk=made.endpoint.pk).update(url=url)
        top_up(customer)
        assert deliveries_send_due() == 2
    finally:
        server.shutdown()
        server.server_close()
    log = Attempt.objects.filter(endpoint=made.endpoint).first()
    assert log.ok and log.status_code == 200 and log.response_excerpt == "x" * 500
    assert Delivery.objects.filter(endpoint=made.endpoint, status="delivered").count() == 2
    assert len(written) == 2 and max(written) < total // 4
