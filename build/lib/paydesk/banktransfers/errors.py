"""The bank-transfer branch of Paydesk's error tree (paydesk.errors)."""

from __future__ import annotations

from paydesk.errors import PaymentError


class TransferError(PaymentError):
    """A bank transfer cannot be changed as asked (not a pending transfer, not yours)."""

    code = "transfer_error"


class ProofRefused(TransferError):
    """A proof of payment is not a PDF, PNG or JPEG by content, is empty or too large."""

    code = "proof_refused"


class ApprovalRefused(TransferError):
    """An approval breaks the two-person rule: own transfer, approved twice, amounts differ."""

    code = "approval_refused"
