"""/sandbox/paystack/: Paystack's API paths (no trailing slash, as Paystack's), and the hosted
checkout page that `authorization_url` points at."""

from django.urls import path

from paydesk.sandbox.access import without_sign_in
from paydesk.sandbox.paystack import listing, refunds, views

app_name = "paystack"

urlpatterns = [
    *without_sign_in(
        path("transaction", listing.transaction_list, name="list"),
        path("transaction/initialize", views.transaction_initialize, name="initialize"),
        path("transaction/verify/<str:reference>", views.transaction_verify, name="verify"),
        path("checkout/<str:access_code>", views.checkout, name="checkout"),
        path("refund", refunds.refunds, name="refund"),
        path("refund/<str:refund_id>", refunds.refund_fetch, name="refund_fetch"),
    ),
    path("dashboard", refunds.dashboard, name="dashboard"),  # staff only
]
