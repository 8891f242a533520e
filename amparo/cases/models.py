"""The case record: HURIDOCS Events Standard Formats, extended for human rights defenders.

An Event (what happened, where, when) holds Acts (one violation against one victim), each with
the Involvements of perpetrators. Sources tell us about the event, Interventions are what someone
did about it, ChainLinks join events (threat → surveillance → killing). A Person is a victim,
perpetrator, source or intervening party, an individual or an organisation (an NHRI or a
defenders' organisation can be the target too). Identifying fields of a person are encrypted;
the attributes statistics count (sex/gender, age group, type of defender, country, region) are
not.

Who may see an event and a person's identity is decided in `amparo.cases.access`; every change
goes through `amparo.cases.services`, which versions the event aggregate (EventVersion) and
writes the audit log.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import Any, ClassVar

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from amparo.core.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField
from amparo.core.models import (
    AuditEntry,
    Clearance,
    Membership,
    Organisation,
    SealedRecord,
    Term,
    User,
    validate_country_code,
)

# --- Controlled vocabularies ------------------------------------------------------------------


def huridocs(list_code: str) -> str:
    """The Thesaurus.code of a HURIDOCS micro-thesaurus: its two-digit list number."""
    return list_code


class Vocab:
    """Which thesauri (Thesaurus.code) each controlled field draws its terms from.

    Our own HRD lists come first where a HURIDOCS list covers the same ground: their terms name
    their closest HURIDOCS equivalent, so records stay exchangeable.
    """

    TYPE_OF_ACT = ("hrd_violations", huridocs("04"))
    METHOD = (huridocs("05"),)
    CONSEQUENCE = (huridocs("25"),)
    DEFENDER_TYPE = ("defender_types",)
    SEX = ("gender",)
    AGE_GROUP = ("age_groups",)
    DEGREE_OF_INVOLVEMENT = (huridocs("18"),)
    PERPETRATOR_TYPE = ("perpetrator_types", huridocs("24"))
    RELIABILITY = (huridocs("42"),)
    SOURCE_CONNECTION = (huridocs("19"),)
    SOURCE_MATERIAL = (huridocs("16"),)
    LANGUAGE = (huridocs("14"),)
    INTERVENTION_TYPE = ("intervention_types", huridocs("20"))
    INTERVENTION_STATUS = (huridocs("45"),)
    CHAIN_TYPE = (huridocs("22"),)
    MONITORING_STATUS = (huridocs("43"),)


def in_thesauri(codes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """`limit_choices_to` for a Term foreign key: checked by forms and by `full_clean`."""
    return {"thesaurus__code__in": codes}


def validate_terms(terms: Iterable[Term], codes: tuple[str, ...], field: str) -> None:
    """Many-to-many terms are not checked by `full_clean`; services call this instead."""
    wrong = [t for t in terms if t.thesaurus.code not in codes]
    if wrong:
        raise ValidationError(
            {
                field: _("%(term)s is not a term of the list this field uses.")
                % {"term": wrong[0].label()}
            }
        )


def term_field(
    codes: tuple[str, ...], verbose_name: StrOrPromise, *, required: bool = False
) -> models.ForeignKey[Term | None, Term | None]:
    return models.ForeignKey(
        Term,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
        limit_choices_to=in_thesauri(codes),
        null=not required,
        blank=not required,
    )


# --- Dates and places -------------------------------------------------------------------------


class DatePrecision(models.TextChoices):
    """How much of a stored date is known. A month-precise date is stored as the 1st of the
    month, a year-precise one as 1 January, an unknown one as no date at all."""

    DAY = "day", _("Exact day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")
    UNKNOWN = "unknown", _("Unknown")


def normalise_partial_date(
    value: datetime.date | None, precision: str
) -> tuple[datetime.date | None, str]:
    """The canonical stored form of a date known to `precision`: (date, precision). A blank date
    means the date is unknown, whatever precision was chosen (forms offer "Exact day" first, and
    an empty date field should not fail because of it)."""
    if value is None or precision == DatePrecision.UNKNOWN:
        return None, DatePrecision.UNKNOWN
    if precision == DatePrecision.MONTH:
        return value.replace(day=1), precision
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1), precision
    return value, precision


def check_not_in_future(value: datetime.date | None, field: str) -> None:
    if value is None:
        return
    # Every time zone's date is within a day of UTC's: an older date needs no look-up of the
    # current time zone (an import checks tens of thousands of dates).
    if value < datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1):
        return
    if value > timezone.localdate():
        raise ValidationError({field: _("This date is in the future.")})


def partial_date_iso(value: datetime.date | None, precision: str) -> str:
    """2024, 2024-03 or 2024-03-05 as far as the date is known; empty when unknown."""
    if value is None or precision == DatePrecision.UNKNOWN:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def format_partial_date(value: datetime.date | None, precision: str) -> str:
    """The date as far as it is known, for people to read."""
    return partial_date_iso(value, precision) or str(_("date unknown"))


@functools.lru_cache(maxsize=1024)
def _subdivision(code: str) -> Any:
    """The ISO 3166-2 subdivision `code` names, or None (an import checks thousands)."""
    return pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]


def validate_region(country: str, region: str, field: str = "region") -> None:
    """A region is an ISO 3166-2 subdivision code of the record's country (e.g. KE-30)."""
    if not region:
        return
    if not country:
        raise ValidationError({field: _("Choose the country before the region.")})
    subdivision = _subdivision(region.upper())
    if subdivision is None:
        raise ValidationError(
            {field: _("%(code)s is not an ISO 3166-2 region code.") % {"code": region}}
        )
    if subdivision.country_code != country.upper():
        raise ValidationError(
            {
                field: _("%(code)s is not a region of %(country)s.")
                % {"code": region, "country": country}
            }
        )
    parent = getattr(subdivision, "parent_code", None)
    if parent:
        raise ValidationError(
            {
                field: _("%(code)s lies within %(parent)s: give the first-level region.")
                % {"code": region, "parent": parent}
            }
        )


