from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "paydesk.portal"
    label = "portal"
