"""What a bank account number is, so that pages and emails label it as such: "IBAN" when it is
one (python-stdnum's check: country, length and check digits), "Account number" otherwise.

Never refuses or rewrites a number: the provider's bank details are theirs to type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from stdnum import iban

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def account_number_label(number: str) -> StrOrPromise:
    """ "IBAN" for a valid IBAN (spaces allowed), else "Account number"."""
    return _("IBAN") if iban.is_valid(number or "") else _("Account number")
