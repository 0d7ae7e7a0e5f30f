"""The "Your sessions" page (portal users and staff alike) and the portal's password change.

Thin: the work is in paydesk.sessions.services. Staff change their password in the back office
(its own page also signs out their other sessions).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from paydesk.accounts.views import LabelsWithoutColon
from paydesk.audit.services import audit_record
from paydesk.sessions.services import (
    SessionError,
    session_sign_out,
    sessions_after_password_change,
    sessions_sign_out_others,
    user_sessions,
)
from paydesk.web.client_ip import client_ip


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = user_sessions(user=request.user, current_key=request.session.session_key)
    response = render(
        request,
        "sessions/list.html",
        {
            "sessions": sessions,
            "others": sum(1 for s in sessions if not s.is_current),
            "idle_minutes": settings.PAYDESK_STAFF_SESSION_IDLE_MINUTES,
            "max_hours": settings.PAYDESK_STAFF_SESSION_MAX_HOURS,
            "nav": "sessions",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def session_sign_out_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        session_sign_out(request=request, session_id=pk)
    except SessionError:
        raise Http404 from None
    messages.success(request, _("That session is signed out."))
    return redirect("sessions:list")


@login_required
@require_POST
def sessions_sign_out_others_view(request: HttpRequest) -> HttpResponse:
    count = sessions_sign_out_others(request=request)
    messages.success(
        request,
        ngettext("%d other session signed out.", "%d other sessions signed out.", count) % count,
    )
    return redirect("sessions:list")


class PasswordChangeView(LabelsWithoutColon, auth_views.PasswordChangeView):
    """Django's page (it keeps this session through update_session_auth_hash); every other
    session of the user then ends, and the change is audited."""

    template_name = "sessions/password_change.html"
    success_url = reverse_lazy("sessions:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sessions_after_password_change(request=self.request)
        audit_record(
            action="user.password_change",
            actor=self.request.user,
            obj=self.request.user,
            ip_address=client_ip(self.request),
        )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "sessions/password_change_done.html"
