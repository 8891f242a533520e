"""The cases API: /api/v1/events, /acts, /persons (mounted by amparo.api.main).

Reads go through `access.visible_events` / `visible_persons` and the consent presenter, writes
through `services`, exactly as the web pages do; the same filters as the event list
(`queries.event_conditions`). An answer that shows who someone is records it, once per request
(`services.record_disclosure`). Search words and names never travel in an address: GET /events
and GET /persons take only the filters that name nobody and refuse `q` and `name` with a 422 that
says where to send them, the body of POST /events/search and POST /persons/search.

Lists use cursor pagination: pass the `next_cursor` of one page as `cursor` to get the next; a
cursor stays valid while records are added.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from amparo.cases import access, queries, serialise, services
from amparo.cases.models import (
    PERSON_FIELDS,
    PERSON_TERMS,
    Act,
    DisclosureChannel,
    Event,
    Person,
    Vocab,
)
from amparo.core import custody
from amparo.core.fields import blind_index
from amparo.core.models import Clearance, Organisation, SealedRecord, Term, User
from amparo.core.permissions import signed_in_user
from amparo.core.vocabulary import TermLookupError, TermResolver

router = Router(tags=["cases"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# --- schemas ----------------------------------------------------------------------------------


class TermOut(Schema):
    code: str
    thesaurus: str
    label: str


class PersonOut(Schema):
    id: int
    kind: str
    identified: bool = Field(description="False: identity hidden, shown under a pseudonym.")
    pseudonym: str
    display_name: str
    full_name: str | None
    other_names: str | None
    contact: str | None
    id_numbers: str | None
    address: str | None
    notes: str | None
    sex: TermOut | None
    age_group: TermOut | None
    defender_types: list[TermOut]
    country: str
    region: str


class InvolvementOut(Schema):
    id: int
    perpetrator: PersonOut | None
    perpetrator_type: TermOut | None
    degree_of_involvement: TermOut | None


class ActOut(Schema):
    id: int
    event_id: int
    event_reference: str
    type_of_act: TermOut
    method: TermOut | None
    date: datetime.date | None
    date_precision: str
    consequences: list[TermOut]
    targeted_activity: TermOut | None
    country: str
    region: str
    locality: str
    remarks: str | None = Field(description="Only for the owning organisation's staff.")
    victim: PersonOut
    involvements: list[InvolvementOut]


class EventFields(Schema):
    id: int
    reference_code: str
    organisation: str
    title: str
    description: str
    start_date: datetime.date | None
    start_precision: str
    end_date: datetime.date | None
    end_precision: str
    country: str
    region: str
    locality: str
    latitude: Decimal | None
    longitude: Decimal | None
    coordinate_precision: str
    confidentiality: str
    status: str
    monitoring_status: TermOut | None
    external_id: str
    version: int
    notes: str | None = Field(description="Only for the owning organisation's staff.")


class EventOut(EventFields):
    acts: list[ActOut]


class ActBrief(Schema):
    """An act as a list of events shows it: what, when, against whom (the victim's id)."""

    id: int
    type_of_act: TermOut
    date: datetime.date | None
    date_precision: str
    victim_id: int


class EventListItem(EventFields):
    acts: list[ActBrief] = Field(
        description=(
            "Each act in brief, oldest first. The whole acts, with their victims and "
            "perpetrators as you may see them: GET /events/{id} or GET /acts?event={id}."
        )
    )


class EventPage(Schema):
    items: list[EventListItem]
    next_cursor: str | None
    total: int = Field(
        description=(
            "How many events match (not only this page). Counting stops past "
            f"{queries.COUNT_LIMIT:,} unless `count=all` is asked; when it stopped, "
            "`total_exact` is false and more than `total` events match."
        )
    )
    total_exact: bool


class ActPage(Schema):
    items: list[ActOut]
    next_cursor: str | None


class PersonPage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class PersonIn(Schema):
    """A new person, or (`id`) an existing one of the organisation with optional changes."""

    id: int | None = None
    kind: str = Person.Kind.INDIVIDUAL
    full_name: str | None = None
    other_names: str | None = None
    contact: str | None = None
    id_numbers: str | None = None
    address: str | None = None
    notes: str | None = None
    sex: str | None = Field(None, description="Term code or label (list gender).")
    age_group: str | None = None
    defender_types: list[str] = []
    country: str = ""
    region: str = ""
    confidentiality: str | None = Field(
        None, description="Clearance needed to see who this is (default: confidential)."
    )
    external_id: str = ""


class InvolvementIn(Schema):
    id: int | None = None
    perpetrator: PersonIn | None = None
    perpetrator_type: str | None = None
    degree_of_involvement: str | None = None


class ActIn(Schema):
    id: int | None = Field(None, description="Keep an existing act (update); omit for a new one.")
    victim: PersonIn
    type_of_act: str = Field(description="Term code or label (hrd_violations or HURIDOCS 04).")
    method: str | None = None
    date: str = Field("", description="YYYY, YYYY-MM or YYYY-MM-DD; empty if unknown.")
    consequences: list[str] = []
    targeted_activity: str | None = None
    country: str = ""
    region: str = ""
    locality: str = ""
    remarks: str | None = None
    involvements: list[InvolvementIn] = []


class EventIn(Schema):
    title: str
    description: str = ""
    start_date: str = Field("", description="YYYY, YYYY-MM or YYYY-MM-DD; empty if unknown.")
    end_date: str = ""
    country: str = ""
    region: str = ""
    locality: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_precision: str = ""
    confidentiality: str = Field("confidential", description="public … strictly_confidential")
    monitoring_status: str | None = None
    notes: str | None = None
    external_id: str = ""
    acts: list[ActIn] = []


class EventCreate(EventIn):
    organisation: str = Field(description="Short code of the owning organisation.")


class EventUpdate(EventIn):
    expected_version: int | None = Field(
        None, description="The `version` you read: refused if someone changed the event since."
    )


class Error(Schema):
    detail: Any


ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


# --- reading ----------------------------------------------------------------------------------


def _person(presenter: access.PersonPresenter, person: Person) -> dict[str, Any]:
    return serialise.person_values(person, presenter, serialise.API)


def _act(
    presenter: access.PersonPresenter, act: Act, event: Event, internal: bool
) -> dict[str, Any]:
    return {
        "id": act.pk,
        "event_id": event.pk,
        "event_reference": event.reference_code,
        **serialise.act_values(
            act, serialise.API, lambda person: _person(presenter, person), internal=internal
        ),
    }


def _act_brief(act: Act) -> dict[str, Any]:
    return {
        "id": act.pk,
        "type_of_act": serialise.API.term(act.type_of_act),
        **serialise.API.partial_date("date", "date_precision", act.date, act.date_precision),
        "victim_id": act.victim_id,
    }


def _event(event: Event, internal: bool) -> dict[str, Any]:
    return {
        "id": event.pk,
        **serialise.event_values(event, serialise.API, internal=internal),
        "external_id": event.external_id,
        "version": event.version,
    }


def _acts_prefetch() -> Prefetch[Any]:
    return Prefetch("acts", queryset=queries.with_act_relations(Act.objects.all()))


def _persons_in(acts: list[Act]) -> list[Person]:
    found = [a.victim for a in acts]
    for act in acts:
        found.extend(i.perpetrator for i in act.involvements.all() if i.perpetrator)
    return found


def _internal_ids(user: User, viewer: access.Viewer, events: list[Event]) -> set[int]:
    """The events whose encrypted free text (notes, remarks) the viewer may read."""
    return {e.pk for e in events if access.internal_text_visible(user, e, viewer)}


# --- cursor pagination ------------------------------------------------------------------------


def _decode_cursor(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError({"cursor": _("This cursor is not valid.")}) from None
    return value


def _page(queryset: QuerySet[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Newest first by id; the cursor is the last id of the previous page."""
    if cursor:
        queryset = queryset.filter(pk__lt=_decode_cursor(cursor))
    ordered = queryset.order_by("-pk")
    if issubclass(queryset.model, SealedRecord):
        # The page's data keys opened together before its rows are read: one query, not one
        # per key (rows written in different requests have different keys).
        custody.open_data_keys(ordered.values_list("data_key_id", flat=True)[: limit + 1])
    items = list(ordered[: limit + 1])
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, base64.urlsafe_b64encode(str(items[-1].pk).encode()).decode().rstrip("=")


# Search words and names go in a request body, never in an address: addresses end up in
# proxy and server logs and in browser history (see amparo/core/searches.py for the web list).
SEARCH_LIMIT = 200


class EventFilter(Schema):
    """The filters of the event list that name nobody: GET /events takes them in its address."""

    country: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    type_of_act: str | None = Field(None, description="Term code; includes narrower terms.")
    defender_type: str | None = None
    status: str = ""
    confidentiality: str | None = None
    organisation: str | None = Field(None, description="Short code of the owning organisation.")
    count: str = Field(
        "", description="`all`: count every match for `total` (slower on long lists)."
    )
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class EventSearch(EventFilter):
    """The filters with search words and a name: POST /events/search takes them in its body."""

    q: str = Field(
        "",
        max_length=SEARCH_LIMIT,
        description="Words in the title, description, locality or reference.",
    )
    name: str = Field(
        "",
        max_length=SEARCH_LIMIT,
        description="Exact name of a person (for staff who may see names).",
    )


def _refuse_words_in_address(request: HttpRequest, names: tuple[str, ...], search: str) -> None:
    given = [name for name in names if name in request.GET]
    if given:
        message = _(
            "Send search words and names in the body of POST %(path)s, not in the address: "
            "addresses are kept in logs."
        ) % {"path": f"/api/v1{search}"}
        raise ValidationError({name: message for name in given})


def _resolve(codes: tuple[str, ...], value: str, key: str) -> Term:
    failure: TermLookupError | None = None
    for code in codes:
        try:
            return TermResolver(code).resolve(value)
        except TermLookupError as error:
            failure = failure or error
    raise ValidationError({key: str(failure)})


def _optional(codes: tuple[str, ...], value: str | None, key: str) -> Term | None:
    return _resolve(codes, value, key) if value else None


def _clearance(value: str, key: str) -> int:
    try:
        return int(Clearance[value.strip().upper().replace(" ", "_")])
    except KeyError:
        names = ", ".join(c.name.lower() for c in Clearance)
        raise ValidationError({key: _("Use one of: %(values)s.") % {"values": names}}) from None


def _filters(query: EventSearch) -> queries.EventFilters:
    return queries.EventFilters(
        q=query.q,
        name=query.name,
        country=query.country,
        date_from=query.date_from,
        date_to=query.date_to,
        type_of_act=_optional(Vocab.TYPE_OF_ACT, query.type_of_act, "type_of_act"),
        defender_type=_optional(Vocab.DEFENDER_TYPE, query.defender_type, "defender_type"),
        status=query.status,
        confidentiality=None
        if query.confidentiality is None
        else _clearance(query.confidentiality, "confidentiality"),
    )


@router.get("/events", response={200: EventPage, **ERRORS}, summary="List events")
def list_events(request: HttpRequest, query: Query[EventFilter]) -> dict[str, Any]:
    """The events you may see, newest first, by the filters that name nobody; search words and
    names: POST /events/search."""
    _refuse_words_in_address(request, ("q", "name"), "/events/search")
    return _event_page(request, EventSearch(**query.dict()))


@router.post(
    "/events/search", response={200: EventPage, **ERRORS}, summary="Search events (words, names)"
)
def search_events(request: HttpRequest, body: EventSearch) -> dict[str, Any]:
    """The event list with search words and names, sent in the body to keep them out of logs."""
    return _event_page(request, body)


def _event_page(request: HttpRequest, query: EventSearch) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    conditions = queries.event_conditions(_filters(query), user, viewer)
    if query.organisation:
        conditions = conditions.narrowed(Q(organisation__short_code=query.organisation))
    listing = queries.listed_events(
        user, viewer, conditions, reach=query.limit + 1, count_all=query.count == "all"
    )
    events = listing.events.select_related(
        "organisation", "monitoring_status__thesaurus"
    ).prefetch_related(
        Prefetch(
            "acts",
            queryset=Act.objects.select_related("type_of_act__thesaurus").only(
                "pk", "event_id", "victim_id", "date", "date_precision", "type_of_act"
            ),
        )
    )
    items, next_cursor = _page(events, query.cursor, query.limit)
    internal = _internal_ids(user, viewer, items)
    return {
        "items": [
            {
                **_event(event, event.pk in internal),
                "acts": [_act_brief(act) for act in event.acts.all()],
            }
            for event in items
        ],
        "next_cursor": next_cursor,
        "total": listing.count if listing.exact else queries.COUNT_LIMIT,
        "total_exact": listing.exact,
    }


def _visible_event(user: User, viewer: access.Viewer, pk: int) -> Event:
    return access.get_visible_event(user, pk, viewer)


@router.get("/events/{int:event_id}", response={200: EventOut, **ERRORS}, summary="One event")
def get_event(request: HttpRequest, event_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    _visible_event(user, viewer, event_id)
    event = (
        Event.objects.select_related("organisation", "monitoring_status__thesaurus")
        .prefetch_related(_acts_prefetch())
        .get(pk=event_id)
    )
    return _event_with_acts(user, viewer, event)


def _event_with_acts(user: User, viewer: access.Viewer, event: Event) -> dict[str, Any]:
    presenter = access.PersonPresenter(user, viewer)
    acts = list(event.acts.all())
    presenter.prime(_persons_in(acts))
    internal = access.internal_text_visible(user, event, viewer)
    answer = {
        **_event(event, internal),
        "acts": [_act(presenter, act, event, internal) for act in acts],
    }
    services.record_disclosure(user, presenter.disclosed, DisclosureChannel.API, event)
    return answer


# --- writing ----------------------------------------------------------------------------------


def _date(value: str, key: str) -> tuple[datetime.date | None, str]:
    from amparo.cases.exchange.imports import CellError, parse_partial_date

    try:
        return parse_partial_date(value.strip())
    except CellError as error:
        raise ValidationError({key: error.message}) from None


def _set_person_fields(
    result: services.PersonInput, data: Schema, given: Iterable[str], prefix: str
) -> None:
    """Copy the person's fields the caller `given` from `data` (PersonIn or PersonUpdate) into
    the services' input, terms resolved and clearances named: one reading of PERSON_FIELDS."""
    for name in PERSON_FIELDS:
        if name not in given:
            continue
        value = getattr(data, name)
        key = f"{prefix}{name}"
        if name == "defender_types":
            value = [_resolve(PERSON_TERMS[name], item, key) for item in value]
        elif name in PERSON_TERMS:
            value = _optional(PERSON_TERMS[name], value, key)
        elif name == "confidentiality":
            value = _clearance(value, key)
        setattr(result, name, value)


class _Inputs:
    """Turns the request body into the services' inputs; the same person id gives one person."""

    def __init__(self, user: User, organisation: Organisation) -> None:
        self.user = user
        self.organisation = organisation
        self.persons: dict[int, services.PersonInput] = {}

    def person(self, data: PersonIn, key: str) -> services.PersonInput:
        """A new person, or (`id`) an existing one with the fields the caller sent changed;
        every mention of one person in a request is the same input."""
        if data.id is not None and data.id in self.persons:
            return self.persons[data.id]
        given = data.model_fields_set
        if data.id is None:
            result = services.PersonInput()
            given = given | {"kind", "country", "region", "external_id"}
        else:
            existing = access.visible_persons(self.user).filter(pk=data.id).first()
            if existing is None:
                raise ValidationError({f"{key}.id": _("No such person, or not visible to you.")})
            result = services.PersonInput.existing(existing)
            self.persons[data.id] = result
        if data.confidentiality is None:
            given = given - {"confidentiality"}
        _set_person_fields(result, data, given, f"{key}.")
        return result

    def act(self, data: ActIn, key: str) -> services.ActInput:
        date, precision = _date(data.date, f"{key}.date")
        return services.ActInput(
            id=data.id,
            victim=self.person(data.victim, f"{key}.victim"),
            type_of_act=_resolve(Vocab.TYPE_OF_ACT, data.type_of_act, f"{key}.type_of_act"),
            method=_optional(Vocab.METHOD, data.method, f"{key}.method"),
            date=date,
            date_precision=precision,
            consequences=[
                _resolve(Vocab.CONSEQUENCE, v, f"{key}.consequences") for v in data.consequences
            ],
            targeted_activity=_optional(
                Vocab.DEFENDER_TYPE, data.targeted_activity, f"{key}.targeted_activity"
            ),
            country=data.country,
            region=data.region,
            locality=data.locality,
            remarks=data.remarks,
            involvements=[
                services.InvolvementInput(
                    id=item.id,
                    perpetrator=None
                    if item.perpetrator is None
                    else self.person(item.perpetrator, f"{key}.involvements.{i}.perpetrator"),
                    perpetrator_type=_optional(
                        Vocab.PERPETRATOR_TYPE,
                        item.perpetrator_type,
                        f"{key}.involvements.{i}.perpetrator_type",
                    ),
                    degree_of_involvement=_optional(
                        Vocab.DEGREE_OF_INVOLVEMENT,
                        item.degree_of_involvement,
                        f"{key}.involvements.{i}.degree_of_involvement",
                    ),
                )
                for i, item in enumerate(data.involvements)
            ],
        )

    def event(self, data: EventIn) -> services.EventInput:
        start, start_precision = _date(data.start_date, "start_date")
        end, end_precision = _date(data.end_date, "end_date")
        return services.EventInput(
            title=data.title,
            description=data.description,
            start_date=start,
            start_precision=start_precision,
            end_date=end,
            end_precision=end_precision,
            country=data.country,
            region=data.region,
            locality=data.locality,
            latitude=data.latitude,
            longitude=data.longitude,
            coordinate_precision=data.coordinate_precision,
            confidentiality=_clearance(data.confidentiality, "confidentiality"),
            monitoring_status=_optional(
                Vocab.MONITORING_STATUS, data.monitoring_status, "monitoring_status"
            ),
            notes=data.notes,
            external_id=data.external_id,
            acts=[self.act(act, f"acts.{i}") for i, act in enumerate(data.acts)],
        )


@router.post("/events", response={201: EventOut, **ERRORS}, summary="Record an event")
def create_event(request: HttpRequest, body: EventCreate) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    organisation = Organisation.objects.filter(short_code=body.organisation).first()
    if organisation is None or not access.can_create_in(user, organisation):
        raise ValidationError(
            {"organisation": _("You may not record events for this organisation.")}
        )
    event = services.create_event(user, organisation, _Inputs(user, organisation).event(body))
    return Status(201, _reread(user, event.pk))


@router.put("/events/{int:event_id}", response={200: EventOut, **ERRORS}, summary="Change an event")
def update_event(request: HttpRequest, event_id: int, body: EventUpdate) -> dict[str, Any]:
    """Replaces the event's fields and acts: acts with an `id` are kept and changed, acts
    without one are added, acts left out are removed."""
    user = signed_in_user(request)
    event = _visible_event(user, access.Viewer.of(user), event_id)
    data = _Inputs(user, event.organisation).event(body)
    services.update_event(user, event, data, expected_version=body.expected_version)
    return _reread(user, event_id)


def _reread(user: User, pk: int) -> dict[str, Any]:
    viewer = access.Viewer.of(user)
    event = (
        Event.objects.select_related("organisation", "monitoring_status__thesaurus")
        .prefetch_related(_acts_prefetch())
        .get(pk=pk)
    )
    return _event_with_acts(user, viewer, event)


# --- acts -------------------------------------------------------------------------------------


class ActQuery(Schema):
    event: int | None = Field(None, description="Acts of this event only.")
    type_of_act: str | None = Field(None, description="Term code; includes narrower terms.")
    country: str = Field("", description="Where the act happened (or its event, if not set).")
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _visible_acts(user: User, viewer: access.Viewer) -> QuerySet[Act]:
    return Act.objects.filter(event__in=access.visible_events(user, viewer).values("pk"))


def _acts_answer(
    user: User, viewer: access.Viewer, acts: list[Act], about: Act | None = None
) -> list[dict[str, Any]]:
    """The acts as `user` may see them; the identities shown are recorded (about one act, or
    a list)."""
    presenter = access.PersonPresenter(user, viewer)
    presenter.prime(_persons_in(acts))
    events = {a.event_id: a.event for a in acts}
    internal = _internal_ids(user, viewer, list(events.values()))
    answer = [_act(presenter, a, a.event, a.event_id in internal) for a in acts]
    services.record_disclosure(user, presenter.disclosed, DisclosureChannel.API, about)
    return answer


def _act_queryset(acts: QuerySet[Act]) -> QuerySet[Act]:
    return queries.with_act_relations(acts.select_related("event__organisation"))


@router.get("/acts", response={200: ActPage, **ERRORS}, summary="List acts")
def list_acts(request: HttpRequest, query: Query[ActQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    acts = _visible_acts(user, viewer)
    if query.event is not None:
        acts = acts.filter(event_id=query.event)
    if query.type_of_act:
        term = _resolve(Vocab.TYPE_OF_ACT, query.type_of_act, "type_of_act")
        acts = acts.filter(type_of_act__in=queries.term_and_descendants(term))
    if query.country:
        country = query.country.upper()
        acts = acts.filter(Q(country=country) | Q(country="", event__country=country))
    if query.date_from:
        acts = acts.filter(date__gte=query.date_from)
    if query.date_to:
        acts = acts.filter(date__lte=query.date_to)
    items, next_cursor = _page(_act_queryset(acts), query.cursor, query.limit)
    return {"items": _acts_answer(user, viewer, items), "next_cursor": next_cursor}


@router.get("/acts/{int:act_id}", response={200: ActOut, **ERRORS}, summary="One act")
def get_act(request: HttpRequest, act_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    act = get_object_or_404(_act_queryset(_visible_acts(user, viewer)), pk=act_id)
    return _acts_answer(user, viewer, [act], about=act)[0]


class ActCreate(ActIn):
    event: int = Field(description="The event the act belongs to.")
    expected_version: int | None = Field(None, description="The event's `version` you read.")


class ActUpdate(ActIn):
    expected_version: int | None = Field(None, description="The event's `version` you read.")


@router.post("/acts", response={201: ActOut, **ERRORS}, summary="Add an act to an event")
def create_act(request: HttpRequest, body: ActCreate) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    event = _visible_event(user, access.Viewer.of(user), body.event)
    data = _Inputs(user, event.organisation).act(body, "act")
    data.id = None
    act = services.add_act(user, event, data, expected_version=body.expected_version)
    return Status(201, get_act(request, act.pk))


@router.put("/acts/{int:act_id}", response={200: ActOut, **ERRORS}, summary="Change an act")
def update_act(request: HttpRequest, act_id: int, body: ActUpdate) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    act = get_object_or_404(_visible_acts(user, viewer).select_related("event"), pk=act_id)
    data = _Inputs(user, act.event.organisation).act(body, "act")
    services.change_act(user, act, data, expected_version=body.expected_version)
    return get_act(request, act_id)


# --- persons ----------------------------------------------------------------------------------


class PersonFilter(Schema):
    """The filters of the person list that name nobody: GET /persons takes them in its address."""

    kind: str = ""
    country: str = ""
    defender_type: str | None = Field(None, description="Term code; includes narrower terms.")
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class PersonSearch(PersonFilter):
    """The filters with a name: POST /persons/search takes them in its body."""

    name: str = Field(
        "",
        max_length=SEARCH_LIMIT,
        description="Exact name (only finds persons whose identity you see).",
    )


@router.get("/persons", response={200: PersonPage, **ERRORS}, summary="List persons")
def list_persons(request: HttpRequest, query: Query[PersonFilter]) -> dict[str, Any]:
    """The persons you may see, by the filters that name nobody; by name: POST /persons/search."""
    _refuse_words_in_address(request, ("name",), "/persons/search")
    return _person_page(request, PersonSearch(**query.dict()))


@router.post(
    "/persons/search", response={200: PersonPage, **ERRORS}, summary="Search persons by name"
)
def search_persons(request: HttpRequest, body: PersonSearch) -> dict[str, Any]:
    """The person list with a name, sent in the body to keep it out of logs."""
    return _person_page(request, body)


def _person_page(request: HttpRequest, query: PersonSearch) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    persons = access.visible_persons(user, viewer)
    if query.kind:
        persons = persons.filter(kind=query.kind)
    if query.country:
        persons = persons.filter(country=query.country.upper())
    if query.defender_type:
        term = _resolve(Vocab.DEFENDER_TYPE, query.defender_type, "defender_type")
        persons = persons.filter(
            pk__in=Person.objects.filter(
                defender_types__in=queries.term_and_descendants(term)
            ).values("pk")
        )
    if query.name.strip():
        # Only persons whose identity the caller sees by role: a name must not unmask anyone.
        condition = access.identity_q(viewer)
        persons = (
            persons.filter(condition, full_name_index=blind_index(query.name))
            if condition is not None
            else persons.none()
        )
    items, next_cursor = _page(
        queries.with_person_terms(persons),
        query.cursor,
        query.limit,
    )
    presenter = access.PersonPresenter(user, viewer)
    presenter.prime(items)
    answer = [_person(presenter, p) for p in items]
    services.record_disclosure(user, presenter.disclosed, DisclosureChannel.API)
    return {"items": answer, "next_cursor": next_cursor}


class PersonUpdate(Schema):
    """New values of a person's attributes; identifying fields left out (or null) stay."""

    kind: str | None = None
    full_name: str | None = None
    other_names: str | None = None
    contact: str | None = None
    id_numbers: str | None = None
    address: str | None = None
    notes: str | None = None
    sex: str | None = None
    age_group: str | None = None
    defender_types: list[str] | None = None
    country: str | None = None
    region: str | None = None
    confidentiality: str | None = None
    external_id: str | None = None


class PersonCreate(PersonIn):
    organisation: str = Field(description="Short code of the owning organisation.")


@router.post("/persons", response={201: PersonOut, **ERRORS}, summary="Record a person")
def create_person(request: HttpRequest, body: PersonCreate) -> Status[dict[str, Any]]:
    """A person outside any event, e.g. a defender to follow before anything has happened."""
    user = signed_in_user(request)
    if body.id is not None:
        raise ValidationError({"id": _("Leave this out: a new person gets a new id.")})
    organisation = Organisation.objects.filter(short_code=body.organisation).first()
    if organisation is None:
        raise ValidationError({"organisation": _("No such organisation.")})
    data = _Inputs(user, organisation).person(body, "person")
    person = services.create_person(user, organisation, data)
    return Status(201, get_person(request, person.pk))


@router.put(
    "/persons/{int:person_id}", response={200: PersonOut, **ERRORS}, summary="Change a person"
)
def update_person(request: HttpRequest, person_id: int, body: PersonUpdate) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    person = get_object_or_404(access.visible_persons(user, viewer), pk=person_id)
    data = services.PersonInput.existing(person)
    # Left out or null: unchanged (identifying fields too: None keeps them as they are).
    given = {name for name in PERSON_FIELDS if getattr(body, name) is not None}
    _set_person_fields(data, body, given, "")
    services.update_person(user, person, data)
    return get_person(request, person_id)


@router.get("/persons/{int:person_id}", response={200: PersonOut, **ERRORS}, summary="One person")
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    viewer = access.Viewer.of(user)
    person = get_object_or_404(
        access.visible_persons(user, viewer).select_related(
            "sex__thesaurus", "age_group__thesaurus"
        ),
        pk=person_id,
    )
    presenter = access.PersonPresenter(user, viewer)
    answer = _person(presenter, person)
    services.record_disclosure(user, presenter.disclosed, DisclosureChannel.API, person)
    return answer
