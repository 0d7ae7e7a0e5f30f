"""/sandbox/paypal/: PayPal's REST paths (no trailing slash, as PayPal's) and its approval page."""

from django.urls import path

from paydesk.sandbox.paypal import views

app_name = "paypal"

urlpatterns = [
    path("v1/oauth2/token", views.oauth_token, name="token"),
    path("v2/checkout/orders", views.orders, name="orders"),
    path("v2/checkout/orders/<str:order_id>", views.order, name="order"),
    path("v2/checkout/orders/<str:order_id>/capture", views.capture, name="capture"),
    path("checkoutnow", views.checkoutnow, name="checkoutnow"),
]
