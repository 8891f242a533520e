"""Recording and editing recommendations, and the State's position on them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.recommendations import access
from amparo.recommendations.models import (
    LANGUAGES,
    AffectedGroup,
    Mechanism,
    Recommendation,
    RecommendationText,
    SdgTarget,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.services.reference import upr_cycle

SESSION_NUMBER = re.compile(r"(\d{1,3})\s*$")

# The fields of a recommendation an input sets, in the order the audit entry lists them.
FIELDS = (
    "annotation_id",
    "mechanism",
    "session",
    "document_symbol",
    "paragraph",
    "state",
    "recommending_state",
    "date",
    "language",
    "text",
    "position",
    "state_response",
)


@dataclass
class RecommendationInput:
    mechanism: Mechanism
    state: str
    text: str
    language: str = "en"
    session: str = ""
    document_symbol: str = ""
    paragraph: str = ""
    annotation_id: str = ""
    recommending_state: str = ""
    date: datetime.date | None = None
    position: str = ""
    state_response: str = ""
    themes: Sequence[Theme] = ()
    affected_groups: Sequence[AffectedGroup] = ()
    sdgs: Sequence[SdgTarget] = ()
    translations: Mapping[str, str] = field(default_factory=dict)


def session_numbers(session: str) -> tuple[int | None, int | None]:
    """The session number ("UPR session 5" → 5) and, for the UPR, its cycle."""
    match = SESSION_NUMBER.search(session)
    if match is None:
        return None, None
    number = int(match.group(1))
    return number, upr_cycle(number) if "upr" in session.lower() else None


def apply_input(recommendation: Recommendation, data: RecommendationInput) -> None:
    """Set the plain fields of `recommendation` from `data` (no save)."""
    for name in FIELDS:
        value = getattr(data, name)
        setattr(recommendation, name, value.strip() if isinstance(value, str) else value)
    recommendation.state = recommendation.state.upper()
    recommendation.recommending_state = recommendation.recommending_state.upper()
    recommendation.session_number, recommendation.cycle = session_numbers(data.session)
    if recommendation.mechanism.kind == Mechanism.Kind.UPR and recommendation.cycle is None:
        recommendation.cycle = (
            upr_cycle(recommendation.session_number) if recommendation.session_number else None
        )


def validate(recommendation: Recommendation, data: RecommendationInput) -> None:
    errors: dict[str, list[str]] = {}
    try:
        recommendation.full_clean(
            exclude=["organisation", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if not recommendation.text:
        errors.setdefault("text", []).append(_("The text of the recommendation is empty."))
    if recommendation.language not in LANGUAGES:
        errors.setdefault("language", []).append(_("Choose English, French, Spanish or Arabic."))
    for language in data.translations:
        if language not in LANGUAGES or language == recommendation.language:
            errors.setdefault("translations", []).append(
                _("%(language)s is not a language of a translation.") % {"language": language}
            )
    if not recommendation.mechanism.active:
        errors.setdefault("mechanism", []).append(_("This mechanism is no longer in the list."))
    if recommendation.annotation_id:
        clash = Recommendation.objects.filter(annotation_id=recommendation.annotation_id)
        if recommendation.pk is not None:
            clash = clash.exclude(pk=recommendation.pk)
        if clash.exists():
            errors.setdefault("annotation_id", []).append(
                _("Another recommendation has this annotation id.")
            )
    if errors:
        raise ValidationError(errors)


def _snapshot(recommendation: Recommendation) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(recommendation, name) for name in FIELDS}
    values["mechanism"] = recommendation.mechanism.code
    return values


def set_translations(recommendation: Recommendation, translations: Mapping[str, str]) -> None:
    for language, text in translations.items():
        text = text.strip()
        if text:
            RecommendationText.objects.update_or_create(
                recommendation=recommendation, language=language, defaults={"text": text}
            )
        else:
            RecommendationText.objects.filter(
                recommendation=recommendation, language=language
            ).delete()


def confirm_labels(
    actor: User | None, recommendation: Recommendation, themes: Sequence[Theme], source: str
) -> list[str]:
    """Make each theme a confirmed label of `recommendation` (a suggestion becomes confirmed);
    the codes of the themes that were not confirmed before."""
    existing = {label.theme_id: label for label in recommendation.theme_labels.all()}
    now = timezone.now()
    added = []
    for theme in themes:
        label = existing.get(theme.pk)
        if label is not None and label.status == ThemeLabel.Status.CONFIRMED:
            continue
        ThemeLabel.objects.update_or_create(
            recommendation=recommendation,
            theme=theme,
            defaults={
                "status": ThemeLabel.Status.CONFIRMED,
                "source": source,
                "confidence": label.confidence if label is not None else None,
                "confirmed_by": actor,
                "confirmed_at": now,
            },
        )
        added.append(theme.code)
    return added


@transaction.atomic
def create_recommendation(actor: User, data: RecommendationInput) -> Recommendation:
    organisation = access.require(actor, access.CREATE)
    recommendation = Recommendation(organisation=organisation, created_by=actor)
    apply_input(recommendation, data)
    validate(recommendation, data)
    recommendation.save()
    recommendation.affected_groups.set(data.affected_groups)
    recommendation.sdgs.set(data.sdgs)
    set_translations(recommendation, data.translations)
    themes = confirm_labels(actor, recommendation, data.themes, ThemeLabel.Source.PERSON)
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_CREATE,
        recommendation,
        organisation=organisation,
        changes={"state": recommendation.state, "mechanism": data.mechanism.code, "themes": themes},
    )
    return recommendation


@transaction.atomic
def update_recommendation(
    actor: User, recommendation: Recommendation, data: RecommendationInput
) -> Recommendation:
    """Change what a recommendation says. Its themes are those confirmed in `data`: confirmed
    themes left out are removed; suggestions stay suggestions."""
    organisation = access.require(actor, access.CREATE, recommendation)
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    before = _snapshot(recommendation)
    apply_input(recommendation, data)
    validate(recommendation, data)
    recommendation.save()
    recommendation.affected_groups.set(data.affected_groups)
    recommendation.sdgs.set(data.sdgs)
    set_translations(recommendation, data.translations)
    added = confirm_labels(actor, recommendation, data.themes, ThemeLabel.Source.PERSON)
    removed = list(
        recommendation.theme_labels.filter(status=ThemeLabel.Status.CONFIRMED)
        .exclude(theme__in=list(data.themes))
        .values_list("theme__code", flat=True)
    )
    recommendation.theme_labels.filter(theme__code__in=removed).delete()
    changes = audit.diff(before, _snapshot(recommendation))
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_UPDATE,
        recommendation,
        organisation=organisation,
        changes={
            "fields": sorted(changes),
            "themes_added": added,
            "themes_removed": removed,
        },
    )
    return recommendation


@transaction.atomic
def respond(
    actor: User, recommendation: Recommendation, *, position: str, state_response: str
) -> Recommendation:
    """The State's position on a recommendation addressed to it, and its response text."""
    organisation = access.require(actor, access.RESPOND, recommendation)
    if position and position not in Recommendation.Position.values:
        raise ValidationError({"position": _("Choose supported, partially supported or noted.")})
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    before = {"position": recommendation.position}
    recommendation.position = position
    recommendation.state_response = state_response.strip()
    recommendation.save(update_fields=["position", "state_response", "updated_at"])
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_RESPOND,
        recommendation,
        organisation=organisation,
        changes={"position": {"from": before["position"], "to": position}},
    )
    return recommendation
