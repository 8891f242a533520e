"""Forms of the response pages: they parse input; the rules are the services' and access's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.models import Organisation
from amparo.response.models import Action, Communication


class DateInput(forms.DateInput):
    input_type = "date"


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Action.Kind.choices)
    responsible_organisation = forms.ModelChoiceField(
        label=_("Organisation responsible"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
    )
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
    outcome = forms.CharField(
        label=_("Outcome"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class CommunicationForm(forms.Form):
    mechanism = forms.ChoiceField(label=_("Mechanism"), choices=Communication.Mechanism.choices)
    sent_by = forms.ModelChoiceField(
        label=_("Sent by"), queryset=Organisation.objects.filter(is_active=True).order_by("name")
    )
    sent_on = forms.DateField(label=_("Sent on"), widget=DateInput)
    summary = forms.CharField(
        label=_("What was sent"),
        max_length=300,
        help_text=_("E.g. urgent appeal to the Special Rapporteur. No names."),
    )
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput)
