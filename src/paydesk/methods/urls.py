"""/billing/methods/: the customer's saved payment methods (namespace `methods`)."""

from django.urls import path

from paydesk.methods import views

app_name = "methods"

urlpatterns = [
    path("", views.method_list, name="list"),
    path("add", views.method_add, name="add"),
    path("setup/<str:setup_intent>/", views.method_setup, name="setup"),
    path("<str:payment_method>/default", views.method_default, name="default"),
    path("<str:payment_method>/remove", views.method_remove, name="remove"),
]
