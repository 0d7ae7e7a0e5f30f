from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "paydesk.worker"
    label = "worker"
    verbose_name = "Background worker"
