"""The back office: a Django admin site for staff roles.

Only active staff (a user with a staff role) get in; everyone else is sent to its sign-in page.
No model can be deleted from here: `delete_selected` is switched off for the whole site.
"""

from django.contrib import admin
from django.http import HttpRequest


class BackofficeSite(admin.AdminSite):
    site_header = "Paydesk back office"
    site_title = "Paydesk back office"
    index_title = "Back office"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "is_staff", False))


backoffice_site = BackofficeSite(name="backoffice")
backoffice_site.disable_action("delete_selected")
