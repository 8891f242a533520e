"""Forms of the cases pages. They parse and validate input (reusing the models' own clean
methods, so a rule is written once) and turn it into the services' input dataclasses."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from amparo.cases import access
from amparo.cases.models import (
    EVENT_DESCRIPTION_FIELDS,
    IDENTIFYING_FIELDS,
    PERSON_ATTRIBUTES,
    Act,
    DatePrecision,
    Event,
    Person,
    RecipientKind,
    SharingGrant,
    Vocab,
)
from amparo.cases.queries import RECENT_DAYS, EventFilters, Work
from amparo.cases.services import (
    ActInput,
    EventInput,
    InterventionInput,
    InvolvementInput,
    PersonInput,
    SourceInput,
)
from amparo.core import countries, vocabulary
from amparo.core.models import Clearance, Organisation, Term, User, label_column
from amparo.core.services import DomainError
from amparo.core.widgets import PlainSelect

if TYPE_CHECKING:
    _TermChoiceField = forms.ModelChoiceField[Term]
    _TermMultipleChoiceField = forms.ModelMultipleChoiceField[Term]
    _EventModelForm = forms.ModelForm[Event]
    _PersonModelForm = forms.ModelForm[Person]
    _BaseFormSet = forms.BaseFormSet[Any]
else:
    _TermChoiceField = forms.ModelChoiceField
    _TermMultipleChoiceField = forms.ModelMultipleChoiceField
    _EventModelForm = forms.ModelForm
    _PersonModelForm = forms.ModelForm
    _BaseFormSet = forms.BaseFormSet

# --- Shared field helpers ---------------------------------------------------------------------


def terms_of(codes: tuple[str, ...]) -> QuerySet[Term]:
    """Active terms of the given thesauri: our own lists first, then HURIDOCS, in list order."""
    return (
        vocabulary.active_terms(*codes)
        .select_related("thesaurus")
        .order_by(F("thesaurus__source").asc(), "thesaurus__code", "position", "code")
    )


class TermChoices(ModelChoiceIterator):
    """The options of a term field from plain rows. Building a Term per option took most of
    the event list's rendering time (its filters offer several hundred terms)."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        field = self.field
        several_lists = bool(getattr(field, "several_lists", False))
        if field.empty_label is not None:
            yield ("", str(field.empty_label))
        rows = self.queryset.values_list(
            "pk", "depth", label_column(), "label_en", "thesaurus__source"
        )
        for pk, depth, label, english, source in rows:
            yield (str(pk), term_label(depth, label or english, source, several_lists))


class TermChoiceField(_TermChoiceField):
    widget = PlainSelect
    iterator = TermChoices

    def __init__(self, codes: tuple[str, ...], **kwargs: Any) -> None:
        self.several_lists = len(codes) > 1
        super().__init__(queryset=terms_of(codes), **kwargs)


class TermMultipleChoiceField(_TermMultipleChoiceField):
    iterator = TermChoices

    def __init__(self, codes: tuple[str, ...], **kwargs: Any) -> None:
        self.several_lists = len(codes) > 1
        super().__init__(queryset=terms_of(codes), **kwargs)


def term_label(depth: int, label: str, source: str, several_lists: bool) -> str:
    """A term as an option: indented under its parent, and marked HURIDOCS where a field
    offers our list and a HURIDOCS one."""
    text = "— " * depth + label
    if several_lists and source != "amparo_hrd":
        return f"{text} (HURIDOCS)"
    return text


def country_choices() -> list[tuple[str, str]]:
    """Countries named in the active language (evaluated per form, so per request)."""
    named = countries.country_choices(get_language() or "en")
    return [("", "—"), *((code, f"{name} ({code})") for code, name in named)]


def clearance_choices(highest: int) -> list[tuple[int, StrOrPromise]]:
    return [(value, label) for value, label in Clearance.choices if value <= highest]


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def model_errors_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach errors from a model's clean() to the form fields of the same name."""
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


