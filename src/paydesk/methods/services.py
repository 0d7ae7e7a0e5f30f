"""Saved payment methods: save (a SetupIntent the browser confirms in Stripe's fields), list,
choose the default, remove, and check that a method is the customer's own.

Stripe is the record of what a method is (brand, last four, expiry) and which is the default
(`invoice_settings.default_payment_method`); Paydesk keeps the Stripe Customer's id and the
SetupIntents it started, and binds a finished setup only through those. A card (same number by
Stripe's fingerprint, same expiry) or IBAN the customer has saved already is not saved twice: the
copy is detached and the customer told which saved method it is. Every change is in the
audit log. Gateway calls are made outside database transactions.

A SEPA mandate from a UK, Swiss or other non-EEA IBAN saved without the account holder's
address (before Stripe's 2026-09-30.endive required it) is repaired before it is charged:
`sepa_address_ensure` sends the Billing page's address to Stripe's PaymentMethod.
"""

from __future__ import annotations

import calendar
import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.accounts.billing import billing_profile_saved
from paydesk.accounts.billing_managers import billing_manager_required
from paydesk.accounts.models import Customer
from paydesk.audit.services import audit_record
from paydesk.errors import (
    GatewayError,
    GatewayNothingDone,
    GatewayRateLimited,
    GatewayUnavailable,
    MethodUnavailable,
    NotFound,
    PaydeskError,
)
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED
from paydesk.gateways.stripe.declines import customer_reason
from paydesk.gateways.stripe.elements import SEPA_ADDRESS_REQUIRED, SEPA_NON_EEA_COUNTRIES
from paydesk.gateways.stripe.vault import PAYMENT_METHOD_ID, StripeVault
from paydesk.methods.models import MethodSetup, MethodType, SavedMethodCharge, StripeCustomer

EXPIRING_DAYS = 30
SETUP_SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """One saved method as Stripe shows it (never a full number or IBAN)."""

    id: str
    type: str  # card | sepa_debit
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    expiry: str = ""  # "" | "expiring" | "expired" (cards)
    mandate: str = ""  # the mandate's id at Stripe: the back office only
    mandate_reference: str = ""  # the mandate's reference, as the customer's bank shows it
    added: datetime | None = None  # when it was saved to this customer
    fingerprint: str = ""  # Stripe's: one card number (or IBAN) has one, whatever the method
    country: str = ""  # a SEPA mandate's: the IBAN's country, as Stripe says (`sepa_debit.country`)
    # Whether Stripe's billing_details.address has line1, city, postal_code and country (what a
    # non-EEA IBAN needs since 2026-09-30.endive).
    address_complete: bool = False

    @property
    def plain_label(self) -> str:
        """ "Card •••• 4242", "SEPA Direct Debit •••• 3000"."""
        name = "SEPA Direct Debit" if self.type == MethodType.SEPA_DEBIT else "Card"
        return f"{name} •••• {self.last4}"

    @property
    def label(self) -> str:
        return f"{self.plain_label} (default)" if self.is_default else self.plain_label

    @property
    def brand_text(self) -> str:
        return "" if self.brand in ("", "unknown") else self.brand.replace("_", " ").title()

    @property
    def expiry_text(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}" if self.exp_month and self.exp_year else ""


def _check_user(*, user: Any, customer: Customer) -> None:
    billing_manager_required(
        user=user,
        customer=customer,
        sign_in="Sign in to manage payment methods.",
        not_theirs="You can manage payment methods only for your own account.",
    )


def expiry_state(exp_month: int | None, exp_year: int | None, *, today: date | None = None) -> str:
    """'expired' after the card's month, 'expiring' within 30 days of its month's end, else ''."""
    if not exp_month or not exp_year or not 1 <= exp_month <= 12:
        return ""
    today = today or timezone.localdate()
    last_day = date(exp_year, exp_month, calendar.monthrange(exp_year, exp_month)[1])
    if last_day < today:
        return "expired"
    if last_day <= today + timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return ""


