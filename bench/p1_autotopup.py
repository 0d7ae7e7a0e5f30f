"""Issue 15's P1 check, ad hoc (not yet a variant of bench/run.py): payment_create of completed
top-ups on a customer with automatic top-up and a low-balance alert configured vs one without,
in interleaved rounds, on the (migrated) database DATABASE_URL names; prints the medians and
their ratio (the bar: at most 1.10). Run with the app's venv:

    DATABASE_URL=postgres://…/db .venv/bin/python bench/p1_autotopup.py 400
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.settings.dev")
django.setup()

from django.utils import timezone  # noqa: E402

from paydesk.accounts.models import Customer  # noqa: E402
from paydesk.autotopup.models import BalanceAlert, TopupSettings  # noqa: E402
from paydesk.ledger.services import payment_create  # noqa: E402


def customers() -> tuple[Customer, Customer]:
    tag = str(time.time_ns())
    plain = Customer.objects.create(name=f"plain {tag}", slug=f"plain-{tag}", currency="USD")
    conf = Customer.objects.create(name=f"conf {tag}", slug=f"conf-{tag}", currency="USD")
    TopupSettings.objects.create(
        customer=conf,
        enabled=True,
        threshold=Decimal("20"),
        amount=Decimal("50"),
        monthly_cap=Decimal("500"),
        payment_method="pm_bench",
        method_label="Card",
        consent_text="bench",
        consented_at=timezone.now(),
        alerts_customised=True,
    )
    BalanceAlert.objects.create(customer=conf, threshold=Decimal("10"), margin=Decimal("5"))
    return plain, conf


def per_post(customer: Customer, count: int) -> float:
    """Microseconds per completed top-up posted."""
    started = time.perf_counter()
    for _ in range(count):
        payment_create(customer=customer, total=Decimal("1.25"), description="Bench top-up")
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    plain, conf = customers()
    per_post(plain, count // 4)  # warm-up
    per_post(conf, count // 4)
    results: dict[str, list[float]] = {"without": [], "with": []}
    for round_ in range(6):
        pairs = [("without", plain), ("with", conf)]
        for name, customer in pairs if round_ % 2 == 0 else reversed(pairs):
            results[name].append(per_post(customer, count))
    for name, values in results.items():
        print(f"{name:8} median {statistics.median(values):8.1f} µs/post")
    ratio = statistics.median(results["with"]) / statistics.median(results["without"])
    print(f"ratio with/without {ratio:.3f} (bar: at most 1.10)")


if __name__ == "__main__":
    main()
