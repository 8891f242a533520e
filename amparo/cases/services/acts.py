"""Writing an event's acts and their involvements."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from amparo.cases import access
from amparo.cases.models import (
    Act,
    Event,
    Involvement,
    Person,
    VersionAction,
    Vocab,
    validate_terms,
)
from amparo.cases.services.changes import EventChange, changing, check_expected_version, clean
from amparo.cases.services.inputs import ActInput, InvolvementInput
from amparo.cases.services.persons import PersonWriter
from amparo.core.audit_actions import AuditAction
from amparo.core.models import User


def write_acts(
    event: Event, acts: Sequence[ActInput], persons: PersonWriter, *, replace: bool
) -> None:
    """Write the event's acts: with `replace`, those with an id are changed, those without
    are new and those left out are deleted."""
    existing = {a.pk: a for a in Act.objects.filter(event=event)} if replace else {}
    kept: set[int] = set()
    for index, data in enumerate(acts):
        key = f"acts.{index}"
        act = None
        if data.id is not None:
            act = existing.get(data.id)
            if act is None:
                raise ValidationError({key: _("This act does not belong to the event.")})
        kept.add(write_act(event, data, persons, key, act).pk)
    if replace:
        Act.objects.filter(event=event).exclude(pk__in=kept).delete()


ACT_TERMS = ("type_of_act", "method", "targeted_activity")
INVOLVEMENT_TERMS = ("perpetrator_type", "degree_of_involvement")


def build_act(
    act: Act, data: ActInput, victim: Person, key: str, *, check_links: bool = True
) -> Act:
    """Give `act` the values of `data` and check them (not saved). Without `check_links`, its
    victim and terms are not looked up again (they were built or resolved by the caller)."""
    act.victim = victim
    for name in (
        "type_of_act",
        "method",
        "date",
        "date_precision",
        "targeted_activity",
        "country",
        "region",
        "locality",
    ):
        setattr(act, name, getattr(data, name))
    act.country, act.region = act.country.upper(), act.region.upper()
    if data.remarks is not None:
        act.remarks = data.remarks.strip()
    elif act.pk is None:
        act.remarks = ""
    exclude = ["event"] if check_links else ["event", "victim", *ACT_TERMS]
    clean(act, f"{key}.", exclude=exclude)
    validate_terms(data.consequences, Vocab.CONSEQUENCE, f"{key}.consequences")
    return act


def build_involvement(
    involvement: Involvement,
    data: InvolvementInput,
    perpetrator: Person | None,
    key: str,
    *,
    check_links: bool = True,
) -> Involvement:
    involvement.perpetrator = perpetrator
    involvement.perpetrator_type = data.perpetrator_type
    involvement.degree_of_involvement = data.degree_of_involvement
    exclude = ["act"] if check_links else ["act", "perpetrator", *INVOLVEMENT_TERMS]
    clean(involvement, f"{key}.", exclude=exclude)
    return involvement


def write_act(
    event: Event, data: ActInput, persons: PersonWriter, key: str, act: Act | None = None
) -> Act:
    """Write one act (`act`: the one it changes, else a new one) with its involvements."""
    victim = persons.save(data.victim, f"{key}.victim")
    act = build_act(act or Act(event=event), data, victim, key)
    act.save()
    act.consequences.set(data.consequences)
    write_involvements(act, data.involvements, persons, key)
    return act


def write_involvements(
    act: Act, involvements: Sequence[InvolvementInput], persons: PersonWriter, key: str
) -> None:
    existing = {i.pk: i for i in Involvement.objects.filter(act=act)}
    kept: set[int] = set()
    for index, data in enumerate(involvements):
        item_key = f"{key}.involvements.{index}"
        if data.id is not None:
            involvement = existing.get(data.id)
            if involvement is None:
                raise ValidationError({item_key: _("This involvement does not belong to the act.")})
            kept.add(involvement.pk)
        else:
            involvement = Involvement(act=act)
        perpetrator = (
            None
            if data.perpetrator is None
            else persons.save(data.perpetrator, f"{item_key}.perpetrator")
        )
        build_involvement(involvement, data, perpetrator, item_key)
        involvement.save()
        kept.add(involvement.pk)
    Involvement.objects.filter(act=act).exclude(pk__in=kept).delete()


def add_act(
    actor: User, event: Event, data: ActInput, *, expected_version: int | None = None
) -> Act:
    """Add one act to the event, leaving its other acts as they are. Errors are keyed "act.…"."""
    with changing(actor, event, VersionAction.ADD_ACT, AuditAction.EVENT_ADD_ACT) as change:
        act = _write_one(actor, change, data, expected_version, None)
        change.audit_changes = {"act": act.pk}
    return act


def change_act(
    actor: User, act: Act, data: ActInput, *, expected_version: int | None = None
) -> Act:
    """Change one act of its event (its involvements become `data.involvements`); encrypted
    remarks left None stay as they are."""
    with changing(
        actor, act.event, VersionAction.CHANGE_ACT, AuditAction.EVENT_CHANGE_ACT
    ) as change:
        current = Act.objects.get(pk=act.pk, event=change.event)
        act = _write_one(actor, change, data, expected_version, current)
        change.audit_changes = {"act": act.pk}
    return act


def _write_one(
    actor: User, change: EventChange, data: ActInput, expected_version: int | None, act: Act | None
) -> Act:
    event = change.event
    check_expected_version(event, expected_version)
    event.updated_by = actor
    event.save()
    persons = PersonWriter(actor, event.organisation, access.PersonPresenter(actor), change.shared)
    return write_act(event, data, persons, "act", act)