def stripe_customer_ensure(*, customer: Customer, user: Any) -> StripeCustomer:
    """The customer's Stripe Customer, made at Stripe the first time (one per customer: the
    Idempotency-Key is the customer's, so two first saves at once make one at Stripe)."""
    existing = StripeCustomer.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    answer = StripeVault().customer_create(
        customer_ref=str(customer.pk),
        name=customer.name,
        email=getattr(user, "email", ""),
        idempotency_key=f"paydesk-customer-{customer.pk}",
    )
    stripe_id = str(answer.get("id") or "")
    if not stripe_id.startswith("cus_"):
        raise GatewayError("Stripe answered without a Customer.")
    try:
        with transaction.atomic():
            made = StripeCustomer.objects.create(customer=customer, stripe_id=stripe_id)
            audit_record(
                action="stripe_customer_create",
                actor=user,
                obj=made,
                customer_id=customer.pk,
                after={"stripe_id": stripe_id},
            )
            return made
    except IntegrityError:
        return StripeCustomer.objects.get(customer=customer)


def method_setup_start(*, customer: Customer, user: Any, method_type: str) -> MethodSetup:
    """Start saving a method of `method_type`: a SetupIntent (`usage=off_session`) at Stripe,
    recorded as ours. The browser confirms it with its client secret (method_setup_secret)."""
    _check_user(user=user, customer=customer)
    if method_type not in MethodType.values:
        raise PaydeskError("Choose a card or SEPA Direct Debit.", field="method_type")
    profile = stripe_customer_ensure(customer=customer, user=user)
    count = MethodSetup.objects.filter(customer=customer).count()
    intent = StripeVault().setup_intent_create(
        customer_id=profile.stripe_id,
        method_type=method_type,
        # Unique per attempt, and no long run of digits (a timestamp's could pass the Luhn check
        # and read as a card number in the payment log).
        idempotency_key=f"paydesk-setup-{customer.pk}-{count + 1}-{secrets.token_urlsafe(12)}",
    )
    setup_id = str(intent.get("id") or "")
    if not setup_id.startswith("seti_") or intent.get("customer") != profile.stripe_id:
        raise GatewayError("Stripe answered without a SetupIntent for this customer.")
    return MethodSetup.objects.create(
        customer=customer, setup_intent=setup_id, method_type=method_type, created_by=user
    )


def _own_setup(*, customer: Customer, setup_intent: str) -> MethodSetup:
    setup = MethodSetup.objects.filter(customer=customer, setup_intent=setup_intent).first()
    if setup is None:
        raise NotFound("No such payment method setup.")
    return setup


def method_setup_secret(*, customer: Customer, user: Any, setup_intent: str) -> str:
    """The client secret Stripe.js confirms our SetupIntent with (asked of Stripe, never kept)."""
    _check_user(user=user, customer=customer)
    setup = _own_setup(customer=customer, setup_intent=setup_intent)
    if setup.completed_at is not None:
        raise PaydeskError("This payment method is saved already.")
    intent = StripeVault().setup_intent_retrieve(setup.setup_intent)
    secret = str(intent.get("client_secret") or "")
    if not secret.startswith(f"{setup.setup_intent}_secret_"):
        raise GatewayError("Stripe answered the SetupIntent without its client secret.")
    return secret


def method_setup_finish(*, customer: Customer, user: Any, setup_intent: str) -> MethodSetup:
    """The browser says Stripe confirmed the SetupIntent: ask Stripe about the one WE stored and
    keep the method (and, SEPA, the mandate) it saved to the customer's Stripe Customer."""
    _check_user(user=user, customer=customer)
    setup = _own_setup(customer=customer, setup_intent=setup_intent)
    if setup.completed_at is not None:
        return setup
    profile = StripeCustomer.objects.get(customer=customer)
    intent = StripeVault().setup_intent_retrieve(setup.setup_intent)
    status = str(intent.get("status") or "")
    method = str(intent.get("payment_method") or "")
    if intent.get("id") != setup.setup_intent or intent.get("customer") != profile.stripe_id:
        raise GatewayError("Stripe's SetupIntent names another customer.")
    if status != SETUP_SUCCEEDED or not PAYMENT_METHOD_ID.fullmatch(method):
        error = intent.get("last_setup_error")
        message = customer_reason(error) if isinstance(error, dict) else ""
        raise PaydeskError(message or "Stripe has not saved this payment method yet.")
    twin = _saved_twin(profile.stripe_id, method)
    if twin is not None:
        _refuse_twin(setup=setup, user=user, customer=customer, method=method, twin=twin)
    mandate = str(intent.get("mandate") or "")[:120]
    reference = _mandate_reference(mandate)
    with transaction.atomic():
        locked = MethodSetup.objects.select_for_update().get(pk=setup.pk)
        if locked.completed_at is None:
            locked.payment_method = method
            locked.mandate = mandate
            locked.mandate_reference = reference
            locked.completed_at = timezone.now()
            locked.save(
                update_fields=["payment_method", "mandate", "mandate_reference", "completed_at"]
            )
            audit_record(
                action="payment_method_save",
                actor=user,
                obj=locked,
                customer_id=customer.pk,
                after={
                    "payment_method": method,
                    "type": locked.method_type,
                    "mandate": locked.mandate,
                    "mandate_reference": locked.mandate_reference,
                },
            )
    vault = StripeVault()
    if not _default_of(vault.customer_retrieve(profile.stripe_id)):
        vault.customer_default_set(profile.stripe_id, method)  # the first one is the default
    return locked