class CoordinatePrecision(models.TextChoices):
    EXACT = "exact", _("Exact spot")
    LOCALITY = "locality", _("Centre of the locality")
    REGION = "region", _("Centre of the region")
    APPROXIMATE = "approximate", _("Approximate")


def check_coordinates(
    latitude: object, longitude: object, precision: str, field: str = "latitude"
) -> None:
    if (latitude is None) != (longitude is None):
        raise ValidationError({field: _("Give both latitude and longitude, or neither.")})
    if latitude is not None and not precision:
        raise ValidationError({"coordinate_precision": _("Say how precise the coordinates are.")})


def latitude_field() -> models.DecimalField[object, object]:
    return models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )


def longitude_field() -> models.DecimalField[object, object]:
    return models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )


def creator_field() -> models.ForeignKey[User | None, User | None]:
    """Who recorded a row (kept when the account is deactivated, never deleted)."""
    return models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class NumberedRecord(models.Model):
    """A record named by its kind and number ("act #12") wherever Django shows it (admin,
    errors, logs): what it holds may be confidential."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


def country_field(blank: bool = True) -> models.CharField[str, str]:
    return models.CharField(
        _("country"), max_length=2, blank=blank, validators=[validate_country_code]
    )


def region_field() -> models.CharField[str, str]:
    return models.CharField(
        _("region"),
        max_length=6,
        blank=True,
        help_text=_("ISO 3166-2 code of the first-level region, e.g. KE-30."),
    )


# --- People -----------------------------------------------------------------------------------


# What identifies a person: encrypted at rest, and shown outside the owning organisation only
# where a live consent covers the viewer (cases/access.py). Everything else is statistical.
# What an event says happened, where and when: the fields every form, input and output of an
# event carries.
EVENT_DESCRIPTION_FIELDS = (
    "title",
    "description",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "country",
    "region",
    "locality",
    "latitude",
    "longitude",
    "coordinate_precision",
)
IDENTIFYING_FIELDS = ("full_name", "other_names", "contact", "id_numbers", "address", "notes")
# What is counted about a person: in clear, for statistics (see Person).
PERSON_ATTRIBUTES = ("sex", "age_group", "defender_types", "country", "region")
# Everything a person is given as, by the pages, the API and imports: the one declaration the
# services' PersonInput, the API's schemas and the import's PersonSpec follow (a test holds them
# to it). Those given as terms name their vocabulary in PERSON_TERMS.
PERSON_FIELDS = ("kind", *IDENTIFYING_FIELDS, *PERSON_ATTRIBUTES, "confidentiality", "external_id")
PERSON_TERMS: dict[str, tuple[str, ...]] = {
    "sex": Vocab.SEX,
    "age_group": Vocab.AGE_GROUP,
    "defender_types": Vocab.DEFENDER_TYPE,
}


class Person(SealedRecord):
    """A victim, perpetrator, source or intervening party: an individual or an organisation.

    Belongs to the organisation that documented it. Identifying fields are encrypted at rest;
    `full_name_index` allows exact search by name, for those who hold the organisation's index
    key (core.models.IndexKey): a copy of the server cannot test a guessed name.
    `confidentiality` is the clearance a member of the owning organisation needs to see who this
    is; outside it, only consent discloses it.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ORGANISATION = "organisation", _("Organisation or group")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_persons"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    # Identifying, encrypted.
    full_name = EncryptedTextField(_("full name"), blank=True, default="", sealed_by="data_key")
    full_name_index = BlindIndexField(source="full_name", keyed_by="organisation")
    other_names = EncryptedTextField(
        _("other names and aliases"),
        blank=True,
        default="",
        help_text=_("One per line."),
        sealed_by="data_key",
    )
    contact = EncryptedTextField(_("contact details"), blank=True, default="", sealed_by="data_key")
    id_numbers = EncryptedTextField(
        _("identity document numbers"), blank=True, default="", sealed_by="data_key"
    )
    address = EncryptedTextField(_("exact address"), blank=True, default="", sealed_by="data_key")
    notes = EncryptedTextField(_("notes"), blank=True, default="", sealed_by="data_key")
    # Statistical, in the clear.
    sex = term_field(Vocab.SEX, _("sex / gender"))
    age_group = term_field(Vocab.AGE_GROUP, _("age group"))
    defender_types = models.ManyToManyField(
        Term,
        related_name="+",
        blank=True,
        verbose_name=_("types of defender"),
        limit_choices_to=in_thesauri(Vocab.DEFENDER_TYPE),
    )
    country = country_field()
    region = region_field()
    confidentiality = models.PositiveSmallIntegerField(
        _("identity confidentiality"),
        choices=Clearance.choices,
        default=Clearance.CONFIDENTIAL,
        help_text=_("The clearance staff of the owning organisation need to see who this is."),
    )
    external_id = models.CharField(_("external identifier"), max_length=100, blank=True)
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Set while an import writes this record: hidden from everyone until the import publishes
    # all it wrote at once (amparo/cases/services/bulk.py), deleted if the import fails.
    pending_import = models.ForeignKey(
        "ImportJob", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="person_external_id_unique_per_organisation",
            )
        ]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        # Never the name: __str__ ends up in logs, error pages and the audit log.
        return f"{self._meta.verbose_name} #{self.pk}"

    def clean(self) -> None:
        validate_region(self.country, self.region)

    def sealing_scope(self) -> tuple[int, int]:
        return self.organisation_id, self.confidentiality


