"""A Paydesk customer's Customer at Stripe, and each SetupIntent Paydesk started for it.

Nothing here holds card data or an IBAN: a method is its Stripe id (`pm_…`); what it is (brand,
last four, expiry) is read from Stripe when shown."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StripeCustomer(models.Model):
    """The Customer Stripe made for a Paydesk customer when they first saved a method."""

    customer = models.OneToOneField(
        "accounts.Customer", on_delete=models.PROTECT, related_name="stripe_customer"
    )
    stripe_id = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_id


class MethodType(models.TextChoices):
    CARD = "card", "Card"
    SEPA_DEBIT = "sepa_debit", "SEPA Direct Debit"


class MethodSetup(models.Model):
    """One SetupIntent Paydesk created: the only ids a finished setup is accepted for. When it
    succeeds, the method it saved and (SEPA) the mandate's id and reference are kept."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="method_setups"
    )
    setup_intent = models.CharField(max_length=120, unique=True)
    method_type = models.CharField(max_length=20, choices=MethodType.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    payment_method = models.CharField(max_length=120, blank=True, db_index=True)
    mandate = models.CharField(max_length=120, blank=True)
    # The SEPA mandate's reference as Stripe made it (what the customer's bank shows); the
    # portal shows it instead of the mandate's id, which only the back office shows.
    mandate_reference = models.CharField(max_length=64, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return self.setup_intent


class SavedMethodCharge(models.Model):
    """Which saved method paid a payment (written with the payment, in its transaction): what it
    showed ("SEPA Direct Debit •••• 3000") and, for a SEPA debit, the mandate it was taken
    under, for Finance's payment page. Ids and last four only."""

    payment = models.OneToOneField(
        "ledger.Payment", on_delete=models.PROTECT, related_name="saved_method_charge"
    )
    payment_method = models.CharField(max_length=120)
    method_type = models.CharField(max_length=20, choices=MethodType.choices)
    label = models.CharField(max_length=80)
    mandate = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return self.label
