"""Forms of the warning pages: they parse input; the rules are the services' and access's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.warning.models import Level, Subscription


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What your organisation is doing about it. Do not write names here."),
    )


class OverrideForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    reason = forms.CharField(
        label=_("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the level should differ from the one computed from the facts."),
    )


def _terms(thesaurus: str) -> list[tuple[str, str]]:
    from amparo.core.models import Term

    return [
        (term.code, term.label())
        for term in Term.objects.filter(thesaurus__code=thesaurus).order_by("position", "code")
    ]


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For you; no names."))
    target = forms.ChoiceField(label=_("On"), choices=Subscription.Target.choices)
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        help_text=_("Two-letter codes separated by commas (e.g. KE, UG); empty: all."),
    )
    min_level = forms.ChoiceField(
        label=_("Alerts from level"), choices=Level.choices, initial=Level.HIGH
    )
    acts = forms.MultipleChoiceField(label=_("Types of act (cases)"), required=False)
    defender_types = forms.MultipleChoiceField(label=_("Types of defender"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acts"].choices = _terms("hrd_violations")  # type: ignore[attr-defined]
        self.fields["defender_types"].choices = _terms("defender_types")  # type: ignore[attr-defined]

    def country_codes(self) -> list[str]:
        return [c.strip().upper() for c in self.cleaned_data["countries"].split(",") if c.strip()]
