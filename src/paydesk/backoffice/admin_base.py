"""Shared plumbing of the back-office ModelAdmins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from paydesk.errors import PaydeskError


class ServiceRefused(Exception):
    """A service refused a save that the form had accepted (a race, or a rule the form lacks)."""

    def __init__(self, error: PaydeskError) -> None:
        super().__init__(error.message)
        self.error = error


class ServiceSaveMixin:
    """Turns a ServiceRefused raised while saving into a message and a fresh form, not a 500.

    The admin's change view runs in one transaction, so nothing of the refused save remains.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except ServiceRefused as refused:
            messages.error(request, refused.error.message)
            return HttpResponseRedirect(request.get_full_path())

