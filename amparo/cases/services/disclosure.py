"""Recording whose identity was shown to whom, through what: one audit entry per request or export.

`access.PersonPresenter` is the one place that decides whether an identity is shown; it notes
each identity it shows (`disclosed`). The page, API answer or export that used it hands that
to `record_disclosure` once its answer is built and before it is sent, so an identity never
leaves without its entry. The entry lists person ids, never a name; an index row per person
(`IdentityDisclosure`) lets an administrator ask who has seen a person
(`queries.disclosures_of`) without scanning the log.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models, transaction

from amparo.cases.models import DisclosureChannel, IdentityDisclosure
from amparo.core import audit
from amparo.core.audit_actions import AuditAction
from amparo.core.models import AuditEntry, Organisation, User


@transaction.atomic
def record_disclosure(
    actor: User,
    disclosed: Mapping[int, int],
    channel: DisclosureChannel,
    obj: models.Model | None = None,
) -> AuditEntry | None:
    """Record that `actor` was shown the identities of `disclosed` (person id → owning
    organisation id, as `PersonPresenter.disclosed` holds them) through `channel`, about `obj`
    (the event or person shown; None for a list or an export). Nothing if no identity was shown:
    persons shown under their pseudonym are not disclosed.

    The entry belongs to the persons' organisation when they all have the same one, else to
    `obj`'s, so that it is in the log of the organisation whose persons were seen."""
    if not disclosed:
        return None
    owners = set(disclosed.values())
    organisation = Organisation.objects.get(pk=owners.pop()) if len(owners) == 1 else None
    persons = sorted(disclosed)
    entry = audit.record(
        actor,
        AuditAction.PERSON_IDENTITY_DISCLOSED,
        obj,
        organisation=organisation,
        changes={"channel": channel.value, "persons": persons},
    )
    IdentityDisclosure.objects.bulk_create(
        IdentityDisclosure(person_id=person, entry=entry) for person in persons
    )
    return entry


@transaction.atomic
def record_export(
    actor: User,
    fmt: str,
    events: int,
    disclosed: Mapping[int, int],
    channel: DisclosureChannel,
) -> None:
    """Record an export before a byte of it is written: who took how many events out in which
    format, and whose identities it shows."""
    audit.record(actor, AuditAction.CASES_EXPORT, None, changes={"format": fmt, "events": events})
    record_disclosure(actor, disclosed, channel)
