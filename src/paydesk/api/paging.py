"""Keyset paging of payments for the API: the same cursors as the Payments page, one answer
shape for the customer's list and the staff list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from paydesk.api.errors import ApiError
from paydesk.ledger.models import Payment
from paydesk.ledger.refund_reads import refunded_totals_set
from paydesk.ledger.selectors import PAYMENT_SORTS, payment_page


def payments_paged(
    *, queryset: QuerySet[Payment], query: Any, render: Callable[[Payment], dict[str, object]]
) -> dict[str, object]:
    """One page of `queryset` in `query.sort` order after/before `query`'s cursor, each row as
    `render` makes it; ApiError 400 for both cursors at once or a cursor of another sort."""
    if query.after and query.before:
        raise ApiError(400, "invalid_request", "Send `after` or `before`, not both.", "before")
    page = payment_page(
        queryset=queryset,
        sort=PAYMENT_SORTS[query.sort],
        after=query.after or "",
        before=query.before or "",
        size=query.limit,
    )
    if page.cursor_was_invalid:
        field = "after" if query.after else "before"
        raise ApiError(400, "invalid_cursor", "That cursor is not valid for this sort.", field)
    rows = list(page.rows)
    refunded_totals_set(rows)  # "refunded" of each top-up: one query for the page
    return {
        "data": [render(payment) for payment in rows],
        "has_next": page.has_next,
        "has_previous": page.has_previous,
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }
