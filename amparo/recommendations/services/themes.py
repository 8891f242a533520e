"""Themes of recommendations: confirming and removing them, and theme suggestion (training the
classifier on the confirmed labels, suggesting for one recommendation or for all that have no
confirmed theme). A suggestion is a label with a confidence until a person confirms it."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User
from amparo.recommendations import access, suggestions
from amparo.recommendations.models import Recommendation, Theme, ThemeLabel, ThemeModelFile
from amparo.recommendations.services.recommendations import confirm_labels
from amparo.recommendations.suggestions import SuggestionUnavailable, ThemeModel

BATCH = 500
Progress = Callable[[int, int], None]


# --- People confirm and remove themes -----------------------------------------------------------


@transaction.atomic
def confirm_theme(actor: User, recommendation: Recommendation, theme: Theme) -> ThemeLabel:
    """Confirm a suggested theme, or add a theme a person chose."""
    organisation = access.require(actor, access.CREATE, recommendation)
    if not theme.active:
        raise SuggestionUnavailable(_("This theme is no longer in the list."))
    suggested = recommendation.theme_labels.filter(theme=theme).first()
    confirm_labels(actor, recommendation, [theme], ThemeLabel.Source.PERSON)
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_CONFIRM_THEME,
        recommendation,
        organisation=organisation,
        changes={
            "theme": theme.code,
            "suggested_confidence": suggested.confidence if suggested is not None else None,
        },
    )
    return ThemeLabel.objects.get(recommendation=recommendation, theme=theme)


@transaction.atomic
def remove_theme(actor: User, recommendation: Recommendation, theme: Theme) -> None:
    """Reject a suggestion or remove a confirmed theme."""
    organisation = access.require(actor, access.CREATE, recommendation)
    label = recommendation.theme_labels.filter(theme=theme).first()
    if label is None:
        return
    label.delete()
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_REMOVE_THEME,
        recommendation,
        organisation=organisation,
        changes={"theme": theme.code, "was": label.status},
    )


# --- Training ------------------------------------------------------------------------------------


def training_rows() -> tuple[list[str], list[list[str]]]:
    """(texts, theme codes) of every recommendation with confirmed themes."""
    labels: dict[int, list[str]] = defaultdict(list)
    for recommendation_id, code in ThemeLabel.objects.filter(
        status=ThemeLabel.Status.CONFIRMED
    ).values_list("recommendation_id", "theme__code"):
        labels[recommendation_id].append(code)
    texts: list[str] = []
    codes: list[list[str]] = []
    ids = sorted(labels)
    for start in range(0, len(ids), BATCH):
        page = ids[start : start + BATCH]
        for pk, text in Recommendation.objects.filter(pk__in=page).values_list("pk", "text"):
            texts.append(text)
            codes.append(sorted(labels[pk]))
    return texts, codes


@transaction.atomic
def train(actor: User | None) -> ThemeModelFile:
    """Train the classifier on the confirmed labels and keep the model as the current one.
    `actor` None: the command line."""
    organisation = access.require(actor, access.CLASSIFY) if actor is not None else None
    classifier = suggestions.classifier()
    texts, labels = training_rows()
    if not texts:
        raise SuggestionUnavailable(
            _("No recommendation has a confirmed theme yet: theme suggestion has nothing to learn.")
        )
    descriptions = {
        code: description or label
        for code, description, label in Theme.objects.filter(active=True).values_list(
            "code", "description", "label_en"
        )
    }
    model = classifier.train(texts, labels, descriptions)
    directory = suggestions.model_directory()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"themes-{timezone.now():%Y%m%d-%H%M%S-%f}.model"
    path = directory / name
    model.save(path)
    record = ThemeModelFile.objects.create(
        file_name=name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        examples=len(texts),
        themes=len({code for codes in labels for code in codes}),
        trained_by=actor,
    )
    for older in ThemeModelFile.objects.exclude(pk=record.pk):
        (directory / older.file_name).unlink(missing_ok=True)
        older.delete()
    audit.record(
        actor,
        AuditAction.RECOMMENDATIONS_TRAIN,
        record,
        organisation=organisation,
        changes={"examples": record.examples, "themes": record.themes},
    )
    _loaded.clear()
    return record


_loaded: dict[str, ThemeModel] = {}


def current_model() -> ThemeModel:
    """The current trained model, read from its file once per process (and again when it
    changes); SuggestionUnavailable when no classifier is installed, none is trained or its
    file was altered."""
    classifier = suggestions.classifier()
    record = ThemeModelFile.objects.first()
    if record is None:
        raise SuggestionUnavailable(_("Theme suggestion has not been trained yet."))
    if record.sha256 in _loaded:
        return _loaded[record.sha256]
    path = suggestions.model_directory() / record.file_name
    try:
        content = path.read_bytes()
    except OSError:
        raise SuggestionUnavailable(
            _("The trained model's file is missing: train theme suggestion again.")
        ) from None
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise SuggestionUnavailable(
            _("The trained model's file has been changed: train theme suggestion again.")
        )
    model = classifier.load(path)
    _loaded.clear()
    _loaded[record.sha256] = model
    return model


# --- Suggesting ----------------------------------------------------------------------------------


def _store_suggestions(
    recommendations: Sequence[Recommendation], suggested: suggestions.Suggestions
) -> int:
    """Replace the suggested labels of `recommendations` by `suggested`; confirmed labels stay."""
    themes = {theme.code: theme for theme in Theme.objects.filter(active=True)}
    ids = [r.pk for r in recommendations]
    ThemeLabel.objects.filter(
        recommendation_id__in=ids, status=ThemeLabel.Status.SUGGESTED
    ).delete()
    confirmed = set(
        ThemeLabel.objects.filter(recommendation_id__in=ids).values_list(
            "recommendation_id", "theme_id"
        )
    )
    labels = []
    for recommendation, found in zip(recommendations, suggested, strict=True):
        for code, confidence in found:
            theme = themes.get(code)
            if theme is None or (recommendation.pk, theme.pk) in confirmed:
                continue
            labels.append(
                ThemeLabel(
                    recommendation=recommendation,
                    theme=theme,
                    status=ThemeLabel.Status.SUGGESTED,
                    source=ThemeLabel.Source.CLASSIFIER,
                    confidence=round(min(max(float(confidence), 0.0), 1.0), 4),
                )
            )
    ThemeLabel.objects.bulk_create(labels, batch_size=BATCH)
    return len(labels)


@transaction.atomic
def suggest_themes(actor: User, recommendation: Recommendation) -> list[ThemeLabel]:
    """Suggest themes for one recommendation (the page's "Suggest themes" button)."""
    organisation = access.require(actor, access.CLASSIFY, recommendation)
    model = current_model()
    count = _store_suggestions([recommendation], model.suggest([recommendation.text]))
    audit.record(
        actor,
        AuditAction.RECOMMENDATION_SUGGEST_THEMES,
        recommendation,
        organisation=organisation,
        changes={"suggested": count},
    )
    return list(
        recommendation.theme_labels.filter(status=ThemeLabel.Status.SUGGESTED).select_related(
            "theme"
        )
    )


def without_confirmed_themes() -> Iterator[list[Recommendation]]:
    """Batches of the recommendations that have no confirmed theme."""
    confirmed = ThemeLabel.objects.filter(
        recommendation=OuterRef("pk"), status=ThemeLabel.Status.CONFIRMED
    )
    ids = list(
        Recommendation.objects.filter(~Exists(confirmed))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        yield list(Recommendation.objects.filter(pk__in=ids[start : start + BATCH]).order_by("pk"))


@dataclass(frozen=True)
class ClassifyReport:
    recommendations: int
    suggestions: int


@transaction.atomic
def classify_all(actor: User | None, progress: Progress | None = None) -> ClassifyReport:
    """Suggest themes for every recommendation without a confirmed theme (`amparo
    recommendations classify`). `actor` None: the command line."""
    organisation = access.require(actor, access.CLASSIFY) if actor is not None else None
    model = current_model()
    batches = list(without_confirmed_themes())
    total = sum(len(batch) for batch in batches)
    done = stored = 0
    for batch in batches:
        stored += _store_suggestions(batch, model.suggest([r.text for r in batch]))
        done += len(batch)
        if progress is not None:
            progress(done, total)
    audit.record(
        actor,
        AuditAction.RECOMMENDATIONS_CLASSIFY,
        organisation=organisation,
        changes={"recommendations": total, "suggestions": stored},
    )
    return ClassifyReport(recommendations=total, suggestions=stored)
