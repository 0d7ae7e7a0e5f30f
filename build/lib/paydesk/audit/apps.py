from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "paydesk.audit"
    label = "audit"
    verbose_name = "Audit log"
