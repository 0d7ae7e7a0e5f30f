"""URL map: the portal at /, the back office at /backoffice/, sign-in pages under /accounts/."""

from django.urls import include, path

from paydesk.backoffice.site import backoffice_site

urlpatterns = [
    path("accounts/", include("paydesk.accounts.urls")),
    path("backoffice/", backoffice_site.urls),
    path("transfers/", include("paydesk.banktransfers.urls")),
    path("", include("paydesk.portal.urls")),
]
