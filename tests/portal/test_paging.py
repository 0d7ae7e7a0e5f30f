"""Keyset paging: walking the pages forwards, backwards and from the end gives exactly the rows of
a plain ORDER BY, with ties on the date and on the total broken by id."""

from __future__ import annotations

import base64
import json

import pytest
from django.urls import reverse

from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import (
    PAYMENT_SORTS,
    PaymentFilters,
    cursor_decode,
    cursor_encode,
    payment_list_for_customer,
    payment_page,
)
from paydesk.ledger.services import payment_create
from tests.portal.conftest import at

pytestmark = pytest.mark.django_db
ROWS, SIZE = 137, 10
PLAIN_ORDER = {
    "-date": ("-occurred_at", "-id"),
    "date": ("occurred_at", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
}


@pytest.fixture
def many(customer):
    """137 payments, three to a minute (same timestamp), totals cycling 10, 5, -1, some pending."""
    totals = ["10", "5", "-1"]
    for n in range(ROWS):
        payment_create(
            customer=customer,
            total=totals[n % 3],
            description=f"Row {n}",
            status="pending" if n % 7 == 0 and totals[n % 3] != "-1" else "completed",
            at=at(n // 3),
        )
    return customer


def queryset(customer):
    return payment_list_for_customer(customer=customer, filters=PaymentFilters())


@pytest.mark.parametrize("token", list(PAYMENT_SORTS))
def test_next_pages_walk_the_plain_order_exactly(many, token):
    expected = list(queryset(many).order_by(*PLAIN_ORDER[token]).values_list("id", flat=True))
    sort = PAYMENT_SORTS[token]
    seen: list[int] = []
    page = payment_page(queryset=queryset(many), sort=sort, size=SIZE)
    assert not page.has_previous
    while True:
        seen.extend(p.pk for p in page.rows)
        if not page.has_next:
            break
        assert len(page.rows) == SIZE
        page = payment_page(queryset=queryset(many), sort=sort, after=page.next_cursor, size=SIZE)
        assert page.has_previous
    assert seen == expected


@pytest.mark.parametrize("token", list(PAYMENT_SORTS))
def test_last_then_previous_pages_walk_the_plain_order_backwards(many, token):
    expected = list(queryset(many).order_by(*PLAIN_ORDER[token]).values_list("id", flat=True))
    sort = PAYMENT_SORTS[token]
    page = payment_page(queryset=queryset(many), sort=sort, last=True, size=SIZE)
    assert [p.pk for p in page.rows] == expected[-SIZE:]
    assert not page.has_next and page.has_previous
    seen: list[int] = []
    while True:
        seen[:0] = [p.pk for p in page.rows]
        if not page.has_previous:
            break
        page = payment_page(
            queryset=queryset(many), sort=sort, before=page.previous_cursor, size=SIZE
        )
        assert page.has_next
    assert seen == expected


def test_previous_from_a_middle_page_returns_the_page_before(many):
    sort = PAYMENT_SORTS["-total"]
    first = payment_page(queryset=queryset(many), sort=sort, size=SIZE)
    second = payment_page(queryset=queryset(many), sort=sort, after=first.next_cursor, size=SIZE)
    back = payment_page(
        queryset=queryset(many), sort=sort, before=second.previous_cursor, size=SIZE
    )
    assert [p.pk for p in back.rows] == [p.pk for p in first.rows]
    assert not back.has_previous and back.has_next


def test_the_page_walks_through_http_with_first_next_previous_last(portal_client, many, settings):
    settings.PAYDESK_PAGE_SIZE = 25
    url = reverse("portal:payments")
    expected = list(
        Payment.objects.filter(customer=many)
        .order_by("-occurred_at", "-id")
        .values_list("id", flat=True)
    )
    response = portal_client.get(url)
    ids = [int(x) for x in _ids(response)]
    assert ids == expected[:25]
    next_url = response.context["next_url"]
    response = portal_client.get(next_url)
    assert [int(x) for x in _ids(response)] == expected[25:50]
    previous = portal_client.get(response.context["previous_url"])
    assert [int(x) for x in _ids(previous)] == expected[:25]
    last = portal_client.get(response.context["last_url"])
    assert [int(x) for x in _ids(last)] == expected[-25:]
    assert last.context["next_url"] is False
    assert b"page=last" in portal_client.get(url).content


def test_the_pager_counts_pages(portal_client, many, settings):
    """Finding 12 of issue 13: the pager says which page of how many."""
    settings.PAYDESK_PAGE_SIZE = 25
    pages = -(-len(Payment.objects.filter(customer=many)) // 25)
    url = reverse("portal:payments")
    first = portal_client.get(url)
    assert f"Page 1 of {pages}" in first.content.decode()
    second = portal_client.get(first.context["next_url"])
    assert f"Page 2 of {pages}" in second.content.decode()
    back = portal_client.get(second.context["previous_url"])
    assert f"Page 1 of {pages}" in back.content.decode()
    last = portal_client.get(first.context["last_url"])
    assert f"Page {pages} of {pages}" in last.content.decode()
    before_last = portal_client.get(last.context["previous_url"])
    assert f"Page {pages - 1} of {pages}" in before_last.content.decode()


def _ids(response) -> list[str]:
    return [str(p.pk) for p in response.context["page"].rows]


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        _b64(["-date", "yesterday", 5]),
        _b64(["-date", "2026-03-01T00:00:00", 5]),
        _b64(["-total", "2026-03-01T00:00:00+00:00", 5]),
        _b64(["-date", "2026-03-01T00:00:00+00:00", -1]),
        _b64(["-date", "2026-03-01T00:00:00+00:00", 2**70]),
        _b64(["-date", "9999-12-31T23:59:59-05:00", 5]),
        _b64(["-date", "0001-01-01T00:00:00+05:00", 5]),
        _b64(["-total", "1e9", 5]),
        _b64(["-total", "99999999999999999", 5]),
        _b64(["-total", "0.00001", 5]),
        base64.urlsafe_b64encode(b"[" * 140).decode(),
        "A" * 5000,
    ],
)
def test_an_invalid_cursor_shows_the_first_page_never_an_error(portal_client, many, cursor):
    for param in ("after", "before"):
        response = portal_client.get(reverse("portal:payments"), {param: cursor})
        assert response.status_code == 200
        first = payment_page(queryset=queryset(many), size=50)
        assert _ids(response) == [str(p.pk) for p in first.rows]


def test_a_cursor_for_another_sort_is_not_used(many):
    cursor = cursor_encode(sort=PAYMENT_SORTS["-date"], value=at(3), pk=10)
    assert cursor_decode(sort=PAYMENT_SORTS["-total"], cursor=cursor) is None
    decoded = cursor_decode(sort=PAYMENT_SORTS["-date"], cursor=cursor)
    assert decoded == (at(3), 10)


def test_a_cursor_past_the_end_shows_the_last_page(many):
    sort = PAYMENT_SORTS["-date"]
    oldest = Payment.objects.filter(customer=many).order_by("occurred_at", "id").first()
    cursor = cursor_encode(sort=sort, value=oldest.occurred_at, pk=oldest.pk)
    page = payment_page(queryset=queryset(many), sort=sort, after=cursor, size=SIZE)
    last = payment_page(queryset=queryset(many), sort=sort, last=True, size=SIZE)
    assert [p.pk for p in page.rows] == [p.pk for p in last.rows]


def test_a_cursor_never_reaches_another_customers_rows(many, portal_client):
    from tests.factories import CustomerFactory

    other = CustomerFactory()
    theirs = payment_create(customer=other, total="99", description="Theirs", at=at(-5000))
    cursor = cursor_encode(sort=PAYMENT_SORTS["-date"], value=theirs.occurred_at, pk=theirs.pk)
    response = portal_client.get(reverse("portal:payments"), {"after": cursor})
    assert response.status_code == 200
    assert b"Theirs" not in response.content
