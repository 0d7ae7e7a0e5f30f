"""The two-factor pages, included at /accounts/two-factor/ (the passkey ceremonies are
paydesk.twofactor.webauthn, at /accounts/two-factor/passkeys/)."""

from django.urls import path

from paydesk.twofactor import views

app_name = "two_factor"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("verify/", views.verify, name="verify"),
    path("authenticator/", views.totp_add, name="totp_add"),
    path("recovery-codes/", views.recovery_codes_new, name="recovery_codes"),
    path("<str:kind>/<int:pk>/remove", views.factor_remove, name="remove"),
]
