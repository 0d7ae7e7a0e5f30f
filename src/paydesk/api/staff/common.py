"""What every staff endpoint shares: the caller check and the lookups by id or reference."""

from django.http import HttpRequest

from paydesk.accounts.models import Customer
from paydesk.api.auth import Caller, caller_of
from paydesk.api.errors import ApiError
from paydesk.api.models import ApiScope
from paydesk.ledger.models import Payment
from paydesk.references import canonical_payment_reference


def staff_caller(request: HttpRequest, *, write: bool = False) -> Caller:
    caller = caller_of(request)
    if not caller.user.is_staff:
        raise ApiError(403, "permission_denied", "These endpoints are for staff.")
    if write and ApiScope.PAY not in caller.scopes:
        raise ApiError(403, "insufficient_scope", "This API key is read-only (no `pay` scope).")
    return caller


def staff_customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApiError(404, "not_found", "No customer with that id.", "customer_id")
    return customer


def staff_payment(reference: str) -> Payment:
    canonical = canonical_payment_reference(reference or "")
    payment = (
        Payment.objects.select_related("customer").filter(reference=canonical).first()
        if canonical
        else None
    )
    if payment is None:
        raise ApiError(404, "not_found", "No payment with that reference.", "reference")
    return payment
