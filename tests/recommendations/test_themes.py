"""Theme suggestion around the classifier interface (with the tests' placeholder classifier),
people confirming and rejecting themes, and the theme export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from amparo.core.models import User
from amparo.recommendations import services, suggestions
from amparo.recommendations.models import Recommendation, Theme, ThemeLabel, ThemeModelFile
from amparo.recommendations.services.exports import EXPORT_COLUMNS
from amparo.recommendations.services.themes import current_model
from tests.recommendations.conftest import MakeRecommendation

pytestmark = pytest.mark.django_db

DEFENDERS = "Protect human rights defenders and journalists from threats, attacks and reprisals."


@pytest.fixture
def labelled(reference: None, sample: bytes) -> None:
    services.import_recommendations(None, sample, "upr_sample.csv")


def _unlabelled(make: MakeRecommendation, text: str = DEFENDERS) -> Recommendation:
    return make(text=text, themes=[])


def test_without_a_classifier_theme_suggestion_says_it_is_not_installed(
    settings: object, recommendation: Recommendation, documentalist: User
) -> None:
    settings.AMPARO_THEME_CLASSIFIER = "amparo.no_such_classifier"  # type: ignore[attr-defined]
    with pytest.raises(suggestions.SuggestionUnavailable, match="not installed"):
        services.train(documentalist)


def test_training_learns_from_the_confirmed_labels_and_keeps_one_model_file(
    classifier: None, labelled: None, documentalist: User, tmp_path: Path
) -> None:
    first = services.train(documentalist)
    second = services.train(documentalist)

    assert first.examples == Recommendation.objects.count()
    assert first.themes == 54
    assert list(ThemeModelFile.objects.all()) == [second]
    assert [p.name for p in (tmp_path / "models").iterdir()] == [second.file_name]


def test_suggestions_are_stored_with_their_confidence_for_a_person_to_confirm(
    classifier: None,
    labelled: None,
    documentalist: User,
    make_recommendation: MakeRecommendation,
) -> None:
    services.train(documentalist)
    recommendation = _unlabelled(make_recommendation)

    suggested = services.suggest_themes(documentalist, recommendation)

    assert suggested, "the placeholder classifier found nothing"
    assert all(label.status == ThemeLabel.Status.SUGGESTED for label in suggested)
    assert all(0 < (label.confidence or 0) <= 1 for label in suggested)
    theme = suggested[0].theme
    label = services.confirm_theme(documentalist, recommendation, theme)
    assert label.status == ThemeLabel.Status.CONFIRMED and label.confirmed_by == documentalist
    assert label.confidence == suggested[0].confidence


def test_classify_suggests_only_for_recommendations_without_confirmed_themes(
    classifier: None,
    labelled: None,
    documentalist: User,
    make_recommendation: MakeRecommendation,
) -> None:
    services.train(documentalist)
    bare = [_unlabelled(make_recommendation, text=f"{DEFENDERS} ({n})") for n in range(3)]
    before = ThemeLabel.objects.filter(status=ThemeLabel.Status.CONFIRMED).count()
    seen: list[tuple[int, int]] = []

    report = services.classify_all(None, progress=lambda done, total: seen.append((done, total)))

    assert report.recommendations == 3 and seen[-1] == (3, 3)
    assert ThemeLabel.objects.filter(status=ThemeLabel.Status.CONFIRMED).count() == before
    assert set(
        ThemeLabel.objects.filter(status=ThemeLabel.Status.SUGGESTED).values_list(
            "recommendation", flat=True
        )
    ) == {r.pk for r in bare}
    services.classify_all(None)  # again: suggestions are replaced, not added up
    assert ThemeLabel.objects.filter(status="suggested").count() == report.suggestions


def test_a_model_file_changed_behind_the_apps_back_is_refused(
    classifier: None, labelled: None, documentalist: User, tmp_path: Path
) -> None:
    record = services.train(documentalist)
    path = tmp_path / "models" / record.file_name
    path.write_text(json.dumps({"keywords": {"human_rights_defenders": ["anything"]}}))
    from amparo.recommendations.services import themes

    themes._loaded.clear()
    with pytest.raises(suggestions.SuggestionUnavailable, match="changed"):
        current_model()


def test_only_those_who_may_classify_may_suggest(
    classifier: None,
    labelled: None,
    documentalist: User,
    state_rep: User,
    recommendation: Recommendation,
) -> None:
    services.train(documentalist)
    with pytest.raises(PermissionDenied):
        services.suggest_themes(state_rep, recommendation)
    with pytest.raises(PermissionDenied):
        services.confirm_theme(state_rep, recommendation, Theme.objects.get(code="civic_space"))


def test_rejecting_a_suggestion_removes_it(
    recommendation: Recommendation, documentalist: User
) -> None:
    theme = Theme.objects.get(code="civic_space")
    ThemeLabel.objects.create(
        recommendation=recommendation,
        theme=theme,
        status="suggested",
        source="classifier",
        confidence=0.4,
    )
    services.remove_theme(documentalist, recommendation, theme)
    assert not recommendation.theme_labels.filter(theme=theme).exists()


def _export(file_format: str) -> bytes:
    out = io.BytesIO()
    services.export_themes(None, Recommendation.objects.all(), file_format, out)
    return out.getvalue()


def test_the_export_lists_confirmed_themes_and_suggestions_highest_first(
    recommendation: Recommendation,
) -> None:
    for code, confidence in (("civic_space", 0.61), ("reprisals", 0.93)):
        ThemeLabel.objects.create(
            recommendation=recommendation,
            theme=Theme.objects.get(code=code),
            status="suggested",
            source="classifier",
            confidence=confidence,
        )
    rows = list(csv.DictReader(io.StringIO(_export("csv").decode())))

    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[0]["confirmed_themes"] == "Human rights defenders"
    assert rows[0]["suggested_themes"] == "Reprisals:0.93|Civic space:0.61"
    assert rows[0]["state"] == "KE"

    document = json.loads(_export("json"))
    assert document[0]["suggested_themes"] == ["Reprisals:0.93", "Civic space:0.61"]
    sheet = load_workbook(io.BytesIO(_export("xlsx"))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == list(EXPORT_COLUMNS)
    assert sheet[2][6].value == "Reprisals:0.93|Civic space:0.61"
