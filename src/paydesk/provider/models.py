"""The provider's settings kept by Paydesk: gateway credentials (encrypted) and the brand.

A credential is one value of one gateway's test or live set (GatewaySecret). Its value is only
ever stored as a Fernet token (provider/crypto.py) and its last four characters, for the page.
The brand is one row (pk 1): one deployment serves one provider.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


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

    name = models.CharField(max_length=80, blank=True, default="")  # empty: the environment's
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, choices=LogoType.choices, blank=True, default="")
    logo_version = models.PositiveIntegerField(default=0)  # in the logo's URL: caches renew
    primary_colour = models.CharField(max_length=7, blank=True, default="")  # #RRGGBB
    support_email = models.EmailField(blank=True, default="")
    support_phone = models.CharField(max_length=40, blank=True, default="")
    legal_footer = models.TextField(max_length=1000, blank=True, default="")
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
