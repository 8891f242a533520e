"""Early warning: risk assessments of the persons and organisations at risk, and alerts.

A subject at risk is a victim of the case records (`cases.Person`, an individual or an
organisation), followed across every event they appear in; an intake report that is not yet a
case is a subject of its own until it becomes one. Nothing here is identifying: names live on
the person, and are shown only through the case records' disclosure rules.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.cases.models import Person
from amparo.core.models import Organisation, User
from amparo.intake.models import Submission


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    EXTREME = "extreme", _("Extreme")


LEVEL_ORDER = {level: index for index, level in enumerate(Level.values)}
ALERTING_LEVELS = frozenset({Level.HIGH, Level.EXTREME})


class RiskAssessment(models.Model):
    """One assessment of a person's risk; the newest is the current one, the others its history.

    The engine writes a row when the level or its reasons change; staff write one with a level
    of their own and the reason for it (`overridden_by`), which holds until the facts change."""

    class Origin(models.TextChoices):
        ENGINE = "engine", _("Computed from the documented facts")
        OVERRIDE = "override", _("Set by staff")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="risk_assessments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ENGINE)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    computed_level = models.CharField(max_length=10, choices=Level.choices)
    score = models.FloatField(default=0.0)
    threat = models.FloatField(default=0.0)
    vulnerability = models.FloatField(default=0.0)
    capacity = models.FloatField(default=0.0)
    # [{"factor", "kind", "value", "signal_ids"}]: the facts that produced the level.
    reasons = models.JSONField(default=list)
    # [{"rule", "fired_on", "signal_ids"}]: the escalation rules that hold on `as_of`.
    firings = models.JSONField(default=list)
    as_of = models.DateField()
    # The newest assessment of its person (the others are its history).
    is_current = models.BooleanField(default=True)
    override_reason = models.TextField(_("reason"), blank=True)
    overridden_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["person", "-id"], name="warning_assess_person")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_current=True), name="warning_one_current"
            )
        ]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self) -> str:
        return f"risk assessment #{self.pk} ({self.level})"


class Alert(models.Model):
    """Raised when an escalation rule fires or a subject's level rises to high or extreme."""

    class Kind(models.TextChoices):
        RULE = "rule", _("Escalation rule")
        LEVEL_RISE = "level_rise", _("Risk level rose")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert status", "Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", pgettext_lazy("alert status", "Closed")

    # What the engine raised it for: unique, so that evaluating twice raises it once.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    # Rule ids, or "risk_level:<level>".
    reasons = models.JSONField(default=list)
    signal_ids = models.JSONField(default=list)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=10, blank=True)
    route = models.CharField(max_length=40, blank=True)
    raised_on = models.DateField(_("raised on"))
    raised_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(_("acknowledge by"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    # The step of the routing's contact list the alert has reached (0: the first contact).
    step = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["status", "deadline"], name="warning_alert_status"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(submission__isnull=False),
                name="warning_alert_has_subject",
            )
        ]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"alert #{self.pk} ({self.level})"


class AlertRecipient(models.Model):
    """An organisation an alert was routed to, at a step of the routing's contact list."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("Organisation that documented the case")
        NHRI_FOCAL_POINT = "nhri_focal_point", _("NHRI focal point")
        DEFENDERS_NETWORK = "defenders_network", _("Defenders' network")
        STATE_MECHANISM = "state_mechanism", _("State protection mechanism")
        ORGANISATION = "organisation", _("Named organisation")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.PositiveSmallIntegerField(default=0)
    # For the network's scorecard: when a State institution was sent it, and acknowledged it.
    sent_on = models.DateField()
    acknowledged_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["step", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["alert", "organisation"], name="warning_one_recipient_per_alert"
            )
        ]
        verbose_name = _("alert recipient")
        verbose_name_plural = _("alert recipients")

    def __str__(self) -> str:
        return f"recipient {self.organisation_id} of alert {self.alert_id}"


class Acknowledgement(models.Model):
    """Someone of a recipient organisation took the alert in hand."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="acknowledgements")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")

    def __str__(self) -> str:
        return f"acknowledgement of alert {self.alert_id} by {self.user_id}"


class Notification(models.Model):
    """An in-app notice to one user that an alert reached them (the e-mail says only that)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "alert"], name="warning_one_notice_per_user")
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"notification of alert {self.alert_id} to {self.user_id}"


class Subscription(models.Model):
    """A user's saved search, on alerts or on cases, and when it was last checked for news.

    Matches are only ever what the user may see (`access`); the e-mail says how many, not what."""

    class Target(models.TextChoices):
        ALERTS = "alerts", _("Alerts")
        CASES = "cases", _("Cases")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    target = models.CharField(_("on"), max_length=10, choices=Target.choices)
    countries = models.JSONField(default=list)
    min_level = models.CharField(
        _("from level"), max_length=10, choices=Level.choices, default=Level.HIGH
    )
    acts = models.JSONField(default=list)
    defender_types = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")

    def __str__(self) -> str:
        return f"saved search #{self.pk}"