class AlreadySaved(PaydeskError):
    """The method just saved is one the customer had saved already: it is not kept twice."""


def _saved_twin(stripe_customer: str, method: str) -> SavedMethod | None:
    """Another of the customer's methods made from the same card (same number by Stripe's
    fingerprint, same expiry) or the same IBAN as `method`; None when it is new to them. A card
    renewed with a new expiry is not a twin: it is kept, and the list says both are one number."""
    vault = StripeVault()
    new = _saved(vault.payment_method_get(method), default="", setups={})
    if not new.fingerprint:
        return None
    for item in vault.payment_methods_list(stripe_customer, new.type):
        other = _saved(item, default="", setups={})
        if (
            other.id != new.id
            and item.get("customer") == stripe_customer
            and other.fingerprint == new.fingerprint
            and (other.exp_month, other.exp_year) == (new.exp_month, new.exp_year)
        ):
            return other
    return None


def _refuse_twin(
    *, setup: MethodSetup, user: Any, customer: Customer, method: str, twin: SavedMethod
) -> None:
    """Take the second copy off the customer at Stripe, close the setup without a method (the
    saved one stays as it was) and say which saved method it already is."""
    StripeVault().payment_method_detach(method)
    with transaction.atomic():
        locked = MethodSetup.objects.select_for_update().get(pk=setup.pk)
        if locked.completed_at is None:
            locked.completed_at = timezone.now()
            locked.save(update_fields=["completed_at"])
        audit_record(
            action="payment_method_save_duplicate",
            actor=user,
            obj=locked,
            customer_id=customer.pk,
            after={"detached": method, "already_saved_as": twin.id},
        )
    what = "card" if twin.type == MethodType.CARD else "account"
    raise AlreadySaved(
        f"This {what} is saved already, as {twin.plain_label}"
        + (f" (expires {twin.expiry_text})" if twin.expiry_text else "")
        + ": nothing was added."
    )


def _mandate_reference(mandate: str) -> str:
    """The SEPA mandate's reference from Stripe ('' for no mandate, or when Stripe cannot say
    now: the list asks again later)."""
    if not mandate:
        return ""
    try:
        return StripeVault().mandate_reference(mandate)
    except GatewayError:
        return ""


def _saved_setups(customer: Customer) -> dict[str, MethodSetup]:
    """The customer's finished setups by payment method; a mandate whose reference is not known
    yet (saved before Paydesk kept it, or Stripe did not answer then) is asked of Stripe."""
    setups = {
        setup.payment_method: setup
        for setup in MethodSetup.objects.filter(
            customer=customer, completed_at__isnull=False
        ).exclude(payment_method="")  # a second copy of a saved method, refused
    }
    for setup in setups.values():
        if setup.mandate and not setup.mandate_reference:
            setup.mandate_reference = _mandate_reference(setup.mandate)
            if setup.mandate_reference:
                setup.save(update_fields=["mandate_reference"])
    return setups


def _created(item: dict[str, Any]) -> datetime | None:
    created = item.get("created")
    return datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None


def _address_complete(item: dict[str, Any]) -> bool:
    details = item.get("billing_details")
    address = details.get("address") if isinstance(details, dict) else None
    return isinstance(address, dict) and all(address.get(n) for n in SEPA_ADDRESS_REQUIRED)


