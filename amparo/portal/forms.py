"""The editors' forms: which records or which table a publication holds, and its public text."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amparo.analysis.dimensions import catalogue
from amparo.core.countries import country_name
from amparo.core.models import Organisation
from amparo.portal import whitelist
from amparo.stats.services.tables import TableParameters, language_of


class PublicationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Published by")
    )
    title = forms.CharField(label=_("Public title"), max_length=200)
    summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the portal as written: name no one here."),
    )

    language = forms.ChoiceField(label=_("Written in"), initial="en", required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField[Organisation], self.fields["organisation"])
        field.queryset = organisations
        if organisations.count() == 1:
            field.initial = organisations.first()
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            (code, str(name)) for code, name in settings.LANGUAGES
        ]
        # A translation of the title and summary in each language (all optional: a page in a
        # language without one shows the original, marked as such).
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title in %(language)s") % {"language": name},
                max_length=200,
                required=False,
            )
            self.fields[f"summary_{code}"] = forms.CharField(
                label=_("Summary in %(language)s") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def written_in(self) -> str:
        return str(self.cleaned_data.get("language") or "en")

    def translations(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            code: {"title": data[f"title_{code}"], "summary": data[f"summary_{code}"]}
            for code, _name in settings.LANGUAGES
            if code != self.written_in()
        }


class EventsPublicationForm(PublicationForm):
    reference_codes = forms.CharField(
        label=_("Events"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Their reference codes, one per line. Only verified events can be published."),
    )

    def codes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["reference_codes"].splitlines()]


class StatisticsPublicationForm(PublicationForm):
    rows = forms.ChoiceField(label=_("Rows"))
    columns = forms.ChoiceField(label=_("Columns"), required=False)
    measure = forms.ChoiceField(label=_("Count"))
    verified_only = forms.BooleanField(
        label=_("Verified events only"), required=False, initial=True
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        book = catalogue()
        rules = whitelist.load()
        language = language_of(language)
        dimensions = [(key, book.dimensions[key].label(language)) for key in rules.dimensions]
        cast(forms.ChoiceField, self.fields["rows"]).choices = dimensions
        cast(forms.ChoiceField, self.fields["columns"]).choices = [("", "—"), *dimensions]
        cast(forms.ChoiceField, self.fields["measure"]).choices = [
            (key, book.measures[key].label(language))
            for key in book.measures
            if key in rules.measures
        ]

    def parameters(self) -> TableParameters:
        data = self.cleaned_data
        return TableParameters(
            rows=(data["rows"],),
            columns=(data["columns"],) if data["columns"] else (),
            measure=data["measure"],
            verified_only=data["verified_only"],
        )


class RecommendationsPublicationForm(PublicationForm):
    state = forms.ChoiceField(label=_("State under review"))
    mechanism = forms.ChoiceField(
        label=_("Mechanism"),
        required=False,
        help_text=_(
            "All its recommendations, with their implementation status and your own assessments."
        ),
    )

    def __init__(
        self,
        *args: Any,
        language: str,
        states: list[str],
        mechanisms: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        named: list[tuple[str, str]] = [(code, country_name(code, language)) for code in states]
        named.sort(key=lambda c: c[1])
        cast(forms.ChoiceField, self.fields["state"]).choices = named
        cast(forms.ChoiceField, self.fields["mechanism"]).choices = [
            ("", _("All mechanisms")),
            *mechanisms,
        ]
