"""The demo Global Network: twenty States at every step of the membership lifecycle, their
tripartite delegations, commitments with progress, reviews, co-chairs, a steering group and
meetings. Synthetic: the institutions are named after their countries' kinds of institution and
the people are invented ("(demo)" in every name).

Built through the network's services, as the secretariat, the delegations and the steering
group would (the same checks, audit entries and e-mails); the demo accounts of `accounts` play
them: `secretariat.officer` (the secretariat), `state.rep` and `nhri.focal` (Kenya's State and
NHRI), `network.admin` (Colombia's civil society), `mechanism.officer` (the UN Special
Rapporteur's seat on the steering group). Only Kenya's focal points have e-mail addresses, so
that building the world does not print hundreds of demo e-mails.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from amparo.core.models import Organisation, User
from amparo.demo.base import DemoError, DemoOptions, DemoStep, require_demo_mode
from amparo.network import queries
from amparo.network.models import Accreditation, Member, Outcome, Part, ProgressReport, Status
from amparo.network.services import commitments, governance, lifecycle, meetings, members, reviews
from amparo.network.services.commitments import CommitmentInput, IndicatorInput

SECRETARIAT = "secretariat.officer"
STEERING = "mechanism.officer"
PUBLISHED = ["delegation_organisations", "nhri_accreditation", "commitments", "progress"]


@dataclass(frozen=True)
class DemoMember:
    country: str
    status: Status
    nhri_accreditation: str = Accreditation.A


# Twenty States, geographically spread, at each step of the lifecycle.
MEMBERS = (
    DemoMember("CA", Status.ACTIVE),
    DemoMember("CR", Status.ACTIVE),
    DemoMember("CI", Status.ACTIVE),
    DemoMember("KE", Status.ACTIVE),
    DemoMember("CO", Status.ACTIVE),
    DemoMember("CL", Status.ACTIVE),
    DemoMember("NO", Status.ACTIVE),
    DemoMember("SN", Status.ACTIVE, Accreditation.B),
    DemoMember("ID", Status.ACTIVE),
    DemoMember("GH", Status.ACTIVE),
    DemoMember("BR", Status.ACTIVE),
    DemoMember("MX", Status.UNDER_REVIEW),
    DemoMember("HN", Status.SUSPENDED, Accreditation.B),
    DemoMember("ZW", Status.ENDED, Accreditation.B),
    DemoMember("PH", Status.ACCEPTED),
    DemoMember("TN", Status.ACCEPTED, Accreditation.B),
    DemoMember("MN", Status.INVITED),
    DemoMember("IN", Status.INVITED),
    DemoMember("UG", Status.PROPOSED, Accreditation.B),
    DemoMember("CD", Status.PROPOSED),
)

# Where a State stops on its way to its demo status, in order.
PATH = {
    Status.PROPOSED: (),
    Status.INVITED: ("invite",),
    Status.ACCEPTED: ("invite", "accept"),
    Status.ACTIVE: ("invite", "accept", "activate"),
    Status.UNDER_REVIEW: ("invite", "accept", "activate", "open_review"),
    Status.SUSPENDED: ("invite", "accept", "activate", "open_review", "suspend"),
    Status.ENDED: ("invite", "accept", "activate", "open_review", "suspend", "end"),
}
REASONS = {
    "invite": "The State has a protection mechanism and has invited the UN Special Rapporteur.",
    "accept": "The Minister's letter accepting the invitation has been received.",
    "activate": "The tripartite delegation is complete and the first commitments are published.",
    "open_review": "Periodic review, brought forward after the scorecard flagged a rise in "
    "attacks on defenders.",
    "suspend": "The steering group recommended suspension after repeated reprisals against the "
    "NHRI; the co-chairs agreed.",
    "end": "No reply to the network's conditions for reinstatement within six months.",
    "conclude_review": "The steering group found concerns; the membership continues with a "
    "follow-up at the next plenary.",
}
# The Amparo organisations that act for a part of a member's delegation (demo accounts).
LINKED = {
    ("KE", Part.STATE): "SPM-KE",
    ("KE", Part.NHRI): "NHRC-KE",
    ("CO", Part.CIVIL_SOCIETY): "HRDN",
}

COMMITMENTS = (
    ("protection_law", "Adopt a law on the protection of human rights defenders", 24),
    ("protection_mechanism", "Fund the national protection mechanism for three years", 12),
    ("investigate_attacks", "Open investigations into every killing of a defender", 6),
)


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DemoError(f"The demo account {username!r} is missing: run the accounts step first.")
    return user


def _delegation(secretariat: User, member: Member, spec: DemoMember, index: int) -> None:
    name = member.country_name
    parts = (
        (Part.STATE, f"Ministry of Justice and Human Rights of {name} (demo)", "Director of human "
         "rights", "Protection requests, the protection mechanism"),
        (Part.NHRI, f"National Human Rights Commission of {name} (demo)", "Commissioner for "
         "defenders", "Reprisals against the NHRI, monitoring of attacks"),
        (Part.CIVIL_SOCIETY, f"Defenders' Coalition of {name} (demo)", "Coordinator",
         "Cases of defenders at risk, consultations with civil society"),
    )  # fmt: skip
    for position, (part, organisation_name, function, responsibilities) in enumerate(parts):
        code = LINKED.get((member.country, part))
        organisation = members.add_organisation(
            secretariat,
            member,
            members.OrganisationInput(
                part=part,
                name=organisation_name,
                organisation=Organisation.objects.get(short_code=code) if code else None,
                accreditation=spec.nhri_accreditation if part == Part.NHRI else "",
                accredited_on=datetime.date(2022, 3, 1) if part == Part.NHRI else None,
            ),
        )
        email = (
            f"focal.{member.country.lower()}.{part}@demo.invalid" if member.country == "KE" else ""
        )
        members.add_contact(
            secretariat,
            member,
            members.ContactInput(
                part=part,
                name=f"(demo) Focal point {index + 1}.{position + 1}",
                function=function,
                responsibilities=responsibilities,
                email=email,
                phone=f"+000 555 {index:02d}{position:02d}",
                delegate_organisation=organisation,
                listed_publicly=part != Part.CIVIL_SOCIETY,
            ),
        )


# States that pledged their first commitment long ago and are late with it: the scorecard's
# overdue commitments.
LATE = frozenset({"KE", "BR", "MX", "HN", "ZW"})


def _commitments(secretariat: User, member: Member) -> None:
    today = queries.today()
    for number, (kind, title, months) in enumerate(COMMITMENTS):
        late = number == 0 and member.country in LATE
        pledged = today - datetime.timedelta(days=900 if late else 60 + 30 * number)
        commitments.add_commitment(
            secretariat,
            member,
            CommitmentInput(
                kind=kind,
                title=title,
                pledged_on=pledged,
                due_on=pledged + datetime.timedelta(days=30 * months),
                indicators=[
                    IndicatorInput("Text adopted or budget line voted", "By the due date"),
                    IndicatorInput("Civil society consulted", "At least two consultations"),
                ],
                publish=True,
            ),
        )


def _kenya_work(secretariat: User) -> None:
    """Kenya's State reports progress, its NHRI comments; a review runs its whole course and
    the membership continues with concerns."""
    kenya = Member.objects.get(country="KE")
    state, nhri, steering = _user("state.rep"), _user("nhri.focal"), _user(STEERING)
    for commitment in kenya.commitments.all()[:2]:
        report = commitments.report_progress(
            state, commitment, ProgressReport.Assessment.ON_TRACK, "A draft is before Parliament."
        )
        commitments.comment_progress(
            nhri, report, "The draft leaves out defenders of land rights; we asked for changes."
        )
    lifecycle.transition(secretariat, kenya, "open_review", reason=REASONS["open_review"])
    review = queries.latest_review(kenya)
    assert review is not None
    reviews.submit(state, review, "Self-assessment: the protection mechanism was funded.")
    reviews.submit(nhri, review, "Two staff members of the Commission were threatened in March.")
    reviews.summarise(secretariat, review, "Progress on the law; reprisals against the NHRI.")
    reviews.recommend(steering, review, Outcome.CONCERNS, "Continue; report on the threats.")
    lifecycle.transition(secretariat, kenya, "conclude_review", reason=REASONS["conclude_review"])


def _review_for(secretariat: User, member: Member, outcome: str) -> None:
    """Before a suspension: the review is summarised and the steering group recommends it."""
    review = queries.latest_review(member)
    assert review is not None
    reviews.summarise(secretariat, review, "Repeated reprisals; commitments overdue.")
    reviews.recommend(_user(STEERING), review, outcome, "The steering group recommends it.")


@transaction.atomic
def build_network() -> int:
    """Build the demo network unless one exists; how many members were made."""
    require_demo_mode()
    if Member.objects.exists():
        return 0
    secretariat = _user(SECRETARIAT)
    today = queries.today()
    governance.add_steering_member(
        secretariat,
        governance.SteeringInput(
            name="(demo) Special Rapporteur",
            mandate="UN Special Rapporteur on the situation of human rights defenders",
            kind="un_rapporteur",
            starts_on=today - datetime.timedelta(days=400),
            user=_user(STEERING),
        ),
    )
    governance.add_steering_member(
        secretariat,
        governance.SteeringInput(
            name="(demo) Regional Rapporteur",
            mandate="Rapporteur on human rights defenders of a regional commission",
            kind="regional_rapporteur",
            starts_on=today - datetime.timedelta(days=400),
        ),
    )
    for index, spec in enumerate(MEMBERS):
        member = members.propose_member(
            secretariat,
            country=spec.country,
            reason="A State that has shown commitment to defenders (demo).",
        )
        for step in PATH[spec.status]:
            if step == "activate":
                _delegation(secretariat, member, spec, index)
                _commitments(secretariat, member)
                members.set_publication(
                    secretariat, member, [*PUBLISHED, "focal_points"] if index % 2 else PUBLISHED
                )
            if step == "suspend":
                _review_for(secretariat, member, Outcome.SUSPENSION_RECOMMENDED)
            letter = (
                lifecycle.LetterInput(text=lifecycle.draft_letter(member))
                if step == "invite"
                else None
            )
            lifecycle.transition(secretariat, member, step, reason=REASONS[step], letter=letter)
            member.refresh_from_db()
    _kenya_work(secretariat)
    chairs = list(Member.objects.filter(country__in=["CA", "CR"]))
    governance.confirm_term(
        secretariat,
        starts_on=today - datetime.timedelta(days=90),
        ends_on=today + datetime.timedelta(days=274),
        members=chairs,
    )
    _meetings(secretariat)
    return len(MEMBERS)


def _meetings(secretariat: User) -> None:
    today = queries.today()
    active = list(Member.objects.filter(status=Status.ACTIVE))
    plenary = meetings.create_meeting(
        secretariat,
        meetings.MeetingInput(
            title="Annual plenary of the network (demo)",
            kind="plenary",
            held_on=today - datetime.timedelta(days=60),
            place="Geneva",
            agenda="1. Reports of the delegations\n2. Reviews\n3. Co-chairs' rotation",
            minutes="The plenary heard the delegations and discussed the review of Mexico.",
            members=active,
            other_participants="OHCHR (observer)",
        ),
    )
    meetings.add_decision(secretariat, plenary, "Open the review of Mexico's membership.")
    meetings.add_decision(secretariat, plenary, "Canada and Costa Rica co-chair this year.")
    meetings.add_action_item(
        secretariat,
        plenary,
        meetings.ActionItemInput(
            description="Send the review questionnaire",
            owner="Secretariat",
            due_on=today - datetime.timedelta(days=30),
        ),
    )
    meetings.add_action_item(
        secretariat,
        plenary,
        meetings.ActionItemInput(
            description="Report on the threats against NHRI staff",
            member=Member.objects.get(country="KE"),
            due_on=today + datetime.timedelta(days=30),
        ),
    )
    meetings.create_meeting(
        secretariat,
        meetings.MeetingInput(
            title="Steering group (demo)",
            kind="steering",
            held_on=today - datetime.timedelta(days=20),
            place="Online",
            agenda="Scorecard flags; the review of Mexico",
        ),
    )


def _build(options: DemoOptions) -> str:
    made = build_network()
    return f"{made} network members" if made else "the network exists already: kept"


STEP = DemoStep("network", _build)