# --- The guided page: event, victims, perpetrators, acts --------------------------------------


class EventForm(_EventModelForm):
    """The event's own fields. Validation runs Event.clean (dates, region, coordinates)."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Owning organisation")
    )
    country = forms.ChoiceField(
        label=_("Country"), choices=country_choices, required=True, widget=PlainSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Event
        fields = (*EVENT_DESCRIPTION_FIELDS, "confidentiality", "monitoring_status", "notes")
        widgets = {
            "start_date": date_widget(),
            "end_date": date_widget(),
            "description": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation] | None = None,
        highest_clearance: int = Clearance.STRICTLY_CONFIDENTIAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
            if organisations.count() == 1:
                self.fields["organisation"].initial = organisations.first()
        self.fields["confidentiality"].choices = clearance_choices(highest_clearance)  # type: ignore[attr-defined]
        if self.instance.pk is None:
            self.initial.setdefault(
                "confidentiality", min(Clearance.CONFIDENTIAL, highest_clearance)
            )
        self.fields["monitoring_status"].queryset = terms_of(Vocab.MONITORING_STATUS)  # type: ignore[attr-defined]
        self.fields["region"].widget.attrs["placeholder"] = "KE-30"

    GROUPS: tuple[tuple[StrOrPromise, tuple[str, ...]], ...] = (
        (_("What happened"), ("organisation", "title", "description")),
        (_("When"), ("start_date", "start_precision", "end_date", "end_precision")),
        (
            _("Where"),
            ("country", "region", "locality", "latitude", "longitude", "coordinate_precision"),
        ),
        (_("Handling"), ("confidentiality", "monitoring_status", "notes")),
    )

    def groups(self) -> list[tuple[StrOrPromise, list[forms.BoundField]]]:
        """The fields in the order a documentalist thinks of them, under headings."""
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.GROUPS
        ]

    def to_input(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data.get(name)
            for name in self.Meta.fields
            if name not in ("country", "region", "locality", "coordinate_precision", "notes")
        } | {
            "country": data.get("country") or "",
            "region": data.get("region") or "",
            "locality": data.get("locality") or "",
            "coordinate_precision": data.get("coordinate_precision") or "",
            "notes": data.get("notes") or "",
            "description": data.get("description") or "",
        }


class VictimForm(_PersonModelForm):
    """One victim: an individual or an organisation. Identity fields are left out when the
    editor may not see who an existing person is; they are then kept unchanged."""

    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    country = forms.ChoiceField(
        label=_("Country"), choices=country_choices, required=False, widget=PlainSelect
    )
    sex = TermChoiceField(Vocab.SEX, label=_("Sex / gender"), required=False)
    age_group = TermChoiceField(Vocab.AGE_GROUP, label=_("Age group"), required=False)
    defender_types = TermMultipleChoiceField(
        Vocab.DEFENDER_TYPE,
        label=_("Types of defender"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = (
            "kind",
            "full_name",
            "other_names",
            *PERSON_ATTRIBUTES,
            "confidentiality",
            "contact",
            "id_numbers",
            "address",
            "notes",
        )
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in IDENTIFYING_FIELDS} | {
            "full_name": forms.TextInput(attrs={"autocomplete": "off"})
        }

    def __init__(
        self,
        *args: Any,
        identity_visible: bool = True,
        pseudonym: str = "",
        highest_clearance: int = Clearance.STRICTLY_CONFIDENTIAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.identity_visible = identity_visible
        self.pseudonym = pseudonym
        if identity_visible:
            field = self.fields["confidentiality"]
            field.choices = clearance_choices(highest_clearance)  # type: ignore[attr-defined]
            field.initial = min(Clearance.CONFIDENTIAL, highest_clearance)
        else:
            # Above the editor's clearance: who it is and how secret it is stay as they are.
            for name in (*IDENTIFYING_FIELDS, "confidentiality"):
                del self.fields[name]

    def _post_clean(self) -> None:
        # Person.clean (region of the country) without uniqueness checks: the service owns those.
        try:
            self.instance.country = self.cleaned_data.get("country") or ""
            self.instance.region = self.cleaned_data.get("region") or ""
            self.instance.clean()
        except ValidationError as error:
            model_errors_to_form(self, error)

    def to_input(self, existing: Person | None) -> PersonInput:
        data = self.cleaned_data
        identity: dict[str, Any] = {
            name: (data.get(name) or "") if self.identity_visible else None
            for name in IDENTIFYING_FIELDS
        }
        return PersonInput(
            kind=data.get("kind") or Person.Kind.INDIVIDUAL,
            sex=data.get("sex"),
            age_group=data.get("age_group"),
            defender_types=list(data.get("defender_types") or []),
            country=data.get("country") or "",
            region=data.get("region") or "",
            confidentiality=data.get("confidentiality"),
            person=existing,
            **identity,
        )


class PerpetratorForm(forms.Form):
    """A perpetrator, named or not ("two men on a motorbike"), and their part in the acts."""

    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    full_name = forms.CharField(
        label=_("Name, if known"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Person.Kind.choices, initial=Person.Kind.INDIVIDUAL
    )
    perpetrator_type = TermChoiceField(
        Vocab.PERPETRATOR_TYPE, label=_("Type of perpetrator"), required=False
    )
    degree_of_involvement = TermChoiceField(
        Vocab.DEGREE_OF_INVOLVEMENT, label=_("Degree of involvement"), required=False
    )
    notes = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted. Uniform, vehicle, what was said."),
    )

    def __init__(
        self, *args: Any, identity_visible: bool = True, pseudonym: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.identity_visible = identity_visible
        self.pseudonym = pseudonym
        if not identity_visible:
            del self.fields["full_name"]
            del self.fields["notes"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = bool(data.get("full_name") or data.get("person_id"))
        if not named and not data.get("perpetrator_type"):
            self.add_error(
                "perpetrator_type", _("Name the perpetrator or at least say what type they are.")
            )
        return data

    @property
    def is_named(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("person_id") or data.get("full_name") or data.get("notes"))

    def person_input(self, existing: Person | None) -> PersonInput | None:
        data = self.cleaned_data
        if existing is None and not self.is_named:
            return None
        if existing is not None:
            base = PersonInput.existing(existing)
            base.kind = data.get("kind") or existing.kind
        else:
            base = PersonInput(kind=data.get("kind") or Person.Kind.INDIVIDUAL)
        if self.identity_visible:
            base.full_name = data.get("full_name") or ""
            base.notes = data.get("notes") or ""
        return base


class ActForm(forms.Form):
    """One act: which victim, what was done, when, by which perpetrators."""

    act_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    victim = forms.TypedChoiceField(label=_("Victim"), coerce=int)
    type_of_act = TermChoiceField(Vocab.TYPE_OF_ACT, label=_("Type of act"))
    method = TermChoiceField(Vocab.METHOD, label=_("Method"), required=False)
    date = forms.DateField(label=_("Date"), required=False, widget=date_widget())
    date_precision = forms.ChoiceField(
        label=_("Date precision"), choices=DatePrecision.choices, initial=DatePrecision.DAY
    )
    perpetrators = forms.TypedMultipleChoiceField(
        label=_("Perpetrators"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consequences = TermMultipleChoiceField(
        Vocab.CONSEQUENCE, label=_("Consequences for the victim"), required=False
    )
    targeted_activity = TermChoiceField(
        Vocab.DEFENDER_TYPE, label=_("Defender activity targeted"), required=False
    )
    locality = forms.CharField(
        label=_("Locality, if not the event's"), required=False, max_length=200
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted."),
    )

    def __init__(
        self,
        *args: Any,
        victim_count: int = 1,
        perpetrator_count: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        victims = self.fields["victim"]
        victims.choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((n, _("Victim %(number)d") % {"number": n}) for n in range(1, victim_count + 1)),
        ]
        self.fields["perpetrators"].choices = [  # type: ignore[attr-defined]
            (n, _("Perpetrator %(number)d") % {"number": n})
            for n in range(1, perpetrator_count + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        act = Act(date=data.get("date"), date_precision=data.get("date_precision") or "")
        try:
            act.clean()
        except ValidationError as error:
            model_errors_to_form(self, error)
        data["date"], data["date_precision"] = act.date, act.date_precision
        return data


class RowFormSet(_BaseFormSet):
    """A formset whose forms each get their own keyword arguments (e.g. identity visibility)."""

    def __init__(self, *args: Any, row_kwargs: Sequence[dict[str, Any]] = (), **kwargs: Any):
        self.row_kwargs = list(row_kwargs)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = dict(super().get_form_kwargs(index))
        if index is not None and index < len(self.row_kwargs):
            kwargs.update(self.row_kwargs[index])
        return kwargs


VictimFormSet = cast(
    type[RowFormSet],
    forms.formset_factory(
        VictimForm, formset=RowFormSet, extra=0, min_num=1, validate_min=True, max_num=50
    ),
)
PerpetratorFormSet = cast(
    type[RowFormSet],
    forms.formset_factory(PerpetratorForm, formset=RowFormSet, extra=0, max_num=50),
)
ActFormSet = cast(
    type[RowFormSet],
    forms.formset_factory(
        ActForm, formset=RowFormSet, extra=0, min_num=1, validate_min=True, max_num=100
    ),
)

VictimFormSet.default_error_messages = {
    **RowFormSet.default_error_messages,
    "too_few_forms": _("Record at least one victim."),
}
ActFormSet.default_error_messages = {
    **RowFormSet.default_error_messages,
    "too_few_forms": _("Record at least one act: what was done to whom."),
}

PREFIXES = {"victims": "victims", "perpetrators": "perpetrators", "acts": "acts"}


class GuidedEventForms:
    """The guided page: the event, its victims, perpetrators and acts, on one page.

    Rows refer to each other by number ("Victim 2"), so nothing needs JavaScript. "Add another"
    buttons post the page back with one more empty row (`add_row`), keeping what was typed.
    """

    def __init__(
        self,
        user: User,
        *,
        data: Any = None,
        event: Event | None = None,
        organisations: QuerySet[Organisation] | None = None,
        highest_clearance: int = Clearance.STRICTLY_CONFIDENTIAL,
    ) -> None:
        self.user = user
        self.event = event
        self.presenter = access.PersonPresenter(user)
        self.persons: dict[int, Person] = {}
        initial: dict[str, Any] = {"event": None, "victims": [], "perpetrators": [], "acts": []}
        self.involvement_ids: dict[tuple[int, int], int] = {}
        if event is not None:
            initial = self._initial_from(event)
        if data is not None:
            data = data.copy()
            self.added = self._add_row(data)
        else:
            self.added = None
        victim_rows = self._rows(data, "victims", initial["victims"])
        perpetrator_rows = self._rows(data, "perpetrators", initial["perpetrators"])
        self.event_form = EventForm(
            data,
            instance=event,
            initial=initial["event"],
            organisations=organisations,
            highest_clearance=highest_clearance,
        )
        self.victims = VictimFormSet(
            data,
            prefix="victims",
            initial=initial["victims"] or None,
            row_kwargs=[
                self._identity_kwargs(row.get("person_id"))
                | {"highest_clearance": highest_clearance}
                for row in victim_rows
            ],
            form_kwargs={"highest_clearance": highest_clearance},
        )
        self.perpetrators = PerpetratorFormSet(
            data,
            prefix="perpetrators",
            initial=initial["perpetrators"] or None,
            row_kwargs=[self._identity_kwargs(row.get("person_id")) for row in perpetrator_rows],
        )
        self.acts = ActFormSet(
            data,
            prefix="acts",
            initial=initial["acts"] or None,
            form_kwargs={
                "victim_count": self.victims.total_form_count(),
                "perpetrator_count": self.perpetrators.total_form_count(),
            },
        )

    # -- building ----------------------------------------------------------------------------

    def _initial_from(self, event: Event) -> dict[str, Any]:
        acts = list(
            event.acts.select_related("victim")
            .prefetch_related(
                "consequences",
                "victim__defender_types",
                "involvements__perpetrator__defender_types",
            )
            .order_by(F("date").asc(nulls_last=True), "pk")
        )
        victim_numbers: dict[int, int] = {}
        victims: list[dict[str, Any]] = []
        perpetrator_numbers: dict[Any, int] = {}
        perpetrators: list[dict[str, Any]] = []
        acts_initial: list[dict[str, Any]] = []
        for act in acts:
            if act.victim_id not in victim_numbers:
                person = act.victim
                self.persons[person.pk] = person
                victims.append(self._person_initial(person))
                victim_numbers[person.pk] = len(victims)
            selected = []
            for involvement in act.involvements.all():
                key: Any = involvement.perpetrator_id or (
                    "unnamed",
                    involvement.perpetrator_type_id,
                    involvement.degree_of_involvement_id,
                )
                if key not in perpetrator_numbers:
                    row: dict[str, Any] = {
                        "perpetrator_type": involvement.perpetrator_type_id,
                        "degree_of_involvement": involvement.degree_of_involvement_id,
                    }
                    if involvement.perpetrator is not None:
                        self.persons[involvement.perpetrator.pk] = involvement.perpetrator
                        row |= {
                            "person_id": involvement.perpetrator.pk,
                            "full_name": involvement.perpetrator.full_name,
                            "notes": involvement.perpetrator.notes,
                            "kind": involvement.perpetrator.kind,
                        }
                    perpetrators.append(row)
                    perpetrator_numbers[key] = len(perpetrators)
                selected.append(perpetrator_numbers[key])
                if involvement.perpetrator_id is not None:
                    self.involvement_ids[(act.pk, involvement.perpetrator_id)] = involvement.pk
            acts_initial.append(
                {
                    "act_id": act.pk,
                    "victim": victim_numbers[act.victim_id],
                    "type_of_act": act.type_of_act_id,
                    "method": act.method_id,
                    "date": act.date,
                    "date_precision": act.date_precision,
                    "perpetrators": selected,
                    "consequences": [t.pk for t in act.consequences.all()],
                    "targeted_activity": act.targeted_activity_id,
                    "locality": act.locality,
                    "remarks": act.remarks,
                }
            )
        return {
            "event": {"version": event.version},
            "victims": victims,
            "perpetrators": perpetrators,
            "acts": acts_initial,
        }

    def _person_initial(self, person: Person) -> dict[str, Any]:
        row: dict[str, Any] = {
            "person_id": person.pk,
            "kind": person.kind,
            "sex": person.sex_id,
            "age_group": person.age_group_id,
            "defender_types": [t.pk for t in person.defender_types.all()],
            "country": person.country,
            "region": person.region,
            "confidentiality": person.confidentiality,
        }
        for name in IDENTIFYING_FIELDS:
            row[name] = getattr(person, name)
        return row

    def _identity_kwargs(self, person_id: Any) -> dict[str, Any]:
        person = self.persons.get(int(person_id)) if str(person_id or "").isdigit() else None
        if person is None:
            return {"identity_visible": True, "pseudonym": ""}
        return {
            # A visible identity fills the form in: disclosed (the view records it).
            "identity_visible": self.presenter.discloses(person),
            "pseudonym": access.pseudonym(person),
        }

    def _rows(self, data: Any, prefix: str, initial: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The person ids of each row, from the posted data or the initial rows."""
        if data is None:
            return initial
        try:
            total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
        except ValueError:
            total = 0
        return [{"person_id": data.get(f"{prefix}-{i}-person_id")} for i in range(min(total, 100))]

    @staticmethod
    def _add_row(data: Any) -> str | None:
        wanted = data.get("add_row")
        if wanted not in PREFIXES:
            return None
        key = f"{wanted}-TOTAL_FORMS"
        try:
            data[key] = str(int(data.get(key, "0")) + 1)
        except ValueError:
            return None
        return str(wanted)

    # -- validating ----------------------------------------------------------------------------

    @property
    def formsets(self) -> tuple[RowFormSet, RowFormSet, RowFormSet]:
        return (self.victims, self.perpetrators, self.acts)

    def is_valid(self) -> bool:
        if self.added is not None:
            return False
        valid = self.event_form.is_valid()
        valid = all([formset.is_valid() for formset in self.formsets]) and valid
        if valid:
            valid = self._check_references()
        return valid

    def _row_filled(self, formset: RowFormSet, number: int) -> bool:
        index = number - 1
        if index >= len(formset.forms):
            return False
        form = formset.forms[index]
        return index < formset.initial_form_count() or form.has_changed()

    def _check_references(self) -> bool:
        ok = True
        for form in self.acts.forms:
            if not form.has_changed() and not form.cleaned_data.get("act_id"):
                continue
            if not self._row_filled(self.victims, form.cleaned_data["victim"]):
                form.add_error("victim", _("Fill in this victim above first."))
                ok = False
            for number in form.cleaned_data.get("perpetrators", []):
                if not self._row_filled(self.perpetrators, number):
                    form.add_error("perpetrators", _("Fill in this perpetrator above first."))
                    ok = False
        allowed = set(self.persons)
        for formset in (self.victims, self.perpetrators):
            for form in formset.forms:
                person_id = form.cleaned_data.get("person_id")
                if person_id and person_id not in allowed:
                    form.add_error(None, _("This row refers to a person not in this event."))
                    ok = False
        return ok

    @property
    def show_errors(self) -> bool:
        """False after "add another": the page comes back without complaining about rows
        the documentalist has not finished yet."""
        return self.added is None

    # -- the service input -------------------------------------------------------------------

    def to_input(self) -> EventInput:
        victims: list[PersonInput | None] = []
        for form in self.victims.forms:
            if not form.has_changed() and not form.cleaned_data.get("person_id"):
                victims.append(None)
                continue
            existing = self.persons.get(form.cleaned_data.get("person_id") or 0)
            victims.append(form.to_input(existing))
        perpetrators: list[tuple[PersonInput | None, PerpetratorForm]] = []
        for form in self.perpetrators.forms:
            existing = self.persons.get(form.cleaned_data.get("person_id") or 0)
            perpetrators.append((form.person_input(existing), form))
        acts: list[ActInput] = []
        for form in self.acts.forms:
            data = form.cleaned_data
            if not form.has_changed() and not data.get("act_id"):
                continue
            victim = victims[data["victim"] - 1]
            assert victim is not None  # _check_references made sure
            involvements = []
            for number in data.get("perpetrators", []):
                person_input, row = perpetrators[number - 1]
                existing_person = person_input.person if person_input else None
                involvements.append(
                    InvolvementInput(
                        perpetrator=person_input,
                        perpetrator_type=row.cleaned_data.get("perpetrator_type"),
                        degree_of_involvement=row.cleaned_data.get("degree_of_involvement"),
                        id=self.involvement_ids.get((data.get("act_id"), existing_person.pk))
                        if existing_person is not None and data.get("act_id")
                        else None,
                    )
                )
            acts.append(
                ActInput(
                    id=data.get("act_id"),
                    victim=victim,
                    type_of_act=data["type_of_act"],
                    method=data.get("method"),
                    date=data.get("date"),
                    date_precision=data.get("date_precision") or DatePrecision.UNKNOWN,
                    consequences=list(data.get("consequences") or []),
                    targeted_activity=data.get("targeted_activity"),
                    locality=data.get("locality") or "",
                    remarks=data.get("remarks") or "",
                    involvements=involvements,
                )
            )
        return EventInput(**self.event_form.to_input(), acts=acts)

    @property
    def organisation(self) -> Organisation | None:
        return self.event_form.cleaned_data.get("organisation")

    @property
    def expected_version(self) -> int | None:
        return self.event_form.cleaned_data.get("version")

    def show_service_errors(self, error: ValidationError | DomainError) -> None:
        """Put a service's errors ("acts.1.type_of_act") next to the field they concern."""
        if isinstance(error, DomainError):
            self.event_form.add_error(None, str(error))
            return
        for key, messages in error.message_dict.items():
            self._place(key.split("."), messages)

    def _place(self, path: list[str], messages: list[str]) -> None:
        form: forms.BaseForm = self.event_form
        field: str | None = path[0] if path[0] in self.event_form.fields else None
        if path[0] == "acts" and len(path) >= 2 and path[1].isdigit():
            act_forms = [
                f for f in self.acts.forms if f.has_changed() or f.cleaned_data.get("act_id")
            ]
            index = int(path[1])
            if index < len(act_forms):
                form = act_forms[index]
                rest = path[2:]
                if rest[:1] == ["victim"] and len(rest) > 1:
                    number = form.cleaned_data["victim"]
                    form = self.victims.forms[number - 1]
                    rest = rest[1:]
                field = rest[0] if rest and rest[0] in form.fields else None
        form.add_error(field, messages)