# --- Events and what happened in them ---------------------------------------------------------


class Event(SealedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", pgettext_lazy("event status", "Closed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("owning organisation"),
    )
    reference_code = models.CharField(_("reference code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_(
            "What happened, in the clear and searchable: keep names and other identifying "
            "details in the persons' records."
        ),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    start_precision = models.CharField(
        _("start date precision"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_precision = models.CharField(
        _("end date precision"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    country = country_field()
    region = region_field()
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    coordinate_precision = models.CharField(
        _("coordinate precision"), max_length=12, choices=CoordinatePrecision.choices, blank=True
    )
    confidentiality = models.PositiveSmallIntegerField(
        _("confidentiality"), choices=Clearance.choices, default=Clearance.CONFIDENTIAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    monitoring_status = term_field(Vocab.MONITORING_STATUS, _("monitoring status"))
    notes = EncryptedTextField(
        _("internal notes"),
        blank=True,
        default="",
        help_text=_("Encrypted; not searchable."),
        sealed_by="data_key",
    )
    external_id = models.CharField(
        _("external identifier"),
        max_length=100,
        blank=True,
        help_text=_("The record's identifier in the system it was imported from."),
    )
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=0, help_text=_("Number of the latest EventVersion; guards against lost updates.")
    )
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)
    # The random token of the form that recorded the event: a form sent twice (Back, then Save
    # again; a double click) finds the event it recorded instead of recording a second one.
    # Nullable (None: recorded without a token) because SQLite adds a nullable column in place,
    # where a NOT NULL one makes Django rebuild the table, which drops the triggers that keep
    # the text index (migration 0004) up to date.
    creation_token = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Set while an import writes this record: hidden from everyone until the import publishes
    # all it wrote at once (amparo/cases/services/bulk.py), deleted if the import fails.
    pending_import = models.ForeignKey(
        "ImportJob", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = [models.F("start_date").desc(nulls_last=True), "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="event_external_id_unique_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["created_by", "creation_token"],
                condition=Q(creation_token__isnull=False),
                name="event_creation_token_unique_per_creator",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["organisation", "confidentiality"]),
            models.Index(fields=["country", "start_date"]),
            # The list's order has its own index, per database: migration 0002.
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.reference_code} {self.title}"

    def clean(self) -> None:
        self.start_date, self.start_precision = normalise_partial_date(
            self.start_date, self.start_precision
        )
        self.end_date, self.end_precision = normalise_partial_date(
            self.end_date, self.end_precision
        )
        check_not_in_future(self.start_date, "start_date")
        check_not_in_future(self.end_date, "end_date")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The event cannot end before it starts.")})
        validate_region(self.country, self.region)
        check_coordinates(self.latitude, self.longitude, self.coordinate_precision)

    def sealing_scope(self) -> tuple[int, int]:
        return self.organisation_id, self.confidentiality

    @property
    def start_display(self) -> str:
        return format_partial_date(self.start_date, self.start_precision)

    @property
    def end_display(self) -> str:
        return format_partial_date(self.end_date, self.end_precision)


class Act(NumberedRecord, SealedRecord):
    """One violation against one victim (a person or an organisation) within an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="acts")
    victim = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="acts_as_victim", verbose_name=_("victim")
    )
    type_of_act = term_field(Vocab.TYPE_OF_ACT, _("type of act"), required=True)
    method = term_field(Vocab.METHOD, _("method"))
    date = models.DateField(_("date"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.UNKNOWN,
    )
    consequences = models.ManyToManyField(
        Term,
        related_name="+",
        blank=True,
        verbose_name=_("consequences"),
        limit_choices_to=in_thesauri(Vocab.CONSEQUENCE),
    )
    targeted_activity = term_field(Vocab.DEFENDER_TYPE, _("defender activity targeted"))
    # Where the act happened, when it differs from the event's place.
    country = country_field()
    region = region_field()
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    remarks = EncryptedTextField(_("remarks"), blank=True, default="", sealed_by="data_key")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [models.F("date").asc(nulls_last=True), "id"]
        verbose_name = _("act")
        verbose_name_plural = _("acts")
        # The events with acts of some types, read from the index alone (see
        # queries.EventConditions).
        indexes = [models.Index(fields=["type_of_act", "event"], name="cases_act_type_event")]

    def sealing_parent(self) -> Event:
        return self.event

    def clean(self) -> None:
        self.date, self.date_precision = normalise_partial_date(self.date, self.date_precision)
        check_not_in_future(self.date, "date")
        validate_region(self.country, self.region)

    @property
    def date_display(self) -> str:
        return format_partial_date(self.date, self.date_precision)


class Involvement(NumberedRecord):
    """A perpetrator's part in an act. No perpetrator person: unidentified (e.g. "armed men")."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="involvements")
    perpetrator = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="involvements",
        null=True,
        blank=True,
        verbose_name=_("perpetrator"),
    )
    degree_of_involvement = term_field(Vocab.DEGREE_OF_INVOLVEMENT, _("degree of involvement"))
    perpetrator_type = term_field(Vocab.PERPETRATOR_TYPE, _("type of perpetrator"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")

    def clean(self) -> None:
        if self.perpetrator_id is None and self.perpetrator_type_id is None:
            raise ValidationError(
                {"perpetrator_type": _("Name the perpetrator or at least their type.")}
            )


class Source(NumberedRecord, SealedRecord):
    """A piece of information about the event (HURIDOCS "Information")."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sources")
    source_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="sources_given",
        null=True,
        blank=True,
        verbose_name=_("source"),
    )
    received_on = models.DateField(_("date of the information"), null=True, blank=True)
    reliability = term_field(Vocab.RELIABILITY, _("reliability"))
    connection = term_field(Vocab.SOURCE_CONNECTION, _("connection to the information"))
    material_type = term_field(Vocab.SOURCE_MATERIAL, _("type of source material"))
    material = EncryptedTextField(
        _("original material"), blank=True, default="", sealed_by="data_key"
    )
    language = term_field(Vocab.LANGUAGE, _("language"))
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def sealing_parent(self) -> Event:
        return self.event

    def clean(self) -> None:
        check_not_in_future(self.received_on, "received_on")


class Intervention(NumberedRecord):
    """What someone did about the event: an urgent appeal, a communication to a UN special
    procedure, a request for protective measures, legal support..."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="interventions")
    intervening_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="interventions",
        null=True,
        blank=True,
        verbose_name=_("intervening person or group"),
    )
    intervening_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("intervening organisation"),
    )
    intervention_type = term_field(
        Vocab.INTERVENTION_TYPE, _("type of intervention"), required=True
    )
    date = models.DateField(_("date"), null=True, blank=True)
    status = term_field(Vocab.INTERVENTION_STATUS, _("status"))
    result = models.TextField(_("result"), blank=True)
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def clean(self) -> None:
        check_not_in_future(self.date, "date")


class ChainLink(models.Model):
    """Events that belong together: a threat that preceded a killing, a raid within a crackdown."""

    from_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links_out")
    to_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links_in")
    chain_type = term_field(Vocab.CHAIN_TYPE, _("type of chain"), required=True)
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["from_event", "to_event"], name="one_link_per_pair"),
            models.CheckConstraint(
                condition=~Q(from_event=models.F("to_event")), name="no_link_to_itself"
            ),
        ]
        verbose_name = _("chain link")
        verbose_name_plural = _("chain links")

    def __str__(self) -> str:
        return f"{self.from_event_id} → {self.to_event_id}"


class Comment(NumberedRecord, SealedRecord):
    """A note on an event by its staff or by a partner it was shared with for comment."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField(_("comment"), sealed_by="data_key")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def sealing_parent(self) -> Event:
        return self.event


# --- Sharing and consent ----------------------------------------------------------------------


class SharingGrant(NumberedRecord):
    """The owning organisation lets another organisation, or one user, see an event."""

    class Level(models.TextChoices):
        READ = "read", _("Read")
        COMMENT = "comment", _("Read and comment")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sharing_grants")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="received_grants",
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="received_grants",
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    level = models.CharField(_("access"), max_length=10, choices=Level.choices, default=Level.READ)
    purpose = models.TextField(_("purpose"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When the partner's copies of the keys were deleted: at revocation, or by
    # `amparo sharing expire` once the grant expired (services.sharing.withdraw_expired).
    keys_withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(user__isnull=True))
                | (Q(organisation__isnull=True) & Q(user__isnull=False)),
                name="grant_to_an_organisation_or_a_user",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "revoked_at"]),
            models.Index(fields=["user", "revoked_at"]),
        ]
        verbose_name = _("sharing grant")
        verbose_name_plural = _("sharing grants")

    def is_live(self, at: datetime.datetime | None = None) -> bool:
        moment = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)


class RecipientKind(models.TextChoices):
    """Who a person consented to have their identity disclosed to."""

    OWN_ORGANISATION = "own_organisation", _("The organisation that documented the case")
    PARTNER_ORGANISATIONS = "partner_organisations", _("Partner organisations")
    STATE = "state", _("State focal point or protection mechanism")
    INTERNATIONAL_MECHANISM = "international_mechanism", _("International or regional mechanism")
    PUBLICATION = "publication", _("Publication")


class ConsentRecord(NumberedRecord):
    """A person's consent to disclose their identity to a kind of recipient, for a purpose.

    Live while given and not withdrawn; withdrawal takes effect at once (nothing caches it).
    `recipient_organisation` narrows a consent to one named organisation of that kind.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    recipient_kind = models.CharField(_("recipient"), max_length=30, choices=RecipientKind.choices)
    recipient_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("only this organisation"),
    )
    purpose = models.TextField(_("purpose"))
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        indexes: ClassVar = [models.Index(fields=["person", "withdrawn_at"])]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None and self.given_on <= timezone.localdate()


