"""Sign in, sign out and the password reset's pages, by email address (the reset request,
which queues an email, is mounted by paydesk/urls.py from portal/password_reset.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from paydesk.accounts.forms import EmailAuthenticationForm
from paydesk.accounts.views import ResetSentView, SetPasswordView

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/sent/",
        ResetSentView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        SetPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
