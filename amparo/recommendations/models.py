"""Recommendations of human rights mechanisms and their follow-up.

Reference lists (mechanisms, themes, affected groups, SDG goals and targets, instruments, regional
systems) are loaded from the data files in `data/` (`amparo recommendations load-reference`);
imports may add themes and affected groups as *imported* terms. A recommendation is a public
document: every staff member may read it. Its follow-up is a State's action plan (actions,
indicators), the State's progress reports, and each report's review by the NHRI and civil
society (endorsed or contested, with comments), so that disagreements stay visible.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from amparo.core.models import Organisation, Term, User, validate_country_code

LANGUAGES = ("en", "fr", "es", "ar")


def _language(language: str | None) -> str:
    code = (language or get_language() or "en")[:2]
    return code if code in LANGUAGES else "en"


class Labelled(models.Model):
    """A reference term with a stable code and a label in each language of the interface."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=300)
    label_fr = models.CharField(_("label (French)"), max_length=300, blank=True)
    label_es = models.CharField(_("label (Spanish)"), max_length=300, blank=True)
    label_ar = models.CharField(_("label (Arabic)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering: ClassVar = ["position", "code"]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        """The label in `language` (default: the active one), English where it is missing."""
        return str(getattr(self, f"label_{_language(language)}") or self.label_en)


class Mechanism(Labelled):
    class Kind(models.TextChoices):
        UPR = "upr", _("Universal Periodic Review")
        TREATY_BODY = "treaty_body", _("Treaty body")
        SPECIAL_PROCEDURE = "special_procedure", _("Special procedure")
        REGIONAL = "regional", _("Regional mechanism")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    aliases = models.TextField(
        blank=True, help_text=_("Other names import files use for it, separated by “|”.")
    )

    class Meta(Labelled.Meta):
        verbose_name = _("mechanism")
        verbose_name_plural = _("mechanisms")

    def short(self) -> str:
        return self.abbreviation or self.label()


class Theme(Labelled):
    class Origin(models.TextChoices):
        UPR_INFO = "upr_info", _("UPR Info theme")
        AMPARO = "amparo", _("Amparo theme for defenders")
        IMPORTED = "imported", _("Added by an import")

    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What the theme covers, in English (theme suggestion reads it)."),
    )

    class Meta(Labelled.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class AffectedGroup(Labelled):
    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("Shipped with Amparo")
        IMPORTED = "imported", _("Added by an import")

    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)

    class Meta(Labelled.Meta):
        verbose_name = _("affected group")
        verbose_name_plural = _("affected groups")


class SdgTarget(Labelled):
    """A Sustainable Development Goal ("16") or one of its targets ("16.10")."""

    goal = models.PositiveSmallIntegerField(_("goal"))

    class Meta(Labelled.Meta):
        verbose_name = _("SDG goal or target")
        verbose_name_plural = _("SDG goals and targets")

    @property
    def is_goal(self) -> bool:
        return "." not in self.code


class RegionalSystem(Labelled):
    """A regional human rights system and the States that belong to it."""

    members = models.TextField(help_text=_("ISO 3166-1 alpha-2 codes, separated by spaces."))

    class Meta(Labelled.Meta):
        verbose_name = _("regional system")
        verbose_name_plural = _("regional systems")

    def member_codes(self) -> frozenset[str]:
        return frozenset(self.members.split())


class Instrument(Labelled):
    class Kind(models.TextChoices):
        CORE = "core", _("Core UN instrument")
        OPTIONAL_PROTOCOL = "optional_protocol", _("Optional protocol")
        COMPLAINT_PROCEDURE = "complaint_procedure", _("Individual complaint procedure")
        REGIONAL = "regional", _("Regional instrument")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.ForeignKey(
        RegionalSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    defenders_note = models.CharField(
        max_length=300, blank=True, help_text=_("Why it matters to defenders, in English.")
    )

    class Meta(Labelled.Meta):
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")


def country_field(
    verbose_name: object, *, blank: bool = False, db_index: bool = True
) -> models.CharField[str, str]:
    return models.CharField(
        verbose_name,  # type: ignore[arg-type]
        max_length=2,
        blank=blank,
        validators=[validate_country_code],
        db_index=db_index,
    )


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    PARTIALLY_IMPLEMENTED = "partially_implemented", _("Partially implemented")
    IMPLEMENTED = "implemented", _("Implemented")
    REGRESSED = "regressed", _("Regressed")


class Recommendation(models.Model):
    class Position(models.TextChoices):
        SUPPORTED = "supported", pgettext_lazy("position on a recommendation", "Supported")
        PARTIALLY_SUPPORTED = "partially_supported", _("Partially supported")
        NOTED = "noted", pgettext_lazy("position on a recommendation", "Noted")

    annotation_id = models.CharField(
        _("annotation id"),
        max_length=100,
        blank=True,
        help_text=_("The identifier in the Universal Human Rights Index or the source database."),
    )
    # Indexed by (mechanism, state) and (state, document symbol, paragraph) below.
    mechanism = models.ForeignKey(
        Mechanism, on_delete=models.PROTECT, related_name="recommendations", db_index=False
    )
    session = models.CharField(_("cycle or session"), max_length=100, blank=True)
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(_("UPR cycle"), null=True, blank=True)
    document_symbol = models.CharField(_("document symbol"), max_length=100, blank=True)
    paragraph = models.CharField(_("paragraph"), max_length=30, blank=True)
    state = country_field(_("State under review"), db_index=False)
    recommending_state = country_field(_("recommending State"), blank=True, db_index=False)
    date = models.DateField(_("date"), null=True, blank=True)
    language = models.CharField(_("language of the text"), max_length=2, default="en")
    text = models.TextField(_("text"))
    position = models.CharField(
        _("position of the State"), max_length=30, choices=Position.choices, blank=True
    )
    state_response = models.TextField(_("response of the State"), blank=True)
    # The status the State's latest progress report gives, and whether a reviewer contests
    # that report: kept here by the services so that lists filter and count without joins.
    status = models.CharField(
        _("implementation status"),
        max_length=30,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_STARTED,
        db_index=True,
    )
    contested = models.BooleanField(_("latest report contested"), default=False)
    themes: models.ManyToManyField[Theme, ThemeLabel] = models.ManyToManyField(
        Theme, through="ThemeLabel", related_name="recommendations", blank=True
    )
    affected_groups = models.ManyToManyField(
        AffectedGroup,
        related_name="recommendations",
        blank=True,
        verbose_name=_("affected persons"),
    )
    sdgs = models.ManyToManyField(
        SdgTarget,
        related_name="recommendations",
        blank=True,
        verbose_name=_("SDG goals and targets"),
    )
    # Who recorded it; not indexed: nothing looks recommendations up by them.
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["state", "mechanism__position", "session_number", "paragraph", "pk"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["annotation_id"],
                condition=~Q(annotation_id=""),
                name="recommendation_annotation_id_unique",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["state", "document_symbol", "paragraph"], name="rec_symbol"),
            models.Index(fields=["mechanism", "state"], name="rec_mechanism_state"),
        ]

    def __str__(self) -> str:
        reference = self.paragraph or self.annotation_id or str(self.pk)
        return f"{self.document_symbol} {reference}".strip()

    @property
    def reference(self) -> str:
        if self.document_symbol and self.paragraph:
            return gettext("%(symbol)s, para. %(paragraph)s") % {
                "symbol": self.document_symbol,
                "paragraph": self.paragraph,
            }
        return self.annotation_id or self.document_symbol or f"#{self.pk}"


class RecommendationText(models.Model):
    """The text of a recommendation in another language than its original's."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=2)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["recommendation", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recommendation} ({self.language})"


class ThemeLabel(models.Model):
    """A theme of a recommendation: confirmed (by an import or a person) or suggested by the
    classifier with its confidence, until someone confirms or rejects it."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        SUGGESTED = "suggested", _("Suggested")

    class Source(models.TextChoices):
        IMPORT = "import", _("Import")
        PERSON = "person", _("Person")
        CLASSIFIER = "classifier", _("Theme suggestion")

    # Indexed by the unique (recommendation, theme) and the (theme, status) index below.
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="theme_labels", db_index=False
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="labels", db_index=False
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    confidence = models.FloatField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["status", "-confidence", "theme__position"]
        verbose_name = _("theme label")
        verbose_name_plural = _("theme labels")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["recommendation", "theme"], name="one_label_per_theme")
        ]
        indexes: ClassVar = [models.Index(fields=["theme", "status"], name="rec_label_theme")]

    def __str__(self) -> str:
        return f"{self.theme} ({self.status})"


class ThemeModelFile(models.Model):
    """A trained theme classifier, stored as a file under the var directory."""

    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    examples = models.PositiveIntegerField()
    themes = models.PositiveIntegerField()
    trained_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class CaseLink(models.Model):
    """Which documented acts show whether a recommendation works: a country, types of act and
    a period. The recommendation page counts them (never lists them)."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="case_links"
    )
    country = country_field(_("country"))
    types_of_act = models.ManyToManyField(
        Term,
        related_name="+",
        verbose_name=_("types of act"),
        limit_choices_to={"thesaurus__code": "hrd_violations"},
    )
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("why"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        verbose_name = _("link to case statistics")
        verbose_name_plural = _("links to case statistics")

    def __str__(self) -> str:
        return f"{self.recommendation} → {self.country}"


class Action(models.Model):
    """One measure of the State's action plan for a recommendation."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        DELAYED = "delayed", _("Delayed")
        CANCELLED = "cancelled", _("Cancelled")

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="actions"
    )
    measure = models.TextField(_("measure"))
    responsible_agency = models.CharField(_("responsible agency"), max_length=200)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    budget_note = models.TextField(_("budget"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.measure[:80]

    def status_options(self) -> list[tuple[str, str, bool]]:
        """(value, label, whether it is the current one) for the status menu."""
        return [(value, str(label), value == self.status) for value, label in self.Status.choices]


class Indicator(models.Model):
    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        BIANNUAL = "biannual", _("Twice a year")
        ANNUAL = "annual", _("Yearly")
        ONCE = "once", _("Once")

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="indicators")
    description = models.CharField(_("indicator"), max_length=300)
    baseline = models.CharField(_("baseline"), max_length=200, blank=True)
    target = models.CharField(_("target"), max_length=200)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ANNUAL
    )
    next_due = models.DateField(_("next value due"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.description

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.next_due is not None and self.next_due < (today or timezone.localdate())


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(_("value"), max_length=200)
    measured_on = models.DateField(_("measured on"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-measured_on", "-pk"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.value} ({self.measured_on})"


class ProgressReport(models.Model):
    """What the State reports about a recommendation for a period."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="progress_reports"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=30, choices=ImplementationStatus.choices)
    evidence = models.TextField(_("evidence"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-period_end", "-pk"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.recommendation} {self.period_start}/{self.period_end}"


class Review(models.Model):
    """The NHRI's or a civil-society organisation's view of a State progress report."""

    class Verdict(models.TextChoices):
        ENDORSED = "endorsed", _("Endorsed")
        CONTESTED = "contested", _("Contested")

    class Party(models.TextChoices):
        NHRI = "nhri", _("National human rights institution")
        CIVIL_SOCIETY = "civil_society", _("Civil society")

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="reviews")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=20, choices=Party.choices)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    assessed_status = models.CharField(
        _("status in your assessment"),
        max_length=30,
        choices=ImplementationStatus.choices,
        blank=True,
    )
    comment = models.TextField(_("comment"), blank=True)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["reviewed_at", "pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["report", "organisation"], name="one_review_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.verdict}"


class Ratification(models.Model):
    """Where a State stands with an instrument."""

    class Status(models.TextChoices):
        RATIFIED = "ratified", _("Ratified, acceded or accepted")
        SIGNED = "signed", _("Signed, not ratified")
        NO_ACTION = "no_action", _("No action")
        WITHDRAWN = "withdrawn", _("Withdrawn or denounced")

    state = country_field(_("State"))
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="ratifications"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    date = models.DateField(_("date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["state", "instrument__position"]
        verbose_name = _("ratification")
        verbose_name_plural = _("ratifications")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["state", "instrument"], name="one_status_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.state} · {self.instrument}: {self.status}"
