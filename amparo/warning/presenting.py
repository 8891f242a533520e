"""Alerts and assessments as a given user may read them, for the pages and the API alike.

Who the subject is goes through the case records' `PersonPresenter` (clearance, and consent
outside the owning organisation), which notes every identity it shows; the caller records them
(`cases.services.record_disclosure`, channel "alert") before its answer leaves. The facts behind
an alert are shown as types of act and dates; the event's reference only to those who may see
the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from amparo.cases import access as cases_access
from amparo.cases.models import Act, Person
from amparo.core.models import User
from amparo.warning import access
from amparo.warning.models import Acknowledgement, Alert, RiskAssessment
from amparo.warning.services import signals


def _language() -> str:
    return get_language() or "en"


def reason_label(reason: str) -> str:
    if reason.startswith("risk_level:"):
        level = reason.split(":", 1)[1]
        return _("The risk level rose to %(level)s") % {"level": _level_label(level)}
    rule = signals.ruleset().by_id.get(reason)
    return rule.labels.get(_language()) if rule else reason


def factor_label(factor: str) -> str:
    try:
        return signals.risk_model().labels(factor).get(_language())
    except KeyError:
        return factor


def _level_label(level: str) -> str:
    from amparo.warning.models import Level

    return str(Level(level).label) if level in Level.values else level


class SubjectNames:
    """Names subjects for one user and one answer; `disclosed` is what to record."""

    def __init__(self, user: User) -> None:
        self.presenter = cases_access.PersonPresenter(user)

    def prime(self, alerts: Iterable[Alert]) -> None:
        self.presenter.prime([a.person for a in alerts if a.person is not None])

    def person(self, person: Person) -> dict[str, Any]:
        shown = self.presenter.present(person)
        return {
            "id": person.pk,
            "identified": shown["identified"],
            "name": shown["display_name"],
            "pseudonym": shown["pseudonym"],
            "kind": person.kind,
        }

    def of(self, alert: Alert) -> dict[str, Any]:
        if alert.person is not None:
            return self.person(alert.person)
        return {
            "id": None,
            "identified": False,
            "name": _("Intake report %(code)s") % {"code": str(alert.submission_id)[:8]},
            "pseudonym": "",
            "kind": "intake",
        }

    @property
    def disclosed(self) -> dict[int, int]:
        return self.presenter.disclosed


def acknowledgements(user: User, alert: Alert, subject: dict[str, Any]) -> list[Acknowledgement]:
    """The alert's acknowledgements for `user`, the note of each only where `access` lets them
    read it (`subject`: the alert's subject as `SubjectNames.of` shows it to `user`). The
    instances are for reading: a withheld note is blanked in memory, never saved."""
    found = list(alert.acknowledgements.select_related("organisation", "user"))
    for acknowledgement in found:
        if acknowledgement.note and not access.may_read_note(
            user, acknowledgement.organisation_id, bool(subject["identified"])
        ):
            acknowledgement.note = ""
    return found


@dataclass(frozen=True)
class FactLine:
    act_id: int
    act: str
    date: str
    event_reference: str
    event_id: int | None


def facts_of(user: User, signal_ids: Sequence[int]) -> list[FactLine]:
    """The acts behind an alert or an assessment: type and date for anyone who may read it; the
    event's reference for those who may see the event."""
    acts = list(
        Act.objects.filter(pk__in=[s for s in signal_ids if s > 0])
        .select_related("type_of_act", "event")
        .order_by("date", "pk")
    )
    visible = set(
        cases_access.visible_events(user)
        .filter(pk__in={a.event_id for a in acts})
        .values_list("pk", flat=True)
    )
    lines = [
        FactLine(
            act_id=act.pk,
            act=act.type_of_act.label() if act.type_of_act else "",
            date=act.date_display
            or (act.event.start_date.isoformat() if act.event.start_date else ""),
            event_reference=act.event.reference_code if act.event_id in visible else "",
            event_id=act.event_id if act.event_id in visible else None,
        )
        for act in acts
    ]
    intake = len([s for s in signal_ids if s < 0])
    if intake:
        lines.append(
            FactLine(
                0,
                ngettext(
                    "%(count)d act named in an intake report",
                    "%(count)d acts named in an intake report",
                    intake,
                )
                % {"count": intake},
                "",
                "",
                None,
            )
        )
    return lines


def _event_date(act: Act) -> str:
    start = act.event.start_date
    return start.isoformat() if start else ""


def assessment_reasons(assessment: RiskAssessment) -> list[dict[str, Any]]:
    return [
        {**reason, "label": factor_label(reason["factor"])} for reason in assessment.reasons
    ] + [
        {"factor": f["rule"], "kind": "rule", "label": reason_label(f["rule"]), **f}
        for f in assessment.firings
    ]
