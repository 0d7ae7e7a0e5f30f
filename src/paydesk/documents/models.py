"""Invoices and credit notes (receipts are drawn from the payment itself, never stored).

An issued document is a frozen record: its number, its amounts and a snapshot of the seller and
the buyer as they were at issue (`data`; the seller's logo as the sha256 of a kept
provider.models.BrandLogo). The database refuses any UPDATE or DELETE of it and
any number that is not the next one of its series and year (guards.py); a mistake is corrected
by a credit note. The PDF is drawn from the frozen record on each download.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.documents.labels import issue_date
from paydesk.fields import AmountField, PercentField
from paydesk.text import multi_line, single_line


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class TaxRule(models.TextChoices):
    STANDARD = "standard", _("Standard rate")
    ZERO_RATED = "zero_rated", _("Zero-rated")
    REVERSE_CHARGE = "reverse_charge", _("EU reverse charge")


REVERSE_CHARGE_MENTION = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)."
)


def reinvoice_mention(data: dict) -> str:
    """What the invoice of a chargeback reversal says of itself, on its PDF and in its XML."""
    preceding = data["preceding"]
    return (
        f"Chargeback reversed: this invoice charges again the total above of payment "
        f"{preceding['payment_reference']}, invoiced by {preceding['code']} and credited when "
        "it was charged back."
    )


class InvoicingSettings(models.Model):
    """The provider's invoicing switch and the legal details its documents carry; one row.

    The provider's trading name is PAYDESK_PROVIDER_NAME; these are only what it lacks
    (read through documents.provider.provider_details, the one place that reads them).
    """

    invoices_enabled = models.BooleanField(
        _("create an invoice on payment"),
        default=False,
        help_text=_(
            "An invoice for each completed top-up and for each chargeback reversal of an "
            "invoiced one; a credit note for each refund or chargeback of an invoiced top-up."
        ),
    )
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, validators=[single_line]
    )
    address = models.TextField(_("address"), max_length=500, blank=True, validators=[multi_line])
    country = models.CharField(_("country (ISO code)"), max_length=2, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True, validators=[single_line])
    tax_rate = PercentField(
        _("tax rate (%)"),
        default=Decimal("0"),
        help_text=_("Percent, at most two decimals: 20 or 7.5."),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("99.99"))],
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100), name="invoicing_rate_range"
            )
        ]

    def __str__(self) -> str:
        return "Invoicing settings"

    @classmethod
    def current(cls) -> InvoicingSettings:
        return cls.objects.order_by("pk").first() or cls()


class CustomerTaxRule(models.Model):
    """How a customer's invoices are taxed; a customer without a row pays the standard rate."""

    customer = models.OneToOneField(
        "accounts.Customer", on_delete=models.CASCADE, related_name="tax_rule"
    )
    rule = models.CharField(max_length=20, choices=TaxRule.choices, default=TaxRule.STANDARD)

    class Meta:
        verbose_name = _("customer tax rule")

    def __str__(self) -> str:
        return f"{self.customer}: {self.get_rule_display()}"


class DocumentCounter(models.Model):
    """The last number taken in a series and year; moved by one UPDATE in the completing
    transaction, whose row lock makes a second server wait rather than take the same number."""

    series = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="document_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class Document(models.Model):
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    series = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    code = models.CharField(max_length=30, unique=True)  # INV-2026-000123
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="documents"
    )
    payment = models.ForeignKey(
        "ledger.Payment", on_delete=models.PROTECT, related_name="documents"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    net = AmountField()
    tax = AmountField()
    gross = AmountField()
    tax_rate = PercentField()  # percent; an integer of basis points in the database
    tax_rule = models.CharField(max_length=20, choices=TaxRule.choices)
    data = models.JSONField(default=dict)  # seller (with its logo's hash), buyer, lines: frozen

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "issued_at", "id"], name="document_customer_time")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number"], name="document_number_unique"
            ),
            models.UniqueConstraint(fields=["payment", "kind"], name="document_one_per_payment"),
            models.CheckConstraint(condition=Q(number__gt=0), name="document_number_positive"),
            models.CheckConstraint(
                condition=Q(gross=F("net") + F("tax")), name="document_gross_is_net_plus_tax"
            ),
            models.CheckConstraint(
                condition=Q(gross__gt=0) & Q(net__gte=0) & Q(tax__gte=0),
                name="document_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="document_credit_note_corrects",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def corrected_invoices(self) -> list[dict[str, str]]:
        """A credit note's references ({"code", "issued_at"}) to the invoices it reduces: all of
        a top-up's once a chargeback reversal invoiced it again, else the one it corrects."""
        return self.data.get("invoices") or [self.data["corrects"]]

    @property
    def referenced_invoices(self) -> list[dict[str, str]]:
        """The invoices this document names (EN 16931 BG-3; the lists' Corrects column): a
        credit note's corrected_invoices, a chargeback reversal's invoice the one it charges
        again, else none. Read from the row's own data: a list of them costs no query."""
        if self.kind == DocumentKind.CREDIT_NOTE:
            return self.corrected_invoices
        preceding = self.data.get("preceding")
        return [preceding] if preceding else []

    @property
    def referenced_codes(self) -> str:
        """`INV-2026-000001, INV-2026-000002`; empty when it names none."""
        return ", ".join(reference["code"] for reference in self.referenced_invoices)

    # The lists (the Invoices pages, their CSV, the API) sign a document's amounts by what it
    # does to what the customer was invoiced: an invoice adds, a credit note takes away, as the
    # refund it records is negative on the Payments page. The document itself (PDF, Factur-X
    # type 381) states a credit note's amounts positive under its title, as EN 16931 does.
    @property
    def signed_net(self) -> Decimal:
        return -self.net if self.kind == DocumentKind.CREDIT_NOTE else self.net

    @property
    def signed_tax(self) -> Decimal:
        return -self.tax if self.kind == DocumentKind.CREDIT_NOTE else self.tax

    @property
    def issue_date(self) -> date:
        """The document's date, as its PDF states it: the day in the provider's time zone."""
        return issue_date(self.issued_at)

    @property
    def signed_gross(self) -> Decimal:
        return -self.gross if self.kind == DocumentKind.CREDIT_NOTE else self.gross
