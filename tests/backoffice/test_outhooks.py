"""Outgoing webhooks in the back office: an Administrator adds an endpoint and sees its secret
once (never on its page again), reads the delivery log, resends a delivery, resumes a paused
endpoint; Finance and Support do not see them; a plain-http URL is refused with a message."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from paydesk.outhooks.crypto import secret_decrypt
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/backoffice/outhooks/endpoint/"
DELIVERIES = "/backoffice/outhooks/delivery/"


def test_admin_adds_an_endpoint_and_sees_the_secret_once(administrator, settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_HTTP = False
    form = {"url": "https://billing.example.com/paydesk", "description": "Billing",
            "event_types": ["payment.completed", "balance.changed"], "active": "on"}  # fmt: skip
    answer = administrator.post(ENDPOINTS + "add/", form, follow=True)
    assert answer.status_code == 200
    endpoint = Endpoint.objects.get()
    secret = secret_decrypt(endpoint.secret_encrypted)
    assert secret.encode() in answer.content and b"shown only this once" in answer.content
    assert endpoint.event_types == ["payment.completed", "balance.changed"]
    page = administrator.get(f"{ENDPOINTS}{endpoint.pk}/change/")
    assert secret.encode() not in page.content and f"…{secret[-4:]}".encode() in page.content
    assert AuditEntry.objects.filter(action="webhook.endpoint_create").count() == 1
    refused = administrator.post(
        ENDPOINTS + "add/", {**form, "url": "http://billing.example.com/x"}, follow=True
    )
    assert b"starting with https://" in refused.content and b"errorlist" in refused.content
    assert Endpoint.objects.count() == 1


def test_an_internal_address_is_refused_with_a_field_message(administrator, settings):
    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = False
    form = {"url": "https://10.0.0.5/paydesk", "event_types": [], "active": "on"}
    refused = administrator.post(ENDPOINTS + "add/", form, follow=True)
    assert b"errorlist" in refused.content
    assert b"internal address: 10.0.0.5 is a private address" in refused.content
    assert not Endpoint.objects.exists()


def test_finance_and_support_do_not_see_webhooks(finance, support):
    for client in (finance, support):
        assert client.get(ENDPOINTS).status_code == 403
        assert client.get(DELIVERIES).status_code == 403


def test_delivery_log_resend_and_resume(administrator, admin_user, customer):
    from paydesk.outhooks.services import endpoint_create

    made = endpoint_create(url="https://billing.example.com/h", actor=admin_user)
    payment_create(customer=customer, total="9.99", description="Top-up")
    events_dispatch()
    delivery = Delivery.objects.order_by("event_id").first()
    Attempt.objects.create(
        delivery=delivery,
        endpoint=made.endpoint,
        status_code=502,
        latency_ms=1234,
        response_excerpt="Bad gateway at the receiver",
    )
    page = administrator.get(f"{ENDPOINTS}{made.endpoint.pk}/change/")
    assert b"Bad gateway at the receiver" in page.content and b"1234 ms" in page.content
    detail = administrator.get(f"{DELIVERIES}{delivery.pk}/change/")
    assert b"payment.completed" in detail.content and b"9.99" in detail.content
    # The count and the log have a label each (both read "Attempts:" before).
    labels = re.findall(r"<label>([^<]*)</label>", detail.content.decode())
    assert "Attempts made:" in labels and "Attempt log:" in labels
    assert "Attempts:" not in labels
    Delivery.objects.update(status="failed")
    administrator.post(DELIVERIES, {"action": "resend", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    Endpoint.objects.update(paused_at=timezone.now(), pause_reason="down")
    administrator.post(ENDPOINTS, {"action": "resume", "_selected_action": [made.endpoint.pk]})
    made.endpoint.refresh_from_db()
    assert made.endpoint.paused_at is None


def test_resending_a_purged_delivery_says_so(administrator, admin_user, customer):
    from paydesk.outhooks.services import endpoint_create

    endpoint_create(url="https://billing.example.com/h", actor=admin_user)
    payment_create(customer=customer, total="9.99", description="Top-up")
    events_dispatch()
    kept, *purged = Delivery.objects.order_by("pk")
    ticked = [kept.pk, *(delivery.pk for delivery in purged)]
    # Purged after the list was shown: its rows are gone when the staff member presses Resend.
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in purged]).delete()
    answer = administrator.post(
        DELIVERIES, {"action": "resend", "_selected_action": ticked}, follow=True
    )
    assert b"1 delivery will be sent again" in answer.content
    assert (
        f"{len(purged)} deliver".encode() in answer.content
        and b"purged after" in answer.content
        and b"cannot be resent" in answer.content
    )
    gone = administrator.post(
        DELIVERIES, {"action": "resend", "_selected_action": [purged[0].pk]}, follow=True
    )
    assert b"1 delivery was purged after its retention period and cannot be resent." in (
        gone.content
    )
    assert b"will be sent again" not in gone.content


def test_deliveries_show_short_dates_and_no_next_attempt_once_done(
    administrator, admin_user, customer
):
    from datetime import UTC, datetime

    from paydesk.outhooks.services import endpoint_create

    endpoint_create(url="https://billing.example.com/h", actor=admin_user)
    payment_create(customer=customer, total="9.99", description="Top-up")
    events_dispatch()
    done, waiting = Delivery.objects.order_by("pk")
    at = timezone.localtime(datetime(2026, 12, 4, 22, 38, tzinfo=UTC))
    later = timezone.localtime(datetime(2026, 12, 4, 22, 45, tzinfo=UTC))
    Delivery.objects.filter(pk=done.pk).update(
        status="delivered", delivered_at=at, next_attempt_at=later
    )
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=later)
    html = administrator.get(DELIVERIES).content.decode()
    rows = {
        row.split('class="field-event_label"')[1].split("evt_")[1].split("<")[0]: row
        for row in html.split("<tr")[1:]
        if 'class="field-event_label"' in row
    }
    assert (
        f'<td class="field-delivered_display">{at:%Y-%m-%d %H:%M}</td>' in rows[str(done.event_id)]
    )
    assert 'class="field-next_attempt_display">—</td>' in rows[str(done.event_id)]
    # Which payment each event tells of, linked to its page.
    payment = done.event.payment
    link = f'<a href="/backoffice/ledger/payment/{payment.pk}/change/">{payment.reference}</a>'
    assert f'<td class="field-event_payment">{link}</td>' in rows[str(done.event_id)]
    assert f'field-next_attempt_display">{later:%Y-%m-%d %H:%M}</td>' in rows[str(waiting.event_id)]
    # The delivery's own page says the same: no next attempt once it is done; its payment.
    assert link in administrator.get(f"{DELIVERIES}{done.pk}/change/").content.decode()
    for delivery, shown in ((done, "—"), (waiting, f"{later:%Y-%m-%d %H:%M}")):
        page = administrator.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
        field = page.split("field-next_attempt_display")[1].split('<div class="readonly">')[1]
        assert field.split("</div>")[0] == shown
        # Every time on the page in the list's one short form.
        give_up = page.split("field-give_up_display")[1].split('<div class="readonly">')[1]
        assert (
            give_up.split("</div>")[0]
            == f"{timezone.localtime(delivery.give_up_at):%Y-%m-%d %H:%M}"
        )
        assert "a.m." not in page and "p.m." not in page


def test_the_demo_deliveries_list_shows_its_history(administrator, settings):
    """`make run`'s endpoint comes with deliveries (paydesk.demo.webhooks): the list is not
    empty, and each state the worker leaves is there."""
    from datetime import UTC, datetime

    from paydesk.demo.seed import seed_demo, seed_demo_webhook

    settings.PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    seed_demo(now=now)
    seed_demo_webhook(base_url="http://127.0.0.1:8000", now=now)
    for state, label in (("delivered", b"Delivered"), ("pending", b"Pending"),
                         ("failed", b"Given up")):  # fmt: skip
        page = administrator.get(DELIVERIES, {"status__exact": state})
        assert page.status_code == 200
        shown = Delivery.objects.filter(status=state)
        assert shown.exists() and label in page.content
        assert f"evt_{shown.first().event_id}".encode() in page.content
