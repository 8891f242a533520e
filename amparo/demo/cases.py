"""The synthetic case world of the demo: defenders in 12 countries and what happened to them.

Built on the organisations and accounts of `amparo.demo.accounts`. Each *story* follows one defender
through events that escalate as monitoring organisations describe it: warnings (threats,
surveillance, smear campaigns), then pressure (judicial harassment, raids, misuse of laws), then
violence (attacks, abductions, disappearances) and, for a few, killing; most killings are
preceded by earlier threats. Serious events have several sources, some of them the same
institutions across many events (so one victim appears in several sources); there are
interventions, chain links between a story's events, consents and sharing grants.

No real person: names are random combinations of common given and family names of the region
(demo_names.csv), localities are made of syllables, identity numbers and e-mail addresses are
visibly fake. The same seed always gives the same world.

Records are built as the services build them, in batches of stories so that memory stays
bounded whatever the size (`amparo demo --events 1000000` for benchmarks):

* every record passes the services' validation (`services.changes.clean`: the models' field
  validators and clean methods) and its terms the vocabulary checks; foreign keys are checked
  against the objects the generator holds rather than by a query per key;
* every field is encrypted (and blind-indexed) by its own field class, as on save;
* up to HISTORY_UP_TO events, each gets the versions and audit entries the services would have
  written: recorded, then submitted, verified and closed as far as its status goes, and so do
  consents and sharing grants. The versions are the services' own snapshots (`snapshot_of`)
  of the aggregate as the generator holds it. A benchmark-sized world starts without history:
  a million encrypted snapshots nobody reads would cost more than the world itself.

Rows are written with one executemany per table (see `Rows`): encrypting identifying fields and
validating are most of the cost. Running it again when the demo events exist does nothing.
"""

from __future__ import annotations

import csv
import datetime
import functools
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Max
from django.utils import timezone

from amparo.cases import hooks, services
from amparo.cases.models import (
    Act,
    ChainLink,
    ConsentRecord,
    DatePrecision,
    Event,
    EventVersion,
    Intervention,
    Involvement,
    Person,
    RecipientKind,
    ReferenceCounter,
    SharingGrant,
    Source,
    VersionAction,
    Vocab,
    normalise_partial_date,
    validate_terms,
)
from amparo.cases.services import workflow
from amparo.cases.services.changes import clean
from amparo.cases.services.consent import consent_given_changes, consent_withdrawn_changes
from amparo.cases.services.events import creation_changes
from amparo.cases.services.sharing import sharing_changes
from amparo.cases.services.snapshots import Aggregate, snapshot_diff, snapshot_of
from amparo.core import audit, custody
from amparo.core.audit_actions import AuditAction
from amparo.core.fields import BlindIndexField, EncryptedField
from amparo.core.models import Clearance, Organisation, Term, User
from amparo.core.vocabulary import TermLookupError, TermResolver
from amparo.demo.base import (
    DEFAULT_EVENTS,
    DEFAULT_SEED,
    DemoError,
    DemoOptions,
    DemoStep,
    require_demo_mode,
)

EXTERNAL_PREFIX = "DEMO-"
# Every demo date lies on or before this day, so the world does not depend on when it is built.
ANCHOR = datetime.date(2026, 6, 30)
FIRST_DAY = datetime.date(2019, 1, 1)
STORIES_PER_BATCH = 400
# Up to this many events, each gets the versions and audit entries the services would write.
HISTORY_UP_TO = 20_000

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

# country, name region, languages of sources (HURIDOCS list 14, English labels), weight
COUNTRIES: list[tuple[str, str, tuple[str, ...], int]] = [
    ("KE", "east_africa", ("English", "Swahili"), 6),
    ("UG", "east_africa", ("English", "Swahili"), 2),
    ("CD", "central_africa", ("French", "Swahili"), 2),
    ("ZW", "southern_africa", ("English",), 1),
    ("CO", "hispanic_america", ("Spanish",), 5),
    ("MX", "hispanic_america", ("Spanish",), 4),
    ("HN", "hispanic_america", ("Spanish",), 2),
    ("GT", "hispanic_america", ("Spanish",), 2),
    ("BR", "brazil", ("Portuguese",), 4),
    ("PH", "philippines", ("English", "Tagalog"), 3),
    ("IN", "south_asia", ("English", "Hindi"), 2),
    ("TN", "maghreb", ("Arabic", "French"), 1),
]

DEFENDER_TYPES = {
    "journalist": 14,
    "environmental": 14,
    "indigenous": 10,
    "community_leader": 12,
    "lawyer": 8,
    "women_hrd": 8,
    "lgbti": 5,
    "trade_unionist": 6,
    "ngo_worker": 8,
    "anti_corruption": 4,
    "student_academic": 3,
    "afro_descendant": 3,
    "victims_relatives": 3,
    "digital_rights": 3,
    "migrant_rights": 2,
    "health_worker": 2,
    "religious_leader": 2,
}
SEXES = {
    "woman": 41,
    "man": 52,
    "trans_woman": 1.5,
    "trans_man": 0.5,
    "non_binary": 1,
    "unknown": 4,
}
AGE_GROUPS = {"18_29": 22, "30_49": 48, "50_64": 20, "65_plus": 4, "under_18": 1, "unknown": 5}

COLLEAGUE_CHANCE = 0.5

