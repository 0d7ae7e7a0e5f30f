"""The demo's people: the two customers' plans (Acme, Nordlicht), their records, and one login per
role (DEMO_LOGINS), each with the demo's authenticator secret."""

from __future__ import annotations

from dataclasses import dataclass

from paydesk.accounts.models import Customer, PaymentMethod, StaffRole, User
from paydesk.accounts.services import portal_user_create, staff_user_create
from paydesk.twofactor.models import AuthenticatorDevice
from paydesk.twofactor.totp import DEMO_TOTP_SECRET, totp_key_from_secret

BANK, CARD, PAYPAL = PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.PAYPAL


NOWPAYMENTS, MANUAL = PaymentMethod.NOWPAYMENTS, PaymentMethod.MANUAL


@dataclass(frozen=True)
class DemoLogin:
    """A sign-in the demo prints; the password is public on purpose (demo only)."""

    email: str
    password: str
    who: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("customer@example.com", "demo-customer-pass", "Customer: Acme Telecom (USD)"),
    DemoLogin(
        "bookkeeper@example.com", "demo-bookkeeper-pass", "Customer, view only: Acme Telecom"
    ),
    DemoLogin("eur@example.com", "demo-eur-pass", "Customer: Nordlicht Telekom GmbH (EUR)"),
    DemoLogin("admin@example.com", "demo-admin-pass", "Staff: Administrator"),
    DemoLogin("finance@example.com", "demo-finance-pass", "Staff: Finance"),
    DemoLogin("support@example.com", "demo-support-pass", "Staff: Support"),
)


# The demo's staff logins share this authenticator secret: public on purpose, like their
# passwords, so a tester can sign in (`paydesk totp-code` prints the current code). Staff added
# in the demo set up their own.


@dataclass(frozen=True)
class _Plan:
    """How one demo customer buys and pays over the year."""

    name: str
    currency: str
    debit_limit: str
    minimum_payment: str
    contacts: tuple[str, ...]
    # (months after the start it was taken, number, monthly rental, setup fee)
    dids: tuple[tuple[int, str, str, str], ...]
    package: tuple[str, str]
    trunk_setup_fee: str
    usage_weekdays: tuple[int, ...]  # Monday = 0
    usage_minutes: tuple[int, int]
    usage_rate: str  # per minute: below a cent, so usage charges have 4 decimals
    destinations: tuple[str, ...]
    topup_every_days: tuple[int, int]
    topup_amounts: tuple[int, ...]
    topup_methods: tuple[str, ...]  # repeated entries weigh more
    opening_topup: str
    bank_prefix: str


ACME = _Plan(
    name="Acme Telecom",
    currency="USD",
    debit_limit="100",
    minimum_payment="20",
    contacts=("billing@acme-telecom.example", "noc@acme-telecom.example"),
    dids=(
        (0, "+1 212 555 0142", "1.50", "5.00"),
        (0, "+1 212 555 0143", "1.50", "5.00"),
        (0, "+1 800 555 0199", "4.00", "10.00"),
        (4, "+1 646 555 0110", "1.75", "5.00"),
        (8, "+1 305 555 0177", "1.75", "5.00"),
    ),
    package=("Business Voice 5,000 minutes", "49.00"),
    trunk_setup_fee="25.00",
    usage_weekdays=(0, 3),
    usage_minutes=(600, 1500),
    usage_rate="0.0089",
    destinations=("US & Canada", "Mexico mobile", "United Kingdom", "India"),
    topup_every_days=(3, 7),
    topup_amounts=(20, 20, 25, 30, 50, 50, 75),
    topup_methods=(CARD, CARD, CARD, PAYPAL, PAYPAL, BANK, NOWPAYMENTS),
    opening_topup="200.00",
    bank_prefix="Wire transfer",
)


NORDLICHT = _Plan(
    name="Nordlicht Telekom GmbH",
    currency="EUR",
    debit_limit="0",
    minimum_payment="50",
    contacts=("buchhaltung@nordlicht.example",),
    dids=(
        (0, "+49 30 5555 0100", "1.00", "0"),
        (0, "+49 40 5555 0200", "1.00", "0"),
        (6, "+49 89 5555 0300", "1.20", "2.50"),
    ),
    package=("Flatrate DE Festnetz 10.000", "79.00"),
    trunk_setup_fee="49.00",
    usage_weekdays=(0, 2, 4),
    usage_minutes=(800, 2000),
    usage_rate="0.0065",
    destinations=("Germany fixed", "Germany mobile", "Austria", "Switzerland"),
    topup_every_days=(5, 9),
    topup_amounts=(50, 50, 50, 75, 100),
    topup_methods=(BANK, BANK, BANK, CARD, PAYPAL),
    opening_topup="300.00",
    bank_prefix="SEPA transfer",
)


# Acme may top up in these (Nordlicht only in euros, its account currency).
ACME_TOPUP_CURRENCIES = ["USD", "EUR", "GBP", "INR", "NGN"]


DEMO_FINANCE_EMAIL = "finance@example.com"


def _demo_finance() -> User | None:
    """The demo's Finance user, who sets the rates and issues the vouchers (audited as them)."""
    return User.objects.filter(email=DEMO_FINANCE_EMAIL, is_active=True).first()


def _seed_users(customers: list[Customer]) -> None:
    acme, nordlicht = customers
    passwords = {login.email: login.password for login in DEMO_LOGINS}

    def portal(email: str, customer: Customer, name: str, can_pay: bool = True) -> None:
        portal_user_create(
            customer=customer,
            email=email,
            password=passwords[email],
            full_name=name,
            can_make_payments=can_pay,
            can_manage_billing=can_pay,  # the bookkeeper only reads: no billing setup either
            validate=False,  # the demo passwords are public; validators would refuse some
        )

    portal("customer@example.com", acme, "Casey Customer")
    portal("bookkeeper@example.com", acme, "Bo Bookkeeper", can_pay=False)
    portal("eur@example.com", nordlicht, "Erika Schmidt")
    nordlicht.users.filter(email="eur@example.com").update(time_zone="Europe/Berlin")
    for email, role, name in (
        ("admin@example.com", StaffRole.ADMIN, "Ada Admin"),
        ("finance@example.com", StaffRole.FINANCE, "Finn Finance"),
        ("support@example.com", StaffRole.SUPPORT, "Sam Support"),
    ):
        staff = staff_user_create(
            email=email, password=passwords[email], role=role, full_name=name, validate=False
        )
        # Demo only: enrolled without a confirming code, since its secret is public anyway.
        AuthenticatorDevice.objects.create(
            user=staff,
            name="Demo authenticator (public secret)",
            key=totp_key_from_secret(DEMO_TOTP_SECRET),
            confirmed=True,
        )
