"""Worker for P4's peer: django-import-export exporting the same rows as the portal's CSV.

A `ModelResource` over Payment with the portal's seven columns and the same formatting and
escaping (done per cell in `dehydrate_*`, like the floor: import-export's own
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT strips a leading "=" instead), exported the way its admin
export action does it: `resource.export(queryset)` → tablib Dataset → `CSV().export_data()` →
UTF-8 bytes. Settings: bench.peers.settings_importexport (Paydesk's, plus import_export).
The answer is rows per second and the process's memory growth (peak RSS − RSS before).
"""

from __future__ import annotations

import argparse
import resource
import time
import zoneinfo

import psutil

from bench.common import django_setup, emit, say
from bench.p4_floor import text


def build_resource(customer):  # noqa: ANN001, ANN201
    from django.conf import settings
    from import_export import fields, resources

    from paydesk.accounts.models import User
    from paydesk.ledger.models import Payment
    from paydesk.money import plain_amount

    user = User.objects.filter(customer=customer).first()
    tz = zoneinfo.ZoneInfo((user.time_zone if user else "") or settings.TIME_ZONE)
    currency = customer.currency

    class PaymentResource(resources.ModelResource):
        date_time = fields.Field(column_name="Date / Time")
        reference = fields.Field(column_name="Reference")
        total = fields.Field(column_name="Total")
        currency_code = fields.Field(column_name="Currency")
        status = fields.Field(column_name="Status")
        method = fields.Field(column_name="Method")
        description = fields.Field(column_name="Description")

        class Meta:
            model = Payment
            fields = (
                "date_time",
                "reference",
                "total",
                "currency_code",
                "status",
                "method",
                "description",
            )
            export_order = fields

        def dehydrate_date_time(self, p: Payment) -> str:
            return p.occurred_at.astimezone(tz).isoformat()

        def dehydrate_reference(self, p: Payment) -> str:
            return text(p.reference)

        def dehydrate_total(self, p: Payment) -> str:
            return plain_amount(p.total, currency)

        def dehydrate_currency_code(self, p: Payment) -> str:
            return text(currency)

        def dehydrate_status(self, p: Payment) -> str:
            return text(str(p.get_status_display()))

        def dehydrate_method(self, p: Payment) -> str:
            return text(str(p.get_method_display()))

        def dehydrate_description(self, p: Payment) -> str:
            return text(p.description)

    return PaymentResource()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customer", type=int, required=True)
    args = parser.parse_args()
    django_setup()
    from import_export.formats.base_formats import CSV

    from paydesk.accounts.models import Customer
    from paydesk.ledger.models import Payment

    customer = Customer.objects.get(pk=args.customer)
    res = build_resource(customer)
    queryset = Payment.objects.filter(customer=customer).order_by("-occurred_at", "-id")
    CSV().export_data(res.export(queryset=queryset[:100]))  # warm-up
    before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    dataset = res.export(queryset=queryset)
    data = CSV().export_data(dataset).encode("utf-8")
    seconds = time.perf_counter() - start
    rows = len(dataset)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    say(
        f"  P4 import-export: {rows:,} rows, {len(data) / 1e6:.1f} MB in {seconds:.2f} s, "
        f"peak RSS {peak / 2**20:.0f} MiB"
    )
    emit(
        {
            "rows": rows,
            "bytes": len(data),
            "rows_per_s": rows / seconds,
            "peak_rss_mb": peak / 2**20,
            "growth_mb": (peak - before) / 2**20,
        }
    )


if __name__ == "__main__":
    main()
