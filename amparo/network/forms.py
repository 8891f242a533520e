"""Forms of the network pages. They parse input into the services' inputs; the rules are the
services' and access's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.core import countries
from amparo.core.models import Organisation, User
from amparo.core.widgets import PlainSelect
from amparo.network import rules
from amparo.network.models import (
    Accreditation,
    Commitment,
    DelegateOrganisation,
    Member,
    Outcome,
    Part,
    ProgressReport,
    SteeringMember,
)

MAX_INDICATORS_ON_FORM = 5


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def country_choices() -> list[tuple[str, str]]:
    named = countries.country_choices((get_language() or "en")[:2])
    return [("", "—"), *((code, f"{name} ({code})") for code, name in named)]


def _limit_parts(form: forms.Form, parts: frozenset[str]) -> None:
    field = form.fields["part"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [(value, label) for value, label in Part.choices if value in parts]


def _labelled_choices(labelled: dict[str, rules.Labels]) -> list[tuple[str, str]]:
    return [(key, labels.text()) for key, labels in labelled.items()]


class ProposeForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), choices=country_choices, widget=PlainSelect)
    reason = forms.CharField(
        label=_("Why this State"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The commitment it has shown to the protection of defenders."),
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}))


class InvitationForm(TransitionForm):
    letter_text = forms.CharField(
        label=_("Invitation letter"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Edit the draft, or upload the signed letter instead."),
    )
    letter_file = forms.FileField(
        label=_("Or the signed letter (PDF or plain text)"), required=False
    )


class OrganisationForm(forms.Form):
    part = forms.ChoiceField(label=_("Part of the delegation"), choices=Part.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation = forms.ModelChoiceField(
        label=_("Organisation in Amparo (its staff act for this part)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    accreditation = forms.ChoiceField(
        label=_("GANHRI accreditation (NHRI only)"),
        choices=[("", "—"), *Accreditation.choices],
        required=False,
    )
    accredited_on = forms.DateField(label=_("Accredited on"), required=False, widget=date_widget())

    def __init__(self, *args: Any, parts: frozenset[str], may_link: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_parts(self, parts)
        if may_link:
            linked = self.fields["organisation"]
            assert isinstance(linked, forms.ModelChoiceField)
            linked.queryset = Organisation.objects.filter(
                is_active=True,
                kind__in=[Organisation.Kind.STATE, Organisation.Kind.NHRI, Organisation.Kind.CSO],
            )
        else:
            del self.fields["organisation"]


class AccreditationForm(forms.Form):
    accreditation = forms.ChoiceField(label=_("Accreditation"), choices=Accreditation.choices)
    accredited_on = forms.DateField(label=_("Accredited on"), required=False, widget=date_widget())


class ContactForm(forms.Form):
    part = forms.ChoiceField(label=_("Part of the delegation"), choices=Part.choices)
    delegate_organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=DelegateOrganisation.objects.none(), required=False
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    function = forms.CharField(label=_("Function"), max_length=200, required=False)
    responsibilities = forms.CharField(
        label=_("Contact for"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What to contact this person about."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=60, required=False)
    listed_publicly = forms.BooleanField(
        label=_("May be listed on the public page (name and function only)"), required=False
    )

    def __init__(self, *args: Any, member: Member, parts: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_parts(self, parts)
        field = self.fields["delegate_organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = DelegateOrganisation.objects.filter(member=member, part__in=parts)


class PublicationForm(forms.Form):
    published = forms.MultipleChoiceField(
        label=_("Published on the public page"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["published"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _labelled_choices(rules.publication_fields())


class CommitmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    title = forms.CharField(label=_("Commitment"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    pledged_on = forms.DateField(label=_("Pledged on"), required=False, widget=date_widget())
    due_on = forms.DateField(label=_("Due on"), widget=date_widget())
    publish = forms.BooleanField(label=_("Publish it now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _labelled_choices(rules.commitment_kinds())
        for index in range(MAX_INDICATORS_ON_FORM):
            self.fields[f"indicator_{index}"] = forms.CharField(
                label=_("Indicator %(number)d") % {"number": index + 1},
                max_length=300,
                required=False,
            )
            self.fields[f"target_{index}"] = forms.CharField(
                label=_("Target"), max_length=200, required=False
            )

    def main_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in ("kind", "title", "description", "pledged_on", "due_on", "publish")
        ]

    def indicator_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"indicator_{index}"], self[f"target_{index}"])
            for index in range(MAX_INDICATORS_ON_FORM)
        ]


class CloseCommitmentForm(forms.Form):
    state = forms.ChoiceField(
        label=_("The commitment was"),
        choices=[
            (Commitment.State.FULFILLED, Commitment.State.FULFILLED.label),
            (Commitment.State.WITHDRAWN, Commitment.State.WITHDRAWN.label),
        ],
    )
    closed_on = forms.DateField(label=_("Date"), required=False, widget=date_widget())


class ProgressForm(forms.Form):
    assessment = forms.ChoiceField(
        label=_("Where it stands"), choices=ProgressReport.Assessment.choices
    )
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))


class RecommendationForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 6}))


class TermForm(forms.Form):
    starts_on = forms.DateField(label=_("Starts on"), widget=date_widget())
    ends_on = forms.DateField(label=_("Ends on"), widget=date_widget())
    members = forms.ModelMultipleChoiceField(
        label=_("Co-chairs"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: QuerySet[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = members


class SteeringForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    mandate = forms.CharField(label=_("Mandate"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=SteeringMember.Kind.choices)
    starts_on = forms.DateField(label=_("Since"), widget=date_widget())
    username = forms.CharField(
        label=_("Account (username), to act as the steering group"),
        max_length=150,
        required=False,
    )

    def clean_username(self) -> User | None:
        username = self.cleaned_data.get("username", "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this username."))
        return user


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"))
    held_on = forms.DateField(label=_("Date"), widget=date_widget())
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Delegations taking part"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    steering_members = forms.ModelMultipleChoiceField(
        label=_("Steering group members taking part"),
        queryset=SteeringMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_participants = forms.CharField(
        label=_("Other participants"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from amparo.network.models import PARTICIPATING_STATUSES, Meeting

        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = Meeting.Kind.choices
        members = self.fields["members"]
        assert isinstance(members, forms.ModelMultipleChoiceField)
        members.queryset = Member.objects.filter(status__in=PARTICIPATING_STATUSES)
        steering = self.fields["steering_members"]
        assert isinstance(steering, forms.ModelMultipleChoiceField)
        steering.queryset = SteeringMember.objects.filter(ends_on__isnull=True)


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    member = forms.ModelChoiceField(
        label=_("For the delegation of"), queryset=Member.objects.none(), required=False
    )
    owner = forms.CharField(label=_("Who"), max_length=200, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=date_widget())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from amparo.network.models import PARTICIPATING_STATUSES

        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Member.objects.filter(status__in=PARTICIPATING_STATUSES)
