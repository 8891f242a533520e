"""What the statistics app stores: the facts, laws that restrict civic space and their uses, and
the review queue of candidate duplicates.

`Fact` is derived from the case records and holds nothing that identifies anyone: codes, dates,
ids of records and a keyed pseudonym of the victim. It is written only by
`services.facts` (on every change the case services report, and by `amparo stats rebuild`);
lists of codes are stored as text, one space between codes (codes hold no spaces), which turns
into Arrow lists without a per-row Python step.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.cases.models import Act, NumberedRecord
from amparo.core.models import Organisation, User, validate_country_code


class Fact(models.Model):
    """One act as statistics count it (see amparo.analysis.facts for each column's meaning).
    A value not recorded is NULL, not "": it reaches Arrow, and the tables, as "not recorded"."""

    act_id = models.BigIntegerField(primary_key=True)
    event_id = models.BigIntegerField(db_index=True)
    victim_id = models.BigIntegerField()  # a keyed pseudonym, not the person's id
    victim_kind = models.CharField(max_length=20)
    organisation_id = models.BigIntegerField()
    confidentiality = models.PositiveSmallIntegerField()
    event_status = models.CharField(max_length=10)
    act_date = models.DateField(null=True)
    date_precision = models.CharField(max_length=10)
    country = models.CharField(max_length=2, null=True)  # noqa: DJ001
    region = models.CharField(max_length=6, null=True)  # noqa: DJ001
    type_of_act = models.CharField(max_length=64)
    consequences = models.TextField(default="")
    defender_types = models.TextField(default="")
    sex = models.CharField(max_length=64, null=True)  # noqa: DJ001
    age_group = models.CharField(max_length=64, null=True)  # noqa: DJ001
    perpetrator_types = models.TextField(default="")
    source_ids = models.TextField(default="")
    source_kinds = models.TextField(default="")
    law = models.CharField(max_length=64, null=True)  # noqa: DJ001
    law_provision = models.CharField(max_length=64, null=True)  # noqa: DJ001

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")

    def __str__(self) -> str:
        return f"fact of act #{self.act_id}"


class FactChange(models.Model):
    """One change to the facts: the event whose rows were replaced (None: all of them, a
    rebuild). Processes keeping the facts in memory read what changed since they last looked;
    `token` tells a change from another that got the same id after a rollback."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.BigIntegerField(null=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"facts change #{self.id}"


# --- Laws that restrict civic space -------------------------------------------------------------


class LegalMeasure(models.Model):
    """A law, bill or decree that restricts civic space: foreign-funding and "foreign agent"
    laws, NGO registration, counter-terrorism, cybercrime, defamation, protest laws, emergency
    decrees. Public information, recorded by an organisation and readable by everyone who may
    read statistics. `kind` is a code of data/law_kinds.yaml."""

    class Stage(models.TextChoices):
        BILL = "bill", _("Bill")
        ADOPTED = "adopted", _("Adopted")
        AMENDED = "amended", _("Amended")
        REPEALED = "repealed", _("Repealed")
        STRUCK_DOWN = "struck_down", _("Struck down by a court")

    country = models.CharField(_("country"), max_length=2, validators=[validate_country_code])
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("type of measure"), max_length=40)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    introduced_on = models.DateField(_("introduced on"), null=True, blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    stage_date = models.DateField(
        _("date of the current stage"),
        null=True,
        blank=True,
        help_text=_("When it was amended, repealed or struck down, if it was."),
    )
    summary = models.TextField(_("summary"), blank=True)
    source = models.TextField(
        _("source"), help_text=_("Where the text can be found: official gazette, link.")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "title", "id"]
        verbose_name = _("legal measure")
        verbose_name_plural = _("legal measures")

    def __str__(self) -> str:
        return f"{self.country} · {self.title}"

    @property
    def code(self) -> str:
        """The law's code in the facts."""
        return f"law-{self.pk}"

    @property
    def kind_label(self) -> str:
        from amparo.stats.catalogue import law_kinds

        kind = law_kinds().get(self.kind)
        return kind.label() if kind else self.kind


class LegalProvision(models.Model):
    """A provision of a measure that is of concern (an article or section), and why."""

    measure = models.ForeignKey(LegalMeasure, on_delete=models.CASCADE, related_name="provisions")
    reference = models.CharField(
        _("provision"), max_length=100, help_text=_("e.g. Section 22(1), Article 5")
    )
    concern = models.TextField(_("why it is of concern"), blank=True)

    class Meta:
        ordering = ["measure", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["measure", "reference"], name="one_provision_reference_per_measure"
            )
        ]
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")

    def __str__(self) -> str:
        return self.reference

    @property
    def code(self) -> str:
        """The provision's code in the facts."""
        return f"provision-{self.pk}"


class LawUse(models.Model):
    """The law (and provision) an act of judicial harassment used. Kept here rather than on
    the act, so the case records do not depend on statistics; it goes with the act."""

    act = models.OneToOneField(Act, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(
        LegalMeasure, on_delete=models.PROTECT, related_name="uses", verbose_name=_("law")
    )
    provision = models.ForeignKey(
        LegalProvision,
        on_delete=models.PROTECT,
        related_name="uses",
        null=True,
        blank=True,
        verbose_name=_("provision"),
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("use of a law")
        verbose_name_plural = _("uses of laws")

    def __str__(self) -> str:
        return f"act #{self.act_id} under law #{self.measure_id}"


# --- De-duplication -----------------------------------------------------------------------------


class DedupeRun(NumberedRecord):
    """One search for duplicates among an organisation's records, on behalf of a user. Holds
    counts and the trained model's weights, never a value of a record."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    persons = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    model = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("search for duplicates")
        verbose_name_plural = _("searches for duplicates")


class DuplicateCandidate(NumberedRecord):
    """Two records that may be one: persons (scored by the linkage model) or events (paired by
    rule). `evidence` says how each comparison came out (level codes and weights, or the event
    rules' findings), never the values compared: a reviewer sees those side by side, read live
    with their own rights."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Persons")
        EVENT = "event", _("Events")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Merged")
        SAME = "same", _("Confirmed as the same incident")
        REJECTED = "rejected", _("Not the same")
        UNDONE = "undone", _("Merge undone")

    run = models.ForeignKey(DedupeRun, on_delete=models.CASCADE, related_name="candidates_found")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    left_id = models.BigIntegerField()
    right_id = models.BigIntegerField()
    probability = models.FloatField(null=True)
    weight = models.FloatField(null=True)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merge_id = models.BigIntegerField(null=True, blank=True)  # cases.PersonMerge

    class Meta:
        ordering = ["-probability", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["kind", "left_id", "right_id"], name="one_candidate_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(left_id__lt=models.F("right_id")), name="candidate_pair_ordered"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "status"])]
        verbose_name = _("candidate duplicate")
        verbose_name_plural = _("candidate duplicates")
