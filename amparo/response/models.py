"""Coordinated response: a plan per alert or case, its actions (who does what by when), and the
communications sent to international and regional mechanisms, so that they see each other's
action and do not duplicate. Texts here are working notes: no names of persons at risk."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amparo.cases.models import Event
from amparo.core.models import Organisation, User
from amparo.warning.models import Alert


class ResponsePlan(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("response plan status", "Open")
        CLOSED = "closed", pgettext_lazy("response plan status", "Closed")

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="plans"
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="response_plans"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(alert__isnull=False) | Q(event__isnull=False),
                name="response_plan_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(alert__isnull=True) | Q(event__isnull=True),
                name="response_plan_one_subject",
            ),
            models.UniqueConstraint(
                fields=["alert"],
                condition=Q(status="open", alert__isnull=False),
                name="response_one_open_plan_per_alert",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status="open", event__isnull=False),
                name="response_one_open_plan_per_event",
            ),
        ]
        verbose_name = _("response plan")
        verbose_name_plural = _("response plans")

    def __str__(self) -> str:
        return f"response plan #{self.pk}"


class Action(models.Model):
    class Kind(models.TextChoices):
        URGENT_APPEAL = "urgent_appeal", _("Urgent appeal")
        PROTECTIVE_MEASURES = (
            "protective_measures",
            _("Request for protective measures to the national protection mechanism"),
        )
        MECHANISM_COMMUNICATION = (
            "mechanism_communication",
            _("Communication to a UN special procedure or a regional commission"),
        )
        ACCOMPANIMENT = "accompaniment", _("Accompaniment")
        RELOCATION = "relocation", _("Relocation")
        LEGAL_AID = "legal_aid", _("Legal aid")
        MEDICAL_PSYCHOSOCIAL = "medical_psychosocial", _("Medical or psychosocial support")
        PUBLIC_STATEMENT = "public_statement", _("Public statement")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(ResponsePlan, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    responsible_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    responsible_user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person responsible"),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="planned")
    outcome = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes: ClassVar = [models.Index(fields=["status", "due_on"], name="response_action_due")]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"action #{self.pk} ({self.kind})"


class Communication(models.Model):
    """A communication sent to a mechanism about the case: who sent what, when, the State's reply
    and when to follow up."""

    class Mechanism(models.TextChoices):
        UN_SPECIAL_PROCEDURE = "un_special_procedure", _("UN special procedure")
        IACHR = "iachr", _("Inter-American Commission (precautionary measures)")
        ACHPR = "achpr", _("African Commission (urgent appeal)")
        COUNCIL_OF_EUROPE = "council_of_europe", _("Council of Europe")
        OSCE_ODIHR = "osce_odihr", _("OSCE/ODIHR")
        EU_DELEGATION = "eu_delegation", _("EU delegation")
        OTHER = "other", _("Other")

    plan = models.ForeignKey(ResponsePlan, on_delete=models.CASCADE, related_name="communications")
    mechanism = models.CharField(_("mechanism"), max_length=30, choices=Mechanism.choices)
    sent_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    sent_on = models.DateField(_("sent on"))
    summary = models.CharField(_("what was sent"), max_length=300)
    state_reply = models.TextField(_("the State's reply"), blank=True)
    replied_on = models.DateField(_("replied on"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_on", "id"]
        verbose_name = _("communication")
        verbose_name_plural = _("communications")

    def __str__(self) -> str:
        return f"communication #{self.pk} to {self.mechanism}"
