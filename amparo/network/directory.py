"""The directory of focal points as each reader may see it (rules/directory.csv): who to contact
for what. A hidden field is None, never the value: pages, the API and exports read these rows,
not the records. A sealed field the reader may see but whose key their keys do not open (yet)
is a `LockedValue`: pages show it as "locked", exports refuse to write it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amparo.core.models import User
from amparo.network import access
from amparo.network.models import ContactPerson, Member, Part, Status


@dataclass(frozen=True)
class ListedContact:
    pk: int
    country: str
    country_name: str
    part: str
    organisation: str
    name: str | None
    function: str | None
    responsibilities: str | None
    email: str | None
    phone: str | None

    @property
    def part_label(self) -> str:
        return str(Part(self.part).label)


def listed_contacts(
    user: User | object,
    members: Iterable[Member] | None = None,
    viewer: access.Viewer | None = None,
) -> list[ListedContact]:
    """The focal points of `members` (default: every member whose membership has not ended)
    with the fields `user` may read; those of which they may read nothing are left out."""
    viewer = viewer if viewer is not None else access.Viewer.of(user)
    contacts = ContactPerson.objects.select_related("member", "delegate_organisation").filter(
        member__in=access.visible_members(user, viewer)
    )
    if members is None:
        contacts = contacts.exclude(member__status=Status.ENDED)
    else:
        contacts = contacts.filter(member__in=[m.pk for m in members])
    found = []
    for contact in contacts.order_by("member__country", "part", "pk"):
        member = contact.member
        fields = access.contact_fields(user, contact, viewer)
        if not fields:
            continue

        shown = {name: getattr(contact, name) for name in fields}
        found.append(
            ListedContact(
                pk=contact.pk,
                country=member.country,
                country_name=member.country_name,
                part=contact.part,
                organisation=(
                    contact.delegate_organisation.name if contact.delegate_organisation else ""
                ),
                name=shown.get("name"),
                function=shown.get("function"),
                responsibilities=shown.get("responsibilities"),
                email=shown.get("email"),
                phone=shown.get("phone"),
            )
        )
    return found
