"""Who may open a customer-facing page: the access decorators every portal, checkout and bank
transfer view uses. They sit with the accounts (users, customers, permissions), below every app
that has pages, so no app imports another app's views to check access.

Staff are sent to the back office; a user without a customer, without *view payments* for a
payments page, without *make payments* for anything that pays (Make Payment, resuming a checkout,
coming back from a gateway to capture it), or without *manage billing* for the billing pages
(the Billing page, saved payment methods, automatic top-up and alerts), is refused with a
message (never a crash, never another customer's data).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from paydesk.accounts.billing_managers import may_manage_billing
from paydesk.accounts.models import Customer
from paydesk.accounts.payers import may_make_payments

PortalView = Callable[..., HttpResponseBase]


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/refused.html", {"message": message}, status=403)


def customer_required(view: PortalView) -> PortalView:
    """Signed-in portal users only; the view receives the user's own customer."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_staff:
            return redirect("backoffice:index")
        customer = getattr(user, "customer", None)
        if customer is None:
            return refuse(request, _("Your sign-in is not linked to a customer account."))
        return view(request, customer, *args, **kwargs)

    return wrapped


def view_payments_required(view: PortalView) -> PortalView:
    """Only users with the *view payments* permission see payments."""

    @wraps(view)
    def wrapped(request: HttpRequest, customer: Customer, *args: Any, **kwargs: Any) -> Any:
        assert request.user.is_authenticated  # @customer_required
        if not request.user.can_view_payments:
            return refuse(request, _("You do not have permission to view payments."))
        return view(request, customer, *args, **kwargs)

    return wrapped


def manage_billing_required(view: PortalView) -> PortalView:
    """Only users who may manage billing (paydesk.accounts.billing_managers) see or change the
    billing setup: the Billing page, saved payment methods, automatic top-up and alerts."""

    @wraps(view)
    def wrapped(request: HttpRequest, customer: Customer, *args: Any, **kwargs: Any) -> Any:
        assert request.user.is_authenticated  # @customer_required
        if not may_manage_billing(user=request.user, customer=customer):
            return refuse(request, _("You do not have permission to manage billing."))
        return view(request, customer, *args, **kwargs)

    return wrapped


def make_payments_required(view: PortalView) -> PortalView:
    """Only users with the *make payments* permission pay: start, resume or capture a payment."""

    @wraps(view)
    def wrapped(request: HttpRequest, customer: Customer, *args: Any, **kwargs: Any) -> Any:
        assert request.user.is_authenticated  # @customer_required
        if not may_make_payments(user=request.user, customer=customer):
            return refuse(request, _("You do not have permission to make payments."))
        return view(request, customer, *args, **kwargs)

    return wrapped
