"""Template helpers for vouchers on the portal: what an armed bonus voucher will add.

Amounts go through paydesk.money.format_money (never a float); never shows a voucher's code,
only its hint (`…6TRK`).
"""

from __future__ import annotations

from django import template

from paydesk.money import format_money
from paydesk.vouchers.bonus import bonus_terms
from paydesk.vouchers.models import VoucherActivation

register = template.Library()


@register.simple_tag
def bonus_offer(activation: VoucherActivation) -> str:
    """`a bonus of 100% of the top-up plus $5.00`: vouchers.bonus.bonus_terms, the one wording."""
    batch = activation.voucher.batch
    return bonus_terms(
        multiplier=batch.multiplier, addition=batch.addition, currency=batch.currency
    )


@register.filter
def minimum_topup(activation: VoucherActivation) -> str:
    batch = activation.voucher.batch
    return format_money(batch.minimum_activation, batch.currency)
