"""/sandbox/nowpayments/: the API paths Paydesk's client calls (the live base is
https://api.nowpayments.io, these paths carry /v1 as there) and the hosted invoice page
(hosted.py)."""

from django.urls import path

from paydesk.sandbox.access import without_sign_in
from paydesk.sandbox.nowpayments import hosted, views

app_name = "nowpayments"

urlpatterns = without_sign_in(
    path("v1/auth", views.auth, name="auth"),
    path("v1/invoice", views.invoice_create, name="invoice_create"),
    path("v1/payment/", views.payment_list, name="payment_list"),
    path("v1/payment/<str:payment_id>", views.payment_get, name="payment_get"),
    path("payment/", hosted.invoice_page, name="invoice_page"),
)
