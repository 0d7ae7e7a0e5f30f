"""Template helpers for vouchers on the portal: what an armed bonus voucher will add.

Amounts go through paydesk.money.format_money (never a float); never shows a voucher's code,
only its hint (`…6TRK`).
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from paydesk.money import format_money
from paydesk.vouchers.models import VoucherActivation

register = template.Library()


@register.simple_tag
def bonus_offer(activation: VoucherActivation) -> str:
    """`a bonus of 100% of that top-up plus $5.00 USD`, from the batch's X and A."""
    batch = activation.voucher.batch
    addition = format_money(batch.addition, batch.currency) if batch.addition > 0 else ""
    extra = batch.multiplier - 1
    if extra <= 0:
        return _("a bonus of %(amount)s") % {"amount": addition}
    percent = f"{(extra * 100).normalize():f}"  # X = 2 → 100, X = 1.1 → 10, X = 1.125 → 12.5
    if addition:
        return _("a bonus of %(percent)s%% of that top-up plus %(amount)s") % {
            "percent": percent,
            "amount": addition,
        }
    return _("a bonus of %(percent)s%% of that top-up") % {"percent": percent}


@register.filter
def minimum_topup(activation: VoucherActivation) -> str:
    batch = activation.voucher.batch
    return format_money(batch.minimum_activation, batch.currency)
