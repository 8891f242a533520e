"""The Global Network of national focal points on human rights defenders.

A *member* is a country, represented by a tripartite delegation: the State focal point
institution, the national human rights institution (NHRI) and civil society. Membership is by
invitation and moves through the lifecycle of `rules/lifecycle.csv`; each change is a
`MembershipChange` with its reason. The State pledges `Commitment`s and reports progress on
them, which the NHRI and civil society comment; each member is reviewed periodically (`Review`);
co-chairs rotate (`CoChairTerm`), a steering group of independent experts advises
(`SteeringMember`), and the network meets (`Meeting`).

What is sealed, and why (see the app's README in `amparo/network/__init__.py`): the names
and personal contact details of delegates (civil-society delegates are defenders themselves,
and in a State under review they are the people most exposed), the texts of review submissions,
the secretariat's summary and the steering group's recommendation, NHRI and civil-society
comments on progress, and meeting minutes (they discuss reprisals and members under review). In
the clear: what the network is meant to publish or to sort by (countries, statuses, institution
names, functions, commitments, dates, outcomes).

The sealed fields are sealed with data keys that only their readers hold (issue 16: a seized
server reveals nothing): `NetworkSealed` rows, whose keys `amparo.network.keys` seals to the
organisations and the steering-group seats that `access` lets read them.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from amparo.core import countries
from amparo.core.fields import EncryptedTextField
from amparo.core.models import DataKey, Organisation, SealedRecord, User, validate_country_code


@functools.cache
def _country_names(language: str) -> dict[str, str]:
    return dict(countries.country_choices(language))


def country_name(code: str) -> str:
    """The country's name in the active language."""
    return _country_names((get_language() or "en")[:2]).get(code, code)