class DisclosureChannel(models.TextChoices):
    """Through what a person's identity was shown to someone (kept in the audit entry)."""

    EVENT_PAGE = "event_page", _("Event page")
    EVENT_PRINT = "event_print", _("Printable event")
    EVENT_FORM = "event_form", _("Event form")
    API = "api", _("API")
    WEB_EXPORT = "web_export", _("Export from the web")
    CLI_EXPORT = "cli_export", _("Export at the command line")
    STATISTICS = "statistics", _("Statistics (the sources of an estimate)")
    ALERT = "alert", _("Early warning (alerts and risk pages)")
    PUBLICATION = "publication", _("Public portal, under a consent to publication")


class IdentityDisclosure(models.Model):
    """One person whose identity an audit entry records as disclosed ("person.identity_disclosed").

    The entry is the record (chained, listing the person ids); these rows only index it by
    person, so that "who has seen this person" is one index range on SQLite and PostgreSQL
    alike instead of a scan of every entry's JSON. Written with the entry by
    `services.record_disclosure`, never otherwise."""

    # The unique constraint's index (person, entry) serves the lookup; no second index on person.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "entry"], name="one_disclosure_per_entry")
        ]
        verbose_name = _("identity disclosure")
        verbose_name_plural = _("identity disclosures")

    def __str__(self) -> str:
        return f"person {self.person_id} in audit entry {self.entry_id}"


