"""axe-core on the outgoing-webhook pages an Administrator uses (endpoints, an endpoint with its
delivery log, adding one, the deliveries, one delivery) and on the demo's receiver page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from paydesk.accounts.models import Customer, User
from paydesk.ledger.services import payment_create
from paydesk.outhooks.delivery import events_dispatch
from paydesk.outhooks.models import Attempt, Delivery
from paydesk.outhooks.services import endpoint_create
from tests.axe import assert_accessible
from tests.backoffice.browser import hidden_columns, open_page, staff_page, wrapped_cells

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_webhook_pages_have_no_blocking_violation(live_server, chromium, demo, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    admin = User.objects.get(email="admin@example.com")
    made = endpoint_create(url="https://billing.example.com/hooks", actor=admin, ordered=True)
    payment_create(customer=Customer.objects.order_by("pk").first(), total="10", description="T")
    events_dispatch()
    delivery = Delivery.objects.order_by("event_id").first()
    Attempt.objects.create(
        delivery=delivery, endpoint=made.endpoint, status_code=503, latency_ms=87,
        response_excerpt="Service unavailable",
    )  # fmt: skip
    page = staff_page(chromium, live_server, "admin@example.com")
    for name, path in [
        ("endpoints", "/backoffice/outhooks/endpoint/"),
        ("endpoint", f"/backoffice/outhooks/endpoint/{made.endpoint.pk}/change/"),
        ("endpoint-add", "/backoffice/outhooks/endpoint/add/"),
        ("deliveries", "/backoffice/outhooks/delivery/"),
        ("delivery", f"/backoffice/outhooks/delivery/{delivery.pk}/change/"),
        ("receiver", "/sandbox/receiver/"),
    ]:
        open_page(page, path, f"a11y-admin-webhooks-{name}")
        page.wait_for_load_state("load")
        assert_accessible(page, f"{name} ({path})")
    # At a phone's width the payload scrolls sideways inside its box: a keyboard reaches it.
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, f"/backoffice/outhooks/delivery/{delivery.pk}/change/", "phone-delivery")
    assert_accessible(page, "delivery at 390 px")


def test_the_endpoint_form_shows_a_whole_url_and_each_event_type_on_one_line(
    live_server, chromium, demo
):
    """The URL box cut a demo URL short, and the event types wrapped inside a label's 160 px."""
    url = "https://billing.example.com/paydesk/hooks/receiver"
    admin = User.objects.get(email="admin@example.com")
    made = endpoint_create(url=url, actor=admin)
    page = staff_page(chromium, live_server, "admin@example.com")
    open_page(page, f"/backoffice/outhooks/endpoint/{made.endpoint.pk}/change/")
    box = page.locator("#id_url")
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth"), "the URL does not fit its box"
    heights = page.locator("#id_event_types label").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().height)"
    )
    line = page.locator("#id_event_types label").first.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || 20"
    )
    assert heights and max(heights) < 1.8 * line, f"an event type wraps: {heights}"


def test_the_deliveries_list_shows_every_column_at_1280(live_server, chromium, demo):
    """At 1280 px the list's long dates ("Dec. 4, 2026, 10:38 p.m.") pushed Delivered at out
    of its box: the dates are one short line, as in the other lists."""
    admin = User.objects.get(email="admin@example.com")
    endpoint_create(url="https://billing.example.com/paydesk/hooks", actor=admin)
    payment_create(customer=Customer.objects.order_by("pk").first(), total="10", description="T")
    events_dispatch()
    Delivery.objects.update(status="delivered", delivered_at=timezone.now(), attempts=1)
    page = staff_page(chromium, live_server, "admin@example.com")
    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, "/backoffice/outhooks/delivery/", "desk-deliveries-1280")
    columns = ["Event", "Type", "Payment", "Endpoint", "Status", "Attempts made", "Next attempt at",
               "Delivered at"]  # fmt: skip
    assert hidden_columns(page, columns) == []
    assert wrapped_cells(page, "delivered_display") == []
    assert wrapped_cells(page, "event_payment") == []  # a reference is one piece
    # …with room to spare: in CI a longer event id (evt_123456) or a wider random reference
    # made this table, then 12 px from its narrowest fit, scroll sideways (every column
    # hidden). Its headers may now wrap between words; at least 80 px are left over.
    spare = page.evaluate(
        """() => { const box = document.querySelector('#changelist .results');
            const table = document.querySelector('#result_list');
            table.style.width = 'min-content';
            const spare = box.clientWidth - table.getBoundingClientRect().width;
            table.style.width = ''; return spare; }"""
    )
    assert spare >= 80, spare
