"""The staff CSV of payments across customers (spec §8): the portal's columns, plus the
customer and the private staff comment, then the relation and original reference columns.
Never hand this to a customer.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from paydesk.exports import (
    CsvColumn,
    csv_response,
    payment_csv_columns,
    payment_link_columns,
)


def staff_payments_csv(queryset: QuerySet) -> StreamingHttpResponse:
    """Stream `queryset` (payments of any customers, already filtered), newest first."""
    columns = payment_csv_columns(
        time_zone=timezone.get_current_timezone(), with_customer=True, methods_as_entered=True
    )
    columns.append(CsvColumn(_("Staff comment"), ("staff_comment",)))
    columns += payment_link_columns()
    return csv_response(
        queryset=queryset,
        columns=columns,
        order_field="occurred_at",
        descending=True,
        filename=f"payments-all-{timezone.localdate():%Y-%m-%d}.csv",
    )
