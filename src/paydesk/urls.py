"""URL map: the portal at /, Make Payment at /pay/, the back office at /backoffice/, sign-in
pages under /accounts/."""

from django.urls import include, path

from paydesk.backoffice.site import backoffice_site

urlpatterns = [
    path("accounts/", include("paydesk.accounts.urls")),
    path("backoffice/", backoffice_site.urls),
    path("transfers/", include("paydesk.banktransfers.urls")),
    path("pay/", include("paydesk.checkout.urls")),
    path("", include("paydesk.portal.urls")),
]
