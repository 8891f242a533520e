"""Keeping the facts table current: one row per act, nothing that identifies anyone.

`refresh_events(ids)` replaces the rows of those events with what the case records say now; the
case services call it (through `amparo.cases.hooks`) in the transaction of every change, and the
bulk paths (imports, the demo world) once per batch. `rebuild()` (`amparo stats rebuild`) writes
the whole table again. Each write is logged in FactChange, so that processes holding the facts in
memory (`snapshot`) catch up with what changed since they last read.

What a row says about its act:
* where and when: the act's own place and date when it has them, else its event's;
* the victim as a keyed pseudonym (`analysis.facts.victim_pseudonym`, keyed from the server's
  key ring), their kind, sex, age group and types of defender (the type of defender the act
  targeted when the victim has none recorded);
* the types of the perpetrators involved, the act's consequences, its event's owner,
  confidentiality and status, the event's sources (ids) and their kinds of material;
* the law and provision used (`LawUse`), for judicial harassment.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from amparo.analysis.facts import victim_pseudonym
from amparo.cases.models import Act, DatePrecision, Involvement, Person, Source
from amparo.core import access as core_access
from amparo.core import audit, crypto, instances
from amparo.core.audit_actions import AuditAction
from amparo.core.bulk_insert import insert, insert_values
from amparo.core.models import User
from amparo.stats.models import Fact, FactChange, LawUse

LIST_SEPARATOR = " "
CHUNK = 2000
# Changes remembered for processes that read the facts incrementally; one that is further behind
# reads the whole table again.
CHANGES_KEPT = 50_000
PSEUDONYM_PURPOSE = "stats.facts.victim"


def victim_key() -> bytes:
    """The key of the victims' pseudonyms, derived from the server's key ring: the same in
    every process, unknown to anyone holding only the database."""
    return bytes.fromhex(crypto.keyed_digest("victim pseudonym key", PSEUDONYM_PURPOSE))


def _codes(values: Iterable[str | None]) -> str:
    return LIST_SEPARATOR.join(sorted({v for v in values if v}))


@dataclass
class _Related:
    """What the acts of some events bring with them, read in one query per kind."""

    consequences: dict[int, list[str]]
    defender_types: dict[int, list[str]]
    perpetrator_types: dict[int, list[str]]
    sources: dict[int, list[tuple[int, str | None]]]
    laws: dict[int, tuple[int, int | None]]


def _related(event_ids: Sequence[int], victim_ids: set[int]) -> _Related:
    consequences: dict[int, list[str]] = defaultdict(list)
    for act_id, code in Act.consequences.through.objects.filter(
        act__event_id__in=event_ids
    ).values_list("act_id", "term__code"):
        consequences[act_id].append(code)
    defender_types: dict[int, list[str]] = defaultdict(list)
    for person_id, code in Person.defender_types.through.objects.filter(
        person_id__in=victim_ids
    ).values_list("person_id", "term__code"):
        defender_types[person_id].append(code)
    perpetrator_types: dict[int, list[str]] = defaultdict(list)
    for act_id, code in Involvement.objects.filter(
        act__event_id__in=event_ids, perpetrator_type__isnull=False
    ).values_list("act_id", "perpetrator_type__code"):
        perpetrator_types[act_id].append(code)
    sources: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for event_id, source_id, kind in Source.objects.filter(event_id__in=event_ids).values_list(
        "event_id", "id", "material_type__code"
    ):
        sources[event_id].append((source_id, kind))
    laws: dict[int, tuple[int, int | None]] = {
        act_id: (measure_id, provision_id)
        for act_id, measure_id, provision_id in LawUse.objects.filter(
            act__event_id__in=event_ids
        ).values_list("act_id", "measure_id", "provision_id")
    }
    return _Related(consequences, defender_types, perpetrator_types, sources, laws)


ACT_COLUMNS = (
    "id",
    "event_id",
    "victim_id",
    "victim__kind",
    "victim__sex__code",
    "victim__age_group__code",
    "type_of_act__code",
    "targeted_activity__code",
    "date",
    "date_precision",
    "country",
    "region",
    "event__organisation_id",
    "event__confidentiality",
    "event__status",
    "event__start_date",
    "event__start_precision",
    "event__country",
    "event__region",
)


def facts_of(event_ids: Sequence[int], key: bytes) -> list[Fact]:
    """The facts of these events' acts, as the case records say now (unsaved)."""
    acts = [dict(zip(ACT_COLUMNS, row, strict=True)) for row in _act_rows(event_ids)]
    related = _related(event_ids, {a["victim_id"] for a in acts})
    return [_fact(act, related, key) for act in acts]


