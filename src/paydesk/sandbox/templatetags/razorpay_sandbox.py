"""What the Razorpay panel on /sandbox/ shows: recent captured payments (to refund or dispute),
their disputes (to move along), and whether the next refund is set to fail."""

from __future__ import annotations

from typing import Any

from django import template

from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.razorpay.refunds import DISPUTE_MOVES, SLOW_NEXT, fail_next_armed

register = template.Library()

SHOWN = 10


@register.simple_tag
def razorpay_sandbox_state() -> dict[str, Any]:
    objects = SandboxObject.objects.filter(gateway="razorpay")
    payments = objects.filter(kind="payment", data__status__in=["captured", "refunded"])
    disputes = objects.filter(kind="dispute")
    return {
        "payments": [row.data for row in payments.order_by("-id")[:SHOWN]],
        "disputes": [
            {**row.data, "moves": _moves(row.data["status"])}
            for row in disputes.order_by("-id")[:SHOWN]
        ],
        "fail_next": fail_next_armed(),
        "slow_next": fail_next_armed(SLOW_NEXT),
    }


def _moves(status: str) -> list[str]:
    return [move for move, (_to, _event, before) in DISPUTE_MOVES.items() if status in before]
