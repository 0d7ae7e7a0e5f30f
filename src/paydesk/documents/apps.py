from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "paydesk.documents"
    label = "documents"
    verbose_name = "Receipts, invoices and credit notes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Invoices and credit notes are numbered inside the transaction that completes the
        # payment (docs/documents.md); the ledger runs the hook without importing this app.
        from paydesk.documents.issue import documents_on_completion
        from paydesk.ledger.hooks import completion_hook_register

        completion_hook_register("documents", documents_on_completion)