# --- The panels and small forms of the detail page --------------------------------------------


class EventFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    name = forms.CharField(
        label=_("Exact name"),
        required=False,
        max_length=200,
        help_text=_("Finds a person by their full name, spelt exactly."),
    )
    country = forms.ChoiceField(
        label=_("Country"), choices=country_choices, required=False, widget=PlainSelect
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=date_widget())
    date_to = forms.DateField(label=_("To"), required=False, widget=date_widget())
    type_of_act = TermChoiceField(Vocab.TYPE_OF_ACT, label=_("Type of act"), required=False)
    defender_type = TermChoiceField(
        Vocab.DEFENDER_TYPE, label=_("Type of defender"), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Event.Status.choices], required=False
    )
    confidentiality = forms.TypedChoiceField(
        label=_("Confidentiality"),
        choices=[("", "—"), *Clearance.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("All events")), *Work.choices],
        required=False,
        help_text=ngettext_lazy(
            "Recently: in the last %(days)d day.", "Recently: in the last %(days)d days.", "days"
        )
        % {"days": RECENT_DAYS},
    )

    # Searches that may name someone travel in a POST and the session, never in an address
    # (see views.event_list); the other filters name nobody and stay in the list's address.
    PRIVATE = ("q", "name")
    PUBLIC = (
        "country",
        "date_from",
        "date_to",
        "type_of_act",
        "defender_type",
        "status",
        "confidentiality",
        "show",
    )

    def __init__(self, *args: Any, names_allowed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not names_allowed:
            del self.fields["name"]

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            q=data.get("q") or "",
            name=data.get("name") or "",
            country=data.get("country") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            type_of_act=data.get("type_of_act"),
            defender_type=data.get("defender_type"),
            status=data.get("status") or "",
            confidentiality=data.get("confidentiality"),
            work=data.get("show") or "",
        )


class SharingForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Organisation"), required=False
    )
    username = forms.CharField(label=_("Or one person (username)"), required=False, max_length=150)
    level = forms.ChoiceField(label=_("Access"), choices=SharingGrant.Level.choices)
    expires_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=date_widget(),
        help_text=_("Access ends at the start of this day (UTC)."),
    )
    purpose = forms.CharField(
        label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).exclude(pk=event.organisation_id)
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = (data.get("username") or "").strip()
        if bool(data.get("organisation")) == bool(username):
            raise ValidationError(_("Choose an organisation or give a username, not both."))
        if username:
            self.user = User.objects.filter(username=username, is_active=True).first()
            if self.user is None:
                self.add_error("username", _("There is no active account with this username."))
        expires_on = data.get("expires_on")
        if expires_on is not None and expires_on <= timezone.localdate():
            self.add_error("expires_on", _("Choose a day after today."))
        return data

    @property
    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class ConsentForm(forms.Form):
    recipient_kind = forms.ChoiceField(label=_("Who may know"), choices=RecipientKind.choices)
    recipient_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(is_active=True),
        label=_("Only this organisation (optional)"),
        required=False,
    )
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}))
    given_on = forms.DateField(label=_("Given on"), widget=date_widget())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"given_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class PartyNameMixin(forms.Form):
    """A person named in passing (a source, an intervening party), created with the record."""

    party_name = forms.CharField(label=_("Name"), required=False, max_length=300)

    def party(self) -> PersonInput | None:
        name = (self.cleaned_data.get("party_name") or "").strip()
        return PersonInput(full_name=name) if name else None


