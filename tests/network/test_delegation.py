"""Delegations: three parts, who may change which, who may link an Amparo organisation, and what
is encrypted before it reaches the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from amparo.core.models import AuditEntry, Organisation, User
from amparo.core.services import DomainError
from amparo.network import queries
from amparo.network.models import (
    ContactPerson,
    DelegateOrganisation,
    Meeting,
    ProgressComment,
    ProgressReport,
    Review,
    ReviewSubmission,
)
from amparo.network.queries import today
from amparo.network.services import members
from amparo.network.services.members import ContactInput, OrganisationInput
from tests.factories import OrganisationFactory, network_member
from tests.network.conftest import Delegation, make_delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


def test_a_delegation_is_complete_with_an_organisation_and_a_focal_point_in_each_part(
    secretariat: User,
) -> None:
    member = network_member("KE", "accepted")
    assert queries.missing_parts(member) == ["state", "nhri", "civil_society"]
    for part in ("state", "nhri", "civil_society"):
        members.add_organisation(secretariat, member, OrganisationInput(part, f"{part} body"))
    assert queries.missing_parts(member) == ["state", "nhri", "civil_society"]
    for part in ("state", "nhri"):
        members.add_contact(secretariat, member, ContactInput(part, f"Person {part}"))
    assert queries.missing_parts(member) == ["civil_society"]
    members.add_contact(secretariat, member, ContactInput("civil_society", "Defender"))
    assert queries.missing_parts(member) == []


def test_each_delegation_changes_its_own_part_only(kenya: Delegation) -> None:
    members.add_contact(kenya.nhri, kenya.member, ContactInput("nhri", "New NHRI contact"))
    with pytest.raises(PermissionDenied):
        members.add_contact(kenya.nhri, kenya.member, ContactInput("state", "Not theirs"))
    contact = ContactPerson.objects.get(member=kenya.member, part="state")
    with pytest.raises(PermissionDenied):
        members.remove_contact(kenya.civil_society, contact)


def test_another_members_delegate_changes_nothing(kenya: Delegation) -> None:
    other = make_delegation("GH")
    with pytest.raises(PermissionDenied):
        members.add_contact(other.state, kenya.member, ContactInput("state", "Intruder"))


def test_only_the_secretariat_links_an_amparo_organisation(
    kenya: Delegation, secretariat: User
) -> None:
    # Linking gives the organisation's staff the right to act for the member.
    state_body = OrganisationFactory(kind=Organisation.Kind.STATE)
    with pytest.raises(PermissionDenied):
        members.add_organisation(
            kenya.state,
            kenya.member,
            OrganisationInput("state", "Ministry", organisation=state_body),
        )
    members.add_organisation(
        secretariat, kenya.member, OrganisationInput("state", "Ministry", organisation=state_body)
    )


def test_a_linked_organisation_is_of_the_kind_its_part_needs(
    kenya: Delegation, secretariat: User
) -> None:
    cso = OrganisationFactory(kind=Organisation.Kind.CSO)
    with pytest.raises(ValidationError) as refused:
        members.add_organisation(
            secretariat,
            kenya.member,
            OrganisationInput("state", "A CSO as the State", organisation=cso),
        )
    assert "organisation" in refused.value.message_dict


def test_a_delegation_has_one_nhri_and_only_it_is_accredited(secretariat: User) -> None:
    member = network_member("KE", "accepted")
    members.add_organisation(
        secretariat, member, OrganisationInput("nhri", "Commission", accreditation="B")
    )
    with pytest.raises(ValidationError):
        members.add_organisation(secretariat, member, OrganisationInput("nhri", "Ombudsperson"))
    with pytest.raises(ValidationError) as refused:
        members.add_organisation(
            secretariat, member, OrganisationInput("state", "Ministry", accreditation="A")
        )
    assert "accreditation" in refused.value.message_dict


def test_the_nhri_accreditation_changes_with_an_audit_entry(kenya: Delegation) -> None:
    nhri = DelegateOrganisation.objects.get(member=kenya.member, part="nhri")
    members.set_accreditation(kenya.nhri, nhri, "B", today())
    nhri.refresh_from_db()
    assert nhri.accreditation == "B"
    entry = AuditEntry.objects.filter(action="network.delegation.accreditation").get()
    assert entry.changes["accreditation"] == {"from": "A", "to": "B"}


def test_an_ended_membership_keeps_its_delegation(kenya: Delegation, secretariat: User) -> None:
    kenya.member.status = "ended"
    kenya.member.save()
    with pytest.raises(DomainError, match="ended"):
        members.add_contact(secretariat, kenya.member, ContactInput("state", "Late"))


def test_a_bad_email_is_refused_at_its_field(kenya: Delegation) -> None:
    with pytest.raises(ValidationError) as refused:
        members.add_contact(
            kenya.state, kenya.member, ContactInput("state", "X", email="not-an-address")
        )
    assert "email" in refused.value.message_dict


def test_the_log_says_a_focal_point_was_added_without_naming_them(kenya: Delegation) -> None:
    members.add_contact(
        kenya.civil_society,
        kenya.member,
        ContactInput(
            "civil_society", "Wanjiku Hidden-Name", email="wanjiku@example.org", phone="+254 700"
        ),
    )
    text = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "Wanjiku" not in text and "wanjiku@" not in text and "+254" not in text


def test_the_public_page_publishes_only_what_the_rules_offer(kenya: Delegation) -> None:
    with pytest.raises(ValidationError):
        members.set_publication(kenya.state, kenya.member, ["commitments", "focal_points_emails"])
    members.set_publication(kenya.state, kenya.member, ["commitments"])
    with pytest.raises(PermissionDenied):
        members.set_publication(kenya.nhri, kenya.member, ["commitments", "review_outcomes"])


# --- encrypted before the database --------------------------------------------------------------


def _raw(model: type, pk: int) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        return repr(cursor.fetchone())


def test_names_emails_and_phones_of_focal_points_are_encrypted_in_the_row(
    kenya: Delegation,
) -> None:
    contact = members.add_contact(
        kenya.civil_society,
        kenya.member,
        ContactInput(
            "civil_society", "Akinyi Secret", email="akinyi@example.org", phone="+254 711 000"
        ),
    )
    row = _raw(ContactPerson, contact.pk)
    assert "Akinyi" not in row and "akinyi@" not in row and "711 000" not in row
    contact.refresh_from_db()
    assert contact.name == "Akinyi Secret"


def test_review_texts_comments_and_minutes_are_encrypted_in_the_row(
    kenya: Delegation, secretariat: User
) -> None:
    review = Review.objects.create(
        member=kenya.member,
        number=1,
        opened_on=today(),
        summary="SUMMARY-PLAINTEXT",
        recommendation="RECOMMENDATION-PLAINTEXT",
    )
    submission = ReviewSubmission.objects.create(
        review=review,
        part="nhri",
        text="SUBMISSION-PLAINTEXT",
        submitted_on=today(),
        author=kenya.nhri,
    )
    from amparo.network.models import Commitment

    commitment = Commitment.objects.create(
        member=kenya.member,
        kind="other",
        title="T",
        pledged_on=today(),
        due_on=today(),
        created_by=secretariat,
    )
    report = ProgressReport.objects.create(
        commitment=commitment,
        assessment="on_track",
        text="Public progress",
        reported_on=today(),
        author=kenya.state,
    )
    comment = ProgressComment.objects.create(
        report=report,
        part="nhri",
        text="COMMENT-PLAINTEXT",
        commented_on=today(),
        author=kenya.nhri,
    )
    meeting = Meeting.objects.create(
        title="Plenary",
        kind="plenary",
        held_on=today(),
        minutes="MINUTES-PLAINTEXT",
        created_by=secretariat,
    )
    rows = _raw(Review, review.pk) + _raw(ReviewSubmission, submission.pk)
    rows += _raw(ProgressComment, comment.pk) + _raw(Meeting, meeting.pk)
    assert "PLAINTEXT" not in rows