# Escalation stages: the main act of an event, and the acts that often come with it.
WARNING, PRESSURE, VIOLENCE, KILLING = range(4)
MAIN_ACTS: dict[int, dict[str, float]] = {
    WARNING: {
        "threat_death": 16,
        "threat_anonymous": 8,
        "threat_online": 8,
        "threat_family": 4,
        "surveillance_physical": 7,
        "surveillance_digital": 4,
        "stigmatisation_officials": 6,
        "stigmatisation_online": 6,
        "stigmatisation_media": 4,
        "coordinated_harassment": 3,
    },
    PRESSURE: {
        "criminalisation": 12,
        "arbitrary_detention": 12,
        "slapp": 4,
        "law_defamation": 3,
        "law_public_order": 3,
        "law_counter_terrorism": 2,
        "raid": 8,
        "registration_denial": 2,
        "arbitrary_audit": 2,
        "doxxing": 2,
        "hacking": 3,
        "travel_ban": 2,
    },
    VIOLENCE: {
        "physical_attack": 14,
        "attempted_killing": 5,
        "abduction": 4,
        "torture": 3,
        "sexual_violence": 2,
        "enforced_disappearance": 2,
        "internal_displacement": 4,
        "exile": 2,
    },
    KILLING: {"killing": 1},
}
COMPANIONS: dict[str, list[tuple[str, float]]] = {
    "threat_death": [
        ("threat_family", 0.72),
        ("surveillance_physical", 0.64),
        ("threat_online", 0.48),
    ],
    "threat_anonymous": [("threat_death", 0.8), ("surveillance_physical", 0.48)],
    "threat_online": [
        ("coordinated_harassment", 0.8),
        ("doxxing", 0.48),
        ("stigmatisation_online", 0.64),
    ],
    "surveillance_physical": [("threat_death", 0.8), ("surveillance_digital", 0.48)],
    "stigmatisation_officials": [("stigmatisation_media", 0.8), ("threat_online", 0.64)],
    "criminalisation": [("arbitrary_detention", 0.8), ("stigmatisation_officials", 0.8)],
    "arbitrary_detention": [("criminalisation", 0.9), ("torture", 0.32), ("threat_death", 0.48)],
    "raid": [("theft_information", 0.9), ("arbitrary_detention", 0.64), ("threat_death", 0.48)],
    "hacking": [("theft_information", 0.8), ("doxxing", 0.64)],
    "physical_attack": [
        ("threat_death", 0.9),
        ("theft_information", 0.48),
        ("threat_family", 0.48),
    ],
    "attempted_killing": [("threat_death", 0.8), ("internal_displacement", 0.64)],
    "abduction": [("torture", 0.8), ("threat_death", 0.8)],
    "killing": [("threat_family", 0.8), ("threat_death", 0.48)],
}
PERPETRATORS: dict[int, dict[str, float]] = {
    WARNING: {
        "24:990000000000": 30,
        "24:010100000000": 15,
        "organised_crime": 10,
        "online_troll_network": 10,
        "extractive_company": 6,
        "private_security_company": 6,
        "political_party": 4,
        "anti_rights_group": 4,
    },
    PRESSURE: {
        "24:010100000000": 40,
        "public_prosecutor": 20,
        "24:010300000000": 10,
        "extractive_company": 6,
        "agribusiness_company": 4,
        "surveillance_vendor": 3,
        "24:990000000000": 8,
    },
    VIOLENCE: {
        "24:010100000000": 20,
        "24:990000000000": 25,
        "organised_crime": 15,
        "private_security_company": 10,
        "24:020300000000": 8,
        "24:020500000000": 6,
        "illegal_mining_logging": 6,
    },
    KILLING: {
        "24:990000000000": 40,
        "organised_crime": 15,
        "24:010100000000": 12,
        "illegal_mining_logging": 8,
        "private_security_company": 8,
        "24:020300000000": 8,
        "drug_trafficking": 6,
    },
}
METHODS = {
    "killing": {"010100000000": 75, "010300000000": 15, "010200000000": 10},
    "attempted_killing": {"010100000000": 70, "010300000000": 30},
    "physical_attack": {"030100000000": 70, "030200000000": 30},
    "torture": {"030100000000": 40, "032000000000": 40, "030800000000": 20},
    "threat_death": {"032300000000": 1},
    "threat_family": {"032300000000": 1},
    "sexual_violence": {"030500000000": 60, "030600000000": 40},
}
CONSEQUENCES = {
    "killing": {"010100000000": 1},
    "attempted_killing": {"010200000000": 1},
    "physical_attack": {"010200000000": 1},
    "torture": {"010200000000": 1},
    "arbitrary_detention": {"020100000000": 70, "020200000000": 30},
    "abduction": {"010400000000": 70, "010300000000": 30},
    "enforced_disappearance": {"010300000000": 1},
    "internal_displacement": {"030300000000": 1},
    "exile": {"030200000000": 1},
    "travel_ban": {"030100000000": 1},
}
DEGREES = {"010100000000": 55, "010600000000": 30, "010200000000": 10, "010500000000": 5}
RELIABILITY = {"010000000000": 30, "020000000000": 45, "030000000000": 18, "990000000000": 7}
MATERIALS = {
    "220903200901": 30,  # victim testimony
    "230920140501": 25,  # witness testimony
    "140523191601": 15,  # newspaper
    "161805191902": 12,  # press release of a human rights organisation
    "160815201501": 8,  # photograph
    "031521182001": 5,  # court records
    "091420051801": 5,  # interview
}
CONNECTIONS = {
    "victim": "010100000000",
    "witness": "010200000000",
    "relative": "020100000000",
    "reporter": "030100000000",
    "ngo": "040400000000",
    "lawyer": "040100000000",
}
INTERVENTIONS = {  # codes of our intervention_types list
    "urgent_appeal": 20,
    "protective_measures": 15,
    "demand_investigation": 12,
    "un_special_procedure": 10,
    "legal_support": 10,
    "public_statement": 8,
    "precautionary_measures": 5,
    "nhri_inquiry": 5,
    "trial_observation": 5,
    "temporary_relocation": 4,
    "digital_security": 3,
    "un_reprisals": 3,
}
INTERVENTION_STATUS = [
    "010000000000",
    "020000000000",
    "030000000000",
    "050000000000",
    "070000000000",
]
RESULTS = [
    "Urgent appeal sent to the authorities; acknowledgement received.",
    "Request for protective measures filed with the national protection mechanism.",
    "Communication sent to the UN Special Rapporteur on human rights defenders.",
    "Lawyer assigned; the defender was released on bail.",
    "Complaint lodged with the prosecutor; no reply yet.",
    "Temporary relocation arranged with a partner organisation.",
    "",
]
SOURCE_INSTITUTIONS = [
    "{place} Community Radio",
    "Observatory for the Protection of Defenders in {place}",
    "{place} Legal Aid Clinic",
    "{place} Daily",
    "Network of Women Defenders of {place}",
]
VICTIM_ORGANISATIONS = [
    "{place} Environmental Collective",
    "{place} Indigenous Council",
    "{place} Community Radio",
    "Association of Lawyers for Rights of {place}",
    "{place} Workers' Union",
    "{place} Pride Centre",
]
SYLLABLES = {
    "east_africa": "ka ki mu nya ro to ga la ngo we si ke bu ri ma",
    "central_africa": "bu ka lu ma shi nde ko go le mba wa ki ra",
    "southern_africa": "chi ma ro nga ze tu ho mbe zi ka ra we",
    "hispanic_america": "san ta ma ri lo va ca bo ne gra to che la pe",
    "brazil": "ita pa ra gua ca bo ri ma to ju ne tu ba",
    "philippines": "ba ta lu san ma ni la ca bu gu pa yo",
    "south_asia": "ra ma pur ga ni sha ko ta ban dhi la",
    "maghreb": "sid bou ka ra ma zi ne ben tal ha",
}
TITLES = {
    WARNING: "{act} against {whom} in {place}",
    PRESSURE: "{act} targeting {whom} in {place}",
    VIOLENCE: "{act} on {whom} in {place}",
    KILLING: "Killing of {whom} in {place}",
}
DESCRIPTIONS = {
    WARNING: "Reported by the defender after repeated incidents linked to their public work.",
    PRESSURE: "Follows the defender's public statements; proceedings or measures are ongoing.",
    VIOLENCE: "Serious attack; the defender's organisation requested urgent protection.",
    KILLING: "The defender had reported threats before; investigation status unclear.",
}