class SourceForm(PartyNameMixin):
    party_name = forms.CharField(
        label=_("Who gave the information (optional)"),
        required=False,
        max_length=300,
        help_text=_("Encrypted. Leave empty for an anonymous or documentary source."),
    )
    received_on = forms.DateField(label=_("Date"), required=False, widget=date_widget())
    reliability = TermChoiceField(Vocab.RELIABILITY, label=_("Reliability"), required=False)
    connection = TermChoiceField(
        Vocab.SOURCE_CONNECTION, label=_("Connection to the information"), required=False
    )
    material_type = TermChoiceField(
        Vocab.SOURCE_MATERIAL, label=_("Type of material"), required=False
    )
    language = TermChoiceField(Vocab.LANGUAGE, label=_("Language"), required=False)
    material = forms.CharField(
        label=_("Original material"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Encrypted."),
    )

    def to_input(self) -> SourceInput:
        data = self.cleaned_data
        return SourceInput(
            source_person=self.party(),
            received_on=data.get("received_on"),
            reliability=data.get("reliability"),
            connection=data.get("connection"),
            material_type=data.get("material_type"),
            material=data.get("material") or "",
            language=data.get("language"),
        )


class InterventionForm(PartyNameMixin):
    intervention_type = TermChoiceField(Vocab.INTERVENTION_TYPE, label=_("Type of intervention"))
    intervening_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(is_active=True),
        label=_("Intervening organisation"),
        required=False,
    )
    party_name = forms.CharField(
        label=_("Or another intervening party (name)"),
        required=False,
        max_length=300,
        help_text=_("Encrypted."),
    )
    date = forms.DateField(label=_("Date"), required=False, widget=date_widget())
    status = TermChoiceField(Vocab.INTERVENTION_STATUS, label=_("Status"), required=False)
    result = forms.CharField(
        label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def to_input(self) -> InterventionInput:
        data = self.cleaned_data
        return InterventionInput(
            intervention_type=data["intervention_type"],
            intervening_person=self.party(),
            intervening_organisation=data.get("intervening_organisation"),
            date=data.get("date"),
            status=data.get("status"),
            result=data.get("result") or "",
        )


class ChainLinkForm(forms.Form):
    reference_code = forms.CharField(label=_("Reference code of the related event"), max_length=50)
    chain_type = TermChoiceField(Vocab.CHAIN_TYPE, label=_("How they are related"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.target: Event | None = None

    def clean_reference_code(self) -> str:
        code = str(self.cleaned_data["reference_code"]).strip().upper()
        self.target = access.visible_events(self.user).filter(reference_code=code).first()
        if self.target is None:
            raise ValidationError(_("No event you may see has this reference code."))
        return code


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
