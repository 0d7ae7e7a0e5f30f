"""Make Payment in the portal: the page and its live-quote JSON (namespace `checkout`)."""

from django.urls import path

from paydesk.checkout import views

app_name = "checkout"

urlpatterns = [
    path("", views.make_payment, name="make_payment"),
    path("quote", views.quote_json, name="quote"),
]
