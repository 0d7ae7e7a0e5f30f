"""factory_boy factories. Payments are never built here: tests post them through the services."""

from __future__ import annotations

import factory

from paydesk.accounts.models import Customer, User

PASSWORD = "correct-horse-battery-staple"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    currency = "USD"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class PortalUserFactory(UserFactory):
    customer = factory.SubFactory(CustomerFactory)


class StaffFactory(UserFactory):
    staff_role = "finance"