def _saved(item: dict[str, Any], *, default: str, setups: dict[str, MethodSetup]) -> SavedMethod:
    kind = str(item.get("type") or "")
    details = found if isinstance(found := item.get(kind), dict) else {}
    setup = setups.get(str(item.get("id")))
    month = details.get("exp_month") if kind == MethodType.CARD else None
    year = details.get("exp_year") if kind == MethodType.CARD else None
    month = month if isinstance(month, int) else None
    year = year if isinstance(year, int) else None
    return SavedMethod(
        id=str(item.get("id")),
        type=kind,
        brand=str(details.get("brand") or ""),
        last4=str(details.get("last4") or "")[-4:],
        exp_month=month,
        exp_year=year,
        is_default=item.get("id") == default,
        expiry=expiry_state(month, year),
        mandate=setup.mandate if setup else "",
        mandate_reference=setup.mandate_reference if setup else "",
        added=setup.completed_at if setup else _created(item),
        fingerprint=str(details.get("fingerprint") or ""),
        country=str(details.get("country") or "") if kind == MethodType.SEPA_DEBIT else "",
        address_complete=_address_complete(item),
    )


def saved_methods_list(*, customer: Customer) -> list[SavedMethod]:
    """The customer's saved methods as Stripe has them now, the default first, then cards,
    then SEPA mandates. No Stripe Customer yet: none (and no call)."""
    profile = StripeCustomer.objects.filter(customer=customer).first()
    if profile is None:
        return []
    vault = StripeVault()
    default = _default_of(vault.customer_retrieve(profile.stripe_id))
    setups = _saved_setups(customer)
    methods = [
        _saved(item, default=default, setups=setups)
        for kind in MethodType.values
        for item in vault.payment_methods_list(profile.stripe_id, kind)
        if item.get("customer") == profile.stripe_id
    ]
    return sorted(methods, key=lambda m: (not m.is_default, m.type != MethodType.CARD))


def _default_of(stripe_customer: dict[str, Any]) -> str:
    settings = stripe_customer.get("invoice_settings")
    value = settings.get("default_payment_method") if isinstance(settings, dict) else None
    return value if isinstance(value, str) else ""


def _payment_method_asked(payment_method: str) -> dict[str, Any]:
    """Stripe's PaymentMethod, asked before anything is written or sent (whose it is, what it
    is). A GET changes nothing at Stripe: rate limited (HTTP 429) or not answered, nothing was
    done anywhere, so it is GatewayNothingDone — the same request may simply be sent again (the
    API's 503 with Retry-After, kept under no Idempotency-Key)."""
    try:
        return StripeVault().payment_method_get(payment_method)
    except GatewayUnavailable as error:
        raise GatewayNothingDone(
            f"{error.message} Nothing was done: try again in a minute."
        ) from error


def saved_method_owned(*, customer: Customer, payment_method: str) -> SavedMethod:
    """The saved method `payment_method` if Stripe says it is attached to THIS customer's Stripe
    Customer; NotFound otherwise (another customer's method, a detached one, garbage); Stripe
    rate limiting or not answering → GatewayNothingDone (`_payment_method_asked`)."""
    profile = StripeCustomer.objects.filter(customer=customer).first()
    if profile is None or not PAYMENT_METHOD_ID.fullmatch(payment_method or ""):
        raise NotFound("No such saved payment method.", field="payment_method")
    try:
        item = _payment_method_asked(payment_method)
    except GatewayError as error:
        if "No such" in error.message:
            raise NotFound("No such saved payment method.", field="payment_method") from error
        raise
    if item.get("customer") != profile.stripe_id or item.get("type") not in MethodType.values:
        raise NotFound("No such saved payment method.", field="payment_method")
    return _saved(item, default="", setups={})


def saved_method_is_own(*, customer: Customer, payment_method: str) -> bool:
    """Whether the pm_… a client names is one of this customer's saved methods (True), or a
    method attached to nobody, as Stripe.js makes for a new card (False). One attached to another
    customer's Stripe Customer → NotFound: it is never charged, and says nothing about whose.
    Stripe rate limiting or not answering → GatewayNothingDone (`_payment_method_asked`)."""
    if not PAYMENT_METHOD_ID.fullmatch(payment_method or ""):
        return False
    try:
        item = _payment_method_asked(payment_method)
    except GatewayError as error:
        if "No such" in error.message:
            return False  # the checkout refuses it with Stripe's own answer
        raise
    owner = item.get("customer")
    if not owner:
        return False
    if owner != stripe_customer_id(customer=customer):
        raise NotFound("No such saved payment method.", field="payment_method")
    return True