# --- History ----------------------------------------------------------------------------------


class VersionAction(models.TextChoices):
    """What made a version of an event: one registry, as the audit log's actions."""

    CREATE = "create", _("Recorded")
    UPDATE = "update", _("Edited")
    ADD_ACT = "add_act", _("Act added")
    CHANGE_ACT = "change_act", _("Act changed")
    SUBMIT = "submit", _("Submitted for verification")
    VERIFY = "verify", _("Verified")
    CLOSE = "close", pgettext_lazy("event history action", "Closed")
    RESTORE = "restore", _("Earlier version restored")
    ADD_SOURCE = "add_source", _("Source added")
    ADD_INTERVENTION = "add_intervention", _("Intervention added")
    ADD_CHAIN_LINK = "add_chain_link", _("Linked to another event")
    REMOVE_SOURCE = "remove_source", _("Source removed")
    REMOVE_INTERVENTION = "remove_intervention", _("Intervention removed")
    REMOVE_CHAIN_LINK = "remove_chainlink", _("Link to another event removed")
    UPDATE_PERSON = "update_person", _("Person's details changed")
    MERGE_PERSON = "merge_person", _("Two records of one person merged")
    UNMERGE_PERSON = "unmerge_person", _("Merge of two person records undone")


class EventVersion(SealedRecord):
    """The event aggregate (event, acts, involvements, persons, sources, interventions, chain
    links) as it was after one change, and what changed. Both are encrypted at rest; in
    `changes`, the values of encrypted fields show only as "[encrypted]"."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    snapshot = EncryptedJSONField(sealed_by="data_key")
    # Encrypted too: old values of clear fields (a description from which a name was removed)
    # must not stay readable in the database.
    changes = EncryptedJSONField(default=dict, blank=True, sealed_by="data_key")

    class Meta:
        ordering = ["-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "number"], name="version_number_per_event")
        ]
        verbose_name = _("event version")
        verbose_name_plural = _("event versions")

    def __str__(self) -> str:
        return f"{self.event_id} v{self.number}"

    def sealing_scope(self) -> tuple[int, int]:
        """The event's organisation, and the highest level of what the snapshot holds: a
        member not cleared for one of its persons cannot open that identity from history."""
        event = self.snapshot["event"]
        levels = [
            event["confidentiality"],
            *(p["confidentiality"] for p in self.snapshot["persons"]),
        ]
        return event["organisation_id"], max(levels)

    @property
    def action_label(self) -> str:
        if self.action in VersionAction.values:
            return str(VersionAction(self.action).label)
        return self.action


class ReferenceCounter(models.Model):
    """The last reference number given per organisation and year (NHRI-KE-2026-0042)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "year"], name="one_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last_number}"


