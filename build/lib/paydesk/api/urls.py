"""The portal's API key pages (included at /api-keys/); the JSON API itself is
paydesk.api.api.api, included at /api/v1/."""

from django.urls import path

from paydesk.api import views

app_name = "apikeys"

urlpatterns = [
    path("", views.key_list, name="list"),
    path("<int:pk>/revoke", views.key_revoke, name="revoke"),
]
