"""The public report page: headers, cookies, languages, the guided form and what it stores."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.core.models import Organisation, User
from amparo.intake import conf, receipts, tokens
from amparo.intake.models import Attachment, Message, Recipient, Submission
from tests.factories import intake_answers
from tests.intake.conftest import proof_of_work

pytestmark = pytest.mark.django_db

REPORT = reverse("intake:report")
FOLLOW_UP = reverse("intake:follow_up")


def form_token(client: Client, path: str = REPORT) -> str:
    page = client.get(path).content.decode()
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "the form carries a token"
    return match.group(1)


def post_report(client: Client, **overrides: Any) -> Any:
    """The form as a browser sends it: the token (the first field of the page) first."""
    token = overrides.pop("token", None)
    data = {"token": form_token(client) if token is None else token, **intake_answers(**overrides)}
    return client.post(REPORT, data)


def receipt_in(response: Any) -> str:
    match = re.search(r'class="receipt"[^>]*>([0-9A-Z-]+)<', response.content.decode())
    assert match, "the page shows the receipt"
    return match.group(1)


def jpeg_with_location() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"
    exif[0x8825] = {1: "N", 2: (1.0, 17.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


# --- Headers and cookies ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [REPORT, FOLLOW_UP])
def test_public_pages_forbid_caching_framing_referrers_and_foreign_sources(
    client: Client, receiving: Organisation, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy and "*" not in policy
    assert 'content="no-referrer"' in response.content.decode()


@pytest.mark.parametrize("path", [REPORT, FOLLOW_UP])
def test_public_pages_set_no_cookie(client: Client, receiving: Organisation, path: str) -> None:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    assert not response.cookies
    assert "Set-Cookie" not in str(response.headers)
    assert not client.cookies


def test_sending_a_report_sets_no_cookie_either(client: Client, receiving: Organisation) -> None:
    response = post_report(client)
    assert response.status_code == 200
    assert not response.cookies
    assert not client.cookies


def test_the_page_loads_nothing_from_another_host(client: Client, receiving: Organisation) -> None:
    html = client.get(REPORT).content.decode()
    assert not re.search(r'(src|href|action)="(https?:)?//', html)


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar"])
def test_the_report_page_weighs_less_than_50_kilobytes_with_its_style_and_script(
    client: Client, receiving: Organisation, language: str
) -> None:
    html = client.get(REPORT, {"lang": language}).content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+)"', html)
    assert sorted(assets) == [b"amparo/amparo.css", b"intake/pow.js"]
    # Static files are served compressed (WhiteNoise), the page itself not (intake/http.py).
    weight = len(html) + sum(len(gzip.compress(_static(asset.decode()))) for asset in assets)
    assert weight <= 50_000, weight


def _static(path: str) -> bytes:
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    assert isinstance(found, str)
    return Path(found).read_bytes()


# --- Languages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language,direction", [("en", "ltr"), ("fr", "ltr"), ("es", "ltr"), ("ar", "rtl")]
)
def test_the_form_speaks_the_language_chosen_in_the_url(
    client: Client, receiving: Organisation, language: str, direction: str
) -> None:
    response = client.get(REPORT, {"lang": language})
    html = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert response["Content-Language"] == language
    assert f'action="{REPORT}?lang={language}"' in html


def test_an_unknown_language_falls_back_to_the_browsers(
    client: Client, receiving: Organisation
) -> None:
    html = client.get(REPORT, {"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es"' in html


def test_vocabulary_choices_are_labelled_in_the_pages_language(
    client: Client, receiving: Organisation
) -> None:
    html = client.get(REPORT, {"lang": "fr"}).content.decode()
    assert "Menace de mort" in html
    assert "Représailles pour coopération avec l&#x27;ONU" in html or "ONU" in html


# --- Submitting ---------------------------------------------------------------------------------


def test_a_report_is_stored_and_a_receipt_shown_once(
    client: Client, receiving: Organisation
) -> None:
    response = post_report(client)
    assert response.status_code == 200
    receipt = receipt_in(response)
    assert receipts.normalise(receipt) is not None
    submission = Submission.objects.get()
    assert submission.organisation == receiving
    assert submission.receipt_hash == receipts.hash_receipt(receipts.normalise(receipt) or "")
    assert submission.what_happened.startswith("Two men on a motorbike")
    assert submission.incident_date == "2025-03-14"
    assert submission.incident_date_precision == "day"
    assert submission.acts == ["surveillance_physical", "threat_death"]
    assert submission.consent_partner and not submission.consent_state
    assert submission.language == "en"
    assert "SHA-256" in response.content.decode()


@pytest.mark.parametrize(
    "parts,stored,precision",
    [
        ({"when_day": "", "when_month": "", "when_year": "2024"}, "2024", "year"),
        ({"when_day": "", "when_month": "7", "when_year": "2024"}, "2024-07", "month"),
        ({"when_day": "", "when_month": "", "when_year": ""}, "", "unknown"),
    ],
)
def test_the_date_is_kept_as_precisely_as_it_was_given(
    client: Client, receiving: Organisation, parts: dict[str, str], stored: str, precision: str
) -> None:
    assert post_report(client, **parts).status_code == 200
    submission = Submission.objects.get()
    assert (submission.incident_date, submission.incident_date_precision) == (stored, precision)


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"what_happened": "   "}, "what_happened", "Please tell us what happened."),
        ({"target": "nobody"}, "target", "Select a valid choice"),
        ({"danger": None}, "danger", "Please tell us whether anyone is in danger."),
        ({"when_day": "31", "when_month": "2"}, "when_day", "does not exist in that month"),
        ({"when_year": "2999"}, "when_year", "in the future"),
        ({"when_year": "", "when_month": "4", "when_day": ""}, "when_year", "Give the year"),
        ({"when_month": "", "when_day": "4"}, "when_day", "Give the month"),
        ({"country": "XX"}, "country", "Select a valid choice"),
        ({"acts": ["not_an_act"]}, "acts", "Select a valid choice"),
        ({"contact_method": "phone"}, "contact_details", "Tell us how to reach you"),
        ({"region": "x" * 501}, "region", "at most 500 characters"),
    ],
)
def test_bad_answers_are_refused_with_a_clear_message_and_nothing_is_saved(
    client: Client, receiving: Organisation, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = post_report(client, **overrides)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Please check the answers marked below." in html
    assert not Submission.objects.exists()


def test_answers_are_kept_when_the_form_comes_back_with_errors(
    client: Client, receiving: Organisation
) -> None:
    response = post_report(client, what_happened="They burned the office.", danger=None)
    assert "They burned the office." in response.content.decode()


def test_a_missing_or_forged_token_is_refused(client: Client, receiving: Organisation) -> None:
    for token in ["", "forged", form_token(client, FOLLOW_UP)]:
        response = post_report(client, token=token)
        assert response.status_code == 400
        assert "could not be checked" in response.content.decode()
    assert not Submission.objects.exists()


def test_an_expired_form_keeps_the_answers_and_explains(
    client: Client, receiving: Organisation, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = form_token(client)
    monkeypatch.setattr(conf, "FORM_TOKEN_MAX_AGE", -1)
    response = post_report(client, token=token, what_happened="Kept answer")
    assert response.status_code == 400
    html = response.content.decode()
    assert "expired" in html and "Kept answer" in html


def test_a_form_cannot_be_sent_twice_and_its_answers_are_not_shown_again(
    client: Client, receiving: Organisation
) -> None:
    token = form_token(client)
    assert post_report(client, token=token, victim_name="Amina Odhiambo").status_code == 200
    response = post_report(client, token=token, victim_name="Amina Odhiambo")
    assert response.status_code == 409
    html = response.content.decode()
    assert "already sent" in html
    assert "Amina Odhiambo" not in html and "motorbike" not in html
    assert Submission.objects.count() == 1


def test_a_cross_site_post_is_refused(client: Client, receiving: Organisation) -> None:
    data = {**intake_answers(), "token": form_token(client)}
    response = client.post(REPORT, data, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_the_channel_says_so_when_no_organisation_receives_reports(
    client: Client, db: None, settings: Any
) -> None:
    settings.AMPARO_INTAKE_ORGANISATION = ""
    response = client.get(REPORT)
    assert response.status_code == 503
    assert "not open" in response.content.decode()


# --- Files --------------------------------------------------------------------------------------


def test_photos_are_stored_encrypted_and_without_their_metadata(
    client: Client, receiving: Organisation
) -> None:
    photo = jpeg_with_location()
    assert b"CameraMakerSecret" in photo
    response = post_report(
        client,
        files=[upload("IMG_2031.JPG", photo), upload("notes.txt", b"Plate KDA 123")],
    )
    assert response.status_code == 200
    first, second = Attachment.objects.order_by("position")
    assert (first.name, first.media_type, second.media_type) == (
        "IMG_2031.jpg",
        "image/jpeg",
        "text/plain",
    )
    from amparo.intake import files

    stored = files.unseal(first.pk, first.file_key, bytes(first.blob.sealed))
    assert stored.startswith(b"\xff\xd8") and b"CameraMakerSecret" not in stored
    assert b"Exif" not in stored
    assert b"CameraMakerSecret" not in bytes(first.blob.sealed)
    assert b"Plate KDA" not in bytes(second.blob.sealed)


def test_a_file_of_a_forbidden_type_is_refused_with_its_reason_and_nothing_is_saved(
    client: Client, receiving: Organisation
) -> None:
    program = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256))
    response = post_report(client, files=[upload("photo.jpg", program)])
    assert response.status_code == 400
    assert "“photo.jpg” is not a kind of file we can accept" in response.content.decode()
    assert not Submission.objects.exists() and not Attachment.objects.exists()


def test_an_oversized_file_is_refused_with_its_reason(
    client: Client, receiving: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conf, "MAX_FILE_BYTES", 1024)
    response = post_report(client, files=[upload("big.txt", b"a" * 5000)])
    assert response.status_code == 400
    assert "“big.txt” is larger than" in response.content.decode()
    assert not Submission.objects.exists()


def test_more_files_than_allowed_are_refused(
    client: Client, receiving: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conf, "MAX_FILES", 2)
    response = post_report(client, files=[upload(f"{n}.txt", b"note") for n in range(3)])
    assert response.status_code == 400
    assert "at most 2 files" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_request_too_large_to_read_is_refused_before_it_is_read(
    client: Client, receiving: Organisation
) -> None:
    response = client.post(
        REPORT, b"", content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(conf.MAX_REQUEST_BYTES + 1),
    )  # fmt: skip
    assert response.status_code == 413


def test_a_malformed_body_gets_a_clear_answer(client: Client, receiving: Organisation) -> None:
    response = client.post(REPORT, b"--x\r\nbroken", content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400


def test_a_failure_while_saving_leaves_nothing_behind(
    client: Client, receiving: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amparo.intake.services import submissions

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(submissions, "proof_digest", fail)
    client.raise_request_exception = False
    response = post_report(client, files=[upload("a.txt", b"text")])
    assert response.status_code == 500
    assert not Submission.objects.exists()
    assert not Attachment.objects.exists() and not Recipient.objects.exists()
    assert not Message.objects.exists()


# --- Routing and notification ----------------------------------------------------------------


def test_a_report_goes_to_the_receiving_organisation(
    client: Client, receiving: Organisation, secretariat: Organisation
) -> None:
    post_report(client)
    assert list(Recipient.objects.values_list("organisation__short_code", "reason")) == [
        ("NHRI-T", "receiving")
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {"target": "nhri"},
        {"acts": ["nhri_budget_cut"]},
        {"acts": ["nhri_access_detention"]},
        {"defender_types": ["nhri_staff"]},
    ],
    ids=["about-an-nhri", "nhri-reprisal-act", "nested-nhri-act", "nhri-staff"],
)
def test_a_reprisal_against_an_nhri_also_goes_to_the_network_secretariat(
    client: Client, receiving: Organisation, secretariat: Organisation, overrides: dict[str, Any]
) -> None:
    post_report(client, **overrides)
    assert set(Recipient.objects.values_list("organisation__short_code", "reason")) == {
        ("NHRI-T", "receiving"),
        ("SEC-T", "nhri_reprisal"),
    }


def test_routing_to_the_secretariat_can_be_switched_off(
    client: Client, receiving: Organisation, secretariat: Organisation, settings: Any
) -> None:
    settings.AMPARO_INTAKE_NHRI_REPRISALS_TO = ""
    post_report(client, target="nhri")
    assert Recipient.objects.get().organisation == receiving


def test_handlers_are_emailed_without_any_report_content(
    client: Client,
    receiving: Organisation,
    documentalist: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_report(client, what_happened="Secret details of the attack")
    assert [message.to for message in mail.outbox] == [["doc@example.org"]]
    message = mail.outbox[0]
    text = message.subject + message.body
    assert "Test Human Rights Commission" in text
    for secret in ("Secret details", "Nairobi", "danger", "threat", "lawyer", "motorbike"):
        assert secret.lower() not in text.lower()


def test_a_proof_of_work_counts_the_zero_bits_of_its_hash_and_nothing_else(db: None) -> None:
    token = tokens.issue(tokens.REPORT, bits=10)
    answer = next(str(n) for n in itertools.count() if tokens.work(token, str(n)) >= 10)
    digest = hashlib.sha256(f"{token.nonce}:{answer}".encode()).digest()
    assert tokens.work(token, answer) == tokens.zero_bits(digest) >= 10
    assert tokens.zero_bits(b"\x00\x0f" + bytes(30)) == 12
    for malformed in ("", "-1", "१२", "1e5", "9" * 13):
        assert tokens.work(token, malformed) == 0


# --- Limits and the proof of report -------------------------------------------------------------


def test_a_busy_channel_says_so_and_keeps_the_answers(
    client: Client, receiving: Organisation, settings: Any
) -> None:
    settings.AMPARO_INTAKE_RATE_LIMITS = {"submit_without_pow": (1, 60)}
    assert post_report(client).status_code == 200
    response = post_report(client, what_happened="Second report, kept")
    assert response.status_code == 429
    html = response.content.decode()
    assert "wait a minute" in html and "Second report, kept" in html
    assert Submission.objects.count() == 1


def test_a_solved_puzzle_does_not_draw_on_the_budget_of_forms_without_javascript(
    client: Client, receiving: Organisation, settings: Any
) -> None:
    settings.AMPARO_INTAKE_RATE_LIMITS = {"submit_without_pow": (0, 60)}
    page = client.get(REPORT).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = proof_of_work(page)
    wrong = next(
        str(n)
        for n in itertools.count()
        if tokens.work(tokens.read(token, tokens.REPORT), str(n)) < conf.POW_BASE_BITS
    )
    assert post_report(client, token=token, pow=wrong).status_code == 429
    assert post_report(client, token=token, pow=answer).status_code == 200


def test_the_proof_of_report_downloads_as_text_and_forged_proofs_are_refused(
    client: Client, receiving: Organisation
) -> None:
    sent = post_report(client).content.decode()
    fields = {
        name: hidden
        for name, hidden in re.findall(r'name="(digest|submitted_at|seal)" value="([^"]+)"', sent)
    }
    response = client.post(reverse("intake:proof"), fields)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    assert fields["digest"] in text and "Two men" not in text
    assert Submission.objects.get().receipt_hash not in text
    from amparo.intake.services import proofs

    assert fields["digest"] == proofs.proof_digest(Submission.objects.get())
    forged = {**fields, "submitted_at": "2020-01-01T00:00:00+00:00"}
    assert client.post(reverse("intake:proof"), forged).status_code == 400
    assert not response.cookies


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"country": "ke"}, "country"),
        ({"danger": "perhaps"}, "danger"),
        ({"language": "de"}, "language"),
        ({"contact_method": "email", "contact_details": " "}, "contact_details"),
        ({"incident_date_precision": "day"}, "incident_date"),
        ({"acts": ["not_an_act"]}, "acts"),
        ({"what_happened": "x" * (conf.MAX_TEXT_CHARS + 1)}, "what_happened"),
        ({"victim_name": "a\x00b"}, "victim_name"),
    ],
)
def test_the_service_checks_a_report_whoever_calls_it(
    receiving: Organisation, changes: dict[str, Any], field: str
) -> None:
    from django.core.exceptions import ValidationError

    from amparo.intake.services import submissions

    answers: dict[str, Any] = {
        "what_happened": "Threats at the market.",
        "danger": "no",
        "target": "me",
        "language": "en",
        **changes,
    }
    with pytest.raises(ValidationError) as raised:
        submissions.submit_report(submissions.ReportInput(**answers), [])
    assert field in raised.value.message_dict
    assert not Submission.objects.exists()


def test_the_groups_of_a_list_fold_and_a_group_with_a_chosen_box_comes_back_open(
    client: Client, receiving: Organisation
) -> None:
    html = client.get(REPORT).content.decode()
    groups = re.findall(r"<details class=\"group\"( open)?><summary id=\"[^\"]+\">([^<]+)</summary>"
                        r"<div role=\"group\" aria-labelledby=\"[^\"]+\">\s*<label><input "
                        r"type=\"checkbox\" name=\"(?:acts|defender_types)\" value=\"[^\"]+\"> "
                        r"([^<]+)</label>", html)  # fmt: skip
    assert len(groups) >= 10
    assert all(not opened and own == name for opened, name, own in groups)
    assert "not sure which" not in html
    again = post_report(client, acts=["threat_death"], danger=None).content.decode()
    group = again[again.rindex("<details", 0, again.index('value="threat_death"')) :]
    assert group.startswith('<details class="group" open>')


def test_the_answer_to_a_sent_form_makes_the_browser_forget_the_forms_page(
    client: Client, receiving: Organisation
) -> None:
    assert 'autocomplete="off"' in client.get(REPORT).content.decode()
    sent = post_report(client).content.decode()
    forget = reverse("intake:forget")
    assert f'<link rel="stylesheet" href="{forget}">' in sent
    response = client.get(forget)
    assert response.status_code == 200 and response["Clear-Site-Data"] == '"cache"'
    assert "no-store" in response["Cache-Control"] and not response.cookies
