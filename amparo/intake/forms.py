"""The reporter's forms (report, receipt, reply) and the staff's forms for the inbox."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.widgets import ChoiceWidget
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from amparo.cases.models import DatePrecision
from amparo.core.countries import country_choices
from amparo.core.models import Organisation, User
from amparo.core.vocabulary import active_terms
from amparo.core.widgets import PlainSelect
from amparo.intake import conf, queries
from amparo.intake.models import (
    ContactMethod,
    Danger,
    Disposition,
    Status,
    Submission,
    Target,
)
from amparo.intake.services.submissions import ReportInput

Choices = list[tuple[str, Any]]


def _input(kind: str, name: str, value: object, label: object, checked: bool, required: str) -> str:
    state = " checked" if checked else ""
    return (
        f'<label><input type="{kind}" name="{escape(name)}" value="{escape(value)}"'
        f"{state}{required}> {escape(label)}</label>\n"
    )


class _Choices(ChoiceWidget):
    """Options as <label><input> text</label>, rendered in Python; a group of options folds
    into a <details> element named by its <summary>, open when one of its options is chosen.

    The report page has about 100 checkboxes and radio buttons and 250 countries: folded, the
    groups keep it short on a phone, and <details> folds without any script, opens from the
    keyboard (the summary is a button) and follows the page's direction. Without the ids and
    wrappers of Django's widget templates it stays light for slow connections, and rendering it
    here rather than option by option through templates keeps it fast."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        kind = str(self.input_type)
        chosen = {str(item) for item in self.format_value(value)}
        required = " required" if self.is_required and kind == "radio" else ""
        parts: list[str] = []
        for number, (key, label) in enumerate(self.choices):
            if isinstance(label, list | tuple):
                opened = " open" if any(str(option) in chosen for option, _text in label) else ""
                summary = f"{escape(name)}-group-{number}"
                parts.append(
                    f'<details class="group"{opened}><summary id="{summary}">{escape(key)}'
                    f'</summary><div role="group" aria-labelledby="{summary}">'
                )
                for option, text in label:
                    option = str(option)
                    parts.append(_input(kind, name, option, text, option in chosen, required))
                parts.append("</div></details>")
            else:
                parts.append(_input(kind, name, key, label, str(key) in chosen, required))
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class Checkboxes(_Choices, forms.CheckboxSelectMultiple):
    pass


class Radios(_Choices, forms.RadioSelect):
    pass


# Every form shows the same two lists, which change only when an operator reloads the
# vocabularies: each process reads them at most once a minute. (The service checks every code
# against the database, so a term retired meanwhile is still refused.)
VOCABULARY_SECONDS = 60.0
_vocabulary_cache: dict[tuple[str, str], tuple[float, Choices]] = {}


def vocabulary_choices(thesaurus: str, language: str) -> Choices:
    """The active terms of a list, grouped under their top-level term (see _read_choices)."""
    key = (thesaurus, language)
    cached = _vocabulary_cache.get(key)
    now = time.monotonic()
    if cached is None or now - cached[0] > VOCABULARY_SECONDS:
        cached = _vocabulary_cache[key] = (now, _read_choices(thesaurus, language))
    return cached[1]


def forget_vocabularies() -> None:
    _vocabulary_cache.clear()


def _read_choices(thesaurus: str, language: str) -> Choices:
    """A top-level term with narrower terms becomes a group named by the term, whose first
    option is the term itself, under the same name, so that a reporter can tick the general
    case without calling it "other"."""
    label = f"label_{language}" if language in {"fr", "es", "ar"} else "label_en"
    rows = (
        active_terms(thesaurus)
        .order_by("position", "code")
        .values_list("pk", "parent_id", "code", "label_en", label)
    )
    terms = {
        pk: (parent, code, translated or english) for pk, parent, code, english, translated in rows
    }

    def top(pk: int) -> int:
        while (parent := terms[pk][0]) in terms:
            pk = parent
        return pk

    groups: dict[int, list[tuple[str, str]]] = {}
    for pk, (_parent, code, text) in terms.items():
        groups.setdefault(top(pk), []).append((code, text))
    choices: Choices = []
    for pk, options in groups.items():
        if len(options) == 1:
            choices.append(options[0])
            continue
        choices.append((terms[pk][2], [(terms[pk][1], terms[pk][2]), *options[1:]]))
    return choices