# --- helpers ----------------------------------------------------------------------------------


def _title(stage: int, act: str, whom: str, place: str) -> str:
    """An event's title such as "Death threat against a journalist in X": "an" before a vowel,
    and no second "against" after an act such as "Threat against family members"."""
    template = TITLES[PRESSURE] if stage == WARNING and " against " in act else TITLES[stage]
    article = "an" if whom[:1] in set("aeio") else "a"
    return template.format(act=act, whom=f"{article} {whom}", place=place)


def _rng(seed: int, part: object) -> random.Random:
    """A generator of its own for each story: the world does not depend on batch sizes."""
    return random.Random(f"{seed}:{part}")  # noqa: S311 - synthetic data, not secrets


def weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Names:
    given: dict[str, dict[str, list[str]]]  # region -> "f"/"m" -> names
    family: dict[str, list[str]]

    @classmethod
    def load(cls) -> Names:
        given: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        family: dict[str, list[str]] = defaultdict(list)
        path = Path(__file__).with_name("demo_names.csv")
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["kind"] == "family":
                    family[row["region"]].append(row["name"])
                else:
                    given[row["region"]][row["kind"]].append(row["name"])
        return cls(given={k: dict(v) for k, v in given.items()}, family=dict(family))

    def person(self, rng: random.Random, region: str, sex: str) -> str:
        kind = (
            "f"
            if sex in ("woman", "trans_woman")
            else "m"
            if sex != "non_binary"
            else rng.choice("fm")
        )
        families = self.family[region]
        family = rng.choice(families)
        if region in ("hispanic_america",) and rng.random() < 0.7:
            family = f"{family} {rng.choice(families)}"
        return f"{rng.choice(self.given[region][kind])} {family}"


def place_name(rng: random.Random, region: str) -> str:
    syllables = SYLLABLES[region].split()
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()


