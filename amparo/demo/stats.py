"""The statistics part of the demo world, built through the services after the case records:

* laws that restrict civic space in several demo countries, with their provisions of concern,
  and the law each act of judicial harassment used (where its event can still be edited);
* killings of defenders in Colombia documented by four institutions that each saw only some of
  them, drawn as a capture-recapture experiment (the victims every list missed are never
  recorded), so that `amparo estimate --violation killing --country CO` has lists that overlap;
* a few victims recorded twice, under another spelling, by a second source, so that the review
  queue of duplicates is not empty (the search is run on behalf of the network's documentalist).

The facts follow through the case services' hook as everything is written. The same seed gives
the same world; running it again when the demo laws exist does nothing.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from dataclasses import dataclass

from django.db import transaction

from amparo.cases import services as cases_services
from amparo.cases.models import Act, DatePrecision, Event, Person, Source
from amparo.cases.services import ActInput, EventInput, InvolvementInput, PersonInput, SourceInput
from amparo.core.models import Clearance, Organisation, Term, User
from amparo.core.services import DomainError
from amparo.demo.base import DEFAULT_EVENTS, DemoOptions, DemoStep, require_demo_mode
from amparo.demo.cases import Cast, Names
from amparo.stats.models import Fact, LegalMeasure
from amparo.stats.services import dedupe, facts, laws

DEMO_SOURCE = "Demo: synthetic record, not a real law."
KILLINGS_COUNTRY = "CO"
# The true number of defenders killed (in a world of the default size; fewer in a smaller one);
# those no list documented stay unknown, as in life.
KILLED = 140
FEWEST_KILLED = 12
FIRST_YEAR, LAST_YEAR = 2020, 2025
# Four institutions and how likely each is to document a killing, for victims easy and hard to
# reach (a heterogeneity the latent-class model is made for).
LISTS = (
    ("Observatory for the Protection of Defenders (demo)", 0.55, 0.25),
    ("Community Radio Network (demo)", 0.45, 0.15),
    ("Legal Aid Clinic (demo)", 0.35, 0.2),
    ("Daily Newspaper (demo)", 0.5, 0.1),
)
EASY_SHARE = 0.4
DUPLICATES = 5

LAWS: tuple[tuple[str, str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "KE",
        "Public Order (Amendment) Act (demo)",
        "protest",
        "adopted",
        "law_public_order",
        (("Section 5", "Prior authorisation of assemblies"),),
    ),
    (
        "KE",
        "Computer Misuse and Cybercrimes Act (demo)",
        "cybercrime",
        "amended",
        "criminalisation",
        (("Section 22", "False publication, vaguely defined"), ("Section 23", "")),
    ),
    (
        "UG",
        "Anti-Terrorism Act (demo)",
        "counter_terrorism",
        "adopted",
        "law_counter_terrorism",
        (("Section 9A", "Broad definition of material support"),),
    ),
    (
        "PH",
        "Anti-Terrorism Act (demo)",
        "counter_terrorism",
        "adopted",
        "law_counter_terrorism",
        (("Section 25", "Designation without judicial review"),),
    ),
    (
        "IN",
        "Foreign Contribution (Regulation) Act (demo)",
        "foreign_funding",
        "amended",
        "registration_denial",
        (("Section 12", "Cancellation of registration"),),
    ),
    (
        "MX",
        "Criminal Code, defamation (demo)",
        "defamation",
        "adopted",
        "law_defamation",
        (("Article 350", "Criminal defamation of officials"),),
    ),
    (
        "CO",
        "Citizen Security Law (demo)",
        "protest",
        "bill",
        "slapp",
        (("Article 2", "Obstruction of public roads"),),
    ),
    (
        "TN",
        "Decree-Law 54 on information systems (demo)",
        "emergency",
        "adopted",
        "criminalisation",
        (("Article 24", "Spreading false news"),),
    ),
)


@dataclass
class StatsReport:
    laws: int = 0
    uses: int = 0
    killings: int = 0
    duplicates: int = 0
    candidates: int = 0
    killed: int = 0
    skipped: bool = False


def _term(thesaurus: str, code: str) -> Term:
    return Term.objects.get(thesaurus__code=thesaurus, code=code)


def _fold(name: str) -> str:
    """Another spelling of a name, as a second source might write it: no accents, and the
    second family name dropped."""
    plain = "".join(
        c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn"
    )
    parts = plain.split()
    return " ".join(parts[:2]) if len(parts) > 2 else plain.upper().title()


def _laws(cast: Cast, report: StatsReport) -> None:
    actor = cast.administrator[cast.network.pk]
    for country, title, kind, stage, act_code, provisions in LAWS:
        measure = laws.create_law(
            actor,
            cast.network,
            laws.LawInput(
                country=country,
                title=title,
                kind=kind,
                stage=stage,
                introduced_on=datetime.date(2019, 3, 1),
                adopted_on=None if stage == "bill" else datetime.date(2020, 6, 1),
                summary="",
                source=DEMO_SOURCE,
            ),
        )
        for reference, concern in provisions:
            laws.add_provision(actor, measure, reference, concern)
        report.laws += 1
        first = measure.provisions.order_by("pk").first()
        acts = Act.objects.filter(
            event__country=country, type_of_act__code=act_code
        ).select_related("event__organisation")
        for act in acts.exclude(event__status=Event.Status.CLOSED)[:12]:
            editor = cast.administrator[act.event.organisation_id]
            try:
                laws.record_use(editor, act, measure, first.pk if first else None)
            except DomainError:
                continue  # the event cannot change now (its state), as for a person
            report.uses += 1


def _killings(cast: Cast, seed: int, killed_total: int, report: StatsReport) -> None:
    """The capture-recapture experiment: each defender killed is documented by each list with
    the probability of their stratum; one event per documented victim, its sources the lists
    that documented them."""
    rng = random.Random(f"{seed}:stats:killings")  # noqa: S311 - synthetic data, not secrets
    names = Names.load()
    network = cast.network
    documentalist = cast.documentalist[network.pk]
    verifier = cast.verifier[network.pk]
    killing = _term("hrd_violations", "killing")
    killed = _term("25", "010100000000")
    unknown = _term("perpetrator_types", "organised_crime")
    defender_types = [
        _term("defender_types", code)
        for code in (
            "environmental",
            "indigenous",
            "community_leader",
            "journalist",
            "trade_unionist",
        )
    ]
    sexes = {code: _term("gender", code) for code in ("woman", "man")}
    institutions: dict[int, Person] = {}
    span = (datetime.date(LAST_YEAR, 12, 31) - datetime.date(FIRST_YEAR, 1, 1)).days
    seconds: list[tuple[str, datetime.date, list[int], Term, Term]] = []

    def source(index: int) -> PersonInput:
        person = institutions.get(index)
        if person is not None:
            return PersonInput.existing(person)
        return PersonInput(
            kind=Person.Kind.ORGANISATION,
            full_name=LISTS[index][0],
            country=KILLINGS_COUNTRY,
            confidentiality=Clearance.RESTRICTED,
        )

    def event(name: str, day: datetime.date, lists: list[int], sex: Term, kind: Term) -> None:
        inputs = [source(i) for i in lists]
        victim = PersonInput(
            full_name=name,
            sex=sex,
            defender_types=[kind],
            country=KILLINGS_COUNTRY,
            confidentiality=Clearance.CONFIDENTIAL,
        )
        created = cases_services.create_event(
            documentalist,
            network,
            EventInput(
                title="Killing of a defender (demo)",
                start_date=day,
                start_precision=DatePrecision.DAY,
                country=KILLINGS_COUNTRY,
                confidentiality=Clearance.RESTRICTED,
                acts=[
                    ActInput(
                        victim=victim,
                        type_of_act=killing,
                        date=day,
                        date_precision=DatePrecision.DAY,
                        consequences=[killed],
                        targeted_activity=kind,
                        involvements=[InvolvementInput(perpetrator_type=unknown)],
                    )
                ],
                sources=[SourceInput(source_person=p, received_on=day) for p in inputs],
            ),
        )
        # Sources are written in the order given: the institutions recorded just now.
        written = (
            Source.objects.filter(event=created).order_by("pk").select_related("source_person")
        )
        for index, row in zip(lists, written, strict=True):
            if row.source_person is not None:
                institutions.setdefault(index, row.source_person)
        cases_services.submit_event(documentalist, created)
        cases_services.verify_event(verifier, Event.objects.get(pk=created.pk))
        report.killings += 1

    for _victim in range(killed_total):
        easy = rng.random() < EASY_SHARE
        lists = [
            i
            for i, (_n, p_easy, p_hard) in enumerate(LISTS)
            if rng.random() < (p_easy if easy else p_hard)
        ]
        if not lists:
            continue  # killed, and documented by no one
        sex_code = rng.choice(list(sexes))
        name = names.person(rng, "hispanic_america", sex_code)
        day = datetime.date(FIRST_YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(span))
        kind = rng.choice(defender_types)
        if len(lists) >= 2 and len(seconds) < DUPLICATES:
            # The second list recorded this victim on its own, under another spelling.
            seconds.append((_fold(name), day, lists[1:], sexes[sex_code], kind))
            lists = lists[:1]
        event(name, day, lists, sexes[sex_code], kind)
    for again, when, others, sex, kind in seconds:
        event(again, when, others, sex, kind)
        report.duplicates += 1


def _queue(cast: Cast, report: StatsReport) -> None:
    user = User.objects.get(username="network.documentalist")
    run = dedupe.find_duplicates(user, Organisation.objects.get(pk=cast.network.pk))
    report.candidates = run.candidates


@transaction.atomic
def build_stats(*, seed: int, events: int = DEFAULT_EVENTS) -> StatsReport:
    require_demo_mode()
    if LegalMeasure.objects.filter(source=DEMO_SOURCE).exists():
        return StatsReport(skipped=True)
    if not Fact.objects.exists() and Event.objects.exists():
        facts.rebuild()  # case records written before the statistics existed
    cast = Cast.find()
    report = StatsReport()
    _laws(cast, report)
    report.killed = max(FEWEST_KILLED, min(KILLED, KILLED * events // DEFAULT_EVENTS))
    _killings(cast, seed, report.killed, report)
    _queue(cast, report)
    return report


def _build(options: DemoOptions) -> str:
    report = build_stats(seed=options.seed, events=options.events)
    if report.skipped:
        return "the demo laws exist already: kept"
    return (
        f"{report.laws} laws used in {report.uses} acts, {report.killings} killings documented "
        f"by {len(LISTS)} overlapping sources (of {report.killed}), {report.duplicates} victims "
        f"recorded twice, {report.candidates} pairs to review"
    )


STEP = DemoStep("stats", _build)
