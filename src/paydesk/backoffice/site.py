"""The back office: a Django admin site for staff roles.

Only active staff (a user with a staff role) who passed their second factor get in; everyone
else is sent to its sign-in page (paydesk.twofactor's middleware sends staff who still owe the
second factor to it first).
No model can be deleted from here: `delete_selected` is switched off for the whole site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, include, path, re_path

from paydesk.accounts.forms import BackofficeAuthenticationForm
from paydesk.audit.services import audit_record
from paydesk.sessions.services import sessions_after_password_change
from paydesk.twofactor.selectors import second_factor_satisfied
from paydesk.web.client_ip import client_ip

# Where an app's pages live under /backoffice/ when its label would read badly there
# (issue 13, finding 10): the staff and portal users are the back office app's own models, so
# Django would serve them at /backoffice/backoffice/…. The old addresses redirect.
APP_PATHS = {"backoffice": "users"}

# A read-only yes/no on a page (the admin draws it as a green tick, a red cross or a "?" whose
# only text is "True"/"False"/"None" in its alt): in words, which read the same to everyone.
READONLY_ICON = re.compile(
    r'<div class="readonly"><img src="[^"]*/admin/img/icon-(?:yes|no|unknown)[^"]*\.svg" '
    r'alt="(True|False|None)"></div>'
)
READONLY_WORDS = {"True": "Yes", "False": "No", "None": "Not set"}
# The same icon in a list's column stays an icon (a column of ticks reads at a glance), with
# its word as its text: a screen reader said "True".
ICON_ALT = re.compile(
    r'(<img src="[^"]*/admin/img/icon-(?:yes|no|unknown)[^"]*\.svg" alt=")(True|False|None)(">)'
)


def readonly_icons_in_words(response: HttpResponse) -> HttpResponse:
    """A TemplateResponse's post-render step: every read-only yes/no icon becomes its word, and
    a list's yes/no icon says that word to a screen reader."""
    content = response.content.decode(response.charset)
    words = READONLY_ICON.sub(
        lambda found: f'<div class="readonly">{READONLY_WORDS[found.group(1)]}</div>', content
    )
    words = ICON_ALT.sub(
        lambda found: found.group(1) + READONLY_WORDS[found.group(2)] + found.group(3), words
    )
    if words != content:
        response.content = words.encode(response.charset)
    return response


def moved_app_redirect(label: str) -> Callable[..., HttpResponse]:
    """/backoffice/<label>/<rest> → /backoffice/<new path>/<rest>, query string kept; 308 for
    a POST (its body goes with it), 301 otherwise."""

    def view(request: HttpRequest, rest: str) -> HttpResponse:
        prefix = request.path[: len(request.path) - len(rest)]
        target = prefix[: -len(label) - 1] + APP_PATHS[label] + "/" + rest
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponseRedirect(target + (f"?{query}" if query else ""))
        response.status_code = 301 if request.method in ("GET", "HEAD") else 308
        return response

    return view


_View = TypeVar("_View", bound=Callable[..., Any])


class BackofficeSite(admin.AdminSite):
    site_header = "Paydesk back office"
    site_title = "Paydesk back office"
    index_title = "Back office"
    login_form = BackofficeAuthenticationForm
    # The tables need the width (issue 13): the home page and the menu bar list every page.
    enable_nav_sidebar = False
    # One mark for "nothing here" on every page, as the display methods write it (short_datetime,
    # payment_link): the admin's own "-" stood beside "—" on one page.
    empty_value_display = "—"
    index_template = "backoffice/home.html"

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        """Every page as Django's admin serves it, with read-only yes/no icons in words."""
        wrapped = super().admin_view(view, cacheable)

        def with_words(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = wrapped(request, *args, **kwargs)
            if isinstance(response, TemplateResponse) and not response.is_rendered:
                response.add_post_render_callback(readonly_icons_in_words)
            return response

        return cast(_View, update_wrapper(with_words, wrapped))

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

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """Django's admin URLs, with the apps in APP_PATHS served at their own path."""
        moved: list[URLPattern | URLResolver] = []
        indexes: list[URLPattern | URLResolver] = []
        for label, new in APP_PATHS.items():
            # After Django's own, so that reverse("app_list", app_label=label) finds it first.
            indexes.append(
                path(
                    f"{new}/",
                    self.admin_view(self.app_index),
                    {"app_label": label},
                    name="app_list",
                )
            )
            moved += [
                path(f"{new}/{model._meta.model_name}/", include(model_admin.urls))
                for model, model_admin in self._registry.items()
                if model._meta.app_label == label
            ]
            moved.append(re_path(rf"^{label}/(?P<rest>.*)$", moved_app_redirect(label)))
        kept = [
            pattern
            for pattern in super().get_urls()
            if str(pattern.pattern).split("/", 1)[0] not in APP_PATHS
        ]
        at = next(i for i, p in enumerate(kept) if getattr(p, "name", "") == "app_list") + 1
        return moved + kept[:at] + indexes + kept[at:]

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and getattr(user, "is_staff", False)
            and second_factor_satisfied(request)  # also enforced for every page by middleware
        )

    # django-stubs say TemplateResponse; Django's view answers a successful change with a redirect.
    def password_change(  # type: ignore[override]
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
