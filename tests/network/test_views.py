"""The network's pages: each capacity finds its work, forms go through the services, refusals
are messages (never a 500), and a page shows only what its reader may see."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amparo.core.models import AuditEntry, User
from amparo.network.models import (
    Commitment,
    ContactPerson,
    Meeting,
    Member,
    ProgressReport,
    Review,
)
from amparo.network.queries import today
from amparo.network.services import lifecycle
from tests.factories import network_member
from tests.network.conftest import Delegation, make_delegation, sign_in

pytestmark = pytest.mark.django_db
NEEDS_VOCABULARIES = False


def as_user(client: Client, user: User) -> Client:
    return sign_in(client, user)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_network_is_in_the_navigation_of_staff(client: Client, observer: User) -> None:
    text = as_user(client, observer).get("/").content.decode()
    assert 'href="/network/"' in text


@pytest.mark.parametrize(
    "path,allowed",
    [
        ("/network/", 200),
        ("/network/members/KE/", 200),
        ("/network/directory/", 200),
        ("/network/governance/", 200),
        ("/network/export/", 200),
        ("/network/scorecard/", 403),
        ("/network/meetings/", 403),
        ("/network/members/new/", 403),
        ("/network/members/KE/commitments/new/", 403),
        ("/network/members/KE/steps/suspend/", 403),
    ],
)
def test_what_a_staff_member_outside_the_network_may_open(
    client: Client, observer: User, kenya: Delegation, path: str, allowed: int
) -> None:
    assert as_user(client, observer).get(path).status_code == allowed


def test_the_secretariat_proposes_and_invites_a_state_with_a_drafted_letter(
    client: Client, secretariat: User
) -> None:
    as_user(client, secretariat)
    response = client.post(
        "/network/members/new/", {"country": "CR", "reason": "A protection law."}
    )
    assert response.status_code == 302 and response["Location"] == "/network/members/CR/"
    form = client.get("/network/members/CR/steps/invite/")
    letter = form.context["form"].initial["letter_text"]
    assert "Costa Rica" in letter
    response = client.post(
        "/network/members/CR/steps/invite/", {"reason": "Committed.", "letter_text": letter}
    )
    assert response.status_code == 302
    assert Member.objects.get(country="CR").status == "invited"
    page = client.get("/network/members/CR/").content.decode()
    assert "Invitation letter" in page


def test_the_signed_letter_may_be_uploaded_and_read_back(client: Client, secretariat: User) -> None:
    network_member("CR", "proposed")
    as_user(client, secretariat)
    upload = SimpleUploadedFile("letter.txt", b"Signed invitation.", "text/plain")
    client.post("/network/members/CR/steps/invite/", {"reason": "R.", "letter_file": upload})
    member = Member.objects.get(country="CR")
    change = member.changes.get(transition="invite")
    response = client.get(f"/network/members/CR/letters/{change.letter_id}/")
    assert response.status_code == 200
    assert b"Signed invitation." in b"".join(response.streaming_content)


def test_an_illegal_step_is_explained_on_the_form_and_nothing_changes(
    client: Client, secretariat: User
) -> None:
    make_delegation("KE", "invited")
    as_user(client, secretariat)
    response = client.post("/network/members/KE/steps/activate/", {"reason": "Too early."})
    assert response.status_code == 200
    assert (
        "Activate the membership is possible from Accepted, joining only"
        in response.content.decode()
    )
    assert Member.objects.get(country="KE").status == "invited"


def test_the_member_page_says_what_activation_still_needs(
    client: Client, secretariat: User
) -> None:
    make_delegation("KE", "accepted", parts=("state", "nhri"))
    text = as_user(client, secretariat).get("/network/members/KE/").content.decode()
    assert "The delegation is not complete: Civil society need" in text
    assert "/network/members/KE/steps/activate/" not in text


def test_a_delegation_adds_its_focal_point_through_the_page(
    client: Client, kenya: Delegation
) -> None:
    as_user(client, kenya.nhri)
    response = client.post(
        "/network/members/KE/focal-points/",
        {"part": "nhri", "name": "Achieng", "function": "Commissioner", "email": "a@example.org"},
    )
    assert response.status_code == 302
    assert ContactPerson.objects.filter(member=kenya.member, part="nhri").count() == 2
    response = client.post("/network/members/KE/focal-points/", {"part": "state", "name": "Nope"})
    assert "Select a valid choice" in " ".join(messages_of(client.get(response["Location"])))


def test_the_state_records_a_commitment_with_indicators_and_reports_progress(
    client: Client, kenya: Delegation
) -> None:
    as_user(client, kenya.state)
    response = client.post(
        "/network/members/KE/commitments/new/",
        {
            "kind": "protection_mechanism",
            "title": "Fund the protection mechanism",
            "due_on": "2027-12-31",
            "indicator_0": "Budget line voted",
            "target_0": "USD 2 million",
            "publish": "on",
        },
    )
    commitment = Commitment.objects.get()
    assert response["Location"] == f"/network/commitments/{commitment.pk}/"
    assert commitment.published_on == today()
    client.post(
        f"/network/commitments/{commitment.pk}/progress/",
        {"assessment": "on_track", "text": "The budget is before Parliament."},
    )
    report = ProgressReport.objects.get()
    as_user(client, kenya.civil_society).post(
        f"/network/progress/{report.pk}/comments/", {"text": "Civil society was not consulted."}
    )
    page = client.get(f"/network/commitments/{commitment.pk}/").content.decode()
    assert "Civil society was not consulted." in page


def test_a_commitment_without_indicators_is_refused_at_the_form(
    client: Client, kenya: Delegation
) -> None:
    response = as_user(client, kenya.state).post(
        "/network/members/KE/commitments/new/",
        {"kind": "other", "title": "Vague", "due_on": "2027-01-01"},
    )
    assert response.status_code == 200
    assert "Give at least one indicator" in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_review_runs_through_the_pages(
    client: Client, kenya: Delegation, secretariat: User, steering: User
) -> None:
    lifecycle.transition(secretariat, kenya.member, "open_review", reason="Periodic.")
    review = Review.objects.get()
    url = f"/network/reviews/{review.pk}/"
    as_user(client, kenya.state).post(url + "submissions/", {"text": "Our self-assessment."})
    as_user(client, kenya.nhri).post(url + "submissions/", {"text": "Threats against staff."})
    state_view = as_user(client, kenya.state).get(url).content.decode()
    assert "Our self-assessment." in state_view and "Threats against staff." not in state_view
    as_user(client, secretariat).post(url + "summary/", {"text": "Reprisals against the NHRI."})
    steering_view = as_user(client, steering).get(url).content.decode()
    assert (
        "Threats against staff." in steering_view
        and "Scorecard kept by the review" in steering_view
    )
    client.post(url + "recommendation/", {"outcome": "suspension_recommended", "text": "Suspend."})
    review.refresh_from_db()
    assert review.outcome == "suspension_recommended"
    response = as_user(client, secretariat).post(
        "/network/members/KE/steps/suspend/", {"reason": "The steering group recommended it."}
    )
    assert response.status_code == 302 and Member.objects.get(country="KE").status == "suspended"


def test_the_directory_shows_each_reader_what_the_rules_allow(
    client: Client, kenya: Delegation, secretariat: User, observer: User
) -> None:
    secretariat_view = as_user(client, secretariat).get("/network/directory/").content.decode()
    observer_view = as_user(client, observer).get("/network/directory/").content.decode()
    assert "civil_society.ke@example.org" in secretariat_view
    assert "Focal civil_society KE" in secretariat_view
    assert "Focal civil_society KE" not in observer_view
    assert "civil_society.ke@example.org" not in observer_view
    # Staff outside the network's work hold no network key: the fields in the clear only.
    assert "state.ke@example.org" not in observer_view and "Focal state KE" not in observer_view
    assert "state function" in observer_view


def test_exports_are_csv_of_what_the_reader_sees_and_are_audited(
    client: Client, kenya: Delegation, secretariat: User, observer: User
) -> None:
    Commitment.objects.create(
        member=kenya.member, kind="other", title='=HYPERLINK("http://x")', pledged_on=today(),
        due_on=today(), created_by=secretariat,
    )  # fmt: skip
    response = as_user(client, secretariat).get("/network/export/commitments.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["country", "commitment", "kind", "title"]
    assert rows[1][3].startswith("'=")  # a spreadsheet shows it, does not run it
    assert (
        as_user(client, observer)
        .get("/network/export/commitments.csv")
        .content.decode()
        .count("\n")
        == 1
    )
    assert as_user(client, observer).get("/network/export/scorecard.csv").status_code == 403
    assert client.get("/network/export/nothing.csv").status_code == 404
    assert AuditEntry.objects.filter(action="network.export").count() == 2


def test_the_secretariat_keeps_the_record_of_a_meeting(
    client: Client, kenya: Delegation, secretariat: User
) -> None:
    as_user(client, secretariat)
    response = client.post(
        "/network/meetings/new/",
        {
            "title": "Plenary",
            "kind": "plenary",
            "held_on": "2026-05-01",
            "members": [kenya.member.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == f"/network/meetings/{meeting.pk}/"
    client.post(f"/network/meetings/{meeting.pk}/decisions/", {"text": "Open Kenya's review."})
    client.post(
        f"/network/meetings/{meeting.pk}/actions/", {"description": "Send the questionnaire"}
    )
    item = meeting.action_items.get()
    client.post(f"/network/actions/{item.pk}/done/")
    client.post(
        f"/network/meetings/{meeting.pk}/edit/",
        {"title": "Plenary", "kind": "plenary", "held_on": "2026-05-01", "minutes": "Heard Kenya."},
    )
    page = as_user(client, kenya.state).get(f"/network/meetings/{meeting.pk}/").content.decode()
    assert "Open Kenya&#x27;s review." in page and "Heard Kenya." in page
    assert "Mark done" not in page


def test_the_governance_page_shows_the_rotation_ahead_and_the_secretariat_confirms_it(
    client: Client, secretariat: User, chairs: tuple[Delegation, Delegation]
) -> None:
    make_delegation("KE")
    page = as_user(client, secretariat).get("/network/governance/").content.decode()
    assert "Computed ahead" in page and "Costa Rica" in page
    response = client.post("/network/governance/co-chairs/next/")
    assert response.status_code == 302


def test_the_member_list_reads_in_a_fixed_number_of_queries(
    client: Client, secretariat: User, django_assert_max_num_queries: Any
) -> None:
    for country in ("KE", "UG", "CO", "MX", "BR", "PH", "IN", "TN", "GT", "HN"):
        make_delegation(country)
    as_user(client, secretariat)
    client.get("/network/")
    # One query per installed scorecard feed, whatever the number of members; and the six of
    # `keys.follow` (who reads the network today, and whether the copies follow it already).
    with django_assert_max_num_queries(38):
        assert client.get("/network/").status_code == 200


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_the_member_page_reads_in_each_language(
    client: Client, kenya: Delegation, secretariat: User, language: str
) -> None:
    as_user(client, secretariat)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    text = client.get("/network/members/KE/").content.decode()
    assert 'dir="rtl"' in text if language == "ar" else 'dir="ltr"' in text
    assert "Delegation" not in text.split("<main", 1)[1]  # translated


# --- what an attacker tries -------------------------------------------------------------------


def test_an_unpublished_commitment_of_another_member_is_not_found_by_its_id(
    client: Client, kenya: Delegation, secretariat: User, observer: User
) -> None:
    draft = Commitment.objects.create(
        member=kenya.member, kind="other", title="Draft pledge", pledged_on=today(),
        due_on=today(), created_by=secretariat,
    )  # fmt: skip
    other = make_delegation("GH")
    for user in (observer, other.state):
        as_user(client, user)
        assert client.get(f"/network/commitments/{draft.pk}/").status_code == 404
        assert client.post(f"/network/commitments/{draft.pk}/publish/").status_code == 404
    assert Commitment.objects.get(pk=draft.pk).published_on is None


def test_a_delegation_cannot_remove_another_parts_organisation_by_its_id(
    client: Client, kenya: Delegation
) -> None:
    from amparo.network.models import DelegateOrganisation

    nhri = DelegateOrganisation.objects.get(member=kenya.member, part="nhri")
    response = as_user(client, kenya.state).post(
        f"/network/members/KE/organisations/{nhri.pk}/remove/"
    )
    assert "You may not change this part" in " ".join(messages_of(client.get(response["Location"])))
    assert DelegateOrganisation.objects.filter(pk=nhri.pk).exists()
    other = make_delegation("GH")
    foreign = DelegateOrganisation.objects.get(member=other.member, part="state")
    assert client.post(f"/network/members/KE/organisations/{foreign.pk}/remove/").status_code == 404


def test_records_edited_behind_the_apps_back_do_not_break_the_pages(
    client: Client, kenya: Delegation, secretariat: User
) -> None:
    Review.objects.create(member=kenya.member, number=1, opened_on=today(), scorecard=["garbage"])
    Member.objects.filter(pk=kenya.member.pk).update(status="vanished", published_fields="nonsense")
    as_user(client, secretariat)
    assert client.get("/network/members/KE/").status_code == 200
    assert client.get(f"/network/reviews/{Review.objects.get().pk}/").status_code == 200
    assert client.get("/network/scorecard/").status_code == 200


def test_a_letters_file_name_cannot_break_the_download_header(
    client: Client, secretariat: User
) -> None:
    network_member("CR", "proposed")
    as_user(client, secretariat)
    upload = SimpleUploadedFile('a"; filename="evil.html', b"Signed.", "text/plain")
    client.post("/network/members/CR/steps/invite/", {"reason": "R.", "letter_file": upload})
    change = Member.objects.get(country="CR").changes.get(transition="invite")
    response = client.get(f"/network/members/CR/letters/{change.letter_id}/")
    disposition = response["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and 'evil.html"' not in disposition.split(";", 1)[1].rsplit("filename", 1)[0]
    )
    assert response["Content-Type"].startswith("text/plain")
