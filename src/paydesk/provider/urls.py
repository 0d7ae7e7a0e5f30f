from django.urls import path

from paydesk.provider import views

app_name = "brand"

urlpatterns = [
    path("logo/<int:version>", views.logo, name="logo"),
    path("brand-<str:version>.css", views.stylesheet, name="stylesheet"),
]
