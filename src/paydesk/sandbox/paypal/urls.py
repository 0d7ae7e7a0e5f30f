"""/sandbox/paypal/: PayPal's REST paths (no trailing slash, as PayPal's), its approval page,
Payments v2 captures and refunds (refunds.py) and the control page's PayPal panel (dashboard.py)."""

from django.urls import path

from paydesk.sandbox.access import without_sign_in
from paydesk.sandbox.paypal import approval, dashboard, oauth, refunds, views

app_name = "paypal"

urlpatterns = [
    *without_sign_in(
        path("v1/oauth2/token", oauth.oauth_token, name="token"),
        path("v2/checkout/orders", views.orders, name="orders"),
        path("v2/checkout/orders/<str:order_id>", views.order, name="order"),
        path("v2/checkout/orders/<str:order_id>/capture", views.capture, name="capture"),
        path("checkoutnow", approval.checkoutnow, name="checkoutnow"),
        path("v2/payments/captures/<str:capture_id>", refunds.capture_get, name="capture_get"),
        path(
            "v2/payments/captures/<str:capture_id>/refund",
            refunds.capture_refund,
            name="capture_refund",
        ),
        path("v2/payments/refunds/<str:refund_id>", refunds.refund_get, name="refund_get"),
    ),
    path("dashboard", dashboard.dashboard, name="dashboard"),  # staff only
]
