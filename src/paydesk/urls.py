"""URL map: the portal at /, Make Payment at /pay/, the back office at /backoffice/, sign-in
pages under /accounts/, gateway webhooks at /webhooks/<gateway>/."""

from django.urls import include, path

from paydesk.backoffice.site import backoffice_site
from paydesk.checkout.webhooks import webhook_receive

urlpatterns = [
    path("accounts/", include("paydesk.accounts.urls")),
    path("backoffice/", backoffice_site.urls),
    path("transfers/", include("paydesk.banktransfers.urls")),
    path("pay/", include("paydesk.checkout.urls")),
    path("webhooks/<str:gateway>/", webhook_receive, name="webhook"),
    path("", include("paydesk.portal.urls")),
]
