"""The customer portal's URLs (names in docs/architecture.md's URL map)."""

from django.urls import path

from paydesk.portal import billing, payment_detail, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("payments/", views.payments, name="payments"),
    path("payments/export.csv", views.payments_csv, name="payments_csv"),
    path("payments/updates", views.payments_updates, name="payments_updates"),
    path("preferences/", views.preferences, name="preferences"),
    path("billing/", billing.billing, name="billing"),
    path("payments/<str:reference>/", payment_detail.payment_detail, name="payment_detail"),
    path("preferences/time-zone", views.set_time_zone, name="set_time_zone"),
]
