"""CSV exports of the network's records, each applying the same access rules as the pages:
a reader exports what they see (focal points as the directory rules show them to them). Every
export leaves an audit entry with the table and how many rows left."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from amparo.cases.exchange.tabular import defuse
from amparo.core import audit, custody
from amparo.core.audit_actions import AuditAction
from amparo.core.fields import LockedValue
from amparo.core.models import User
from amparo.network import access, directory, queries, rules
from amparo.network.models import (
    ActionItem,
    Decision,
    DelegateOrganisation,
    ProgressReport,
)
from amparo.network.scorecard import compute
from amparo.network.services import governance

Rows = Iterable[Iterable[object]]


@dataclass(frozen=True)
class Table:
    title: StrOrPromise
    action: str
    header: tuple[str, ...]
    rows: Callable[[User, access.Viewer], Rows]


def _members(user: User, viewer: access.Viewer) -> Rows:
    found = list(queries.members_with_counts().filter(pk__in=access.visible_members(user, viewer)))
    missing = queries.missing_parts_of(m.pk for m in found)
    for m in found:
        yield (
            m.country,
            m.country_name,
            m.status,
            m.status_since,
            m.joined_on,
            not missing[m.pk],
            m.organisation_count,  # type: ignore[attr-defined]
            m.contact_count,  # type: ignore[attr-defined]
            m.published_commitment_count,  # type: ignore[attr-defined]
        )


def _delegations(user: User, viewer: access.Viewer) -> Rows:
    members = access.visible_members(user, viewer)
    for o in DelegateOrganisation.objects.filter(member__in=members).select_related("member"):
        yield (o.member.country, o.part, o.name, o.accreditation, o.accredited_on)


def _focal_points(user: User, viewer: access.Viewer) -> Rows:
    for c in directory.listed_contacts(user, viewer=viewer):
        yield (c.country, c.part, c.organisation, *(getattr(c, f) for f in rules.CONTACT_FIELDS))


def _commitments(user: User, viewer: access.Viewer) -> Rows:
    for c in access.visible_commitments(user, viewer=viewer).prefetch_related("indicators"):
        yield (
            c.member.country,
            c.pk,
            c.kind,
            c.title,
            c.pledged_on,
            c.due_on,
            c.state,
            c.closed_on,
            c.published_on,
            " | ".join(
                f"{i.description} ({i.target})" if i.target else i.description
                for i in c.indicators.all()
            ),
        )


def _progress(user: User, viewer: access.Viewer) -> Rows:
    commitments = access.visible_commitments(user, viewer=viewer)
    reports = ProgressReport.objects.filter(commitment__in=commitments).select_related(
        "commitment__member"
    )
    for r in reports.order_by("commitment__member__country", "reported_on", "pk"):
        yield (r.commitment.member.country, r.commitment_id, r.reported_on, r.assessment, r.text)


def _reviews(user: User, viewer: access.Viewer) -> Rows:
    for r in access.visible_reviews(user, viewer).order_by("member__country", "number"):
        yield (
            r.member.country,
            r.number,
            r.stage,
            r.opened_on,
            r.summarised_on,
            r.concluded_on,
            r.outcome,
        )


def _meetings(user: User, viewer: access.Viewer) -> Rows:
    meetings = access.visible_meetings(user, viewer).prefetch_related("members")
    for m in meetings.order_by("held_on", "pk"):
        yield (
            m.pk,
            m.held_on,
            m.kind,
            m.title,
            m.place,
            " ".join(sorted(member.country for member in m.members.all())),
            m.agenda,
        )


def _decisions(user: User, viewer: access.Viewer) -> Rows:
    meetings = access.visible_meetings(user, viewer)
    for d in Decision.objects.filter(meeting__in=meetings).select_related("meeting"):
        yield (d.meeting_id, d.meeting.held_on, d.position, d.text)


def _action_items(user: User, viewer: access.Viewer) -> Rows:
    meetings = access.visible_meetings(user, viewer)
    for a in ActionItem.objects.filter(meeting__in=meetings).select_related("member"):
        yield (
            a.meeting_id,
            a.description,
            a.member.country if a.member else "",
            a.owner,
            a.due_on,
            a.done_on,
        )


def _co_chairs(user: User, viewer: access.Viewer) -> Rows:
    for term in governance.rotation_schedule():
        yield (
            term.starts_on,
            term.ends_on,
            " ".join(m.country for m in term.members),
            term.confirmed,
        )


def _scorecard(user: User, viewer: access.Viewer) -> Rows:
    for card in compute.compute():
        for s in card.signals:
            data = compute.signal_data(s)
            yield (
                card.country,
                card.status,
                s.id,
                data["value"],
                data["previous"],
                s.trend,
                s.flagged,
                s.available,
                card.flagged,
            )


TABLES: dict[str, Table] = {
    "members": Table(
        gettext_lazy("Members"),
        access.EXPORT,
        (
            "country",
            "country_name",
            "status",
            "status_since",
            "joined_on",
            "delegation_complete",
            "organisations",
            "focal_points",
            "published_commitments",
        ),
        _members,
    ),
    "delegations": Table(
        gettext_lazy("Delegations"),
        access.EXPORT,
        ("country", "part", "name", "accreditation", "accredited_on"),
        _delegations,
    ),
    "focal_points": Table(
        gettext_lazy("Focal points"),
        access.VIEW_DIRECTORY,
        ("country", "part", "organisation", *rules.CONTACT_FIELDS),
        _focal_points,
    ),
    "commitments": Table(
        gettext_lazy("Commitments"),
        access.EXPORT,
        (
            "country",
            "commitment",
            "kind",
            "title",
            "pledged_on",
            "due_on",
            "state",
            "closed_on",
            "published_on",
            "indicators",
        ),
        _commitments,
    ),
    "progress": Table(
        gettext_lazy("Progress reports"),
        access.EXPORT,
        ("country", "commitment", "reported_on", "assessment", "text"),
        _progress,
    ),
    "reviews": Table(
        gettext_lazy("Reviews"),
        access.EXPORT,
        ("country", "number", "stage", "opened_on", "summarised_on", "concluded_on", "outcome"),
        _reviews,
    ),
    "meetings": Table(
        gettext_lazy("Meetings"),
        access.VIEW_MEETINGS,
        ("meeting", "held_on", "kind", "title", "place", "delegations", "agenda"),
        _meetings,
    ),
    "decisions": Table(
        gettext_lazy("Decisions"),
        access.VIEW_MEETINGS,
        ("meeting", "held_on", "position", "text"),
        _decisions,
    ),
    "action_items": Table(
        gettext_lazy("Action items"),
        access.VIEW_MEETINGS,
        ("meeting", "description", "country", "owner", "due_on", "done_on"),
        _action_items,
    ),
    "co_chairs": Table(
        gettext_lazy("Co-chairs' rotation"),
        access.VIEW_GOVERNANCE,
        ("starts_on", "ends_on", "countries", "confirmed"),
        _co_chairs,
    ),
    "scorecard": Table(
        gettext_lazy("Scorecard"),
        access.VIEW_SCORECARDS,
        (
            "country",
            "status",
            "signal",
            "value",
            "previous",
            "trend",
            "flagged",
            "available",
            "member_flagged",
        ),
        _scorecard,
    ),
}


def available_tables(user: User, viewer: access.Viewer | None = None) -> list[tuple[str, Table]]:
    allowed = access.network_actions(user, viewer)
    return [(name, t) for name, t in TABLES.items() if t.action in allowed]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, LockedValue):
        # A file keeps what it says: a "locked" label never stands in for a name in it.
        raise custody.KeysLocked(
            _(
                "This table holds values that your keys do not open here, so it was not "
                "exported. Sign in again, or ask an administrator about your pending key."
            )
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    return defuse(str(value))


def _lines(header: Iterable[str], rows: Rows) -> Iterator[list[str]]:
    yield list(header)
    for row in rows:
        yield [_cell(value) for value in row]


def export(actor: User, name: str) -> str:
    """The table `name` as CSV text (cells that a spreadsheet would run as formulas are
    quoted), with an audit entry saying who took which table and how many rows."""
    table = TABLES.get(name)
    if table is None:
        raise PermissionDenied(_("There is no such table."))
    viewer = access.Viewer.of(actor)
    access.require_network(actor, table.action, viewer)
    out = io.StringIO()
    writer = csv.writer(out)
    count = -1
    for line in _lines(table.header, table.rows(actor, viewer)):
        writer.writerow(line)
        count += 1
    audit.record(actor, AuditAction.NETWORK_EXPORT, changes={"table": name, "rows": count})
    return out.getvalue()
