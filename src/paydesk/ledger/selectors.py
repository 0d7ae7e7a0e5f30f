"""Reads of the ledger: balances, drift checks, filtered and keyset-paged payment lists,
and the statement (opening and closing balance, balance over time) of a period.

Never writes. Customer-facing callers must pass the signed-in user's own customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from paydesk.accounts.models import Customer
from paydesk.fields import AmountField
from paydesk.ledger.models import Payment, PaymentStatus


@dataclass(frozen=True)
class BalanceDrift:
    customer_id: int
    customer_name: str
    currency: str
    stored: Decimal
    computed: Decimal
    last_balance_after: Decimal | None

    @property
    def difference(self) -> Decimal:
        return self.stored - self.computed


def balance_drifts() -> list[BalanceDrift]:
    """Customers whose stored balance differs from the sum of their completed payments,
    or from the `balance after` of their latest completed payment."""
    completed = Q(payments__status=PaymentStatus.COMPLETED)
    rows = Customer.objects.annotate(
        computed=Coalesce(
            Sum("payments__total", filter=completed), Value(Decimal(0)), output_field=AmountField()
        )
    ).values_list("pk", "name", "currency", "balance", "computed")
    drifts = []
    for pk, name, currency, stored, computed in rows.iterator(chunk_size=2000):
        last = (
            Payment.objects.filter(customer_id=pk, status=PaymentStatus.COMPLETED)
            .order_by("-completed_at", "-id")
            .values_list("balance_after", flat=True)
            .first()
        )
        if stored != computed or (last is not None and last != stored):
            drifts.append(BalanceDrift(pk, name, currency, stored, computed, last))
    return drifts
