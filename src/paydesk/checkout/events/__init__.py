"""Where a gateway event becomes money: the one place every gateway's answer is applied to the
ledger (webhooks, returns, reconciliation, a card's answer at checkout), and the payment log that
records each event received and each request Paydesk made.

- Binding (docs/gateways.md, "Binding and late outcomes"): an event reaches a payment only
  through identifiers Paydesk set server-side or the gateway's server returned
  (`_bound_payment`); one gateway transaction credits at most one payment.
- A payment already final is never edited: money a gateway confirms for a cancelled payment, or
  other money for a completed one, becomes a new, linked late payment (`late.py`).
- A refund or dispute about a payment not completed yet is rolled back (EventTooEarly): the
  webhook answers 409 and the gateway's retry is applied once it is completed.
- Each received event is one payment-log row, its result written once.
"""

from paydesk.checkout.events.apply import gateway_event_apply
from paydesk.checkout.events.log import (
    UNDECIDED,
    UNVERIFIED,
    EventApplied,
    UnverifiedRefused,
    gateway_exchange_record,
    gateway_notification_refuse,
    gateway_notification_unverified,
)

__all__ = [
    "UNDECIDED",
    "UNVERIFIED",
    "EventApplied",
    "UnverifiedRefused",
    "gateway_event_apply",
    "gateway_exchange_record",
    "gateway_notification_refuse",
    "gateway_notification_unverified",
]