class Terms:
    """The terms the generator uses, read once: `terms["hrd_violations", "killing"]`."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Term] = {}
        wanted: dict[str, set[str]] = defaultdict(set)
        for main_acts in MAIN_ACTS.values():
            wanted["hrd_violations"] |= set(main_acts)
        for companions in COMPANIONS.values():
            wanted["hrd_violations"] |= {code for code, _ in companions}
        wanted["hrd_violations"] |= {
            "theft_information",
            "nhri_budget_cut",
            "nhri_smear",
            "nhri_threats",
        }
        wanted["defender_types"] |= set(DEFENDER_TYPES) | {"nhri", "cso"}
        wanted["gender"] |= set(SEXES) | {"not_applicable"}
        wanted["age_groups"] |= set(AGE_GROUPS)
        for options in PERPETRATORS.values():
            for code in options:
                list_code, _, term_code = code.rpartition(":")
                wanted[list_code or "perpetrator_types"].add(term_code)
        for methods in METHODS.values():
            wanted["05"] |= set(methods)
        for consequences in CONSEQUENCES.values():
            wanted["25"] |= set(consequences)
        wanted["18"] |= set(DEGREES)
        wanted["42"] |= set(RELIABILITY)
        wanted["16"] |= set(MATERIALS)
        wanted["19"] |= set(CONNECTIONS.values())
        wanted["intervention_types"] |= set(INTERVENTIONS)
        wanted["45"] |= set(INTERVENTION_STATUS)
        wanted["22"] |= {"010000000000"}
        wanted["43"] |= {"010000000000", "020000000000", "030000000000"}
        for thesaurus, codes in wanted.items():
            found = {
                t.code: t
                for t in Term.objects.select_related("thesaurus").filter(
                    thesaurus__code=thesaurus, code__in=codes
                )
            }
            missing = codes - set(found)
            if missing:
                raise DemoError(
                    f"Vocabulary {thesaurus} lacks {', '.join(sorted(missing))}: "
                    "load the vocabularies first (amparo vocab load)."
                )
            for code, item in found.items():
                self._by_key[(thesaurus, code)] = item
        languages = TermResolver("14")
        self.languages: dict[str, Term] = {}
        for _country, _region, names, _weight in COUNTRIES:
            for name in names:
                try:
                    self.languages[name] = languages.resolve(name)
                except TermLookupError as error:
                    raise DemoError(str(error)) from error

    def __getitem__(self, key: tuple[str, str]) -> Term:
        return self._by_key[key]

    def perpetrator(self, code: str) -> Term:
        list_code, _, term_code = code.rpartition(":")
        return self[(list_code or "perpetrator_types", term_code)]


# --- the world being written ------------------------------------------------------------------


@dataclass
class Cast:
    """Who the generator writes as and about: organisations and demo accounts."""

    nhri: Organisation
    network: Organisation
    state: Organisation
    mechanism: Organisation
    secretariat: Organisation
    documentalist: dict[int, User]
    verifier: dict[int, User]
    administrator: dict[int, User]

    @classmethod
    def find(cls) -> Cast:
        organisations = {o.short_code: o for o in Organisation.objects.all()}
        users = {u.username: u for u in User.objects.all()}
        needed = ["NHRC-KE", "HRDN", "SPM-KE", "RHRM", "GNFP"]
        accounts = [
            "nhri.documentalist",
            "nhri.verifier",
            "nhri.admin",
            "network.documentalist",
            "network.admin",
        ]
        if any(code not in organisations for code in needed) or any(
            a not in users for a in accounts
        ):
            raise DemoError("The demo organisations and accounts are missing: run `amparo demo`.")
        nhri, network = organisations["NHRC-KE"], organisations["HRDN"]
        return cls(
            nhri=nhri,
            network=network,
            state=organisations["SPM-KE"],
            mechanism=organisations["RHRM"],
            secretariat=organisations["GNFP"],
            documentalist={
                nhri.pk: users["nhri.documentalist"],
                network.pk: users["network.documentalist"],
            },
            # The network has one documentalist: its administrator verifies.
            verifier={nhri.pk: users["nhri.verifier"], network.pk: users["network.admin"]},
            administrator={nhri.pk: users["nhri.admin"], network.pk: users["network.admin"]},
        )


@dataclass
class Batch:
    """Everything of a batch of stories, written together."""

    persons: list[Person] = field(default_factory=list)
    defender_types: list[models.Model] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    consequences: list[models.Model] = field(default_factory=list)
    involvements: list[Involvement] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    links: list[ChainLink] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    grants: list[SharingGrant] = field(default_factory=list)


@dataclass
class DemoReport:
    events: int = 0
    acts: int = 0
    persons: int = 0
    sources: int = 0
    interventions: int = 0
    consents: int = 0
    grants: int = 0
    killings: int = 0
    killings_after_threats: int = 0
    seconds: float = 0.0
    skipped: bool = False
    history: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Fields whose Python values both databases' drivers take as they are.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.ForeignKey,
)


class Rows:
    """Writes model instances with one executemany per table.

    At benchmark sizes, bulk_create spends most of its time compiling each value into SQL; here
    each value still goes through its field's `pre_save` and `get_db_prep_save` (so sealed rows
    get their data key, encrypted fields encrypt and blind indexes hash exactly as on save), but
    the statement is built once per table. Ids are
    given here, counting on from each table's highest, so that rows can point at each other before
    they are written; PostgreSQL's sequences are moved past them at the end (`finish`).
    """

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}
        # One moment for every created_at/updated_at: set on the object, so that the
        # versions' snapshots hold what the rows hold.
        self.now = timezone.now()

    def numbered(self, obj: M) -> M:
        model = type(obj)
        if model not in self._next:
            highest = model._default_manager.aggregate(highest=Max("pk"))["highest"]
            self._next[model] = (highest or 0) + 1
        obj.pk = self._next[model]
        self._next[model] += 1
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, self.now)
        return obj

    def insert(self, rows: Sequence[models.Model]) -> None:
        if not rows:
            return
        meta = type(rows[0])._meta
        fields = list(meta.concrete_fields)
        database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no proxy per value
        quote = database.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        # The demo holds nobody's key: its rows are sealed with its writing keys, to the
        # organisations' public keys, as `save` would seal them.
        custody.assign_data_keys(rows)
        plan: list[tuple[Any, str]] = []
        for f in fields:
            if isinstance(f, BlindIndexField | EncryptedField):
                plan.append((f, "pre_save"))
            elif isinstance(f, _PLAIN_FIELDS) and not (
                # A data key's id is a UUID, which the drivers do not take as it is.
                isinstance(f, models.ForeignKey) and isinstance(f.target_field, models.UUIDField)
            ):
                plan.append((f, "plain"))
            else:
                plan.append((f, "prepare"))
        params = []
        for row in rows:
            values = []
            for f, how in plan:
                if how == "plain":
                    values.append(getattr(row, f.attname))
                elif how == "pre_save":
                    values.append(f.get_db_prep_save(f.pre_save(row, True), database))
                else:
                    values.append(f.get_db_prep_save(getattr(row, f.attname), database))
            params.append(values)
        with database.cursor() as cursor:
            cursor.executemany(sql, params)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self._next))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class Generator:
    def __init__(self, seed: int, cast: Cast, terms: Terms, names: Names, *, history: bool) -> None:
        self.seed = seed
        self.cast = cast
        self.terms = terms
        self.names = names
        self.counters: dict[tuple[int, int], int] = {
            (c.organisation_id, c.year): c.last_number for c in ReferenceCounter.objects.all()
        }
        self.institutions: dict[str, list[Person]] = {}
        self.report = DemoReport()
        self.rows = Rows()
        # With history, the persons written so far (institutions appear across batches) and
        # their defender types' ids, for the versions' snapshots.
        self.history = history
        self.persons: dict[int, Person] = {}
        self.person_types: dict[int, list[int]] = defaultdict(list)

    # people

    def _new_person(self, batch: Batch, organisation: Organisation, **values: Any) -> Person:
        person = Person(
            organisation=organisation, created_by=self.cast.documentalist[organisation.pk], **values
        )
        batch.persons.append(self.rows.numbered(person))
        return person

    def _individual(
        self,
        rng: random.Random,
        batch: Batch,
        organisation: Organisation,
        country: str,
        region: str,
        name_region: str,
        *,
        defender_types: Sequence[str] = (),
    ) -> Person:
        sex = weighted(rng, SEXES)
        name = self.names.person(rng, name_region, sex)
        handle = name.lower().replace(" ", ".").encode("ascii", "ignore").decode()
        person = self._new_person(
            batch,
            organisation,
            full_name=name,
            other_names=name.split()[0][:3] if rng.random() < 0.1 else "",
            contact=f"{handle}@example.org" if rng.random() < 0.6 else "",
            id_numbers=f"DEMO-ID-{rng.randrange(10**7):07d}" if rng.random() < 0.4 else "",
            address=f"{place_name(rng, name_region)} (demo address)" if rng.random() < 0.3 else "",
            sex=self.terms[("gender", sex)],
            age_group=self.terms[("age_groups", weighted(rng, AGE_GROUPS))],
            country=country,
            region=region,
            confidentiality=Clearance.STRICTLY_CONFIDENTIAL
            if rng.random() < 0.15
            else Clearance.CONFIDENTIAL,
        )
        self._defender_types(batch, person, defender_types)
        return person

    def _defender_types(self, batch: Batch, person: Person, codes: Sequence[str]) -> None:
        through = Person.defender_types.through
        terms = [self.terms[("defender_types", code)] for code in codes]
        validate_terms(terms, Vocab.DEFENDER_TYPE, "person.defender_types")
        for term in terms:
            batch.defender_types.append(
                self.rows.numbered(through(person_id=person.pk, term_id=term.pk))
            )

    def _group(
        self,
        batch: Batch,
        organisation: Organisation,
        name: str,
        country: str,
        types: Sequence[str],
    ) -> Person:
        person = self._new_person(
            batch,
            organisation,
            kind=Person.Kind.ORGANISATION,
            full_name=name,
            sex=self.terms[("gender", "not_applicable")],
            country=country,
            confidentiality=Clearance.RESTRICTED,
        )
        self._defender_types(batch, person, types)
        return person

    def _institutions(
        self,
        batch: Batch,
        organisation: Organisation,
        country: str,
        name_region: str,
    ) -> list[Person]:
        """Organisations that report on many events in a country: the same lists, many victims."""
        key = f"{organisation.pk}:{country}"
        if key not in self.institutions:
            place = place_name(_rng(self.seed, key), name_region)
            self.institutions[key] = [
                self._group(batch, organisation, pattern.format(place=place), country, ["cso"])
                for pattern in SOURCE_INSTITUTIONS
            ]
        return self.institutions[key]

    # events

    def _reference(self, organisation: Organisation, year: int) -> str:
        number = self.counters.get((organisation.pk, year), 0) + 1
        self.counters[(organisation.pk, year)] = number
        return f"{services.reference_prefix(organisation, year)}{number:04d}"

    def _plan(self, rng: random.Random) -> list[int]:
        """The stages of a story's events: escalating, most killings after earlier threats."""
        if rng.random() < 0.05:
            if rng.random() < 0.2:
                return [KILLING]
            before = [rng.choice([WARNING, WARNING, PRESSURE]) for _ in range(rng.randint(1, 4))]
            before[0] = WARNING
            return [*before, KILLING]
        length = weighted(rng, {1: 40, 2: 25, 3: 15, 4: 10, 5: 6, 6: 4})
        stage = weighted(rng, {WARNING: 70, PRESSURE: 25, VIOLENCE: 5})
        stages = []
        for _ in range(length):
            stages.append(stage)
            if rng.random() < 0.35:
                stage = min(VIOLENCE, stage + 1)
        return stages

    def story(self, index: int, batch: Batch, budget: int) -> int:
        """Write one defender's story into `batch`; the number of events it made (≤ budget)."""
        rng = _rng(self.seed, index)
        country, name_region, languages, _weight = rng.choices(
            COUNTRIES, weights=[c[3] for c in COUNTRIES]
        )[0]
        cast = self.cast
        owner = cast.nhri if country == "KE" and rng.random() < 0.6 else cast.network
        regions = _first_level_regions(country)
        region = rng.choice(regions) if regions else ""
        place = place_name(rng, name_region)
        types = [weighted(rng, DEFENDER_TYPES)]
        if rng.random() < 0.3:
            types.append(weighted(rng, DEFENDER_TYPES))
        defender = self._individual(
            rng, batch, owner, country, region, name_region, defender_types=sorted(set(types))
        )
        organisation_victim: Person | None = None
        if rng.random() < 0.3:
            organisation_victim = self._group(
                batch, owner, rng.choice(VICTIM_ORGANISATIONS).format(place=place), country, ["cso"]
            )
        stages = self._plan(rng)[:budget]
        span = (ANCHOR - FIRST_DAY).days
        day = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
        previous: Event | None = None
        threatened = False
        for position, stage in enumerate(stages):
            if position:
                day += datetime.timedelta(days=rng.randint(7, 150))
            day = min(day, ANCHOR)
            warned = stages[-1] == KILLING and position == 0 and stage == WARNING
            main = "threat_death" if warned else weighted(rng, MAIN_ACTS[stage])
            if stage == KILLING:
                self.report.killings += 1
                self.report.killings_after_threats += threatened
            event = self._event(
                rng,
                batch,
                owner,
                stage,
                main,
                day,
                country,
                region,
                place,
                types[0],
                index,
                position,
            )
            acts = self._acts(
                rng, batch, event, stage, main, defender, organisation_victim, types[0], name_region
            )
            threatened = threatened or any(
                a.type_of_act is not None and a.type_of_act.code.startswith("threat") for a in acts
            )
            self._sources(
                rng, batch, event, stage, defender, owner, country, name_region, languages
            )
            self._interventions(rng, batch, event, stage, owner)
            self._grants(rng, batch, event, owner)
            if previous is not None:
                batch.links.append(
                    self.rows.numbered(
                        ChainLink(
                            from_event=previous,
                            to_event=event,
                            chain_type=self.terms[("22", "010000000000")],
                            created_by=cast.documentalist[owner.pk],
                        )
                    )
                )
            previous = event
        self._consents(rng, batch, defender, owner)
        return len(stages)

    def _event(
        self,
        rng: random.Random,
        batch: Batch,
        owner: Organisation,
        stage: int,
        main: str,
        day: datetime.date,
        country: str,
        region: str,
        place: str,
        defender_type: str,
        story: int,
        position: int,
    ) -> Event:
        start, precision = normalise_partial_date(
            day,
            weighted(rng, {DatePrecision.DAY: 82, DatePrecision.MONTH: 14, DatePrecision.YEAR: 4}),
        )
        whom = self.terms[("defender_types", defender_type)].label_en.lower()
        act_label = self.terms[("hrd_violations", main)].label_en
        age = (ANCHOR - day).days
        status = weighted(
            rng,
            {"draft": 10, "submitted": 15, "verified": 50, "closed": 25}
            if age > 180
            else {"draft": 40, "submitted": 40, "verified": 20, "closed": 0},
        )
        documentalist = self.cast.documentalist[owner.pk]
        if status == "submitted" and story % 2:
            # Half of the events waiting for verification were recorded by the colleague who
            # verifies, so that each of the two has events to verify on their home page.
            documentalist = self.cast.verifier[owner.pk]
        moment = timezone.make_aware(
            datetime.datetime.combine(
                min(day + datetime.timedelta(days=20), ANCHOR), datetime.time(12)
            )
        )
        event = Event(
            organisation=owner,
            reference_code=self._reference(owner, day.year),
            title=_title(stage, act_label, whom, place),
            description=DESCRIPTIONS[stage],
            start_date=start,
            start_precision=precision,
            end_precision=DatePrecision.UNKNOWN,
            country=country,
            region=region,
            locality=place,
            confidentiality=weighted(
                rng,
                {
                    Clearance.PUBLIC: 10,
                    Clearance.RESTRICTED: 30,
                    Clearance.CONFIDENTIAL: 45,
                    Clearance.STRICTLY_CONFIDENTIAL: 15,
                },
            ),
            status=status,
            monitoring_status=self.terms[
                ("43", weighted(rng, {"010000000000": 50, "020000000000": 20, "030000000000": 30}))
            ],
            notes="Follow-up call planned with the defender." if rng.random() < 0.3 else "",
            external_id=f"{EXTERNAL_PREFIX}{self.seed}-{story:07d}-{position}",
            created_by=documentalist,
            updated_by=documentalist,
        )
        if status in ("submitted", "verified", "closed"):
            event.submitted_by, event.submitted_at = documentalist, moment
        if status in ("verified", "closed"):
            event.verified_by, event.verified_at = self.cast.verifier[owner.pk], moment
        if status == "closed":
            event.closed_by, event.closed_at = self.cast.administrator[owner.pk], moment
        batch.events.append(self.rows.numbered(event))
        return event

    def _acts(
        self,
        rng: random.Random,
        batch: Batch,
        event: Event,
        stage: int,
        main: str,
        defender: Person,
        organisation_victim: Person | None,
        defender_type: str,
        name_region: str,
    ) -> list[Act]:
        codes = [main] + [
            code for code, chance in COMPANIONS.get(main, []) if rng.random() < chance
        ]
        acts = []
        relative: Person | None = None
        for code in codes:
            victim = defender
            if code == "threat_family":
                if relative is None:
                    relative = self._individual(
                        rng, batch, event.organisation, event.country, event.region, name_region
                    )
                victim = relative
            elif (
                code in ("raid", "theft_information", "registration_denial", "arbitrary_audit")
                and organisation_victim
                and rng.random() < 0.5
            ):
                victim = organisation_victim
            acts.append(self._act(rng, batch, event, stage, code, victim, defender_type))
        if rng.random() < COLLEAGUE_CHANCE:
            # Defenders are often attacked together: a colleague suffers the same main act.
            colleague = self._individual(
                rng,
                batch,
                event.organisation,
                event.country,
                event.region,
                name_region,
                defender_types=[defender_type],
            )
            acts.append(self._act(rng, batch, event, stage, main, colleague, defender_type))
        if organisation_victim is not None and stage == WARNING and rng.random() < 0.3:
            acts.append(
                self._act(
                    rng, batch, event, stage, "stigmatisation_officials", organisation_victim, "cso"
                )
            )
        return acts

    def _act(
        self,
        rng: random.Random,
        batch: Batch,
        event: Event,
        stage: int,
        code: str,
        victim: Person,
        defender_type: str,
    ) -> Act:
        act = Act(
            event=event,
            victim=victim,
            type_of_act=self.terms[("hrd_violations", code)],
            method=self.terms[("05", weighted(rng, METHODS[code]))] if code in METHODS else None,
            date=event.start_date,
            date_precision=event.start_precision,
            targeted_activity=self.terms[("defender_types", defender_type)],
            remarks="",
        )
        batch.acts.append(self.rows.numbered(act))
        if code in CONSEQUENCES:
            consequence = self.terms[("25", weighted(rng, CONSEQUENCES[code]))]
            validate_terms([consequence], Vocab.CONSEQUENCE, "act.consequences")
            through = Act.consequences.through
            batch.consequences.append(
                self.rows.numbered(through(act_id=act.pk, term_id=consequence.pk))
            )
        if rng.random() < 0.85:
            batch.involvements.append(
                self.rows.numbered(
                    Involvement(
                        act=act,
                        perpetrator_type=self.terms.perpetrator(weighted(rng, PERPETRATORS[stage])),
                        degree_of_involvement=self.terms[("18", weighted(rng, DEGREES))],
                    )
                )
            )
        return act

    def _sources(
        self,
        rng: random.Random,
        batch: Batch,
        event: Event,
        stage: int,
        defender: Person,
        owner: Organisation,
        country: str,
        name_region: str,
        languages: Sequence[str],
    ) -> None:
        serious = stage >= VIOLENCE
        count = rng.randint(2, 4) if serious else (1 if rng.random() < 0.7 else 2)
        institutions = self._institutions(batch, owner, country, name_region)
        pool = list(institutions)
        rng.shuffle(pool)
        for index in range(count):
            roll = rng.random()
            if index == 0 and stage != KILLING and roll < 0.5:
                person, connection = defender, "victim"
            elif roll < 0.8 and pool:
                person, connection = pool.pop(), rng.choice(["ngo", "reporter"])
            else:
                person = self._individual(rng, batch, owner, country, event.region, name_region)
                connection = rng.choice(["witness", "relative", "lawyer"])
            received = min(
                ANCHOR, (event.start_date or ANCHOR) + datetime.timedelta(days=rng.randint(0, 30))
            )
            batch.sources.append(
                self.rows.numbered(
                    Source(
                        event=event,
                        source_person=person,
                        received_on=received,
                        reliability=self.terms[("42", weighted(rng, RELIABILITY))],
                        connection=self.terms[("19", CONNECTIONS[connection])],
                        material_type=self.terms[("16", weighted(rng, MATERIALS))],
                        material="",
                        language=self.terms.languages[rng.choice(languages)],
                        created_by=self.cast.documentalist[owner.pk],
                    )
                )
            )

    def _interventions(
        self, rng: random.Random, batch: Batch, event: Event, stage: int, owner: Organisation
    ) -> None:
        if rng.random() >= (0.75 if stage >= VIOLENCE else 0.2):
            return
        for _ in range(rng.randint(1, 2)):
            batch.interventions.append(
                self.rows.numbered(
                    Intervention(
                        event=event,
                        intervening_organisation=owner
                        if rng.random() < 0.7
                        else self.cast.mechanism,
                        intervention_type=self.terms[
                            ("intervention_types", weighted(rng, INTERVENTIONS))
                        ],
                        date=min(
                            ANCHOR,
                            (event.start_date or ANCHOR)
                            + datetime.timedelta(days=rng.randint(1, 45)),
                        ),
                        status=self.terms[("45", rng.choice(INTERVENTION_STATUS))],
                        result=rng.choice(RESULTS),
                        created_by=self.cast.documentalist[owner.pk],
                    )
                )
            )

    def _grants(self, rng: random.Random, batch: Batch, event: Event, owner: Organisation) -> None:
        cast = self.cast
        partners = (
            [(cast.state, 0.25), (cast.mechanism, 0.15), (cast.network, 0.2)]
            if owner == cast.nhri
            else [
                (cast.mechanism, 0.2),
                (cast.secretariat, 0.15),
                (cast.nhri, 0.1 if event.country == "KE" else 0),
            ]
        )
        for partner, chance in partners:
            if rng.random() < chance:
                batch.grants.append(
                    self.rows.numbered(
                        SharingGrant(
                            event=event,
                            organisation=partner,
                            level=SharingGrant.Level.COMMENT
                            if rng.random() < 0.3
                            else SharingGrant.Level.READ,
                            purpose="Coordinated protection response (demo).",
                            granted_by=cast.administrator[owner.pk],
                        )
                    )
                )

    def _consents(
        self, rng: random.Random, batch: Batch, defender: Person, owner: Organisation
    ) -> None:
        for kind, chance in (
            (RecipientKind.PARTNER_ORGANISATIONS, 0.35),
            (RecipientKind.INTERNATIONAL_MECHANISM, 0.2),
            (RecipientKind.STATE, 0.15),
            (RecipientKind.PUBLICATION, 0.03),
        ):
            if rng.random() >= chance:
                continue
            given = FIRST_DAY + datetime.timedelta(days=rng.randrange((ANCHOR - FIRST_DAY).days))
            consent = ConsentRecord(
                person=defender,
                recipient_kind=kind,
                purpose="Protection measures and advocacy on the defender's case (demo).",
                given_on=given,
                recorded_by=self.cast.documentalist[owner.pk],
            )
            if rng.random() < 0.1:
                consent.withdrawn_on = min(
                    ANCHOR, given + datetime.timedelta(days=rng.randint(30, 400))
                )
                consent.withdrawn_by = consent.recorded_by
                consent.withdrawn_at = timezone.make_aware(
                    datetime.datetime.combine(consent.withdrawn_on, datetime.time(12))
                )
            batch.consents.append(self.rows.numbered(consent))

    # writing

    @transaction.atomic
    def write(self, batch: Batch) -> None:
        records: tuple[Sequence[models.Model], ...] = (
            batch.persons,
            batch.events,
            batch.acts,
            batch.involvements,
            batch.sources,
            batch.interventions,
            batch.links,
            batch.consents,
            batch.grants,
        )
        for rows in records:
            for row in rows:
                validate(row)
        versions = self._versions(batch) if self.history else []
        for rows in (
            batch.persons,
            batch.defender_types,
            batch.events,
            batch.acts,
            batch.consequences,
            batch.involvements,
            batch.sources,
            batch.interventions,
            batch.links,
            batch.consents,
            batch.grants,
            versions,
        ):
            self.rows.insert(rows)
        if self.history:
            self._audit(batch, versions)
        # Written without a version per change: tell what derives from events (statistics).
        hooks.events_changed(event.pk for event in batch.events)
        report = self.report
        report.events += len(batch.events)
        report.acts += len(batch.acts)
        report.persons += len(batch.persons)
        report.sources += len(batch.sources)
        report.interventions += len(batch.interventions)
        report.consents += len(batch.consents)
        report.grants += len(batch.grants)

    # history: what the services would have written along the way

    def _versions(self, batch: Batch) -> list[EventVersion]:
        """Each event's versions: recorded, then each workflow step its status went through."""
        for person in batch.persons:
            self.persons[person.pk] = person
        for row in batch.defender_types:
            self.person_types[row.person_id].append(row.term_id)  # type: ignore[attr-defined]
        consequences: dict[int, list[int]] = defaultdict(list)
        for row in batch.consequences:
            consequences[row.act_id].append(row.term_id)  # type: ignore[attr-defined]
        acts, involvements, sources, interventions, links = (
            _by(batch.acts, lambda a: a.event_id),
            _by(batch.involvements, lambda i: i.act.event_id),
            _by(batch.sources, lambda s: s.event_id),
            _by(batch.interventions, lambda i: i.event_id),
            _by(batch.links, lambda link: link.from_event_id),
        )
        versions: list[EventVersion] = []
        for event in batch.events:
            steps = _workflow_steps(event)
            event.version = len(steps)
            person_ids = {a.victim_id for a in acts[event.pk]} | {
                s.source_person_id for s in sources[event.pk] if s.source_person_id
            }
            final = snapshot_of(
                Aggregate(
                    event=event,
                    acts=acts[event.pk],
                    involvements=involvements[event.pk],
                    persons=[self.persons[pk] for pk in person_ids],
                    sources=sources[event.pk],
                    interventions=interventions[event.pk],
                    links=links[event.pk],
                    consequences=consequences,
                    defender_types=self.person_types,
                )
            )
            before: dict[str, Any] | None = None
            for number, (action, actor, status) in enumerate(steps, start=1):
                after = {**final, "event": _as_of(final["event"], status, number)}
                versions.append(
                    self.rows.numbered(
                        EventVersion(
                            event=event,
                            number=number,
                            action=action,
                            actor=actor,
                            created_at=self.rows.now,
                            snapshot=after,
                            changes=snapshot_diff(before, after),
                        )
                    )
                )
                before = after
        return versions

    def _audit(self, batch: Batch, versions: list[EventVersion]) -> None:
        """The audit entries of the services, in the order they would have been written."""
        acts = _by(batch.acts, lambda a: a.event_id)
        sources = _by(batch.sources, lambda s: s.event_id)
        entries: list[audit.Record] = []
        for version in versions:
            event = version.event
            action: AuditAction = STEP_AUDIT[VersionAction(version.action)]
            changes: dict[str, Any] = {}
            if action == AuditAction.EVENT_CREATE:
                changes = creation_changes(
                    event, acts=len(acts[event.pk]), sources=len(sources[event.pk])
                )
            entries.append(audit.Record(version.actor, action, event, changes=changes))
        for grant in batch.grants:
            entries.append(
                audit.Record(
                    grant.granted_by,
                    AuditAction.EVENT_SHARE,
                    grant.event,
                    changes=sharing_changes(grant),
                )
            )
        for consent in batch.consents:
            entries.append(
                audit.Record(
                    consent.recorded_by,
                    AuditAction.PERSON_CONSENT_GIVEN,
                    consent.person,
                    changes=consent_given_changes(consent),
                )
            )
            if consent.withdrawn_at is not None:
                entries.append(
                    audit.Record(
                        consent.withdrawn_by,
                        AuditAction.PERSON_CONSENT_WITHDRAWN,
                        consent.person,
                        changes=consent_withdrawn_changes(consent),
                    )
                )
        audit.record_many(entries)

    def save_counters(self) -> None:
        for (organisation_id, year), number in self.counters.items():
            counter, _created = ReferenceCounter.objects.get_or_create(
                organisation_id=organisation_id, year=year
            )
            if counter.last_number < number:
                ReferenceCounter.objects.filter(pk=counter.pk).update(last_number=number)


