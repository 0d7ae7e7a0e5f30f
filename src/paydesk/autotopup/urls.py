"""/billing/autotopup/: automatic top-up and low-balance alerts (namespace `autotopup`)."""

from django.urls import path

from paydesk.autotopup import views

app_name = "autotopup"

urlpatterns = [
    path("", views.topup_settings, name="settings"),
    path("off", views.topup_off, name="off"),
    path("alerts", views.alerts_save, name="alerts"),
    path("finish/<int:pk>/", views.topup_finish, name="finish"),
]
