"""The manual-credit branch of Paydesk's error tree (paydesk.errors)."""

from __future__ import annotations

from paydesk.errors import PaymentError


class CreditError(PaymentError):
    """A manual credit cannot be approved or refused as asked (it is not awaiting approval)."""

    code = "credit_error"


class CreditApprovalRefused(CreditError):
    """An approval breaks the four-eyes rule: one's own entry, or another amount than entered."""

    code = "approval_refused"
