"""URL map: the portal at /, Make Payment at /pay/, the back office at /backoffice/, sign-in
pages under /accounts/, the JSON API at /api/v1/ and its keys at /api-keys/, the
ConnexCS-compatible API at /api/cp/, gateway webhooks at /webhooks/<gateway>/, customers coming
back from a gateway at /pay/return/<reference>/, and — in the demo and the tests only — the
offline gateway sandbox at /sandbox/. "Your sessions" and the portal's password change are under
/accounts/ too (paydesk.sessions)."""

from django.conf import settings
from django.urls import include, path

from paydesk.api.api import api
from paydesk.api.connexcs import cp_api
from paydesk.backoffice.site import backoffice_site
from paydesk.checkout.webhooks import webhook_receive
from paydesk.portal.password_reset import ThrottledPasswordResetView

urlpatterns = [
    # The second factor (TOTP, passkeys, recovery codes): docs/twofactor.md.
    path("accounts/two-factor/", include("paydesk.twofactor.urls")),
    path("accounts/two-factor/passkeys/", include("paydesk.twofactor.webauthn")),
    path(
        "accounts/password-reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("paydesk.accounts.urls")),
    path("accounts/", include("paydesk.sessions.urls")),
    path("backoffice/", backoffice_site.urls),
    path("transfers/", include("paydesk.banktransfers.urls")),
    path("pay/", include("paydesk.checkout.urls")),
    path("billing/methods/", include("paydesk.methods.urls")),
    path("billing/autotopup/", include("paydesk.autotopup.urls")),
    path("api/v1/", api.urls),
    path("api/cp/", cp_api.urls),
    path("api-keys/", include("paydesk.api.urls")),
    path("webhooks/<str:gateway>/", webhook_receive, name="webhook"),
    path("brand/", include("paydesk.provider.urls")),  # the logo and colour: public
    path("", include("paydesk.documents.urls")),
    path("", include("paydesk.portal.urls")),
]

# An error of ours: JSON under /api/, our own page elsewhere, 503 + Retry-After for an outage.
handler500 = "paydesk.web.errors.server_error"

if settings.PAYDESK_SANDBOX:  # never in production (settings/production.py refuses it)
    urlpatterns.insert(0, path("sandbox/", include("paydesk.sandbox.urls")))
