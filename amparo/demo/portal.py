"""The portal part of the demo world: a few approved publications, so that the public portal
is not empty on first look. Made through the services, as people would: the defenders'
network's documentalist prepares and submits, its administrator approves (a second person).
(The NHRI's `nhri.reviewer` is there to try the approval by hand.)

Two publications of verified events of the network (the most recent ones, and those that targeted
an organisation), whose victims appear under pseudonyms (events with a victim who consented to
publication are left out, so that the demo publishes no name), and one table of counts by type
of act and year; and the implementation status of the recommendations made to Kenya, with the
network's own assessments of the State's progress reports. Running it again when publications
exist does nothing.
"""

from __future__ import annotations

from django.db import transaction

from amparo.cases import access as cases_access
from amparo.cases.models import Event, Person, RecipientKind
from amparo.core.models import Organisation, User
from amparo.demo.base import DemoOptions, DemoStep, require_demo_mode
from amparo.portal import access, services
from amparo.portal.models import Publication
from amparo.recommendations.models import Recommendation
from amparo.stats.services.tables import TableParameters

# The defenders' network documents most of the demo's events; its administrator reviews.
EDITOR = "network.documentalist"
REVIEWER = "network.admin"
ORGANISATION = "HRDN"
PER_PUBLICATION = 8
# The State whose recommendations the demo follows up (amparo.demo.recommendations).
RECOMMENDATIONS_STATE = "KE"


def _publishable(editor: User, organisation: Organisation) -> list[Event]:
    consented = cases_access.live_consents().filter(recipient_kind=RecipientKind.PUBLICATION)
    candidates = (
        Event.objects.filter(
            organisation=organisation,
            status__in=access.PUBLISHABLE_EVENT_STATUSES,
            pending_import__isnull=True,
        )
        .exclude(acts__victim__consents__in=consented)
        .distinct()
        .order_by("-start_date", "pk")
    )
    return [e for e in candidates[:200] if access.event_refusal(editor, organisation, e) is None]


@transaction.atomic
def build_publications() -> list[Publication]:
    require_demo_mode()
    if Publication.objects.exists():
        return []
    organisation = Organisation.objects.filter(short_code=ORGANISATION).first()
    editor = User.objects.filter(username=EDITOR).first()
    reviewer = User.objects.filter(username=REVIEWER).first()
    if organisation is None or editor is None or reviewer is None:
        return []
    events = _publishable(editor, organisation)
    organisations = set(
        Event.objects.filter(
            pk__in=[e.pk for e in events], acts__victim__kind=Person.Kind.ORGANISATION
        ).values_list("pk", flat=True)
    )
    recent = [e for e in events if e.pk not in organisations][:PER_PUBLICATION]
    institutions = [e for e in events if e.pk in organisations][:PER_PUBLICATION]
    if not institutions:
        institutions = events[PER_PUBLICATION : 2 * PER_PUBLICATION]
    made: list[Publication] = []
    for chosen, title, summary in (
        (
            recent,
            "Recent reprisals against human rights defenders (demo)",
            "Verified attacks and threats against human rights defenders documented by the "
            "defenders' network. Synthetic demo data.",
        ),
        (
            institutions,
            "Attacks on institutions and defenders' organisations (demo)",
            "Verified cases in which an organisation, such as an NHRI or a defenders' group, "
            "was targeted. Synthetic demo data.",
        ),
    ):
        if chosen:
            made.append(
                services.create_events_publication(
                    editor,
                    organisation,
                    title=title,
                    summary=summary,
                    reference_codes=[e.reference_code for e in chosen],
                )
            )
    made.append(
        services.create_statistics_publication(
            editor,
            organisation,
            title="Acts against defenders by type and year (demo)",
            summary="Verified acts documented by the network. Small counts are hidden.",
            parameters=TableParameters(
                rows=("type_of_act",), columns=("year",), measure="acts", verified_only=True
            ),
        )
    )
    if Recommendation.objects.filter(state=RECOMMENDATIONS_STATE).exists():
        made.append(
            services.create_recommendations_publication(
                editor,
                organisation,
                title="Recommendations to Kenya and their implementation (demo)",
                summary="What the mechanisms recommended to Kenya, the State's response, how "
                "far it is implemented, and the network's assessment of the State's reports. "
                "Synthetic demo data.",
                state=RECOMMENDATIONS_STATE,
            )
        )
    for publication in made:
        services.submit(editor, publication)
        services.approve(reviewer, publication)
    return made


def _build(options: DemoOptions) -> str:
    made = build_publications()
    if not made:
        return "publications exist already (or the demo accounts are missing): kept"
    return f"{len(made)} approved publications on the public portal (/portal/)"


STEP = DemoStep("portal", _build)
