"""The follow-up page: the receipt opens a report, wrong receipts are throttled and reveal
nothing, the reporter reads messages, replies and adds files."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.models import Organisation, User
from amparo.intake import receipts
from amparo.intake.models import Attachment, Message, Recipient, Status, Submission
from amparo.intake.services import handling
from tests.factories import intake_report

pytestmark = pytest.mark.django_db

FOLLOW_UP = reverse("intake:follow_up")
REPLY = reverse("intake:follow_up_reply")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"the page has a hidden {name}"
    return match.group(1)


def open_report(client: Client, receipt: str, **extra: Any) -> Any:
    token = hidden(client.get(FOLLOW_UP).content.decode(), "token")
    return client.post(FOLLOW_UP, {"receipt": receipt, "token": token}, **extra)


def reply(client: Client, page: Any, **data: Any) -> Any:
    html = page.content.decode()
    return client.post(
        REPLY, {"access": hidden(html, "access"), "token": hidden(html, "token"), **data}
    )


@pytest.fixture
def report(receiving: Organisation) -> tuple[Submission, str]:
    submission, receipt = intake_report()
    return submission, receipt.receipt


def test_the_receipt_opens_the_report_with_its_status(
    client: Client, report: tuple[Submission, str]
) -> None:
    response = open_report(client, report[1])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Received" in html and "waiting to be read" in html
    assert "No communication or appeal has been sent" in html
    assert not response.cookies


@pytest.mark.parametrize(
    "typed",
    [
        lambda r: r.lower(),
        lambda r: r.replace("-", " "),
        lambda r: r.replace("-", ""),
        lambda r: f"  {r}\n",
        lambda r: r.replace("0", "O").replace("1", "I"),
    ],
    ids=["lower-case", "spaces", "no-dashes", "padded", "confusable-letters"],
)
def test_a_receipt_is_read_the_way_people_copy_it(
    client: Client, report: tuple[Submission, str], typed: Any
) -> None:
    assert open_report(client, typed(report[1])).status_code == 200


def test_the_follow_up_speaks_the_reporters_language(
    client: Client, receiving: Organisation
) -> None:
    _submission, receipt = intake_report(language="ar")
    html = open_report(client, receipt.receipt).content.decode()
    assert '<html lang="ar" dir="rtl">' in html


@pytest.mark.parametrize("receipt", ["", "WRONG", "0000-0000-0000-0000-0000", "ÅÅÅÅ", "x" * 64])
def test_a_wrong_receipt_reveals_nothing(
    client: Client, report: tuple[Submission, str], receipt: str
) -> None:
    response = open_report(client, receipt)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Two men on a motorbike" not in html
    if receipt:
        assert "We found no open report with this receipt" in html


def test_a_purged_report_looks_exactly_like_one_that_never_existed(
    client: Client, report: tuple[Submission, str]
) -> None:
    def answer(receipt: str) -> str:
        html = open_report(client, receipt).content.decode()
        return re.sub(r'value="[^"]*"|data-pow-[a-z]+="[^"]*"', "", html)

    never = answer("0000-0000-0000-0000-0000")
    report[0].delete()
    assert answer(report[1]).replace(report[1], "0000-0000-0000-0000-0000") == never


def test_each_attempt_uses_up_its_form_and_a_wrong_receipt_comes_back_with_a_fresh_one(
    client: Client, report: tuple[Submission, str]
) -> None:
    page = client.get(FOLLOW_UP).content.decode()
    wrong = client.post(
        FOLLOW_UP, {"receipt": "0000-0000-0000-0000-0000", "token": hidden(page, "token")}
    )
    assert wrong.status_code == 400
    again = client.post(FOLLOW_UP, {"receipt": report[1], "token": hidden(page, "token")})
    assert again.status_code == 400 and "Two men on a motorbike" not in again.content.decode()
    fresh = hidden(wrong.content.decode(), "token")
    assert fresh != hidden(page, "token")
    assert client.post(FOLLOW_UP, {"receipt": report[1], "token": fresh}).status_code == 200


def test_without_proof_of_work_the_stricter_limit_applies(
    client: Client, report: tuple[Submission, str], settings: Any
) -> None:
    settings.AMPARO_INTAKE_RATE_LIMITS = {"receipt_without_pow": (1, 60)}
    assert open_report(client, report[1]).status_code == 200
    response = open_report(client, report[1])
    assert response.status_code == 429
    assert "wait a few minutes" in response.content.decode()


def test_the_reporter_reads_staff_messages_and_replies(
    client: Client, report: tuple[Submission, str], documentalist: User
) -> None:
    submission, receipt = report
    handling.staff_reply(documentalist, submission, "Are you safe tonight?")
    page = open_report(client, receipt)
    assert "Are you safe tonight?" in page.content.decode()
    Recipient.objects.update(unread=False)
    response = reply(client, page, body="Yes, I moved to a friend's house.")
    assert response.status_code == 200
    assert "has been received" in response.content.decode()
    assert "moved to a friend" in response.content.decode()
    message = Message.objects.get(author_kind=Message.Author.REPORTER)
    assert message.body == "Yes, I moved to a friend's house."
    assert message.author is None
    assert Recipient.objects.get().unread


def test_the_reporter_can_add_files_later(client: Client, report: tuple[Submission, str]) -> None:
    page = open_report(client, report[1])
    file = io.BytesIO(b"Second letter received on Monday.")
    file.name = "letter.txt"
    response = reply(client, page, body="", files=[file])
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.message is None and attachment.name == "letter.txt"


def test_an_empty_reply_is_refused_with_a_message(
    client: Client, report: tuple[Submission, str]
) -> None:
    response = reply(client, open_report(client, report[1]), body="  ")
    assert response.status_code == 400
    assert "Write a message or add a file." in response.content.decode()
    assert not Message.objects.exists()


def test_a_reply_cannot_be_sent_twice(client: Client, report: tuple[Submission, str]) -> None:
    page = open_report(client, report[1])
    assert reply(client, page, body="Once").status_code == 200
    assert reply(client, page, body="Once").status_code == 409
    assert Message.objects.count() == 1


def test_a_forged_or_expired_access_token_asks_for_the_receipt_again(
    client: Client, report: tuple[Submission, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_report(client, report[1]).content.decode()
    token = hidden(page, "token")
    response = client.post(REPLY, {"access": "amp1:x:forged", "token": token, "body": "hi"})
    assert response.status_code == 400
    assert "Enter your receipt again" in response.content.decode()
    from amparo.intake import conf

    monkeypatch.setattr(conf, "ACCESS_MAX_AGE", -1)
    page = open_report(client, report[1]).content.decode()
    response = client.post(
        REPLY, {"access": hidden(page, "access"), "token": hidden(page, "token"), "body": "hi"}
    )
    assert "Enter your receipt again" in response.content.decode()
    assert not Message.objects.exists()


def test_a_closed_report_takes_no_more_messages(
    client: Client, report: tuple[Submission, str], documentalist: User
) -> None:
    page = open_report(client, report[1])
    handling.set_status(documentalist, report[0], Status.CLOSED)
    response = reply(client, page, body="More news")
    assert response.status_code == 400
    assert "This report is closed" in response.content.decode()


def test_the_reporter_is_told_a_communication_was_sent_but_not_what_it_said(
    client: Client, report: tuple[Submission, str], documentalist: User
) -> None:
    handling.record_communication(documentalist, report[0], True)
    handling.add_note(documentalist, report[0], "Urgent appeal sent to the Special Rapporteur")
    html = open_report(client, report[1]).content.decode()
    assert "A communication or appeal has been sent" in html
    assert "Special Rapporteur" not in html
    assert "Action taken" in html


def test_receipts_have_at_least_80_bits_and_are_stored_only_as_argon2id_hashes(
    report: tuple[Submission, str],
) -> None:
    submission, receipt = report
    assert receipts.ENTROPY_BITS >= 80
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", receipt)
    assert submission.receipt_hash != receipt and receipt.replace("-", "") not in str(
        Submission.objects.values().get()
    )
    assert len({receipts.generate() for _ in range(1000)}) == 1000
    normalised = receipts.normalise(receipt) or ""
    assert receipts.hash_receipt(normalised) == submission.receipt_hash
    assert receipts.hash_receipt(normalised[:-1] + ("0" if normalised[-1] != "0" else "1")) != (
        submission.receipt_hash
    )
