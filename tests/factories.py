"""factory_boy factories for the whole suite. Append factories for new apps below."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.cases.models import Act, Event, Person
from amparo.core.models import Clearance, Membership, Organisation, Role, Term, User
from amparo.intake.models import Submission as IntakeSubmission
from amparo.intake.services.submissions import Receipt as IntakeReceipt
from amparo.network.models import Member as NetworkMember

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

    @factory.post_generation
    def personal_key(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        """The personal key an account gets at its first sign-in (issue 16), made now with the
        factory's password, so signing in goes straight on; `personal_key=False` leaves the
        account without one, as before its first sign-in."""
        if create and extracted is not False and obj.check_password(PASSWORD):
            from amparo.core import custody

            custody.write_personal_key(obj, PASSWORD)


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


# --- intake ---------------------------------------------------------------------------------


def intake_answers(**overrides: object) -> dict[str, object]:
    """Valid answers to the public report form, as the browser posts them (no token)."""
    answers: dict[str, object] = {
        "what_happened": "Two men on a motorbike followed me home after the hearing.",
        "when_year": "2025",
        "when_month": "3",
        "when_day": "14",
        "country": "KE",
        "region": "Nairobi",
        "target": "me",
        "victim_name": "",
        "defender_types": ["lawyer"],
        "acts": ["surveillance_physical", "threat_death"],
        "perpetrator": "Unknown men",
        "danger": "yes",
        "danger_details": "They know where I live.",
        "contact_method": "follow_up",
        "contact_details": "",
        "consent_partner": "on",
    }
    answers.update(overrides)
    return {key: value for key, value in answers.items() if value is not None}


def intake_report(**overrides: object) -> tuple[IntakeSubmission, IntakeReceipt]:
    """A report submitted through the service, as the form would; returns it and its receipt."""
    from amparo.intake.services import submissions

    values: dict[str, object] = {
        "what_happened": "Two men on a motorbike followed me home after the hearing.",
        "danger": "yes",
        "target": "me",
        "language": "en",
        "country": "KE",
        "region": "Nairobi",
        "acts": ["threat_death"],
        "defender_types": ["lawyer"],
        "consent_partner": True,
    }
    files = overrides.pop("files", [])
    values.update(overrides)
    receipt = submissions.submit_report(submissions.ReportInput(**values), files)  # type: ignore[arg-type]
    submission = IntakeSubmission.objects.get(receipt_hash=_receipt_hash(receipt.receipt))
    return submission, receipt


def _receipt_hash(receipt: str) -> str:
    from amparo.intake import receipts

    return receipts.hash_receipt(receipts.normalise(receipt) or "")


# --- network ----------------------------------------------------------------------------------


def network_member(country: str = "KE", status: str = "active", **fields: object) -> NetworkMember:
    """A member of the Global Network, written directly (flows go through network.services)."""
    from amparo.network.queries import today

    values: dict[str, object] = {"status_since": today(), "joined_on": None}
    if status in ("active", "under_review", "suspended"):
        values["joined_on"] = today()
    values.update(fields)
    return NetworkMember.objects.create(country=country, status=status, **values)
