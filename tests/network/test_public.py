"""The public pages show what a member chose to publish and nothing else, from its acceptance
on; anyone may read them, signed in or not."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import resolve

from amparo.core.models import User
from amparo.core.permissions import PUBLIC
from amparo.network.models import (
    Commitment,
    ContactPerson,
    DelegateOrganisation,
    Indicator,
    Meeting,
    MembershipChange,
    ProgressComment,
    ProgressReport,
    Review,
    ReviewSubmission,
)
from amparo.network.queries import today
from amparo.network.services import members
from tests.network.conftest import Delegation, make_delegation

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False

# What each published field brings onto the page.
SHOWN_BY = {
    "delegation_organisations": {"ORGMARK"},
    "nhri_accreditation": {"fully compliant with the Paris Principles"},
    "focal_points": {"LISTEDNAME", "LISTEDFUNCTION"},
    "commitments": {"PUBLISHEDCOMMITMENT", "INDICATORMARK"},
    "progress": set(),  # shown under published commitments only
    "review_outcomes": {"Suspension recommended"},
}
# What no choice ever publishes.
NEVER = {
    "EMAILMARK",
    "PHONEMARK",
    "RESPMARK",
    "UNLISTEDNAME",
    "DRAFTCOMMITMENT",
    "DRAFTINDICATOR",
    "COMMENTMARK",
    "SUBMISSIONMARK",
    "SUMMARYMARK",
    "RECOMMENDMARK",
    "REASONMARK",
    "MINUTESMARK",
}
EVERY_MARK = set().union(*SHOWN_BY.values()) | NEVER | {"PROGRESSMARK"}


@pytest.fixture
def marked(secretariat: User) -> Delegation:
    """An active member with a marker in every field of its records."""
    delegation = make_delegation("KE", contacts=False)
    member = delegation.member
    for index, organisation in enumerate(DelegateOrganisation.objects.filter(member=member)):
        organisation.name = f"ORGMARK institution {index}"
        organisation.save()
    ContactPerson.objects.create(
        member=member, part="state", name="LISTEDNAME", function="LISTEDFUNCTION",
        responsibilities="RESPMARK", email="EMAILMARK@example.org", phone="PHONEMARK",
        listed_publicly=True, published_name="LISTEDNAME",
    )  # fmt: skip
    ContactPerson.objects.create(
        member=member, part="civil_society", name="UNLISTEDNAME", function="UNLISTEDFUNCTION",
        email="EMAILMARK2@example.org",
    )  # fmt: skip
    published = Commitment.objects.create(
        member=member, kind="protection_law", title="PUBLISHEDCOMMITMENT", pledged_on=today(),
        due_on=today(), published_on=today(), created_by=secretariat,
    )  # fmt: skip
    Indicator.objects.create(commitment=published, description="INDICATORMARK", position=1)
    draft = Commitment.objects.create(
        member=member, kind="other", title="DRAFTCOMMITMENT", pledged_on=today(), due_on=today(),
        created_by=secretariat,
    )  # fmt: skip
    Indicator.objects.create(commitment=draft, description="DRAFTINDICATOR", position=1)
    report = ProgressReport.objects.create(
        commitment=published, assessment="on_track", text="PROGRESSMARK", reported_on=today(),
        author=delegation.state,
    )  # fmt: skip
    ProgressComment.objects.create(
        report=report, part="nhri", text="COMMENTMARK", commented_on=today(), author=delegation.nhri
    )
    review = Review.objects.create(
        member=member, number=1, opened_on=today(), stage="concluded",
        outcome="suspension_recommended", summary="SUMMARYMARK", recommendation="RECOMMENDMARK",
        concluded_on=today(),
    )  # fmt: skip
    ReviewSubmission.objects.create(
        review=review,
        part="nhri",
        text="SUBMISSIONMARK",
        submitted_on=today(),
        author=delegation.nhri,
    )
    MembershipChange.objects.create(
        member=member, transition="activate", to_status="active", reason="REASONMARK", on=today()
    )
    meeting = Meeting.objects.create(
        title="Plenary",
        kind="plenary",
        held_on=today(),
        minutes="MINUTESMARK",
        created_by=secretariat,
    )
    meeting.members.add(member)
    return delegation


def page(client: Client, country: str = "KE") -> str:
    response = client.get(f"/network/public/{country}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_public_pages_declare_that_anyone_may_read_them() -> None:
    assert resolve("/network/public/").func.amparo_permission == PUBLIC  # type: ignore[attr-defined]
    assert resolve("/network/public/KE/").func.amparo_permission == PUBLIC  # type: ignore[attr-defined]


def test_with_nothing_published_the_page_shows_the_country_and_status_only(
    marked: Delegation, client: Client
) -> None:
    text = page(client)
    assert "Kenya" in text and "Active member" in text
    assert [mark for mark in EVERY_MARK if mark in text] == []


@pytest.mark.parametrize("published", list(SHOWN_BY))
def test_each_published_field_shows_what_it_names_and_nothing_more(
    marked: Delegation, client: Client, published: str
) -> None:
    members.set_publication(marked.state, marked.member, [published])
    text = page(client)
    assert [mark for mark in SHOWN_BY[published] if mark not in text] == []
    assert [mark for mark in EVERY_MARK - SHOWN_BY[published] if mark in text] == []


def test_with_everything_published_what_is_never_public_stays_off_the_page(
    marked: Delegation, client: Client
) -> None:
    members.set_publication(marked.state, marked.member, list(SHOWN_BY))
    text = page(client)
    assert "PROGRESSMARK" in text and "PUBLISHEDCOMMITMENT" in text
    assert [mark for mark in NEVER if mark in text] == []


def test_a_field_the_rules_no_longer_offer_stops_showing(
    marked: Delegation, client: Client
) -> None:
    marked.member.published_fields = ["delegation_organisations", "focal_points_emails"]
    marked.member.save()
    text = page(client)
    assert "ORGMARK" in text and "EMAILMARK" not in text


@pytest.mark.parametrize("status", ["proposed", "invited"])
def test_a_state_not_yet_accepted_has_no_public_page(status: str, client: Client) -> None:
    make_delegation("MN", status)
    assert client.get("/network/public/MN/").status_code == 404
    assert "Mongolia" not in client.get("/network/public/").content.decode()


@pytest.mark.parametrize(
    "status,label",
    [
        ("accepted", "Accepted, joining"),
        ("under_review", "Under review"),
        ("suspended", "Suspended"),
        ("ended", "Membership ended"),
    ],
)
def test_the_public_page_says_where_the_membership_stands(
    status: str, label: str, client: Client
) -> None:
    make_delegation("HN", status)
    assert label in page(client, "HN")
    assert "Honduras" in client.get("/network/public/").content.decode()


def test_a_country_that_is_no_member_is_not_found(client: Client) -> None:
    assert client.get("/network/public/ZZ/").status_code == 404
    assert client.get("/network/public/%3Cscript%3E/").status_code == 404


def test_a_listed_name_is_read_from_its_published_copy_never_from_the_encrypted_name(
    client: Client,
) -> None:
    kenya = make_delegation("KE", contacts=False)
    kenya.member.published_fields = ["focal_points"]
    kenya.member.save()
    listed = members.add_contact(
        kenya.state,
        kenya.member,
        members.ContactInput("state", "Wanjiru Listed", function="Director", listed_publicly=True),
    )
    unlisted = members.add_contact(
        kenya.nhri, kenya.member, members.ContactInput("nhri", "Otieno Unlisted")
    )
    assert (listed.published_name, unlisted.published_name) == ("Wanjiru Listed", "")
    # The encrypted name is what staff read; the public page never opens it.
    listed.name = "ENCRYPTEDNAME"
    listed.save(update_fields=["name"])
    shown = page(client)
    assert "Wanjiru Listed" in shown and "Director" in shown
    assert "ENCRYPTEDNAME" not in shown and "Otieno" not in shown


def test_the_migration_publishes_the_names_of_contacts_listed_before_the_published_copy(
    client: Client,
) -> None:
    migration = importlib.import_module("amparo.network.migrations.0002_contact_published_name")
    kenya = make_delegation("KE", contacts=False)
    listed = ContactPerson.objects.create(
        member=kenya.member, part="state", name="Listed Before", listed_publicly=True
    )
    unlisted = ContactPerson.objects.create(member=kenya.member, part="nhri", name="Not Listed")
    migration.publish_listed_names(django_apps, None)
    listed.refresh_from_db()
    unlisted.refresh_from_db()
    assert (listed.published_name, unlisted.published_name) == ("Listed Before", "")
