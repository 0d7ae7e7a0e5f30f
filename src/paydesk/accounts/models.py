"""Customers, their contacts and portal flags; users (portal users and staff) and their roles.

A customer's balance is written only by paydesk.ledger.services, never here.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.login_name import login_name
from paydesk.fastsql import column_values, first_row
from paydesk.fields import AmountField
from paydesk.text import single_line


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank Transfer")
    PAYPAL = "paypal", _("PayPal")
    CARD = "card", _("Credit Card")
    SEPA_DEBIT = "sepa_debit", _("SEPA Direct Debit")
    RAZORPAY = "razorpay", _("Razor Pay")
    PAYSTACK = "paystack", _("Pay Stack")
    NOWPAYMENTS = "nowpayments", _("Now Payments")
    VOUCHER = "voucher", _("Voucher")
    MANUAL = "manual", _("Manual entry")


class StaffRole(models.TextChoices):
    NONE = "", _("Not staff")
    ADMIN = "admin", _("Administrator")
    FINANCE = "finance", _("Finance")
    SUPPORT = "support", _("Support")


class PortalDefaults(models.Model):
    """The provider-wide portal flags; one row. Each customer may override each flag."""

    show_balance = models.BooleanField(default=True)
    show_payments = models.BooleanField(default=True)
    show_pending_bank_payments = models.BooleanField(default=True)
    allow_vouchers = models.BooleanField(default=True)
    blocked_methods = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "portal defaults"
        verbose_name_plural = "portal defaults"

    def __str__(self) -> str:
        return "Portal defaults"

    @classmethod
    def current(cls) -> PortalDefaults:
        return first_row(cls, "", []) or cls()


class Customer(models.Model):
    """A customer company: one account, in one currency, with one running balance."""

    name = models.CharField(max_length=200, validators=[single_line])
    slug = models.SlugField(max_length=60, unique=True, help_text=_("Used in file names and URLs."))
    currency = models.CharField(max_length=3, help_text=_("ISO 4217; cannot be changed later."))
    balance = AmountField(default=Decimal(0), editable=False)
    debit_limit = AmountField(default=Decimal(0), help_text=_("Allowance below zero; 0 = prepaid."))
    minimum_payment = AmountField(default=Decimal(0))
    topup_currencies = models.JSONField(default=list, blank=True)
    # Portal flags: None follows PortalDefaults.
    show_balance = models.BooleanField(null=True, blank=True)
    show_payments = models.BooleanField(null=True, blank=True)
    show_pending_bank_payments = models.BooleanField(null=True, blank=True)
    allow_vouchers = models.BooleanField(null=True, blank=True)
    blocked_methods = models.JSONField(null=True, blank=True)
    # Finance's switch while a dispute is open: the customer cannot pay online (card, PayPal,
    # Razorpay, Paystack, NOWPayments); bank transfer and vouchers stay. Audited.
    online_methods_paused = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(debit_limit__gte=0), name="customer_debit_limit_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(minimum_payment__gte=0), name="customer_minimum_payment_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def available_credit(self) -> Decimal:
        return self.balance + self.debit_limit

    def flag(self, name: str, defaults: PortalDefaults | None = None) -> bool:
        own = getattr(self, name)
        if own is not None:
            return bool(own)
        return bool(getattr(defaults or PortalDefaults.current(), name))

    def effective_blocked_methods(self, defaults: PortalDefaults | None = None) -> list[str]:
        if self.blocked_methods is not None:
            return list(self.blocked_methods)
        return list((defaults or PortalDefaults.current()).blocked_methods)

    def effective_topup_currencies(self) -> list[str]:
        return list(self.topup_currencies) or [self.currency]


class Contact(models.Model):
    """An email address that receives a customer's payment confirmations."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField()

    class Meta:
        constraints = [models.UniqueConstraint("customer", "email", name="contact_unique_email")]

    def __str__(self) -> str:
        return self.email

    # `emails_of` as (column, where, order): also read as one of `fastsql.first_rows`' lists.
    EMAILS_OF = ("email", "customer_id = %s", "email")

    @classmethod
    def emails_of(cls, customer_id: int) -> list[str]:
        """The customer's contact addresses, sorted (every email to a customer asks)."""
        column, where, order = cls.EMAILS_OF
        return column_values(cls, column, where, [customer_id], order_by=order)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("staff_role", StaffRole.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        """The user whose address is the typed name once normalised (accounts.login_name).

        The database's case-insensitive match only narrows the search: a look-alike letter
        PostgreSQL folds to an ASCII one (the long s, the dotless i) must not reach the account
        under a name the sign-in throttle counts separately.
        """
        name = login_name(username)
        found = [u for u in self.filter(email__iexact=name) if u.email.lower() == name]
        if len(found) != 1:
            raise self.model.DoesNotExist("No user with that email address.")
        return found[0]


def validate_time_zone(value: str) -> None:
    from django.core.exceptions import ValidationError

    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."))


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in: a portal user belongs to a customer; staff have a role instead."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True, validators=[single_line])
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    can_view_payments = models.BooleanField(default=True)
    can_make_payments = models.BooleanField(default=True)
    # Billing setup (the Billing page, its API): off unless staff grant it, since it changes
    # where payment emails go and what the customer's tax documents say.
    can_manage_billing = models.BooleanField(default=False)
    staff_role = models.CharField(max_length=16, choices=StaffRole.choices, blank=True, default="")
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            # A user is a customer's user or staff, never both.
            models.CheckConstraint(
                condition=Q(customer__isnull=True) | Q(staff_role=""),
                name="user_customer_or_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_role) and self.is_active

    @property
    def is_portal_user(self) -> bool:
        return self.customer_id is not None

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or settings.TIME_ZONE

    def has_role(self, *roles: str) -> bool:
        """Administrators may do everything; otherwise the role must be one of `roles`."""
        return self.is_staff and (self.staff_role == StaffRole.ADMIN or self.staff_role in roles)

    @property
    def can_move_money(self) -> bool:
        return self.has_role(StaffRole.FINANCE)


class BillingProfile(models.Model):
    """Who the customer is on paper: legal name, address, tax id; one per customer.

    Written only by paydesk.accounts.billing (billing_profile_update), which checks the tax id
    offline with python-stdnum and records every change in the audit log. The billing contacts
    (who receives payment emails) are the customer's Contact rows, edited with the profile.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="billing_profile"
    )
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, validators=[single_line]
    )
    address_line1 = models.CharField(
        _("address line 1"), max_length=200, blank=True, validators=[single_line]
    )
    address_line2 = models.CharField(
        _("address line 2"), max_length=200, blank=True, validators=[single_line]
    )
    city = models.CharField(_("city"), max_length=100, blank=True, validators=[single_line])
    postal_code = models.CharField(
        _("postal code"), max_length=20, blank=True, validators=[single_line]
    )
    region = models.CharField(_("region"), max_length=100, blank=True, validators=[single_line])
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )
    tax_id = models.CharField(
        _("tax / VAT id"),
        max_length=40,
        blank=True,
        help_text=_("Stored without spaces or dots, EU VAT numbers with their country prefix."),
    )
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    def __str__(self) -> str:
        return self.legal_name or f"Billing profile of customer {self.customer_id}"
