"""Snapshots of recommendations and their implementation status, for the portal.

A recommendation, its mechanism, cycle, themes, SDGs and the State's response are public
documents; the follow-up written by staff (the State's plan, its progress reports, the
assessments of NHRIs and civil society) is not. Both reach the public the same way as events:
in a snapshot built from the whitelist's fields (`recommendation`, `recommendation_action`,
`progress_report`, `assessment`), approved by a second person, and read by the public pages
from the snapshot only. Labels carry the four languages, so a page never reads a live record.

Only the publishing organisation's own assessments go into its snapshot: another
organisation's view of a report is theirs to publish.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.enums import Choices
from django.utils import translation

from amparo.analysis.dimensions import LANGUAGES
from amparo.cases.models import DatePrecision
from amparo.core import crypto
from amparo.core.countries import country_name
from amparo.portal.snapshots import FORMAT, Built, coarse_date
from amparo.portal.whitelist import FieldRule, Whitelist, load
from amparo.recommendations.models import (
    Action,
    ImplementationStatus,
    Labelled,
    Mechanism,
    ProgressReport,
    Recommendation,
    Review,
    ThemeLabel,
)

MAX_RECOMMENDATIONS = 500


def item_code(recommendation: Recommendation) -> str:
    """A recommendation's code on the portal: stable, not its internal number."""
    return crypto.keyed_digest(str(recommendation.pk), "portal.recommendation")[:10]


def labelled(term: Labelled | None) -> dict[str, Any] | None:
    if term is None:
        return None
    return {
        "code": term.code,
        "label": {language: term.label(language) for language in LANGUAGES},
    }


def choice(choices: type[Choices], value: str) -> dict[str, Any] | None:
    """A choice of a model field with its label in every language."""
    if not value:
        return None
    labels = {}
    for language in LANGUAGES:
        with translation.override(language):
            labels[language] = str(dict(choices.choices).get(value, value))
    return {"code": value, "label": labels}


def _day(value: datetime.date | None, rule: FieldRule) -> str:
    return coarse_date(value, DatePrecision.DAY if value else DatePrecision.UNKNOWN, rule)


def _pick(values: dict[str, Any], rules: dict[str, FieldRule]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name in rules}


def _texts(recommendation: Recommendation) -> dict[str, Any]:
    texts = {recommendation.language: recommendation.text}
    for translated in recommendation.translations.all():
        if translated.language in LANGUAGES and translated.text:
            texts.setdefault(translated.language, translated.text)
    return {"original": recommendation.language, "texts": texts}


def _action(action: Action, rules: dict[str, FieldRule]) -> dict[str, Any]:
    return _pick(
        {
            "measure": action.measure,
            "responsible_agency": action.responsible_agency,
            "status": choice(Action.Status, action.status),
            "start_date": action.start_date.isoformat() if action.start_date else "",
            "end_date": action.end_date.isoformat() if action.end_date else "",
        },
        rules,
    )


def _assessment(review: Review, rules: dict[str, FieldRule]) -> dict[str, Any]:
    return _pick(
        {
            "organisation": review.organisation.name,
            "party": choice(Review.Party, review.party),
            "verdict": choice(Review.Verdict, review.verdict),
            "assessed_status": choice(ImplementationStatus, review.assessed_status),
            "comment": review.comment,
        },
        rules,
    )


def _report(report: ProgressReport, organisation_id: int, whitelist: Whitelist) -> dict[str, Any]:
    rules = whitelist.fields("progress_report")
    period = rules.get("period", FieldRule("period"))
    shown = _pick(
        {
            "period": {
                "start": _day(report.period_start, period),
                "end": _day(report.period_end, period),
            },
            "status": choice(ImplementationStatus, report.status),
            "evidence": report.evidence,
        },
        rules,
    )
    assessment_rules = whitelist.fields("assessment")
    shown["assessments"] = [
        _assessment(review, assessment_rules)
        for review in report.reviews.all()
        if review.organisation_id == organisation_id and assessment_rules
    ]
    return shown


