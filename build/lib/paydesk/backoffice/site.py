"""The back office: a Django admin site for staff roles.

Only active staff (a user with a staff role) who passed their second factor get in; everyone
else is sent to its sign-in page (paydesk.twofactor's middleware sends staff who still owe the
second factor to it first).
No model can be deleted from here: `delete_selected` is switched off for the whole site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from paydesk.accounts.forms import BackofficeAuthenticationForm
from paydesk.audit.services import audit_record
from paydesk.sessions.services import sessions_after_password_change
from paydesk.twofactor.selectors import second_factor_satisfied
from paydesk.web.client_ip import client_ip


class BackofficeSite(admin.AdminSite):
    site_header = "Paydesk back office"
    site_title = "Paydesk back office"
    index_title = "Back office"
    login_form = BackofficeAuthenticationForm
    # The tables need the width (issue 13): the home page and the menu bar list every page.
    enable_nav_sidebar = False
    index_template = "backoffice/home.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The home page: the work waiting, then every page grouped by task."""
        from paydesk.backoffice.home import task_groups, work_waiting

        context = {
            "title": "Work waiting",
            "work_waiting": work_waiting(),
            "task_groups": task_groups(self.get_app_list(request)),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and getattr(user, "is_staff", False)
            and second_factor_satisfied(request)  # also enforced for every page by middleware
        )

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's own page, plus an audit entry when a staff member changed their password;
        their other sessions are signed out then (this one stays)."""
        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            sessions_after_password_change(request=request)
            audit_record(
                action="user.password_change",
                actor=request.user,
                obj=request.user,
                ip_address=client_ip(request),
            )
        return response


backoffice_site = BackofficeSite(name="backoffice")
backoffice_site.disable_action("delete_selected")
