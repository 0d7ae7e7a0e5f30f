"""The one-time CSV of a new batch's codes, for staff to hand out.

The codes exist only in the caller's memory at this moment (they are never stored); this module
turns them into CSV text and must never log or keep them.
"""

from __future__ import annotations

import csv
import io

from paydesk.money import plain_amount
from paydesk.vouchers.models import VoucherBatch

CSV_HEADER = ["Code", "Currency", "Minimum activation", "Multiplier", "Addition", "Expires"]


def batch_codes_filename(batch: VoucherBatch) -> str:
    return f"vouchers-batch-{batch.pk}-{batch.created_at:%Y-%m-%d}.csv"


def batch_codes_csv(batch: VoucherBatch, codes: list[str]) -> str:
    """CSV text, one row per code: code, currency, M, X, A, expiry (ISO 8601 or empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    terms = [
        batch.currency,
        plain_amount(batch.minimum_activation, batch.currency),
        f"{batch.multiplier.normalize():f}",
        plain_amount(batch.addition, batch.currency),
        batch.expires_at.isoformat() if batch.expires_at else "",
    ]
    for code in codes:
        writer.writerow([code, *terms])
    return buffer.getvalue()
