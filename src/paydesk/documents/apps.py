from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "paydesk.documents"
    label = "documents"
    verbose_name = "Receipts, invoices and credit notes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Invoices and credit notes are numbered inside the transaction that completes the
        # payment (docs/documents.md); the ledger runs them without importing this app.
        # Invoices are a top-up step (its probe reads the invoicing switch in the balance
        # UPDATE); credit notes a payment listener acting on completions (refunds and
        # chargebacks are not top-ups).
        from paydesk.documents.issue import (
            documents_on_change,
            documents_on_topup,
            invoicing_probe_sql,
        )
        from paydesk.ledger.hooks import TopupStep, payment_listener_register, topup_step_register

        topup_step_register(
            TopupStep(
                name="documents-invoice", probe_sql=invoicing_probe_sql, run=documents_on_topup
            )
        )
        payment_listener_register("documents", documents_on_change)
