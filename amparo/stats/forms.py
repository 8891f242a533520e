"""Forms of the statistics pages: what to count, laws, and the report's choices.

The cross-tab form is read from the query string: it holds dimension keys and codes only, never
a name, so nothing identifying lands in a URL.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from amparo.analysis.dimensions import catalogue
from amparo.cases.models import Vocab
from amparo.core.countries import country_choices
from amparo.core.models import Organisation, Term
from amparo.stats import catalogue as stats_catalogue
from amparo.stats.models import LegalMeasure, LegalProvision
from amparo.stats.services.tables import DIMENSION_CHOICES, TableParameters, language_of

MIN_YEAR = 1950

if TYPE_CHECKING:
    _LawModelForm = forms.ModelForm[LegalMeasure]
    _ProvisionModelForm = forms.ModelForm[LegalProvision]
else:
    _LawModelForm = forms.ModelForm
    _ProvisionModelForm = forms.ModelForm


def _choose(form: forms.Form, name: str, choices: Any) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def _language() -> str:
    return language_of(get_language())


def dimension_choices(blank: str | None = None) -> list[tuple[str, str]]:
    book = catalogue()
    choices = [(key, book.dimensions[key].label(_language())) for key in DIMENSION_CHOICES]
    return ([("", blank)] if blank is not None else []) + choices


def term_choices(thesauri: tuple[str, ...], blank: str) -> list[tuple[str, str]]:
    """The terms of these vocabularies, narrower ones indented under their broader one."""
    terms = Term.objects.filter(thesaurus__code__in=thesauri, active=True)
    ordered = sorted(terms, key=lambda t: (thesauri.index(t.thesaurus.code), t.position))
    return [("", blank)] + [(t.code, "— " * t.depth + t.label()) for t in ordered]


def countries(blank: str) -> list[tuple[str, str]]:
    return [("", blank), *country_choices(_language())]


class CrossTabForm(forms.Form):
    rows = forms.ChoiceField(label=_("Rows"), initial="country")
    rows_2 = forms.ChoiceField(label=_("Then by"), required=False)
    columns = forms.ChoiceField(label=_("Columns"), required=False)
    measure = forms.ChoiceField(label=_("Count"), initial="acts")
    country = forms.ChoiceField(label=_("Country"), required=False)
    type_of_act = forms.ChoiceField(label=_("Type of act"), required=False)
    defender_type = forms.ChoiceField(label=_("Type of defender"), required=False)
    perpetrator_type = forms.ChoiceField(label=_("Type of perpetrator"), required=False)
    sex = forms.ChoiceField(label=_("Sex / gender"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    verified_only = forms.BooleanField(label=_("Verified events only"), required=False)

    FILTERS = ("country", "type_of_act", "defender_type", "perpetrator_type", "sex")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        book = catalogue()
        every = str(_("(all)"))
        _choose(self, "rows", dimension_choices())
        _choose(self, "rows_2", dimension_choices(str(_("(nothing more)"))))
        _choose(self, "columns", dimension_choices(str(_("(no columns)"))))
        _choose(
            self,
            "measure",
            [(key, measure.label(_language())) for key, measure in book.measures.items()],
        )
        _choose(self, "country", countries(every))
        _choose(self, "type_of_act", term_choices(Vocab.TYPE_OF_ACT, every))
        _choose(self, "defender_type", term_choices(Vocab.DEFENDER_TYPE, every))
        _choose(self, "perpetrator_type", term_choices(Vocab.PERPETRATOR_TYPE, every))
        _choose(self, "sex", term_choices(Vocab.SEX, every))

    def parameters(self) -> TableParameters:
        data = self.cleaned_data
        return TableParameters(
            rows=[data["rows"], data.get("rows_2") or ""],
            columns=[data.get("columns") or ""],
            measure=data["measure"],
            filters={key: [data[key]] for key in self.FILTERS if data.get(key)},
            start=data.get("start"),
            end=data.get("end"),
            verified_only=bool(data.get("verified_only")),
        )


def _year_field(label: StrOrPromise, required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=required, min_value=MIN_YEAR, max_value=timezone.localdate().year
    )


class PeriodForm(forms.Form):
    """The dashboard's and the SDG page's choice: a country (or all) and a span of years."""

    country = forms.ChoiceField(label=_("Country"), required=False)
    first_year = _year_field(_("From the year"))
    last_year = _year_field(_("To the year"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "country", countries(str(_("(all)"))))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_year"), data.get("last_year")
        if first and last and last < first:
            self.add_error("last_year", _("The period ends before it starts."))
        return data


class ReportForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    year = _year_field(_("Year"), required=True)
    language = forms.ChoiceField(
        label=_("Language of the report"),
        choices=[("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "country", countries(str(_("Choose a country"))))
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["language"].initial = _language()


class LawForm(_LawModelForm):
    class Meta:
        model = LegalMeasure
        fields = (
            "country",
            "title",
            "kind",
            "stage",
            "introduced_on",
            "adopted_on",
            "stage_date",
            "summary",
            "source",
        )
        widgets = {
            "introduced_on": forms.DateInput(attrs={"type": "date"}),
            "adopted_on": forms.DateInput(attrs={"type": "date"}),
            "stage_date": forms.DateInput(attrs={"type": "date"}),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "source": forms.Textarea(attrs={"rows": 2}),
        }

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Recorded by")
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"] = forms.ChoiceField(
            label=_("Country"), choices=countries(str(_("Choose a country")))
        )
        self.fields["kind"] = forms.ChoiceField(
            label=_("Type of measure"),
            choices=[(k.key, k.label()) for k in stats_catalogue.law_kinds().values()],
        )
        if organisations is None:
            del self.fields["organisation"]
        else:
            cast(
                forms.ModelChoiceField[Organisation], self.fields["organisation"]
            ).queryset = organisations
            if organisations.count() == 1:
                self.fields["organisation"].initial = organisations.first()


class ProvisionForm(_ProvisionModelForm):
    class Meta:
        model = LegalProvision
        fields = ("reference", "concern")
        widgets = {"concern": forms.Textarea(attrs={"rows": 3})}


class LawUseEventForm(forms.Form):
    """First step of naming the law an act used: which event."""

    reference_code = forms.CharField(label=_("Reference code of the event"), max_length=50)


class LawUseForm(forms.Form):
    act = forms.ChoiceField(label=_("Act"))
    provision = forms.ChoiceField(label=_("Provision used"), required=False)

    def __init__(
        self,
        *args: Any,
        acts: list[tuple[str, str]],
        provisions: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "act", acts)
        _choose(self, "provision", [("", str(_("(not known)"))), *provisions])


def default_years() -> tuple[int, int]:
    today = datetime.date.today()
    return today.year - 5, today.year