class NetworkSealed(SealedRecord):
    """A network row whose confidential fields are sealed with data keys of their own
    (`EncryptedTextField(..., sealed_by=...)`, one data key per ForeignKey named by `sealed_by`),
    each sealed to exactly the readers `access` allows (`amparo.network.keys`). Saving gives a
    key-less field group its key, sealed to its readers at once; writing a value over a key that
    does not open here is refused (`custody.KeysLocked`), never half-written."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from amparo.network import keys

        keyed = keys.prepare(self)
        update_fields = kwargs.get("update_fields")
        if keyed and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *keyed}
        super().save(*args, **kwargs)

    def sealing_scope(self) -> tuple[int, int]:
        from amparo.network import keys

        return keys.sealing_scope(self)


def _key_field() -> models.ForeignKey[DataKey | None, DataKey | None]:
    return models.ForeignKey(
        DataKey, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted, joining")
    ACTIVE = "active", _("Active member")
    UNDER_REVIEW = "under_review", _("Under review")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Membership ended")


def status_label(code: str) -> str:
    """The label of a membership status; a code this version does not know, as it is."""
    return str(Status(code).label) if code in Status.values else code


# From acceptance on, a membership is public: its page shows what the member chose to publish.
PUBLIC_STATUSES = frozenset(
    {Status.ACCEPTED, Status.ACTIVE, Status.UNDER_REVIEW, Status.SUSPENDED, Status.ENDED}
)
# Members whose delegations take part in the network's work (meetings, the directory).
PARTICIPATING_STATUSES = frozenset(
    {Status.ACCEPTED, Status.ACTIVE, Status.UNDER_REVIEW, Status.SUSPENDED}
)


class Part(models.TextChoices):
    """The three parts of a delegation."""

    STATE = "state", _("State focal point")
    NHRI = "nhri", _("National human rights institution")
    CIVIL_SOCIETY = "civil_society", _("Civil society")


class Capacity(models.TextChoices):
    """In what capacity someone acts in the network (access.py derives it from memberships)."""

    SECRETARIAT = "secretariat", _("Network secretariat")
    CO_CHAIR = "co_chair", _("Co-chair")
    STEERING = "steering", _("Steering group")
    STATE = "state", _("State delegation")
    NHRI = "nhri", _("NHRI delegation")
    CIVIL_SOCIETY = "civil_society", _("Civil-society delegation")
    OBSERVER = "observer", _("Staff member")


class Accreditation(models.TextChoices):
    """GANHRI accreditation against the Paris Principles."""

    A = "A", _("A: fully compliant with the Paris Principles")
    B = "B", _("B: partially compliant with the Paris Principles")
    NONE = "none", _("Not accredited")


class Member(models.Model):
    country = models.CharField(
        _("country"), max_length=2, unique=True, validators=[validate_country_code]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    status_since = models.DateField(_("status since"))
    # The first activation: the order of the co-chairs' rotation (rules: co_chair_order).
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    published_fields = models.JSONField(_("published on the public page"), default=list, blank=True)
    proposed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("network member")
        verbose_name_plural = _("network members")

    def __str__(self) -> str:
        return self.country_name

    @property
    def country_name(self) -> str:
        return country_name(self.country)


class DelegateOrganisation(models.Model):
    """An institution or organisation in one part of a delegation. When it is also an
    organisation in Amparo, its staff act for that part (access.py)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="organisations")
    part = models.CharField(_("part of the delegation"), max_length=20, choices=Part.choices)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="network_delegations",
        verbose_name=_("organisation in Amparo"),
        help_text=_("Its staff may act for this part of the delegation."),
    )
    accreditation = models.CharField(
        _("GANHRI accreditation"), max_length=4, choices=Accreditation.choices, blank=True
    )
    accredited_on = models.DateField(_("accredited on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["part", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "name"], name="network_delegate_org_once"),
            models.CheckConstraint(
                condition=Q(part=Part.NHRI) | Q(accreditation="", accredited_on__isnull=True),
                name="network_only_an_nhri_is_accredited",
            ),
        ]
        verbose_name = _("delegation organisation")
        verbose_name_plural = _("delegation organisations")

    def __str__(self) -> str:
        return self.name


class ContactPerson(NetworkSealed):
    """A person of a delegation: an official's or a delegate's professional contact.

    Name, e-mail and phone are sealed, each with a data key of its own (`data_key`, `email_key`,
    `phone_key`), since `rules/directory.csv` gives them to different readers; function and
    responsibilities ("who to contact for what") are in the clear so that the directory can be
    read and sorted."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="contacts")
    part = models.CharField(_("part of the delegation"), max_length=20, choices=Part.choices)
    delegate_organisation = models.ForeignKey(
        DelegateOrganisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organisation"),
    )
    name = EncryptedTextField(_("name"), sealed_by="data_key")
    function = models.CharField(_("function"), max_length=200, blank=True)
    responsibilities = models.TextField(
        _("contact for"), blank=True, help_text=_("What to contact this person about.")
    )
    email = EncryptedTextField(_("e-mail"), blank=True, default="", sealed_by="email_key")
    phone = EncryptedTextField(_("phone"), blank=True, default="", sealed_by="phone_key")
    email_key = _key_field()
    phone_key = _key_field()
    listed_publicly = models.BooleanField(
        _("may be listed on the public page"),
        default=False,
        help_text=_("Name and function only, never contact details."),
    )
    # The name as the public page shows it, written when the person agrees to be listed (empty
    # otherwise): anonymous visitors read it with no key, so it is kept apart from `name`, which
    # is sealed with keys only people hold (issue 16).
    published_name = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["part", "id"]
        verbose_name = _("focal point")
        verbose_name_plural = _("focal points")

    def __str__(self) -> str:
        return f"{self.member} · {self.get_part_display()} #{self.pk}"


class InvitationLetter(models.Model):
    """The letter a State is invited with: an uploaded file (PDF or text, cleaned of metadata)
    or a text written or generated on the page. Not confidential: it is official
    correspondence."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="letters")
    text = models.TextField(_("letter"), blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    media_type = models.CharField(max_length=40, blank=True)
    data = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.member} letter #{self.pk}"


class MembershipChange(models.Model):
    """One transition of a membership, with its reason: the member's history."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="changes")
    transition = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.TextField(_("reason"))
    on = models.DateField()
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    letter = models.ForeignKey(
        InvitationLetter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review = models.ForeignKey(
        "Review", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The focal points' addresses the e-mail about this change goes to, wrapped under a one-time
    # secret that only the queued task's arguments hold (tasks.py): the addresses are sealed,
    # and the worker that sends holds no key. Deleted when the task has run.
    carried_addresses = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["member", "id"]

    def __str__(self) -> str:
        return f"{self.member}: {self.from_status} → {self.to_status}"


# --- commitments ---------------------------------------------------------------------------------


class Commitment(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("commitment state", "Open")
        FULFILLED = "fulfilled", _("Fulfilled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("commitment"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    pledged_on = models.DateField(_("pledged on"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("status"), max_length=20, choices=State.choices, default=State.OPEN)
    closed_on = models.DateField(_("fulfilled or withdrawn on"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(state="open", closed_on__isnull=True)
                | (~Q(state="open") & Q(closed_on__isnull=False)),
                name="network_commitment_closed_on_when_closed",
            )
        ]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return self.title


class Indicator(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="indicators")
    description = models.CharField(_("indicator"), max_length=300)
    target = models.CharField(_("target"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.description


class ProgressReport(models.Model):
    """What the State reports on a commitment."""

    class Assessment(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        ON_TRACK = "on_track", _("On track")
        DELAYED = "delayed", _("Delayed")
        DONE = "done", _("Done, in the State's view")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="progress_reports"
    )
    assessment = models.CharField(_("assessment"), max_length=20, choices=Assessment.choices)
    text = models.TextField(_("progress"))
    reported_on = models.DateField(_("reported on"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["reported_on", "id"]

    def __str__(self) -> str:
        return f"{self.commitment} · {self.reported_on}"


class ProgressComment(NetworkSealed):
    """The NHRI's or civil society's comment on a progress report. Encrypted: it may describe
    attacks the State did not report."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="comments")
    part = models.CharField(max_length=20, choices=Part.choices)
    text = EncryptedTextField(_("comment"), sealed_by="data_key")
    commented_on = models.DateField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["commented_on", "id"]

    def __str__(self) -> str:
        return f"{self.report} · {self.part}"


# --- reviews -------------------------------------------------------------------------------------


class Outcome(models.TextChoices):
    GOOD_STANDING = "good_standing", _("Good standing")
    CONCERNS = "concerns", _("Concerns")
    SUSPENSION_RECOMMENDED = "suspension_recommended", _("Suspension recommended")


class Review(NetworkSealed):
    """One review cycle of a member: submissions, the secretariat's summary, the steering
    group's recommendation and outcome. `scorecard` keeps the signals as they stood when the
    review opened and when it was summarised."""

    class Stage(models.TextChoices):
        OPEN = "open", _("Open for submissions")
        SUMMARISED = "summarised", _("Summarised by the secretariat")
        CONCLUDED = "concluded", _("Concluded")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reviews")
    number = models.PositiveIntegerField()
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.OPEN)
    opened_on = models.DateField(_("opened on"))
    summary = EncryptedTextField(
        _("secretariat summary"), blank=True, default="", sealed_by="data_key"
    )
    summarised_on = models.DateField(null=True, blank=True)
    recommendation = EncryptedTextField(
        _("steering group recommendation"), blank=True, default="", sealed_by="data_key"
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    concluded_on = models.DateField(null=True, blank=True)
    scorecard = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["member", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["member", "number"], name="network_review_number"),
            models.CheckConstraint(
                condition=~Q(stage="concluded") | ~Q(outcome=""),
                name="network_concluded_review_has_outcome",
            ),
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.member} review {self.number}"


