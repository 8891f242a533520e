"""Every change to a publication: made, submitted, approved by a second person, withdrawn.

Each transition checks `access`, refuses an illegal one with a message for people, writes in
one transaction and leaves an audit entry. While a publication is live it has `PublicItem`
rows (what the public list filters and searches); any transition out of live deletes them in
the same transaction, so nothing public outlives the decision.

Drafts are sealed (issue 16, `Publication`): making one needs the keys of the names it would
hold, approving one the key of its draft; a withdrawal never needs a key (`_take_down`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.analysis.crosstab import QueryError
from amparo.analysis.dimensions import LANGUAGES
from amparo.cases import services as cases_services
from amparo.cases.models import DisclosureChannel, Event, Person
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.countries import country_name, region_name
from amparo.core.custody import KeysLocked
from amparo.core.fields import holds_locked
from amparo.core.models import Organisation, User
from amparo.core.services import DomainError
from amparo.portal import access, implementation, snapshots, whitelist
from amparo.portal.models import Publication, PublicItem, PublicRecommendation
from amparo.recommendations import access as recommendations_access
from amparo.stats.services.tables import TableParameters

MAX_EVENTS = 200


def _new_slug() -> str:
    while True:
        slug = secrets.token_urlsafe(8).replace("_", "x").replace("-", "y").lower()
        if not Publication.objects.filter(slug=slug).exists():
            return slug


def _check_texts(title: str, summary: str) -> tuple[str, str]:
    title, summary = title.strip(), summary.strip()
    if not title:
        raise ValidationError({"title": _("Give the publication a public title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("The title is longer than 200 characters.")})
    return title, summary


Translations = Mapping[str, Mapping[str, str]]


def _check_translations(language: str, translations: Translations | None) -> dict[str, Any]:
    """{language: {"title", "summary"}} for the other languages that have a title."""
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Write in English, French, Spanish or Arabic.")})
    checked: dict[str, Any] = {}
    for code, texts in (translations or {}).items():
        if code not in LANGUAGES or code == language:
            raise ValidationError({"language": _("Translate into the other languages only.")})
        title = (texts.get("title") or "").strip()
        summary = (texts.get("summary") or "").strip()
        if not title and not summary:
            continue
        if not title:
            raise ValidationError({f"title_{code}": _("A translated summary needs its title.")})
        if len(title) > 200:
            raise ValidationError({f"title_{code}": _("The title is longer than 200 characters.")})
        checked[code] = {"title": title, "summary": summary}
    return checked


def _require_create(actor: User, organisation: Organisation) -> None:
    if not access.may_create_in(actor, organisation):
        raise DomainError(_("Your role does not allow you to prepare publications here."))


@transaction.atomic
def create_events_publication(
    actor: User,
    organisation: Organisation,
    *,
    title: str,
    summary: str,
    reference_codes: Sequence[str],
    language: str = "en",
    translations: Translations | None = None,
) -> Publication:
    """A draft of the events named by their reference codes, their content built now."""
    _require_create(actor, organisation)
    title, summary = _check_texts(title, summary)
    texts = _check_translations(language, translations)
    codes = list(dict.fromkeys(c.strip() for c in reference_codes if c.strip()))
    if not codes:
        raise ValidationError({"events": _("Name at least one event by its reference code.")})
    if len(codes) > MAX_EVENTS:
        raise ValidationError(
            {"events": _("At most %(count)d events in one publication.") % {"count": MAX_EVENTS}}
        )
    # Only this organisation's events are looked up: another's answers as an unknown code does.
    found = {
        e.reference_code: e
        for e in Event.objects.filter(reference_code__in=codes, organisation=organisation)
    }
    problems = [access.unknown_event(code) for code in codes if code not in found]
    problems += [
        reason
        for code in codes
        if code in found
        and (reason := access.event_refusal(actor, organisation, found[code])) is not None
    ]
    if problems:
        raise ValidationError({"events": problems})
    built = snapshots.build_events([found[c] for c in codes])
    if holds_locked(built.content):
        # A name the editor's keys do not open here: the label would be published in its place.
        raise ValidationError(
            {
                "events": _(
                    "A person this publication would name is sealed with keys you do not hold "
                    "here: nothing was made. Sign in again, or ask a colleague whose keys open "
                    "that person's records."
                )
            }
        )
    return _save_new(
        actor, organisation, Publication.Kind.EVENTS, (title, summary, language, texts), built
    )


@transaction.atomic
def create_statistics_publication(
    actor: User,
    organisation: Organisation,
    *,
    title: str,
    summary: str,
    parameters: TableParameters,
    language: str = "en",
    translations: Translations | None = None,
) -> Publication:
    """A draft of one table of counts, small cells suppressed as for the public."""
    _require_create(actor, organisation)
    title, summary = _check_texts(title, summary)
    texts = _check_translations(language, translations)
    rules = whitelist.load()
    for dimension in (*parameters.rows, *parameters.columns, *(parameters.filters or {})):
        if dimension and dimension not in rules.dimensions:
            raise ValidationError({"rows": _("%(key)s may not be published.") % {"key": dimension}})
    if parameters.measure not in rules.measures:
        raise ValidationError({"measure": _("This count may not be published.")})
    try:
        built = snapshots.build_statistics(actor, organisation.pk, parameters)
    except QueryError as error:
        raise ValidationError({"rows": str(error)}) from error
    return _save_new(
        actor, organisation, Publication.Kind.STATISTICS, (title, summary, language, texts), built
    )


@transaction.atomic
def create_recommendations_publication(
    actor: User,
    organisation: Organisation,
    *,
    title: str,
    summary: str,
    state: str,
    mechanism: str = "",
    language: str = "en",
    translations: Translations | None = None,
) -> Publication:
    """A draft of the recommendations addressed to `state` (by one mechanism, if given) with
    their implementation status, built from the whitelist now."""
    _require_create(actor, organisation)
    title, summary = _check_texts(title, summary)
    texts = _check_translations(language, translations)
    state = state.strip().upper()
    if len(state) != 2 or not state.isalpha():
        raise ValidationError({"state": _("Choose the State under review.")})
    found = recommendations_access.visible_recommendations(actor).filter(state=state)
    if mechanism:
        found = found.filter(mechanism__code=mechanism)
    chosen = list(found.order_by("pk")[: implementation.MAX_RECOMMENDATIONS + 1])
    if not chosen:
        raise ValidationError({"state": _("No recommendation matches: choose another State.")})
    if len(chosen) > implementation.MAX_RECOMMENDATIONS:
        raise ValidationError(
            {
                "mechanism": _("At most %(count)d recommendations in one publication.")
                % {"count": implementation.MAX_RECOMMENDATIONS}
            }
        )
    built = implementation.build(chosen, organisation.pk)
    return _save_new(
        actor,
        organisation,
        Publication.Kind.RECOMMENDATIONS,
        (title, summary, language, texts),
        built,
    )


def _save_new(
    actor: User,
    organisation: Organisation,
    kind: str,
    texts: tuple[str, str, str, dict[str, Any]],
    built: snapshots.Built,
) -> Publication:
    title, summary, language, translations = texts
    publication = Publication.objects.create(
        slug=_new_slug(),
        organisation=organisation,
        kind=kind,
        title=title,
        summary=summary,
        language=language,
        translations=translations,
        content=built.content,
        confidentiality=built.confidentiality,
        created_by=actor,
    )
    publication.events.set(built.events)
    publication.named_persons.set(built.named_persons)
    audit.record(
        actor,
        AuditAction.PORTAL_PUBLICATION_CREATE,
        publication,
        organisation=organisation,
        changes={
            "kind": kind,
            "events": [e.pk for e in built.events],
            # Whose names it would make public (ids, never a name).
            "named_persons": sorted(p.pk for p in built.named_persons),
        },
    )
    return publication


def _locked(publication: Publication) -> Publication:
    return Publication.objects.select_for_update().get(pk=publication.pk)


def _require(actor: User, action: str, publication: Publication) -> None:
    reason = access.refusal(actor, action, publication)
    if reason is not None:
        raise DomainError(reason)


@transaction.atomic
def submit(actor: User, publication: Publication) -> Publication:
    publication = _locked(publication)
    _require(actor, access.SUBMIT, publication)
    publication.state = Publication.State.SUBMITTED
    publication.submitted_by = actor
    publication.submitted_at = timezone.now()
    publication.save(update_fields=["state", "submitted_by", "submitted_at", "changed_at"])
    audit.record(actor, AuditAction.PORTAL_PUBLICATION_SUBMIT, publication)
    return publication


@transaction.atomic
def approve(actor: User, publication: Publication) -> Publication:
    """Make it public, as the reviewer saw it; refused when a name in it has lost its consent."""
    publication = _locked(publication)
    _require(actor, access.APPROVE, publication)
    named = list(publication.named_persons.all())
    if named and snapshots.publicly_named(named) != {p.pk for p in named}:
        raise DomainError(
            _(
                "A person named in this publication no longer consents to publication: "
                "withdraw it and prepare it again."
            )
        )
    if holds_locked(publication.content):
        raise KeysLocked(
            _(
                "This draft is sealed and your keys do not open it here: sign in again, or ask "
                "an administrator about your pending key."
            )
        )
    publication.state = Publication.State.PUBLISHED
    publication.approved_by = actor
    publication.published_at = timezone.now()
    publication.public_content = publication.content
    publication.save(
        update_fields=["state", "approved_by", "published_at", "public_content", "changed_at"]
    )
    PublicItem.objects.bulk_create(_items(publication))
    PublicRecommendation.objects.bulk_create(_recommendation_items(publication))
    audit.record(
        actor,
        AuditAction.PORTAL_PUBLICATION_APPROVE,
        publication,
        changes={"named_persons": sorted(p.pk for p in named)},
    )
    # Naming someone to the public is a disclosure of their identity like any other: it is in
    # the log of who has seen each person (cases' disclosure index).
    cases_services.record_disclosure(
        actor,
        {p.pk: p.organisation_id for p in named},
        DisclosureChannel.PUBLICATION,
        publication,
    )
    return publication


@transaction.atomic
def withdraw(actor: User, publication: Publication) -> Publication:
    """At once: the next request of any public page, feed or download no longer has it."""
    publication = _locked(publication)
    _require(actor, access.WITHDRAW, publication)
    discarded = _take_down(publication, actor, Publication.WithdrawalReason.DECISION)
    audit.record(
        actor,
        AuditAction.PORTAL_PUBLICATION_WITHDRAW,
        publication,
        changes={"draft_discarded": True} if discarded else None,
    )
    return publication


def consent_withdrawn(person_ids: frozenset[int]) -> None:
    """A person withdrew a consent (cases' hook, in that transaction): every publication that
    names someone who no longer consents to publication is taken down, whoever approved it."""
    # Another consent to publication may still be live for some of them.
    gone = set(person_ids) - snapshots.publicly_named(Person.objects.filter(pk__in=person_ids))
    if not gone:
        return
    affected = set(
        Publication.objects.filter(
            named_persons__in=gone,
            state__in=[
                Publication.State.DRAFT,
                Publication.State.SUBMITTED,
                Publication.State.PUBLISHED,
            ],
        ).values_list("pk", flat=True)
    )
    for pk in sorted(affected):
        publication = Publication.objects.select_for_update().get(pk=pk)
        discarded = _take_down(publication, None, Publication.WithdrawalReason.CONSENT)
        audit.record(
            None,
            AuditAction.PORTAL_PUBLICATION_CONSENT_WITHDRAWN,
            publication,
            organisation=publication.organisation,
            changes={"persons": sorted(gone), **({"draft_discarded": True} if discarded else {})},
        )


def _take_down(publication: Publication, actor: User | None, reason: str) -> bool:
    """Take the publication down and scrub the names from its draft. A draft that names someone
    and that the keys at hand do not open (a consent withdrawn by a focal point, who holds no
    portal key; a reviewer not cleared for it) cannot be scrubbed: it is discarded, so that no
    name outlives its consent; a draft that names nobody is kept sealed as it is. Returns
    whether the draft was discarded. The withdrawal itself never waits for a key."""
    names_someone = publication.named_persons.exists()
    discarded = names_someone and holds_locked(publication.content)
    PublicItem.objects.filter(publication=publication).delete()
    PublicRecommendation.objects.filter(publication=publication).delete()
    publication.state = Publication.State.WITHDRAWN
    publication.withdrawn_by = actor
    publication.withdrawn_at = timezone.now()
    publication.withdrawal_reason = reason
    # Names disclosed under consent do not stay behind in a withdrawn snapshot.
    if discarded:
        publication.content = {}
    elif not holds_locked(publication.content):
        publication.content = scrub_names(publication.content)
    publication.public_content = {}
    publication.save(
        update_fields=[
            "state",
            "withdrawn_by",
            "withdrawn_at",
            "withdrawal_reason",
            "content",
            "public_content",
            "changed_at",
        ]
    )
    publication.named_persons.clear()
    return discarded


def scrub_names(content: dict[str, Any]) -> dict[str, Any]:
    for event in content.get("events", []):
        for act in event.get("acts", []):
            act.get("victim", {}).pop("name", None)
    return content


# --- The public list's index ---------------------------------------------------------------------


def _labels(value: Any) -> Iterable[str]:
    if isinstance(value, dict) and "label" in value:
        yield from value["label"].values()
    elif isinstance(value, list):
        for item in value:
            yield from _labels(item)


def _codes(values: Iterable[Any]) -> str:
    codes = sorted({v["code"] for v in values if isinstance(v, dict) and v.get("code")})
    return "|" + "|".join(codes) + "|" if codes else ""


def _items(publication: Publication) -> list[PublicItem]:
    if publication.kind != Publication.Kind.EVENTS:
        return []
    assert publication.published_at is not None
    items = []
    for position, record in enumerate(publication.public_content.get("events", [])):
        acts = record.get("acts", [])
        country = record.get("country") or next(
            (a.get("country") for a in acts if a.get("country")), ""
        )
        dated = record.get("start_date") or next((a.get("date") for a in acts if a.get("date")), "")
        words = publication.every_text()
        if country:
            words += [country_name(country, language) for language in LANGUAGES]
        if record.get("region"):
            words += [region_name(record["region"], language) for language in LANGUAGES]
        for act in acts:
            for name in ("type_of_act", "consequences", "targeted_activity", "perpetrator_types"):
                words += _labels(act.get(name))
            words += _labels(act.get("victim", {}).get("defender_types"))
        items.append(
            PublicItem(
                publication=publication,
                code=record["code"],
                position=position,
                country=country or "",
                year=int(dated[:4]) if dated[:4].isdigit() else None,
                act_types=_codes(a.get("type_of_act") for a in acts),
                defender_types=_codes(
                    t for a in acts for t in a.get("victim", {}).get("defender_types", [])
                ),
                targets=_codes(
                    {
                        "code": "organisation"
                        if a.get("victim", {}).get("organisation")
                        else "individual"
                    }
                    for a in acts
                ),
                search_text=" ".join(w for w in words if w).casefold(),
                published_at=publication.published_at,
            )
        )
    return items


def _recommendation_items(publication: Publication) -> list[PublicRecommendation]:
    if publication.kind != Publication.Kind.RECOMMENDATIONS:
        return []
    assert publication.published_at is not None
    items = []
    for position, record in enumerate(publication.public_content.get("recommendations", [])):
        mechanism = record.get("mechanism") or {}
        words = publication.every_text() + implementation.search_words(record)
        items.append(
            PublicRecommendation(
                publication=publication,
                code=record["code"],
                position=position,
                country=record.get("state", ""),
                mechanism=mechanism.get("code", ""),
                mechanism_kind=(mechanism.get("kind") or {}).get("code", ""),
                themes=implementation.codes(record.get("themes", [])),
                status=(record.get("status") or {}).get("code", ""),
                response=(record.get("position") or {}).get("code", ""),
                search_text=" ".join(words).casefold(),
                published_at=publication.published_at,
            )
        )
    return items
