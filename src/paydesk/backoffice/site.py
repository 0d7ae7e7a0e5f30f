"""The back office: a Django admin site for staff roles."""

from django.contrib import admin


class BackofficeSite(admin.AdminSite):
    site_header = "Paydesk back office"
    site_title = "Paydesk back office"
    index_title = "Back office"


backoffice_site = BackofficeSite(name="backoffice")
