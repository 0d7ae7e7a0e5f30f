"""Your sessions and the portal's password change, under /accounts/ (names `sessions:…`)."""

from django.urls import path

from paydesk.sessions import views

app_name = "sessions"

urlpatterns = [
    path("sessions/", views.session_list, name="list"),
    path("sessions/<int:pk>/sign-out", views.session_sign_out_view, name="sign_out"),
    path("sessions/sign-out-others", views.sessions_sign_out_others_view, name="sign_out_others"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
