from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "paydesk.notifications"
    label = "notifications"
    verbose_name = "Notifications"
