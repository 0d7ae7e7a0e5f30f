"""The provider's settings kept by Paydesk: gateway credentials (encrypted) and the brand.

A credential is one value of one gateway's test or live set (GatewaySecret). Its value is only
ever stored as a Fernet token (paydesk/crypto.py) and its last four characters, for the page.
The brand is one row (pk 1): one deployment serves one provider.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from paydesk.text import multi_line, single_line


class CredentialMode(models.TextChoices):
    TEST = "test", "Test"
    LIVE = "live", "Live"


class GatewaySecret(models.Model):
    gateway = models.CharField(max_length=20)
    mode = models.CharField(max_length=4, choices=CredentialMode.choices)
    setting = models.CharField(max_length=60)  # PAYDESK_STRIPE_SECRET_KEY…
    ciphertext = models.TextField()  # a Fernet token: never the value in clear
    last_four = models.CharField(max_length=4, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "gateway settings"
        verbose_name_plural = "gateway settings"
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "mode", "setting"], name="provider_secret_one_per_set"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["test", "live"]), name="provider_secret_mode_known"
            ),
            models.CheckConstraint(condition=~Q(ciphertext=""), name="provider_secret_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.mode} {self.setting}"


class LogoType(models.TextChoices):
    NONE = "", "None"
    PNG = "image/png", "PNG"
    SVG = "image/svg+xml", "SVG"


class Brand(models.Model):
    """The provider's brand: shown in the portal's header and footer and in every email."""

    # empty: the environment's
    name = models.CharField(max_length=80, blank=True, default="", validators=[single_line])
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, choices=LogoType.choices, blank=True, default="")
    logo_version = models.PositiveIntegerField(default=0)  # in the logo's URL: caches renew
    # The logo's sha256 (hex), its row in BrandLogo; "" without a logo.
    logo_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    primary_colour = models.CharField(max_length=7, blank=True, default="")  # #RRGGBB
    support_email = models.EmailField(blank=True, default="")
    support_phone = models.CharField(
        max_length=40, blank=True, default="", validators=[single_line]
    )
    legal_footer = models.TextField(
        max_length=1000, blank=True, default="", validators=[multi_line]
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "brand"
        verbose_name_plural = "brand"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="provider_brand_single_row"),
            models.CheckConstraint(
                condition=Q(primary_colour="") | Q(primary_colour__regex=r"^#[0-9a-f]{6}$"),
                name="provider_brand_colour_hex",
            ),
        ]

    def __str__(self) -> str:
        return self.name or "Brand"


class BrandLogo(models.Model):
    """Every logo the brand has had, once each, named by the sha256 of its bytes: an issued
    invoice or credit note keeps the hash of the logo it was issued with (documents/issue.py)
    and is drawn with it after the brand changes. Written by brand_update (and the migration
    that made the table), never changed or deleted: issued documents refer to the rows by
    hash."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    logo_type = models.CharField(max_length=20, choices=LogoType.choices)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "brand logo"
        constraints = [
            models.CheckConstraint(
                condition=Q(logo_type__in=["image/png", "image/svg+xml"]),
                name="provider_brandlogo_type_known",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="provider_brandlogo_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.logo_type} {self.sha256[:16]}"
