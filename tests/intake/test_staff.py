"""The intake inbox: who handles what, and the staff's work on a report."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from amparo.cases.models import ConsentRecord, Event, RecipientKind
from amparo.core import access as core_access
from amparo.core.models import AuditEntry, Clearance, Organisation, Role, User
from amparo.core.services import DomainError
from amparo.intake import access, queries, sanitise
from amparo.intake.models import Message, Note, Recipient, Status, Submission
from amparo.intake.services import attachments, case_opening, handling
from tests.cases.conftest import sign_in
from tests.factories import OrganisationFactory, intake_report
from tests.intake.conftest import handler

pytestmark = pytest.mark.django_db

INBOX = reverse("intake:inbox")


def detail(submission: Submission, name: str = "detail") -> str:
    return reverse(f"intake:{name}", args=[submission.pk])


# --- Who handles intake ---------------------------------------------------------------------

# role, clearance, organisation ("receiving", "secretariat", "other"), may handle, may open a case
PERMISSION_TABLE = [
    (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, "receiving", True, True),
    (Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, "receiving", True, True),
    (Role.DOCUMENTALIST, Clearance.RESTRICTED, "receiving", True, False),
    (Role.DOCUMENTALIST, Clearance.PUBLIC, "receiving", False, False),
    (Role.FOCAL_POINT, Clearance.CONFIDENTIAL, "receiving", True, False),
    (Role.ANALYST, Clearance.STRICTLY_CONFIDENTIAL, "receiving", False, False),
    (Role.REVIEWER, Clearance.CONFIDENTIAL, "receiving", False, False),
    (Role.READ_ONLY, Clearance.CONFIDENTIAL, "receiving", False, False),
    (Role.STATE_REPRESENTATIVE, Clearance.CONFIDENTIAL, "receiving", False, False),
    (Role.MECHANISM, Clearance.CONFIDENTIAL, "receiving", False, False),
    (Role.NETWORK_SECRETARIAT, Clearance.CONFIDENTIAL, "receiving", False, False),
    (Role.NETWORK_SECRETARIAT, Clearance.RESTRICTED, "secretariat", True, False),
    (Role.DOCUMENTALIST, Clearance.CONFIDENTIAL, "secretariat", True, True),
    (Role.ADMINISTRATOR, Clearance.STRICTLY_CONFIDENTIAL, "other", False, False),
]


@pytest.mark.parametrize(
    "role,clearance,where,handles,opens_case",
    PERMISSION_TABLE,
    ids=[f"{r}-{c}-{w}" for r, c, w, _h, _o in PERMISSION_TABLE],
)
def test_who_may_handle_a_reprisal_report_and_open_a_case(
    receiving: Organisation,
    secretariat: Organisation,
    role: str,
    clearance: int,
    where: str,
    handles: bool,
    opens_case: bool,
) -> None:
    organisation = {
        "receiving": receiving,
        "secretariat": secretariat,
        "other": OrganisationFactory(),
    }[where]
    user = handler(organisation, role=role, clearance=clearance)
    submission, _receipt = intake_report(target="nhri")
    for action in sorted(access.HANDLING_ACTIONS):
        assert access.can(user, action, submission) is handles, action
    assert access.can(user, access.OPEN_CASE, submission) is opens_case
    client = sign_in(Client(), user)
    expected = 200 if handles else 404
    if core_access.has_rule(user, access.RULE):
        assert client.get(detail(submission)).status_code == expected
    else:
        assert client.get(detail(submission)).status_code == 403


def test_the_intake_rule_names_every_handling_role() -> None:
    assert core_access.RULES[access.RULE] == access.HANDLER_ROLES | access.SECRETARIAT_ROLES


def test_deployment_superusers_see_no_reports(receiving: Organisation) -> None:
    intake_report()
    root = User.objects.create_superuser("root", "root@example.org", "long enough password 1")
    assert not access.visible_submissions(root).exists()


def test_handlers_of_one_organisation_never_see_another_organisations_reports(
    receiving: Organisation, settings: Any
) -> None:
    other = OrganisationFactory(short_code="OTHER")
    theirs = handler(other)
    intake_report()
    settings.AMPARO_INTAKE_ORGANISATION = "OTHER"
    own, _receipt = intake_report()
    assert list(access.visible_submissions(theirs)) == [own]


def test_every_staff_page_forbids_caching_and_framing(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    for path in (INBOX, detail(submission)):
        response = staff_client.get(path)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert response["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response["Content-Security-Policy"]


# --- The inbox --------------------------------------------------------------------------------


def test_the_inbox_puts_immediate_danger_first_and_counts_new_and_unread(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    calm, _ = intake_report(danger="no", what_happened="calm")
    urgent, _ = intake_report(danger="yes", what_happened="urgent")
    unsure, _ = intake_report(danger="unsure", what_happened="unsure")
    assert list(queries.inbox(documentalist)) == [urgent, unsure, calm]
    counts = queries.inbox_counts(documentalist)
    assert (counts.new, counts.unread, counts.in_danger, counts.assigned_to_me) == (3, 3, 1, 0)
    response = staff_client.get(INBOX)
    html = response.content.decode()
    assert html.index(urgent.reference) < html.index(unsure.reference) < html.index(calm.reference)
    assert "urgent" not in html  # the list shows no report content
    staff_client.get(detail(urgent))
    assert queries.inbox_counts(documentalist).unread == 2


def test_opening_a_report_is_audited(staff_client: Client, receiving: Organisation) -> None:
    submission, _receipt = intake_report()
    staff_client.get(detail(submission))
    entry = AuditEntry.objects.get(action="intake.view")
    assert entry.object_id == str(submission.pk)
    assert entry.organisation == receiving


def test_a_report_is_read_decrypted_by_its_handlers(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _receipt = intake_report(victim_name="Amina Defender")
    html = staff_client.get(detail(submission)).content.decode()
    assert "Two men on a motorbike" in html and "Amina Defender" in html
    assert "Death threat" in html and "Lawyer" in html


def test_another_organisations_report_is_not_found(receiving: Organisation, settings: Any) -> None:
    submission, _receipt = intake_report()
    outsider = handler(OrganisationFactory())
    client = sign_in(Client(), outsider)
    assert client.get(detail(submission)).status_code == 404
    assert client.post(detail(submission, "reply"), {"reply-body": "hi"}).status_code == 404
    assert not Message.objects.exists()


# --- Working on a report ---------------------------------------------------------------------


def test_staff_reply_and_note_and_only_the_reply_reaches_the_reporter(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    staff_client.post(detail(submission, "reply"), {"reply-body": "We received it."})
    staff_client.post(detail(submission, "note"), {"note-body": "Call the lawyer network."})
    message = Message.objects.get()
    assert (message.author_kind, message.body) == ("staff", "We received it.")
    assert Note.objects.get().body == "Call the lawyer network."
    submission.refresh_from_db()
    assert submission.status == Status.UNDER_REVIEW
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "intake.reply" in actions and "intake.note" in actions
    assert "We received it" not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_an_empty_staff_reply_is_refused_with_a_message(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    response = staff_client.post(detail(submission, "reply"), {"reply-body": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_assignment_to_a_handler_and_refusal_of_anyone_else(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    colleague = handler(receiving, role=Role.FOCAL_POINT)
    stranger = handler(OrganisationFactory())
    staff_client.post(detail(submission, "assign"), {"assignee": colleague.pk})
    submission.refresh_from_db()
    assert submission.assigned_to == colleague
    assert submission.status == Status.UNDER_REVIEW
    with pytest.raises(DomainError):
        handling.assign(documentalist, submission, stranger)
    staff_client.post(detail(submission, "assign"), {"assignee": ""})
    submission.refresh_from_db()
    assert submission.assigned_to is None


def test_status_changes_close_and_reopen_a_report(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    staff_client.post(detail(submission, "status"), {"status": "closed"})
    submission.refresh_from_db()
    assert submission.status == Status.CLOSED and submission.closed_on is not None
    staff_client.post(detail(submission, "status"), {"status": "under_review"})
    submission.refresh_from_db()
    assert submission.status == Status.UNDER_REVIEW and submission.closed_on is None
    response = staff_client.post(
        detail(submission, "status"), {"status": "case_opened"}, follow=True
    )
    assert "Open a case from the report" in response.content.decode()


def test_spam_and_duplicates_are_closed_and_can_be_restored(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    original, _ = intake_report()
    copy, _ = intake_report()
    staff_client.post(
        detail(copy, "mark"), {"disposition": "duplicate", "duplicate_of": original.pk}
    )
    copy.refresh_from_db()
    assert (copy.disposition, copy.duplicate_of, copy.status) == ("duplicate", original, "closed")
    staff_client.post(detail(copy, "mark"), {"disposition": "spam"})
    copy.refresh_from_db()
    assert (copy.disposition, copy.duplicate_of) == ("spam", None)
    staff_client.post(detail(copy, "mark"), {"disposition": ""})
    copy.refresh_from_db()
    assert (copy.disposition, copy.status) == ("", "under_review")
    with pytest.raises(DomainError):
        handling.mark(documentalist, copy, "duplicate", None)
    with pytest.raises(DomainError):
        handling.mark(documentalist, copy, "duplicate", copy)


def test_files_are_downloaded_decrypted_as_attachments_and_audited(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _ = intake_report(
        files=[sanitise.clean("letter\u202eexe.txt", b"A threatening letter")]
    )
    attachment = submission.attachments.get()
    url = reverse("intake:download", args=[submission.pk, attachment.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response.content == b"A threatening letter"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEntry.objects.filter(action="intake.download").exists()


# --- Opening a case -----------------------------------------------------------------------------


def test_opening_a_case_creates_a_draft_event_with_acts_victim_and_consents(
    staff_client: Client, documentalist: User, receiving: Organisation
) -> None:
    submission, _ = intake_report(
        acts=["threat_death", "surveillance_physical"],
        defender_types=["lawyer"],
        victim_name="Amina Defender",
        incident_date=__import__("datetime").date(2025, 3, 1),
        incident_date_precision="month",
        consent_partner=True,
        consent_international=True,
    )
    response = staff_client.post(
        detail(submission, "open_case"), {"organisation": receiving.pk}, follow=True
    )
    assert "was opened as a draft" in response.content.decode()
    submission.refresh_from_db()
    event = submission.event
    assert event is not None and list(event.intake_submissions.all()) == [submission]
    assert submission.status == Status.CASE_OPENED
    assert event.status == Event.Status.DRAFT
    assert event.organisation == receiving
    assert (event.start_date.isoformat(), event.start_precision) == ("2025-03-01", "month")
    assert sorted(event.acts.values_list("type_of_act__code", flat=True)) == [
        "surveillance_physical",
        "threat_death",
    ]
    victim = event.acts.first().victim
    assert victim.full_name == "Amina Defender"
    assert list(victim.defender_types.values_list("code", flat=True)) == ["lawyer"]
    assert set(ConsentRecord.objects.values_list("recipient_kind", flat=True)) == {
        RecipientKind.PARTNER_ORGANISATIONS,
        RecipientKind.INTERNATIONAL_MECHANISM,
    }
    source = event.sources.get()
    assert source.material.startswith("Two men on a motorbike")
    assert event.description == ""  # the report's text stays encrypted
    assert submission.reference in event.notes
    with pytest.raises((PermissionDenied, DomainError)):
        case_opening.open_case(documentalist, submission, receiving)


def test_a_report_about_someone_else_carries_no_consent_for_them(
    documentalist: User, receiving: Organisation
) -> None:
    submission, _ = intake_report(target="someone_else", consent_state=True)
    case_opening.open_case(documentalist, submission, receiving)
    assert not ConsentRecord.objects.exists()


def test_a_focal_point_may_not_open_a_case(receiving: Organisation) -> None:
    focal = handler(receiving, role=Role.FOCAL_POINT)
    submission, _ = intake_report()
    with pytest.raises(PermissionDenied):
        case_opening.open_case(focal, submission, receiving)
    assert not Event.objects.exists()


# --- Routing -----------------------------------------------------------------------------------


def test_the_secretariat_sees_and_answers_reprisals_against_an_nhri(
    receiving: Organisation, secretariat: Organisation
) -> None:
    officer = handler(secretariat, role=Role.NETWORK_SECRETARIAT, clearance=Clearance.RESTRICTED)
    about_nhri, _ = intake_report(target="nhri")
    intake_report(target="me")
    assert list(access.visible_submissions(officer)) == [about_nhri]
    handling.staff_reply(officer, about_nhri, "The secretariat is following this.")
    assert Recipient.objects.filter(organisation=secretariat).count() == 1


def test_opening_a_case_accepts_only_a_recipient_organisation(
    receiving: Organisation, secretariat: Organisation
) -> None:
    both = handler(receiving)
    from tests.factories import MembershipFactory

    MembershipFactory(
        user=both,
        organisation=secretariat,
        role=Role.DOCUMENTALIST,
        clearance=Clearance.CONFIDENTIAL,
    )
    submission, _ = intake_report(target="me")
    with pytest.raises(DomainError):
        case_opening.open_case(both, submission, secretariat)
    nhri_report, _ = intake_report(target="nhri")
    assert case_opening.open_case(both, nhri_report, secretariat).organisation == secretariat


def test_email_notifications_for_replies_go_to_every_handler_once(
    receiving: Organisation, secretariat: Organisation, documentalist: User
) -> None:
    from django.core import mail

    from amparo.intake import notifications

    handler(
        secretariat,
        role=Role.NETWORK_SECRETARIAT,
        clearance=Clearance.RESTRICTED,
        email="sec@example.org",
    )
    submission, _ = intake_report(target="nhri")
    mail.outbox.clear()
    assert notifications.new_report(submission.pk, reply=True).return_value == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["doc@example.org", "sec@example.org"]
    assert all("written again" in m.subject for m in mail.outbox)


def test_a_file_upload_for_staff_is_never_stored_in_clear(receiving: Organisation) -> None:
    data = b"%PDF-" + b"x" * 10
    with pytest.raises(attachments.FilesRejected):
        attachments.prepare_files([attachments.Upload("bad.pdf", data)])
    image = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4)).save(image, "PNG")
    (clean,) = attachments.prepare_files([attachments.Upload("a.png", image.getvalue())])
    assert clean.media_type == "image/png"


def test_staff_pages_keep_a_referrer_policy_that_lets_their_forms_pass_csrf_checks(
    staff_client: Client, receiving: Organisation
) -> None:
    submission, _receipt = intake_report()
    response = staff_client.get(detail(submission))
    assert response["Referrer-Policy"] == "same-origin"
    assert 'content="same-origin"' in response.content.decode()


def test_the_case_page_links_to_the_report_it_was_opened_from_for_its_handlers_only(
    client: Client, documentalist: User, receiving: Organisation
) -> None:
    submission, _ = intake_report()
    event = case_opening.open_case(documentalist, submission, receiving)
    page = reverse("cases:event_detail", args=[event.pk])
    link = f'href="{detail(submission)}"'

    assert link in sign_in(client, documentalist).get(page).content.decode()
    analyst = handler(receiving, role=Role.ANALYST, clearance=Clearance.STRICTLY_CONFIDENTIAL)
    response = sign_in(Client(), analyst).get(page)
    assert response.status_code == 200
    assert link not in response.content.decode()