def stripe_customer_id(*, customer: Customer) -> str:
    profile = StripeCustomer.objects.filter(customer=customer).first()
    return profile.stripe_id if profile else ""


def saved_method_default_set(*, customer: Customer, user: Any, payment_method: str) -> None:
    """Make one of the customer's own methods the default (at Stripe)."""
    _check_user(user=user, customer=customer)
    saved_method_owned(customer=customer, payment_method=payment_method)
    profile = StripeCustomer.objects.get(customer=customer)
    StripeVault().customer_default_set(profile.stripe_id, payment_method)
    audit_record(
        action="payment_method_default",
        actor=user,
        obj=profile,
        customer_id=customer.pk,
        after={"default_payment_method": payment_method},
    )


def saved_method_remove(
    *, customer: Customer, user: Any, payment_method: str, next_default: str = ""
) -> None:
    """Detach one of the customer's methods at Stripe. Removing the default while others remain
    needs `next_default` (which one is the default now); with no other left, none is.

    The new default is set at Stripe first (a customer is never left without one while a method
    remains). Should the detach then fail, the default has moved but the method is still saved:
    that is audited (`payment_method_remove_failed`) and the error says so, in the gateway
    error's kind (GatewayUnavailable when Stripe did not answer). A detach Stripe did not answer
    (HTTP 5xx, a timeout) may have been made all the same: Stripe is asked (`_detached`), and a
    method it says is detached is removed as if the detach had answered. One Stripe rate limited
    (HTTP 429, GatewayRateLimited) was not made: nothing is asked, the customer is told to try
    again in a minute; so is one whose new default Stripe rate limited (nothing changed, nothing
    detached)."""
    _check_user(user=user, customer=customer)
    saved_method_owned(customer=customer, payment_method=payment_method)
    methods = saved_methods_list(customer=customer)
    others = [m.id for m in methods if m.id != payment_method]
    was_default = any(m.is_default and m.id == payment_method for m in methods)
    if was_default and others and next_default not in others:
        raise PaydeskError(
            "This is your default payment method: choose which one is the default now.",
            field="next_default",
        )
    profile = StripeCustomer.objects.get(customer=customer)
    vault = StripeVault()
    moved = was_default and bool(others)
    if moved:
        try:
            vault.customer_default_set(profile.stripe_id, next_default)
        except GatewayRateLimited as error:  # Stripe did nothing: nothing to audit or undo
            label = next(
                (m.plain_label for m in methods if m.id == payment_method), "The payment method"
            )
            raise GatewayRateLimited(
                f"{label} could not be removed: {error.message} Nothing was changed: it is "
                "still saved and still your default. Try removing it again in a minute."
            ) from error
    after: dict[str, Any] = {"default_payment_method": next_default if was_default else None}
    try:
        vault.payment_method_detach(payment_method)
    except GatewayError as error:
        unknown = isinstance(error, GatewayUnavailable) and not isinstance(
            error, GatewayRateLimited
        )
        detached = _detached(vault, payment_method) if unknown else False
        if not detached:
            _remove_failed(
                customer=customer,
                user=user,
                profile=profile,
                methods=methods,
                removed=payment_method,
                was_default=was_default,
                next_default=next_default if moved else "",
                error=error,
                detached=detached,
            )
        after["detach_error"] = error.message[:300]  # answered so, yet Stripe says detached
    audit_record(
        action="payment_method_remove",
        actor=user,
        obj=profile,
        customer_id=customer.pk,
        before={"payment_method": payment_method, "default": was_default},
        after=after,
    )


def _detached(vault: StripeVault, payment_method: str) -> bool | None:
    """After a detach Stripe did not answer: whether Stripe says `payment_method` is detached
    now (its `customer` is null), or None when Stripe cannot be asked either."""
    try:
        return not vault.payment_method_get(payment_method).get("customer")
    except GatewayError:
        return None