class ReviewSubmission(NetworkSealed):
    """The State's self-assessment, or the NHRI's or civil society's submission."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="submissions")
    part = models.CharField(max_length=20, choices=Part.choices)
    text = EncryptedTextField(_("submission"), sealed_by="data_key")
    submitted_on = models.DateField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["part", "id"]

    def __str__(self) -> str:
        return f"{self.review} · {self.part}"


# --- governance ----------------------------------------------------------------------------------


class CoChairTerm(models.Model):
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    members = models.ManyToManyField(Member, related_name="co_chair_terms")
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="network_term_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} to {self.ends_on}"


class SteeringMember(models.Model):
    class Kind(models.TextChoices):
        UN_RAPPORTEUR = "un_rapporteur", _("UN Special Rapporteur")
        REGIONAL_RAPPORTEUR = "regional_rapporteur", _("Regional rapporteur")
        INTERNATIONAL_ORGANISATION = (
            "international_organisation",
            _("International organisation"),
        )
        INDEPENDENT_EXPERT = "independent_expert", _("Independent expert")

    name = models.CharField(_("name"), max_length=200)
    mandate = models.CharField(_("mandate"), max_length=300)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    starts_on = models.DateField(_("since"))
    # The day the seat ended: it gives nothing from that day on.
    ends_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Meeting(NetworkSealed):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary of the network")
        STEERING = "steering", _("Steering group")
        CO_CHAIRS = "co_chairs", _("Co-chairs")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = EncryptedTextField(_("minutes"), blank=True, default="", sealed_by="data_key")
    members = models.ManyToManyField(
        Member, blank=True, related_name="meetings", verbose_name=_("delegations")
    )
    steering_members = models.ManyToManyField(
        SteeringMember, blank=True, related_name="meetings", verbose_name=_("steering group")
    )
    other_participants = models.TextField(_("other participants"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(_("action"), max_length=300)
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("for the delegation of"),
    )
    owner = models.CharField(_("who"), max_length=200, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.description


class SealedReaders(models.Model):
    """Whom the copies of the network's data keys were last made to follow (`keys.follow`): a
    digest of the readers `access` names today (secretariats, co-chairs, seats, delegations,
    statuses, the directory rules), and whether every copy they need could be made then (a copy
    needs someone whose keys open the data key)."""

    digest = models.CharField(max_length=64)
    complete = models.BooleanField(default=False)
    followed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"readers {self.digest[:12]}"