_REGIONS: dict[str, list[str]] = {}


def _first_level_regions(country: str) -> list[str]:
    import pycountry

    if country not in _REGIONS:
        subdivisions = pycountry.subdivisions.get(country_code=country) or []  # type: ignore[no-untyped-call]
        _REGIONS[country] = sorted(
            s.code for s in subdivisions if s.parent_code is None and len(s.code) <= 6
        )
    return _REGIONS[country]


# The workflow in order, and each step after recording as the services take it: its version
# action, the status it reaches and the `<stamp>_by/_at` fields it sets.
ORDER: tuple[str, ...] = tuple(Event.Status.values)  # draft, submitted, verified, closed
WORKFLOW = tuple(
    (version, status, stamp) for status, stamp, version, _audit in workflow.STEPS.values()
)
# The audit action of each kind of version the demo writes.
STEP_AUDIT = {
    VersionAction.CREATE: AuditAction.EVENT_CREATE,
    **{version: action for _status, _stamp, version, action in workflow.STEPS.values()},
}


def _workflow_steps(event: Event) -> list[tuple[VersionAction, User | None, str]]:
    """The steps that brought `event` to its status: (version action, actor, status after)."""
    reached = ORDER.index(event.status)
    return [
        (VersionAction.CREATE, event.created_by, Event.Status.DRAFT),
        *(
            (action, getattr(event, f"{stamp}_by"), status)
            for action, status, stamp in WORKFLOW
            if ORDER.index(status) <= reached
        ),
    ]


