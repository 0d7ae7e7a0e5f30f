"""Who may see and change a customer's saved payment methods: the ONE gate of every page and API
operation of this app: the *manage billing* permission (paying with a saved method on Make
Payment needs only *make payments*)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from paydesk.accounts.access import refuse
from paydesk.accounts.models import Customer


def can_manage_methods(user: Any) -> bool:
    """Whether `user` (a portal user) may save, choose and remove payment methods."""
    return bool(getattr(user, "customer_id", None)) and bool(user.can_manage_billing)


def manage_methods_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Behind customer_required: a user without the permission gets 403 with a message."""

    @wraps(view)
    def wrapped(request: HttpRequest, customer: Customer, *args: Any, **kwargs: Any) -> Any:
        if not can_manage_methods(request.user):
            return refuse(request, _("You do not have permission to manage payment methods."))
        return view(request, customer, *args, **kwargs)

    return wrapped
