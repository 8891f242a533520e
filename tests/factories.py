"""factory_boy factories for the whole suite. Append factories for new apps below."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.cases.models import Act, Event, Person
from amparo.core.models import Clearance, Membership, Organisation, Role, Term, User

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_code = factory.Sequence(lambda n: f"ORG{n}")
    kind = Organisation.Kind.NHRI
    country = "KE"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.DOCUMENTALIST
    clearance = Clearance.PUBLIC


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "authenticator"
    confirmed = True


def member(
    role: str = Role.DOCUMENTALIST,
    clearance: int = Clearance.PUBLIC,
    organisation: Organisation | None = None,
    **user_fields: object,
) -> User:
    """A user with one active membership."""
    user = UserFactory(**user_fields)
    MembershipFactory(
        user=user,
        organisation=organisation or OrganisationFactory(),
        role=role,
        clearance=clearance,
    )
    return user


# --- cases ----------------------------------------------------------------------------------


def hrd_term(code: str, thesaurus: str = "hrd_violations") -> Term:
    """A term of a shipped vocabulary (tests/cases/conftest.py loads them)."""
    return Term.objects.get(thesaurus__code=thesaurus, code=code)


class EventFactory(factory.django.DjangoModelFactory):
    """An event written directly, for access tests; flows go through cases.services."""

    class Meta:
        model = Event

    organisation = factory.SubFactory(OrganisationFactory)
    reference_code = factory.Sequence(lambda n: f"TEST-2026-{n:04d}")
    title = factory.Sequence(lambda n: f"Event {n}")
    country = "KE"
    confidentiality = Clearance.RESTRICTED


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Defender Number {n}")
    confidentiality = Clearance.RESTRICTED


class ActFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Act

    event = factory.SubFactory(EventFactory)
    victim = factory.SubFactory(
        PersonFactory, organisation=factory.SelfAttribute("..event.organisation")
    )
    type_of_act = factory.LazyFunction(lambda: hrd_term("threat"))
