"""The membership lifecycle: every status against every transition, each requirement, the
history, the audit entry and the e-mail to the delegation."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from amparo.core import audit
from amparo.core.models import AuditEntry, User
from amparo.core.services import DomainError
from amparo.network import rules
from amparo.network.models import (
    Commitment,
    ContactPerson,
    InvitationLetter,
    Member,
    MembershipChange,
    Outcome,
    Review,
    Status,
)
from amparo.network.queries import today
from amparo.network.services import lifecycle, members
from amparo.network.services.lifecycle import LetterInput
from tests.network.conftest import Delegation, make_delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False

# The only legal steps, written out here rather than read from the rules they check.
LEGAL = {
    ("proposed", "invite"),
    ("invited", "accept"),
    ("invited", "withdraw"),
    ("accepted", "activate"),
    ("accepted", "withdraw"),
    ("active", "open_review"),
    ("active", "withdraw"),
    ("under_review", "conclude_review"),
    ("under_review", "suspend"),
    ("suspended", "reinstate"),
    ("suspended", "end"),
}
TARGET = {
    "invite": "invited",
    "accept": "accepted",
    "activate": "active",
    "open_review": "under_review",
    "conclude_review": "active",
    "suspend": "suspended",
    "reinstate": "active",
    "end": "ended",
    "withdraw": "ended",
}


def ready(delegation: Delegation, secretariat: User, outcome: str) -> Member:
    """A member that meets every requirement: complete delegation, a published commitment,
    a concluded review with `outcome`."""
    Commitment.objects.create(
        member=delegation.member,
        kind="protection_law",
        title="Adopt a protection law",
        pledged_on=today(),
        due_on=today(),
        published_on=today(),
        created_by=secretariat,
    )
    if outcome:
        Review.objects.create(
            member=delegation.member,
            number=1,
            opened_on=today(),
            stage=Review.Stage.CONCLUDED,
            outcome=outcome,
            concluded_on=today(),
        )
    return delegation.member


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("transition", list(TARGET))
def test_each_transition_is_taken_from_its_statuses_only_and_refused_with_a_reason_elsewhere(
    status: str, transition: str, secretariat: User
) -> None:
    outcome = (
        Outcome.CONCERNS if transition == "conclude_review" else Outcome.SUSPENSION_RECOMMENDED
    )
    member = ready(make_delegation("KE", status), secretariat, outcome)
    letter = LetterInput(text="We invite you.") if transition == "invite" else None
    if (status, transition) in LEGAL:
        change = lifecycle.transition(
            secretariat, member, transition, reason="Because.", letter=letter
        )
        member.refresh_from_db()
        assert member.status == TARGET[transition] == change.to_status
        assert change.from_status == status and change.reason == "Because."
    else:
        with pytest.raises(DomainError) as refused:
            lifecycle.transition(secretariat, member, transition, reason="Because.", letter=letter)
        message = str(refused.value)
        assert rules.lifecycle()[transition].labels.en in message
        assert str(Status(status).label) in message
        member.refresh_from_db()
        assert member.status == status
        assert not MembershipChange.objects.filter(member=member).exists()


def test_the_legal_pairs_are_the_rules(secretariat: User) -> None:
    declared = {(s, t) for t, rule in rules.lifecycle().items() for s in rule.sources}
    assert declared == LEGAL


def test_an_invitation_needs_its_letter(secretariat: User) -> None:
    member = make_delegation("KE", "proposed").member
    with pytest.raises(DomainError, match="needs its letter"):
        lifecycle.transition(secretariat, member, "invite", reason="Committed State.")
    with pytest.raises(DomainError, match="needs its letter"):
        lifecycle.transition(
            secretariat, member, "invite", reason="Committed State.", letter=LetterInput(text="  ")
        )


def test_a_generated_letter_is_kept_with_the_change_and_can_be_downloaded(
    secretariat: User,
) -> None:
    member = make_delegation("KE", "proposed").member
    text = lifecycle.draft_letter(member)
    assert "Kenya" in text
    change = lifecycle.transition(
        secretariat, member, "invite", reason="Committed State.", letter=LetterInput(text=text)
    )
    assert change.letter is not None and change.letter.text == text


def _pdf(metadata: bool = True) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if metadata:
        pdf.docinfo["/Author"] = "Minister's secretary"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_an_uploaded_pdf_letter_is_stored_without_its_metadata(secretariat: User) -> None:
    member = make_delegation("KE", "proposed").member
    change = lifecycle.transition(
        secretariat,
        member,
        "invite",
        reason="Committed State.",
        letter=LetterInput(file_name="letter.pdf", data=_pdf()),
    )
    letter = InvitationLetter.objects.get(pk=change.letter_id)
    assert letter.media_type == "application/pdf"
    assert b"Minister's secretary" not in bytes(letter.data)


@pytest.mark.parametrize(
    "name,data,problem",
    [
        ("letter.exe", b"MZ\x90\x00\x03" + bytes(range(256)) * 4, "letter_file"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "letter_file"),
        ("letter.pdf", b"%PDF-1.7 but not really a pdf", "letter_file"),
    ],
)
def test_a_hostile_or_wrong_letter_file_is_refused_and_nothing_changes(
    secretariat: User, name: str, data: bytes, problem: str
) -> None:
    member = make_delegation("KE", "proposed").member
    with pytest.raises(ValidationError) as refused:
        lifecycle.transition(
            secretariat,
            member,
            "invite",
            reason="R.",
            letter=LetterInput(file_name=name, data=data),
        )
    assert problem in refused.value.message_dict
    member.refresh_from_db()
    assert member.status == "proposed" and not InvitationLetter.objects.exists()


def test_a_letter_is_refused_with_a_step_that_takes_none(secretariat: User) -> None:
    member = make_delegation("KE", "invited").member
    with pytest.raises(DomainError, match="Only an invitation"):
        lifecycle.transition(
            secretariat, member, "accept", reason="R.", letter=LetterInput(text="x")
        )


def test_activation_names_the_parts_the_delegation_lacks(secretariat: User) -> None:
    member = ready(make_delegation("KE", "accepted", parts=("state",)), secretariat, "")
    with pytest.raises(DomainError) as refused:
        lifecycle.transition(secretariat, member, "activate", reason="R.")
    assert "National human rights institution" in str(refused.value)
    assert "Civil society" in str(refused.value)


def test_a_delegation_without_focal_points_is_not_complete(secretariat: User) -> None:
    member = ready(make_delegation("KE", "accepted", contacts=False), secretariat, "")
    with pytest.raises(DomainError, match="not complete"):
        lifecycle.transition(secretariat, member, "activate", reason="R.")


def test_activation_needs_a_published_commitment(secretariat: User) -> None:
    member = make_delegation("KE", "accepted").member
    Commitment.objects.create(
        member=member,
        kind="other",
        title="Draft",
        pledged_on=today(),
        due_on=today(),
        created_by=secretariat,
    )
    with pytest.raises(DomainError, match="not published a commitment"):
        lifecycle.transition(secretariat, member, "activate", reason="R.")


def test_a_suspension_follows_a_review_that_recommends_it(secretariat: User) -> None:
    member = ready(make_delegation("KE", "under_review"), secretariat, Outcome.CONCERNS)
    with pytest.raises(DomainError, match="has not recommended it"):
        lifecycle.transition(secretariat, member, "suspend", reason="R.")
    with pytest.raises(DomainError):
        lifecycle.transition(
            secretariat, make_delegation("GH", "under_review").member, "suspend", reason="R."
        )


def test_a_review_recommending_suspension_does_not_close_as_in_standing(secretariat: User) -> None:
    member = ready(
        make_delegation("KE", "under_review"), secretariat, Outcome.SUSPENSION_RECOMMENDED
    )
    with pytest.raises(DomainError, match="good standing or concerns"):
        lifecycle.transition(secretariat, member, "conclude_review", reason="R.")


def test_a_step_needs_its_reason_and_a_known_name(secretariat: User) -> None:
    member = make_delegation("KE", "active").member
    with pytest.raises(ValidationError) as refused:
        lifecycle.transition(secretariat, member, "open_review", reason="   ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(DomainError, match="no such step"):
        lifecycle.transition(secretariat, member, "expel", reason="R.")


def test_who_may_not_take_a_step_is_refused_before_anything_changes(
    observer: User, kenya: Delegation
) -> None:
    with pytest.raises(PermissionDenied):
        lifecycle.transition(observer, kenya.member, "open_review", reason="R.")
    with pytest.raises(PermissionDenied):
        lifecycle.transition(kenya.state, kenya.member, "open_review", reason="R.")
    kenya.member.refresh_from_db()
    assert kenya.member.status == "active"


def test_a_co_chair_may_not_suspend_its_own_membership(
    chairs: tuple[Delegation, Delegation],
) -> None:
    own = chairs[0]
    own.member.status = "under_review"
    own.member.save()
    with pytest.raises(PermissionDenied):
        lifecycle.transition(own.state, own.member, "suspend", reason="R.")


def test_a_co_chair_opens_the_review_of_another_member(co_chair: User, kenya: Delegation) -> None:
    lifecycle.transition(co_chair, kenya.member, "open_review", reason="The scorecard flags.")
    assert Review.objects.get(member=kenya.member).number == 1


def test_each_step_leaves_its_history_and_audit_entry(secretariat: User) -> None:
    member = make_delegation("KE", "proposed").member
    lifecycle.transition(
        secretariat, member, "invite", reason="Committed.", letter=LetterInput(text="L")
    )
    lifecycle.transition(secretariat, member, "accept", reason="Letter received.")
    entries = AuditEntry.objects.filter(object_type="network.member", object_id=str(member.pk))
    assert list(entries.values_list("action", flat=True)) == [
        "network.member.invite",
        "network.member.accept",
    ]
    assert entries.last().changes["status"] == {"from": "invited", "to": "accepted"}
    assert [c.transition for c in member.changes.all()] == ["invite", "accept"]
    assert audit.verify().ok


def test_joining_is_dated_at_the_first_activation_only(secretariat: User) -> None:
    member = ready(
        make_delegation(
            "KE",
            "suspended",
        ),
        secretariat,
        Outcome.CONCERNS,
    )
    member.joined_on = today().replace(year=2020)
    member.save()
    lifecycle.transition(secretariat, member, "reinstate", reason="Conditions met.")
    member.refresh_from_db()
    assert member.joined_on.year == 2020 and member.status == "active"


def test_the_delegation_is_emailed_one_by_one_without_the_reason(
    secretariat: User, kenya: Delegation, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        lifecycle.transition(
            secretariat,
            kenya.member,
            "open_review",
            reason="Secret: threats against Commissioner X.",
        )
    assert len(mail.outbox) == 3
    assert all(len(message.to) == 1 for message in mail.outbox)
    assert {m.to[0] for m in mail.outbox} == set(
        ContactPerson.objects.filter(member=kenya.member).values_list("email", flat=True)
    )
    for message in mail.outbox:
        assert "Kenya" in message.subject and "Under review" in message.subject
        assert "Commissioner" not in message.body and "Secret" not in message.body


def test_no_email_leaves_when_no_focal_point_has_an_address(secretariat: User) -> None:
    member = make_delegation("KE", "proposed", contacts=False).member
    from amparo.network import tasks

    change = lifecycle.transition(
        secretariat, member, "invite", reason="R.", letter=LetterInput(text="L")
    )
    assert tasks.send_membership_change.call(change.pk) == 0


def test_a_state_whose_membership_ended_may_be_proposed_again(secretariat: User) -> None:
    member = make_delegation("KE", "ended").member
    again = members.propose_member(secretariat, country="ke", reason="A new government.")
    assert again.pk == member.pk and again.status == "proposed"
    with pytest.raises(ValidationError) as refused:
        members.propose_member(secretariat, country="KE", reason="Twice.")
    assert "country" in refused.value.message_dict


def test_a_proposal_needs_a_real_country(secretariat: User) -> None:
    with pytest.raises(ValidationError) as refused:
        members.propose_member(secretariat, country="XX", reason="R.")
    assert "country" in refused.value.message_dict
