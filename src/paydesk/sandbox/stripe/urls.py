"""/sandbox/stripe/: Stripe's API paths under v1/, Stripe.js at js/v3.js, the card frame and the
3-D Secure page."""

from django.urls import path

from paydesk.sandbox.access import without_sign_in
from paydesk.sandbox.stripe import cards, intents, pages, panel, returns, sepa, vault

app_name = "stripe"

urlpatterns = [
    *without_sign_in(
        path("v1/payment_methods", cards.payment_methods, name="payment_methods"),
        path("v1/payment_methods/<str:method_id>", vault.payment_method, name="payment_method"),
        path(
            "v1/payment_methods/<str:method_id>/detach",
            vault.payment_method_detach,
            name="payment_method_detach",
        ),
        path("v1/customers", vault.customers, name="customers"),
        path("v1/customers/<str:customer_id>", vault.customer, name="customer"),
        path(
            "v1/customers/<str:customer_id>/payment_methods",
            vault.customer_payment_methods,
            name="customer_payment_methods",
        ),
        path("v1/mandates/<str:mandate_id>", vault.mandate_retrieve, name="mandate"),
        path("v1/setup_intents", vault.setup_intents, name="setup_intents"),
        path("v1/setup_intents/<str:setup_id>", vault.setup_intent, name="setup_intent"),
        path(
            "v1/setup_intents/<str:setup_id>/confirm",
            vault.setup_intent_confirm,
            name="setup_intent_confirm",
        ),
        path("v1/payment_intents", intents.payment_intents, name="payment_intents"),
        path(
            "v1/payment_intents/search",
            intents.payment_intent_search,
            name="payment_intent_search",
        ),
        path("v1/payment_intents/<str:intent_id>", intents.payment_intent, name="payment_intent"),
        path("v1/refunds", returns.refunds, name="refunds"),
        path("v1/refunds/<str:refund_id>", returns.refund_retrieve, name="refund"),
        path("js/v3.js", pages.stripe_js, name="stripe_js"),
        path("elements/<str:element>/", pages.element_frame, name="element_frame"),
        path("3ds/<str:intent_id>/", pages.three_d_secure, name="three_d_secure"),
    ),
    path("panel/", panel.panel_action, name="panel"),  # staff only
    path("sepa/settle/", sepa.sepa_settle, name="sepa_settle"),  # staff only
]
