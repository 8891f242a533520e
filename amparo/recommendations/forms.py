"""Forms of the recommendations pages: they parse what a person typed into the services' input;
the rules themselves are the services' and access's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amparo.cases.forms import country_choices, date_widget
from amparo.core.models import Term
from amparo.core.widgets import PlainSelect
from amparo.recommendations.models import (
    LANGUAGES,
    Action,
    AffectedGroup,
    ImplementationStatus,
    Indicator,
    Instrument,
    Mechanism,
    Ratification,
    Recommendation,
    Review,
    SdgTarget,
    Theme,
    ThemeLabel,
)
from amparo.recommendations.queries import RecommendationFilters
from amparo.recommendations.services import (
    ActionInput,
    IndicatorInput,
    ProgressInput,
    RecommendationInput,
)

LANGUAGE_NAMES = {"en": _("English"), "fr": _("French"), "es": _("Spanish"), "ar": _("Arabic")}


if TYPE_CHECKING:
    _ChoiceField = forms.ModelChoiceField[Any]
    _MultipleChoiceField = forms.ModelMultipleChoiceField[Any]
else:  # the field classes are generic for the type checker only
    _ChoiceField = forms.ModelChoiceField
    _MultipleChoiceField = forms.ModelMultipleChoiceField


class LabelledChoiceField(_ChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


class LabelledMultipleChoiceField(_MultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


def mechanisms() -> QuerySet[Mechanism]:
    return Mechanism.objects.filter(active=True)


def themes() -> QuerySet[Theme]:
    return Theme.objects.filter(active=True)


def blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    mechanism = LabelledChoiceField(queryset=mechanisms(), required=False, label=_("Mechanism"))
    theme = LabelledChoiceField(queryset=themes(), required=False, label=_("Theme"))
    state = forms.ChoiceField(
        label=_("State"), choices=country_choices, required=False, widget=PlainSelect
    )
    position = forms.ChoiceField(
        label=_("Position"), choices=blank(Recommendation.Position.choices), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=blank(ImplementationStatus.choices), required=False
    )
    sdg = LabelledChoiceField(
        queryset=SdgTarget.objects.filter(active=True), required=False, label=_("SDG")
    )
    contested = forms.BooleanField(label=_("Contested reports only"), required=False)

    def filters(self) -> RecommendationFilters:
        if not self.is_bound or not self.is_valid():
            return RecommendationFilters()
        data = self.cleaned_data
        return RecommendationFilters(
            q=data.get("q") or "",
            mechanism=data.get("mechanism"),
            theme=data.get("theme"),
            state=data.get("state") or "",
            position=data.get("position") or "",
            status=data.get("status") or "",
            sdg=data.get("sdg"),
            contested=bool(data.get("contested")),
        )


class RecommendationForm(forms.Form):
    mechanism = LabelledChoiceField(queryset=mechanisms(), label=_("Mechanism"))
    state = forms.ChoiceField(
        label=_("State under review"), choices=country_choices, widget=PlainSelect
    )
    recommending_state = forms.ChoiceField(
        label=_("Recommending State (UPR)"),
        choices=country_choices,
        required=False,
        widget=PlainSelect,
    )
    session = forms.CharField(label=_("Cycle or session"), required=False, max_length=100)
    document_symbol = forms.CharField(label=_("Document symbol"), required=False, max_length=100)
    paragraph = forms.CharField(label=_("Paragraph"), required=False, max_length=30)
    annotation_id = forms.CharField(label=_("Annotation id"), required=False, max_length=100)
    date = forms.DateField(label=_("Date"), required=False, widget=date_widget())
    language = forms.ChoiceField(
        label=_("Language of the text"), choices=list(LANGUAGE_NAMES.items())
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    text_en = forms.CharField(
        label=_("Translation into English"), required=False, widget=forms.Textarea({"rows": 3})
    )
    text_fr = forms.CharField(
        label=_("Translation into French"), required=False, widget=forms.Textarea({"rows": 3})
    )
    text_es = forms.CharField(
        label=_("Translation into Spanish"), required=False, widget=forms.Textarea({"rows": 3})
    )
    text_ar = forms.CharField(
        label=_("Translation into Arabic"),
        required=False,
        widget=forms.Textarea({"rows": 3, "dir": "rtl", "lang": "ar"}),
    )
    position = forms.ChoiceField(
        label=_("Position of the State"),
        choices=blank(Recommendation.Position.choices),
        required=False,
    )
    state_response = forms.CharField(
        label=_("Response of the State"), required=False, widget=forms.Textarea({"rows": 3})
    )
    themes = LabelledMultipleChoiceField(
        queryset=themes(), required=False, label=_("Themes"), widget=forms.SelectMultiple
    )
    affected_groups = LabelledMultipleChoiceField(
        queryset=AffectedGroup.objects.filter(active=True),
        required=False,
        label=_("Affected persons"),
    )
    sdgs = LabelledMultipleChoiceField(
        queryset=SdgTarget.objects.filter(active=True),
        required=False,
        label=_("SDG goals and targets"),
    )

    @classmethod
    def initial_from(cls, recommendation: Recommendation) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(recommendation, name)
            for name in (
                "mechanism",
                "state",
                "recommending_state",
                "session",
                "document_symbol",
                "paragraph",
                "annotation_id",
                "date",
                "language",
                "text",
                "position",
                "state_response",
            )
        }
        for translation in recommendation.translations.all():
            initial[f"text_{translation.language}"] = translation.text
        initial["themes"] = [
            label.theme
            for label in recommendation.theme_labels.all()
            if label.status == ThemeLabel.Status.CONFIRMED
        ]
        initial["affected_groups"] = list(recommendation.affected_groups.all())
        initial["sdgs"] = list(recommendation.sdgs.all())
        return initial

    def to_input(self) -> RecommendationInput:
        data = self.cleaned_data
        language = data["language"]
        return RecommendationInput(
            mechanism=data["mechanism"],
            state=data["state"],
            text=data["text"],
            language=language,
            session=data.get("session") or "",
            document_symbol=data.get("document_symbol") or "",
            paragraph=data.get("paragraph") or "",
            annotation_id=data.get("annotation_id") or "",
            recommending_state=data.get("recommending_state") or "",
            date=data.get("date"),
            position=data.get("position") or "",
            state_response=data.get("state_response") or "",
            themes=list(data.get("themes") or []),
            affected_groups=list(data.get("affected_groups") or []),
            sdgs=list(data.get("sdgs") or []),
            translations={
                other: data.get(f"text_{other}") or "" for other in LANGUAGES if other != language
            },
        )


class RespondForm(forms.Form):
    position = forms.ChoiceField(
        label=_("Position of the State"),
        choices=blank(Recommendation.Position.choices),
        required=False,
    )
    state_response = forms.CharField(
        label=_("Response of the State"), required=False, widget=forms.Textarea({"rows": 3})
    )


class ThemeForm(forms.Form):
    theme = LabelledChoiceField(queryset=themes(), label=_("Theme"))


class ActionForm(forms.Form):
    measure = forms.CharField(label=_("Measure"), widget=forms.Textarea({"rows": 2}))
    responsible_agency = forms.CharField(label=_("Responsible agency"), max_length=200)
    start_date = forms.DateField(label=_("Start"), required=False, widget=date_widget())
    end_date = forms.DateField(label=_("End"), required=False, widget=date_widget())
    budget_note = forms.CharField(
        label=_("Budget"), required=False, widget=forms.Textarea({"rows": 2})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)

    def to_input(self) -> ActionInput:
        return ActionInput(**self.cleaned_data)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)


class IndicatorForm(forms.Form):
    description = forms.CharField(label=_("Indicator"), max_length=300)
    baseline = forms.CharField(label=_("Baseline"), required=False, max_length=200)
    target = forms.CharField(label=_("Target"), max_length=200)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Indicator.Frequency.choices)
    next_due = forms.DateField(label=_("First value due"), required=False, widget=date_widget())

    def to_input(self) -> IndicatorInput:
        return IndicatorInput(**self.cleaned_data)


class IndicatorValueForm(forms.Form):
    value = forms.CharField(label=_("Value"), max_length=200)
    measured_on = forms.DateField(label=_("Measured on"), widget=date_widget())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


class ProgressForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=date_widget())
    period_end = forms.DateField(label=_("Until"), widget=date_widget())
    status = forms.ChoiceField(label=_("Status"), choices=ImplementationStatus.choices)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea({"rows": 4}))

    def to_input(self) -> ProgressInput:
        return ProgressInput(**self.cleaned_data)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Your verdict"), choices=Review.Verdict.choices, widget=forms.RadioSelect
    )
    assessed_status = forms.ChoiceField(
        label=_("Status in your assessment"),
        choices=blank(ImplementationStatus.choices),
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Required when you contest the report."),
    )


class CaseLinkForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), choices=country_choices, widget=PlainSelect)
    types_of_act = LabelledMultipleChoiceField(
        queryset=Term.objects.filter(thesaurus__code="hrd_violations", active=True),
        label=_("Types of act"),
    )
    period_start = forms.DateField(label=_("From"), required=False, widget=date_widget())
    period_end = forms.DateField(label=_("Until"), required=False, widget=date_widget())
    note = forms.CharField(label=_("Why"), required=False, max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A UHRI export, a UPR Info style CSV, or Amparo's template (CSV or XLSX)."),
    )
    dry_run = forms.BooleanField(label=_("Check only, import nothing"), required=False)


class RatificationForm(forms.Form):
    instrument = LabelledChoiceField(
        queryset=Instrument.objects.filter(active=True), label=_("Instrument")
    )
    status = forms.ChoiceField(label=_("Status"), choices=Ratification.Status.choices)
    date = forms.DateField(label=_("Date"), required=False, widget=date_widget())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class RatificationImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or XLSX with the columns state, instrument, status, date, note."),
    )
    dry_run = forms.BooleanField(label=_("Check only, import nothing"), required=False)
