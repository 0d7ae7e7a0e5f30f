from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "paydesk.sessions"
    label = "usersessions"  # "sessions" is django.contrib.sessions'
    verbose_name = "Signed-in sessions"

    def ready(self) -> None:
        from paydesk.sessions import signals  # noqa: F401  (sign-in and sign-out keep the list)