def billing_address(customer: Customer) -> dict[str, str]:
    """The Billing page's address as Stripe's billing_details.address (its filled fields only):
    a SEPA mandate from a UK, Swiss or other non-EEA IBAN needs it (the setup page sends it;
    `sepa_address_ensure` sends it for a mandate saved without it)."""
    profile = billing_profile_saved(customer=customer)
    if profile is None:
        return {}
    fields = {
        "line1": profile.address_line1,
        "line2": profile.address_line2,
        "city": profile.city,
        "postal_code": profile.postal_code,
        "state": profile.region,
        "country": profile.country,
    }
    return {name: value for name, value in fields.items() if value}


def sepa_address_ensure(
    *, customer: Customer, method: SavedMethod, actor: Any = None
) -> SavedMethod:
    """Call once the payment's quote is accepted, before anything is written or charged
    (outside any transaction): a refused quote sends nothing. A SEPA mandate whose IBAN is
    outside the EEA and whose PaymentMethod at Stripe lacks line1, city, postal code or country
    (saved before Stripe's 2026-09-30.endive required them) gets the Billing page's address
    ("Update a PaymentMethod"), audited as `payment_method_address_send`; the method as it is
    now. Anything else is left as it is. Without those four on the Billing page nothing is sent
    nor charged: MethodUnavailable with SEPA_ADDRESS_NEEDED (add it on the Billing page), which
    Stripe would answer to the debit anyway. `actor`: the user paying (None: a top-up)."""
    if (
        method.type != MethodType.SEPA_DEBIT
        or method.country not in SEPA_NON_EEA_COUNTRIES
        or method.address_complete
    ):
        return method
    address = billing_address(customer)
    if not all(address.get(name) for name in SEPA_ADDRESS_REQUIRED):
        raise MethodUnavailable(SEPA_ADDRESS_NEEDED, field="payment_method")
    answer = StripeVault().payment_method_address_set(method.id, address)
    audit_record(
        action="payment_method_address_send",
        actor=actor,
        obj=StripeCustomer.objects.get(customer=customer),
        customer_id=customer.pk,
        before={"payment_method": method.id, "address_complete": False},
        after={
            "payment_method": method.id,
            "billing_address": address,  # the Billing page's, as sent to Stripe
            "address_complete": _address_complete(answer),
        },
    )
    return dataclasses.replace(method, address_complete=_address_complete(answer))


def _remove_failed(
    *,
    customer: Customer,
    user: Any,
    profile: StripeCustomer,
    methods: list[SavedMethod],
    removed: str,
    was_default: bool,
    next_default: str,
    error: GatewayError,
    detached: bool | None,
) -> NoReturn:
    """Stripe did not detach `removed` (after `next_default`, when named, was made the default),
    or, `detached` None, did not answer and could not say whether it did: audit what happened
    and raise the error the customer reads."""
    audit_record(
        action="payment_method_remove_failed",
        actor=user,
        obj=profile,
        customer_id=customer.pk,
        before={"payment_method": removed, "default": was_default},
        after={
            "default_payment_method": next_default or (removed if was_default else None),
            "default_moved": bool(next_default),
            "detached": detached,
            "error": error.message[:300],
        },
    )
    labels = {m.id: m.plain_label for m in methods}
    label = labels.get(removed, "The payment method")
    message = f"{label} could not be removed: {error.message}"
    if next_default:
        message += f" {labels.get(next_default, next_default)} is your default payment method now."
    if detached is None:
        message += (
            f" Stripe could not say whether {label} is still saved: look at your saved payment "
            "methods again later."
        )
    elif isinstance(error, GatewayRateLimited):
        message += f" {label} is still saved: try removing it again in a minute."
    else:
        message += f" {label} is still saved: try removing it again later."
    kinds = (GatewayRateLimited, GatewayUnavailable, GatewayError)
    kind = next(k for k in kinds if isinstance(error, k))
    raise kind(message) from error


def saved_method_charge_record(*, payment: Any, method: SavedMethod) -> SavedMethodCharge:
    """Keep which saved method pays `payment` (call it in the payment's transaction) and, for a
    SEPA debit, the mandate Paydesk kept when the customer saved it."""
    mandate = (
        MethodSetup.objects.filter(customer_id=payment.customer_id, payment_method=method.id)
        .exclude(mandate="")
        .values_list("mandate", flat=True)
        .first()
    ) or ""
    return SavedMethodCharge.objects.create(
        payment=payment,
        payment_method=method.id,
        method_type=method.type,
        label=method.plain_label,
        mandate=mandate,
    )