def _month_choices() -> Choices:
    return [("", _("Month (if known)")), *((str(n), name) for n, name in MONTHS.items())]


class ReportForm(forms.Form):
    """The guided questions. Every answer but what happened and the two choices is optional."""

    what_happened = forms.CharField(
        label=gettext_lazy("What happened?"),
        help_text=gettext_lazy(
            "In your own words. Include what you think matters; leave out anything that could "
            "put you or others at risk if it were read by the wrong people."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=conf.MAX_TEXT_CHARS,
        error_messages={"required": gettext_lazy("Please tell us what happened.")},
    )
    when_year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=1900,
        max_value=9999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    when_month = forms.TypedChoiceField(
        label=gettext_lazy("Month"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
    )
    when_day = forms.IntegerField(
        label=gettext_lazy("Day"),
        required=False,
        min_value=1,
        max_value=31,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False, widget=PlainSelect)
    region = forms.CharField(
        label=gettext_lazy("Region, town or place"),
        required=False,
        max_length=conf.MAX_SHORT_TEXT_CHARS,
        help_text=gettext_lazy("As precise as you are comfortable with."),
    )
    target = forms.ChoiceField(
        label=gettext_lazy("Who was targeted?"),
        choices=Target.choices,
        widget=Radios,
        error_messages={"required": gettext_lazy("Please choose who was targeted.")},
    )
    victim_name = forms.CharField(
        label=gettext_lazy("Name of the person or organisation targeted (optional)"),
        required=False,
        max_length=conf.MAX_SHORT_TEXT_CHARS,
        help_text=gettext_lazy("You can leave this empty and tell us later."),
    )
    defender_types = forms.MultipleChoiceField(
        label=gettext_lazy("What kind of defender? (tick all that apply)"),
        required=False,
        widget=Checkboxes,
    )
    acts = forms.MultipleChoiceField(
        label=gettext_lazy("What kind of act? (tick all that apply)"),
        required=False,
        widget=Checkboxes,
    )
    perpetrator = forms.CharField(
        label=gettext_lazy("Who did it, if you know?"),
        required=False,
        max_length=conf.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example police, an armed group, a company, or unknown men."),
    )
    danger = forms.ChoiceField(
        label=gettext_lazy("Is someone in immediate danger?"),
        choices=Danger.choices,
        widget=Radios,
        error_messages={"required": gettext_lazy("Please tell us whether anyone is in danger.")},
    )
    danger_details = forms.CharField(
        label=gettext_lazy("If so, what is the danger?"),
        required=False,
        max_length=conf.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_method = forms.ChoiceField(
        label=gettext_lazy("How may we contact you?"),
        choices=ContactMethod.choices,
        initial=ContactMethod.FOLLOW_UP_ONLY,
        widget=Radios,
    )
    contact_details = forms.CharField(
        label=gettext_lazy("Your contact details, if you chose another way"),
        required=False,
        max_length=conf.MAX_SHORT_TEXT_CHARS,
        help_text=gettext_lazy(
            "Only give a number or address that is safe to use. We will never write first "
            "unless you allow it here."
        ),
    )
    consent_partner = forms.BooleanField(
        label=gettext_lazy("a partner organisation that can help"), required=False
    )
    consent_state = forms.BooleanField(
        label=gettext_lazy("the State protection mechanism"), required=False
    )
    consent_international = forms.BooleanField(
        label=gettext_lazy("United Nations or regional human rights mechanisms"), required=False
    )
    consent_publication = forms.BooleanField(
        label=gettext_lazy("We may publish what happened without your name"), required=False
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = (get_language() or "en")[:2]
        self.fields["when_year"].widget.attrs["max"] = timezone.localdate().year
        self.fields["when_month"].choices = _month_choices()  # type: ignore[attr-defined]
        self.fields["country"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a country")),
            *country_choices(language),
        ]
        self.fields["country"].initial = organisation.country
        self.fields["acts"].choices = vocabulary_choices(  # type: ignore[attr-defined]
            queries.ACTS_THESAURUS, language
        )
        self.fields["defender_types"].choices = vocabulary_choices(  # type: ignore[attr-defined]
            queries.DEFENDER_TYPES_THESAURUS, language
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year, month, day = data.get("when_year"), data.get("when_month"), data.get("when_day")
        date, precision = None, DatePrecision.UNKNOWN
        if day is not None and month is None:
            self.add_error("when_day", _("Give the month too, or leave the day empty."))
        elif (month is not None or day is not None) and year is None:
            self.add_error("when_year", _("Give the year too, or leave the date empty."))
        elif year is not None:
            precision = (
                DatePrecision.DAY
                if day is not None
                else DatePrecision.MONTH
                if month is not None
                else DatePrecision.YEAR
            )
            try:
                date = datetime.date(year, month or 1, day or 1)
            except ValueError:
                self.add_error("when_day", _("This day does not exist in that month."))
                date, precision = None, DatePrecision.UNKNOWN
            else:
                if date > timezone.localdate():
                    self.add_error("when_year", _("This date is in the future."))
        data["incident_date"], data["incident_date_precision"] = date, precision
        method = data.get("contact_method")
        if method and method != ContactMethod.FOLLOW_UP_ONLY and not data.get("contact_details"):
            self.add_error(
                "contact_details", _("Tell us how to reach you, or choose the follow-up page.")
            )
        return data

    def to_input(self, language: str) -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            what_happened=data["what_happened"],
            danger=data["danger"],
            target=data["target"],
            language=language,
            incident_date=data["incident_date"],
            incident_date_precision=data["incident_date_precision"],
            country=data["country"],
            region=data["region"],
            victim_name=data["victim_name"],
            defender_types=data["defender_types"],
            acts=data["acts"],
            perpetrator=data["perpetrator"],
            danger_details=data["danger_details"],
            contact_method=data["contact_method"] or ContactMethod.FOLLOW_UP_ONLY,
            contact_details=data["contact_details"],
            consent_partner=data["consent_partner"],
            consent_state=data["consent_state"],
            consent_international=data["consent_international"],
            consent_publication=data["consent_publication"],
        )

    # Where each key of the service's ValidationError is shown on this form.
    SERVICE_FIELDS = {"incident_date": "when_year", "incident_date_precision": "when_year"}

    def add_service_errors(self, error: ValidationError) -> None:
        for key, messages in error.message_dict.items():
            name = self.SERVICE_FIELDS.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=gettext_lazy("Your receipt"),
        max_length=64,
        help_text=gettext_lazy(
            "The 20 letters and numbers you were given, with or without dashes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": gettext_lazy("Enter your receipt.")},
    )


class ReporterReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        required=False,
        max_length=conf.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


# --- Staff --------------------------------------------------------------------------------------


class StaffMessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=conf.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody"),
    )

    def __init__(self, *args: Any, handlers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = handlers  # type: ignore[attr-defined]
        field.label_from_instance = lambda user: user.get_full_name() or user.username  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Status.choices)


class MarkForm(forms.Form):
    disposition = forms.ChoiceField(
        label=gettext_lazy("Mark as"), choices=Disposition.choices, required=False
    )
    duplicate_of = forms.ModelChoiceField(
        label=gettext_lazy("Duplicate of"),
        queryset=Submission.objects.none(),
        required=False,
        to_field_name="id",
    )

    def __init__(self, *args: Any, candidates: QuerySet[Submission], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["duplicate_of"]
        field.queryset = candidates  # type: ignore[attr-defined]
        field.label_from_instance = lambda s: f"{s.reference} · {s.received_on.isoformat()}"  # type: ignore[attr-defined]


class CommunicationForm(forms.Form):
    sent = forms.BooleanField(
        label=gettext_lazy("A communication or appeal was sent on this report"), required=False
    )


class OpenCaseForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation that will own the case"),
        queryset=Organisation.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