def recommendation_record(
    recommendation: Recommendation, organisation_id: int, whitelist: Whitelist
) -> dict[str, Any]:
    """One recommendation as the public may see it (prefetched as `for_snapshot` does)."""
    rules = whitelist.fields("recommendation")
    mechanism = recommendation.mechanism
    mechanism_value = labelled(mechanism) or {}
    mechanism_value["kind"] = choice(Mechanism.Kind, mechanism.kind)
    mechanism_value["abbreviation"] = mechanism.abbreviation
    values: dict[str, Any] = {
        "mechanism": mechanism_value,
        "session": recommendation.session,
        "cycle": recommendation.cycle,
        "document_symbol": recommendation.document_symbol,
        "paragraph": recommendation.paragraph,
        "recommending_state": recommendation.recommending_state,
        "date": _day(recommendation.date, rules.get("date", FieldRule("date"))),
        "text": _texts(recommendation),
        "position": choice(Recommendation.Position, recommendation.position),
        "state_response": recommendation.state_response,
        "themes": [labelled(label.theme) for label in recommendation.theme_labels.all()],
        "affected_groups": [labelled(g) for g in recommendation.affected_groups.all()],
        "sdgs": [labelled(s) for s in recommendation.sdgs.all()],
        "status": choice(ImplementationStatus, recommendation.status),
        "contested": recommendation.contested,
    }
    action_rules = whitelist.fields("recommendation_action")
    report_rules = whitelist.fields("progress_report")
    return {
        "code": item_code(recommendation),
        "state": recommendation.state,
        **_pick(values, rules),
        "actions": [_action(a, action_rules) for a in recommendation.actions.all()]
        if action_rules
        else [],
        "progress": [
            _report(r, organisation_id, whitelist) for r in recommendation.progress_reports.all()
        ]
        if report_rules
        else [],
    }


def for_snapshot(ids: Iterable[int]) -> QuerySet[Recommendation]:
    return (
        Recommendation.objects.filter(pk__in=list(ids))
        .select_related("mechanism")
        .prefetch_related(
            Prefetch(
                "theme_labels",
                queryset=ThemeLabel.objects.filter(
                    status=ThemeLabel.Status.CONFIRMED
                ).select_related("theme"),
            ),
            "translations",
            "affected_groups",
            "sdgs",
            "actions",
            Prefetch(
                "progress_reports",
                queryset=ProgressReport.objects.prefetch_related(
                    Prefetch("reviews", queryset=Review.objects.select_related("organisation"))
                ),
            ),
        )
        .order_by("state", "mechanism__position", "session_number", "paragraph", "pk")
    )


def build(
    recommendations: Sequence[Recommendation],
    organisation_id: int,
    whitelist: Whitelist | None = None,
) -> Built:
    whitelist = whitelist or load()
    loaded = list(for_snapshot(r.pk for r in recommendations))
    return Built(
        content={
            "format": FORMAT,
            "kind": "recommendations",
            "recommendations": [
                recommendation_record(r, organisation_id, whitelist) for r in loaded
            ],
        }
    )


# --- Reading a snapshot ----------------------------------------------------------------------


def text_in(record: dict[str, Any], language: str) -> tuple[str, str, bool]:
    """The recommendation's text in `language`, or its original: (text, its language,
    whether it is the original shown for want of a translation)."""
    text = record.get("text") or {}
    texts = text.get("texts", {})
    if language in texts:
        return str(texts[language]), language, False
    original = str(text.get("original", "en"))
    return str(texts.get(original, "")), original, original != language


def search_words(record: dict[str, Any]) -> list[str]:
    """Every public word of a record in every language, for the search box."""
    words: list[str] = [record.get("state", ""), record.get("document_symbol", "")]
    words += [country_name(record["state"], language) for language in LANGUAGES]
    words += list((record.get("text") or {}).get("texts", {}).values())
    words.append(record.get("state_response", ""))
    words.append(record.get("session", ""))
    mechanism = record.get("mechanism") or {}
    words.append(mechanism.get("abbreviation", ""))
    for value in (
        mechanism,
        *record.get("themes", []),
        *record.get("sdgs", []),
        *record.get("affected_groups", []),
    ):
        if value:
            words += list(value.get("label", {}).values())
    return [str(w) for w in words if w]


def codes(values: Iterable[dict[str, Any] | None]) -> str:
    found = sorted({v["code"] for v in values if v and v.get("code")})
    return "|" + "|".join(found) + "|" if found else ""