class PersonMerge(NumberedRecord):
    """Two records of one person, made one: every act, involvement, source and intervention of
    `duplicate` was re-pointed to `survivor`. `moved` lists exactly which rows moved, so that
    undoing the merge puts them back; the duplicate's own record (its names, contacts, consents)
    is kept as it was, and so is every source's record of what it reported."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    duplicate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~Q(survivor=models.F("duplicate")), name="no_merge_with_itself"
            ),
            # A person is merged into one other at a time.
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=Q(undone_at__isnull=True),
                name="one_live_merge_per_duplicate",
            ),
        ]
        verbose_name = _("merge of persons")
        verbose_name_plural = _("merges of persons")


class ImportJob(SealedRecord):
    """One import of a file into an organisation: its progress while it runs, its outcome after.

    The events and persons it creates are written in short transactions, each row marked with
    the job (`pending_import`) and so hidden from everyone, then published together in one
    short transaction; if the import fails or is abandoned, they are deleted. `errors` may quote
    the file's cells (names), so it is encrypted."""

    class Kind(models.TextChoices):
        TABLE = "table", _("Table (CSV or XLSX, one row per act)")
        HURIDOCS = "huridocs", _("HURIDOCS exchange document (JSON)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        CHECKING = "checking", _("Checking the file")
        WRITING = "writing", _("Writing")
        PUBLISHED = "published", _("Imported")
        CHECKED = "checked", _("Checked, nothing written")
        FAILED = "failed", _("Failed, nothing written")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = creator_field()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TABLE)
    filename = models.CharField(max_length=200, blank=True)
    # The stashed upload a queued job imports (amparo/cases/exchange/stash.py).
    upload = models.CharField(max_length=64, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    # Progress: how many of `total` steps (events to check, then to write) are done.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = EncryptedJSONField(default=list, blank=True, sealed_by="data_key")
    # The importer's organisation keys, wrapped under a one-time secret that travels with the
    # queued task, while the job waits and runs (amparo/cases/services/job_keys.py).
    carried_keys = models.BinaryField(null=True, editable=False)
    carried_keys_salt = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched as the import goes: a job in progress whose heartbeat stopped was abandoned.
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.status})"

    def sealing_scope(self) -> tuple[int, int]:
        """The errors quote the file's cells: sealed at the highest clearance the importer
        holds in the organisation, so that they can read them."""
        clearances = Membership.objects.filter(
            user=self.created_by, organisation_id=self.organisation_id
        ).values_list("clearance", flat=True)
        return self.organisation_id, max(clearances, default=Clearance.RESTRICTED)

    @property
    def imported(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.PUBLISHED, self.Status.CHECKED, self.Status.FAILED}
