"""The demo world's recommendations: real UPR recommendations to the demo countries (371 of
them, from sessions 1 to 10: all of Kenya's and the others' on defenders, freedoms, civil society
and impunity; see data/README.md for where they come from), with a synthetic follow-up for
Kenya: the State's action plans and progress reports, reviews by the NHRI and civil society
(some contested), and ratification statuses marked as demo data.

`build_recommendations()` runs after the demo accounts exist (amparo.demo.accounts) and writes
through the services, as the demo's members, so the audit log reads as if they had used Amparo.
Idempotent: it does nothing when the demo recommendations exist already.
"""

from __future__ import annotations

import csv
import datetime
import random
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import Term, User
from amparo.demo.base import DemoError, DemoOptions, DemoStep, require_demo_mode
from amparo.recommendations import services
from amparo.recommendations.models import Instrument, Recommendation

DEMO_FILE = Path(__file__).resolve().parent / "demo_recommendations.csv"
DEFAULT_SEED = 2026
ANCHOR = datetime.date(2026, 6, 30)  # the demo world does not depend on when it is built
STATE = "KE"
STATE_USER = "state.rep"
NHRI_USER = "nhri.documentalist"
CSO_USER = "network.documentalist"
FOLLOWED_UP = 40

MEASURES = [
    ("Adopt the Human Rights Defenders Protection Bill", "Office of the Attorney General"),
    ("Train police commanders on the rights of protesters", "National Police Service"),
    ("Fund the protection programme for defenders at risk", "National Treasury"),
    ("Set up a register of attacks on journalists", "Media Council"),
    (
        "Investigate and prosecute attacks on defenders",
        "Office of the Director of Public Prosecutions",
    ),
]
INDICATORS = [
    ("Defenders admitted to the protection programme", "0", "150"),
    ("Police officers trained", "0", "2,000"),
    ("Investigations opened into attacks on defenders", "12", "all reported attacks"),
]
EVIDENCE = [
    "The bill was tabled in Parliament and passed its first reading.",
    "Two training sessions were held in Nairobi and Mombasa.",
    "A budget line for the protection programme was created in the supplementary estimates.",
    "A draft policy was shared with civil society for comments.",
]
CONTEST = [
    "Three defenders were killed in the period and nobody has been charged.",
    "The protection programme has no staff yet; requests go unanswered.",
    "Protesters were dispersed with live ammunition after the training.",
]
ENDORSE = ["We confirm the steps described; implementation is still partial."]
# Statuses of well-known instruments for the demo countries. Demo data: check before use.
RATIFICATIONS = {
    "KE": {
        "iccpr": "ratified",
        "icescr": "ratified",
        "cedaw": "ratified",
        "cat": "ratified",
        "crc": "ratified",
        "crpd": "ratified",
        "cped": "signed",
        "iccpr_op1": "no_action",
        "opcat": "no_action",
        "achpr_charter": "ratified",
        "maputo": "ratified",
        "afcourt": "ratified",
        "afcourt_34_6": "no_action",
    },
    "CO": {
        "iccpr": "ratified",
        "iccpr_op1": "ratified",
        "cat": "ratified",
        "cedaw": "ratified",
        "achr": "ratified",
        "achr_court": "ratified",
    },
}
DEMO_NOTE = "Demo data: check before use."


@dataclass
class DemoReport:
    recommendations: int = 0
    actions: int = 0
    reports: int = 0
    contested: int = 0
    ratifications: int = 0
    skipped: bool = False


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DemoError(f"The demo account {username!r} is missing: run the demo accounts first.")
    return user


def demo_recommendations_exist() -> bool:
    with DEMO_FILE.open(encoding="utf-8", newline="") as rows:
        first = next(csv.DictReader(rows))["Annotation Id"]
    return Recommendation.objects.filter(annotation_id=first).exists()