def _act_rows(event_ids: Sequence[int]) -> Iterable[tuple[Any, ...]]:
    return Act.objects.filter(event_id__in=event_ids).order_by().values_list(*ACT_COLUMNS)


def _fact(act: dict[str, Any], related: _Related, key: bytes) -> Fact:
    date, precision = act["date"], act["date_precision"]
    if date is None or precision == DatePrecision.UNKNOWN:
        date, precision = act["event__start_date"], act["event__start_precision"]
    if date is None or precision == DatePrecision.UNKNOWN:
        date, precision = None, DatePrecision.UNKNOWN
    if act["country"]:
        country, region = act["country"], act["region"]
    else:
        country, region = act["event__country"], act["event__region"]
    defender_types = related.defender_types.get(act["victim_id"]) or [
        act["targeted_activity__code"]
    ]
    sources = related.sources.get(act["event_id"], [])
    law = related.laws.get(act["id"])
    return instances.new(
        Fact,
        act_id=act["id"],
        event_id=act["event_id"],
        victim_id=victim_pseudonym(key, act["victim_id"]),
        victim_kind=act["victim__kind"],
        organisation_id=act["event__organisation_id"],
        confidentiality=act["event__confidentiality"],
        event_status=act["event__status"],
        act_date=date,
        date_precision=precision,
        country=country or None,
        region=region or None,
        type_of_act=act["type_of_act__code"],
        consequences=_codes(related.consequences.get(act["id"], ())),
        defender_types=_codes(defender_types),
        sex=act["victim__sex__code"],
        age_group=act["victim__age_group__code"],
        perpetrator_types=_codes(related.perpetrator_types.get(act["id"], ())),
        source_ids=LIST_SEPARATOR.join(str(s) for s in sorted({s for s, _kind in sources})),
        source_kinds=_codes(kind for _source, kind in sources),
        law=None if law is None else f"law-{law[0]}",
        law_provision=None if law is None or law[1] is None else f"provision-{law[1]}",
    )


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _log(event_ids: Iterable[int | None]) -> None:
    token = uuid.uuid4().hex
    insert_values(FactChange, [{"event_id": pk, "token": token} for pk in event_ids])
    newest = FactChange.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is not None and newest > CHANGES_KEPT:
        FactChange.objects.filter(id__lte=newest - CHANGES_KEPT).delete()


@dataclass(frozen=True)
class PreparedFacts:
    """The facts of some events, read ahead of the transaction that reports them changed."""

    event_ids: frozenset[int]
    rows: list[Fact]


def prepare_events(event_ids: frozenset[int]) -> PreparedFacts:
    """The facts of these events as the case records say now (`amparo.cases.hooks.prepare`)."""
    key = victim_key()
    rows: list[Fact] = []
    for chunk in _chunks(sorted(event_ids)):
        rows += facts_of(chunk, key)
    return PreparedFacts(frozenset(event_ids), rows)


@transaction.atomic
def refresh_events(event_ids: Iterable[int], prepared: Sequence[PreparedFacts] = ()) -> None:
    """Replace the facts of these events by what the case records say now (an event that no
    longer exists loses its facts); those of `prepared` events are taken as they were read."""
    ids = sorted(set(event_ids))
    if not ids:
        return
    key = victim_key()
    ready = frozenset[int]().union(*(p.event_ids for p in prepared))
    for chunk in _chunks(ids):
        Fact.objects.filter(event_id__in=chunk).delete()
        if to_read := [pk for pk in chunk if pk not in ready]:
            insert(facts_of(to_read, key))
    wanted = frozenset(ids)
    insert([row for p in prepared for row in p.rows if row.event_id in wanted])
    _log(ids)


@transaction.atomic
def rebuild() -> int:
    """Write the whole facts table again from the case records; the number of rows."""
    from amparo.cases.models import Event

    Fact.objects.all().delete()
    key = victim_key()
    ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for chunk in _chunks(ids):
        rows = facts_of(chunk, key)
        insert(rows)
        written += len(rows)
    _log([None])
    return written


def rebuild_and_record(actor: User | None) -> int:
    """`rebuild`, by the operator at the command line (None) or a deployment administrator,
    recorded in the audit log."""
    if not core_access.is_deployment_operator(actor):
        raise PermissionDenied
    with transaction.atomic():
        rows = rebuild()
        audit.record(actor, AuditAction.STATS_REBUILD, None, changes={"facts": rows})
    return rows