def _as_of(row: dict[str, Any], status: str, version: int) -> dict[str, Any]:
    """The event's snapshot row as it was at `status`: later steps' stamps not yet set."""
    row = {**row, "status": status, "version": version}
    for _action, step_status, stamp in WORKFLOW:
        if ORDER.index(step_status) > ORDER.index(status):
            row[f"{stamp}_by_id"] = None
            row[f"{stamp}_at"] = None
    return row


def _by(rows: Sequence[M], key: Callable[[M], int]) -> dict[int, list[M]]:
    grouped: dict[int, list[M]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def validate(record: models.Model) -> None:
    """The services' validation of one record (`services.changes.clean`: field validators and
    the model's clean), with each foreign key checked against the object the generator holds
    (its term's vocabulary, as `limit_choices_to` says) instead of by one query per key."""
    relations, terms = _relations(type(record))
    clean(record, f"{record._meta.model_name}.", exclude=relations)
    for name, vocabularies in terms:
        if (term := getattr(record, name)) is not None:
            validate_terms([term], vocabularies, name)


@functools.cache
def _relations(model: type[models.Model]) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """The model's foreign keys, and those to a term with the vocabularies they allow."""
    relations, terms = [], []
    for f in model._meta.concrete_fields:
        if not f.is_relation:
            continue
        relations.append(f.name)
        if f.related_model is Term:
            assert f.remote_field is not None
            limit = f.remote_field.limit_choices_to
            assert isinstance(limit, dict)
            terms.append((f.name, tuple(limit["thesaurus__code__in"])))
    return relations, terms


def demo_events_exist() -> bool:
    return Event.objects.filter(external_id__startswith=EXTERNAL_PREFIX).exists()


def build_cases(
    *,
    events: int = DEFAULT_EVENTS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[DemoReport], None] | None = None,
) -> DemoReport:
    """Write the demo case world (about `events` events) unless demo events exist already."""
    require_demo_mode()
    if events < 1:
        raise DemoError("Ask for at least one event.")
    if demo_events_exist():
        return DemoReport(
            skipped=True,
            events=Event.objects.filter(external_id__startswith=EXTERNAL_PREFIX).count(),
        )
    started = time.perf_counter()
    history = events <= HISTORY_UP_TO
    generator = Generator(seed, Cast.find(), Terms(), Names.load(), history=history)
    made, story = 0, 0
    while made < events:
        batch = Batch()
        for _ in range(STORIES_PER_BATCH):
            if made >= events:
                break
            made += generator.story(story, batch, events - made)
            story += 1
        generator.write(batch)
        if progress is not None:
            progress(generator.report)
    with transaction.atomic():
        generator.rows.finish()
        generator.save_counters()
        generator.report.history = history
        generator.report.seconds = round(time.perf_counter() - started, 2)
        audit.record(
            None,
            AuditAction.DEMO_WORLD_CREATED,
            None,
            changes={"seed": seed, **generator.report.as_dict()},
        )
    return generator.report


def _build(options: DemoOptions) -> str:
    def progress(report: DemoReport) -> None:
        if options.progress is not None and report.events >= 10_000:
            options.progress(f"{report.events} events…")

    report = build_cases(events=options.events, seed=options.seed, progress=progress)
    if report.skipped:
        return f"the demo cases exist already ({report.events} events): kept"
    history = "with" if report.history else "without"
    return (
        f"{report.events} events, {report.acts} acts, {report.persons} persons, "
        f"{report.sources} sources, {report.interventions} interventions, "
        f"{report.consents} consents, {history} history, in {report.seconds:.1f} s"
    )


STEP = DemoStep("cases", _build)