def build_recommendations(seed: int = DEFAULT_SEED) -> DemoReport:
    require_demo_mode()
    if demo_recommendations_exist():
        return DemoReport(skipped=True, recommendations=Recommendation.objects.count())
    state, nhri, cso = _user(STATE_USER), _user(NHRI_USER), _user(CSO_USER)
    rng = random.Random(seed)  # noqa: S311 (a reproducible demo, not a secret)
    report = DemoReport()
    with transaction.atomic():
        services.ensure_reference()
        imported = services.import_recommendations(nhri, DEMO_FILE.read_bytes(), DEMO_FILE.name)
        if not imported.ok:
            raise DemoError("; ".join(map(str, imported.errors[:5])))
        report.recommendations = imported.created
        kenya = list(
            Recommendation.objects.filter(state=STATE, theme_labels__isnull=False)
            .distinct()
            .order_by("pk")
        )
        for recommendation in rng.sample(kenya, min(FOLLOWED_UP, len(kenya))):
            _follow_up(rng, recommendation, state, nhri, cso, report)
        _link_cases(nhri, kenya)
        for country, statuses in RATIFICATIONS.items():
            for code, status in statuses.items():
                instrument = Instrument.objects.get(code=code)
                services.set_ratification(
                    nhri, services.RatificationInput(country, instrument, status, note=DEMO_NOTE)
                )
                report.ratifications += 1
        audit.record(
            None,
            AuditAction.DEMO_RECOMMENDATIONS_CREATED,
            changes={"seed": seed, **report.__dict__},
        )
    return report


def _follow_up(
    rng: random.Random,
    recommendation: Recommendation,
    state: User,
    nhri: User,
    cso: User,
    report: DemoReport,
) -> None:
    services.respond(
        state,
        recommendation,
        position=recommendation.position or Recommendation.Position.SUPPORTED,
        state_response="Kenya accepts the recommendation and has included it in its plan.",
    )
    measure, agency = rng.choice(MEASURES)
    start = ANCHOR - datetime.timedelta(days=rng.randint(400, 900))
    action = services.add_action(
        state,
        recommendation,
        services.ActionInput(
            measure=measure,
            responsible_agency=agency,
            start_date=start,
            end_date=start + datetime.timedelta(days=730),
            budget_note="KES 40 million in the 2025/26 estimates" if rng.random() < 0.5 else "",
            status=rng.choice(["planned", "in_progress", "delayed"]),
        ),
    )
    report.actions += 1
    description, baseline, target = rng.choice(INDICATORS)
    services.add_indicator(
        state,
        action,
        services.IndicatorInput(
            description=description,
            baseline=baseline,
            target=target,
            frequency=rng.choice(["quarterly", "biannual", "annual"]),
            # Some due dates lie before the anchor: overdue in the demo.
            next_due=ANCHOR + datetime.timedelta(days=rng.randint(-120, 240)),
        ),
    )
    status = rng.choice(["in_progress", "partially_implemented", "implemented", "not_started"])
    made = services.submit_progress_report(
        state,
        recommendation,
        services.ProgressInput(
            period_start=start,
            period_end=min(start + datetime.timedelta(days=365), ANCHOR),
            status=status,
            evidence=rng.choice(EVIDENCE),
        ),
    )
    report.reports += 1
    if rng.random() < 0.6:
        services.review_report(nhri, made, verdict="endorsed", comment=rng.choice(ENDORSE))
    if status in ("implemented", "partially_implemented") or rng.random() < 0.3:
        services.review_report(
            cso,
            made,
            verdict="contested",
            comment=rng.choice(CONTEST),
            assessed_status="in_progress" if status == "implemented" else "not_started",
        )
        report.contested += 1


def _link_cases(nhri: User, kenya: list[Recommendation]) -> None:
    """Link the recommendations on defenders to the killings and attacks of the case demo."""
    terms = list(
        Term.objects.filter(
            thesaurus__code="hrd_violations", code__in=["killing", "physical_attack"]
        )
    )
    if not terms:
        return  # the vocabularies are not loaded: no case statistics to link
    for recommendation in kenya:
        if recommendation.theme_labels.filter(theme__code="human_rights_defenders").exists():
            services.link_cases(
                nhri,
                recommendation,
                country=STATE,
                types_of_act=terms,
                period_start=datetime.date(2019, 1, 1),
                note="Killings and physical attacks on defenders in Kenya",
            )


def _build(options: DemoOptions) -> str:
    report = build_recommendations(options.seed)
    if report.skipped:
        return f"{report.recommendations} recommendations exist already: kept"
    return (
        f"{report.recommendations} recommendations, {report.actions} actions, "
        f"{report.reports} progress reports ({report.contested} contested), "
        f"{report.ratifications} ratifications"
    )


STEP = DemoStep("recommendations", _build)
