"""/sandbox/stripe/: Stripe's API paths under v1/, Stripe.js at js/v3.js, the card frame and the
3-D Secure page."""

from django.urls import path

from paydesk.sandbox.stripe import panel, returns, views

app_name = "stripe"

urlpatterns = [
    path("v1/payment_methods", views.payment_methods, name="payment_methods"),
    path("v1/payment_methods/<str:method_id>", views.payment_method, name="payment_method"),
    path("v1/payment_intents", views.payment_intents, name="payment_intents"),
    path("v1/payment_intents/<str:intent_id>", views.payment_intent, name="payment_intent"),
    path("v1/refunds", returns.refunds, name="refunds"),
    path("panel/", panel.panel_action, name="panel"),
    path("js/v3.js", views.stripe_js, name="stripe_js"),
    path("elements/<str:element>/", views.element_frame, name="element_frame"),
    path("3ds/<str:intent_id>/", views.three_d_secure, name="three_d_secure"),
]
