"""/sandbox/razorpay/: the API Paydesk's client calls (Razorpay's paths), checkout.js, and the
checkout page it opens in a frame. The API's ids keep Razorpay's shapes (order_…, pay_…)."""

from django.urls import path, re_path

from paydesk.sandbox.access import without_sign_in
from paydesk.sandbox.razorpay import dashboard, views

app_name = "razorpay"

ORDER = r"(?P<order_id>order_[A-Za-z0-9]{1,40})"
PAYMENT = r"(?P<payment_id>pay_[A-Za-z0-9]{1,40})"
REFUND = r"(?P<refund_id>rfnd_[A-Za-z0-9]{1,40})"

urlpatterns = [
    *without_sign_in(
        path("v1/orders", views.orders, name="orders"),
        re_path(rf"^v1/orders/{ORDER}$", views.order_detail, name="order"),
        re_path(rf"^v1/orders/{ORDER}/payments$", views.order_payments, name="order_payments"),
        re_path(rf"^v1/payments/{PAYMENT}$", views.payment_detail, name="payment"),
        re_path(rf"^v1/payments/{PAYMENT}/capture$", views.payment_capture, name="payment_capture"),
        re_path(
            rf"^v1/payments/{PAYMENT}/refund$", dashboard.payment_refund, name="payment_refund"
        ),
        re_path(
            rf"^v1/payments/{PAYMENT}/refunds$", dashboard.payment_refunds, name="payment_refunds"
        ),
        re_path(rf"^v1/refunds/{REFUND}$", dashboard.refund_detail, name="refund"),
        path("v1/checkout.js", views.checkout_js, name="checkout_js"),
        path("checkout/<str:order_id>/", views.checkout_page, name="checkout"),
    ),
    path("dashboard/", dashboard.dashboard, name="dashboard"),  # staff only
]
