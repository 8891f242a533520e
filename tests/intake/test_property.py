"""Malformed reports, receipts, replies and staff actions thrown at the views: never a server
error, never a half-saved submission.

The default runs keep the suite fast; the `slow` ones throw thousands of inputs (CI runs them).
"""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from amparo.core.models import Organisation, User
from amparo.intake import conf, tokens
from amparo.intake.models import (
    Attachment,
    AttachmentBlob,
    Message,
    Note,
    Recipient,
    Submission,
)
from tests.factories import intake_answers, intake_report

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
THOROUGH = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELDS = [
    *intake_answers(),
    *("when_day", "consent_state", "consent_international", "consent_publication"),
    *("pow", "lang", "unexpected"),
]
# Text a browser can send: any character but lone surrogates, which UTF-8 cannot encode.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "2025",
            "13",
            "99999999999999999999",
            "yes",
            "me",
            "nhri",
            "KE",
            "threat",
            "on",
            "\x00",
            "٣",
            "2025-02-30",
            "x" * 25_000,
        ]
    ),
    st.lists(TEXT, max_size=4),
    st.integers(),
)


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3)).save(buffer, kind)
    return buffer.getvalue()


SAMPLES = [
    _image("PNG"),
    _image("JPEG"),
    _image("GIF"),
    _image("PNG")[:20],
    _image("JPEG")[:-30],
    b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    "plain text ✓".encode(),
    b"\x00\x01binary",
    b"",
]
# Django's parser drops a file part whose name is nothing once cleaned (no printable character,
# ".", "..") before any upload handler sees it, as it drops an empty file input: such a file is
# absent from the request, not half-saved. The names here are ones Django keeps.
FILES = st.lists(
    st.tuples(
        st.text(
            st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters='"\\'),
            min_size=1,
            max_size=40,
        ).filter(lambda name: MultiPartParser.sanitize_file_name(None, os.path.basename(name))),  # type: ignore[arg-type]
        st.one_of(st.sampled_from(SAMPLES), st.binary(max_size=3000)),
    ),
    max_size=3,
)
TOKENS = st.sampled_from(["valid", "valid", "missing", "junk", "other-form"])


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Submission, Recipient, Attachment, AttachmentBlob, Message, Note)
    }


def _token(kind: str, choice: str) -> str | None:
    if choice == "missing":
        return None
    if choice == "junk":
        return "eyJuIjoiMDAifQ:1tAAAA:forged"
    other = tokens.FOLLOW_UP if kind == tokens.REPORT else tokens.REPORT
    return tokens.issue(kind if choice == "valid" else other, bits=conf.POW_BASE_BITS).value


def _files(files: list[tuple[str, bytes]]) -> list[io.BytesIO]:
    uploads = []
    for name, data in files:
        upload = io.BytesIO(data)
        upload.name = name
        uploads.append(upload)
    return uploads


# --- Reports ----------------------------------------------------------------------------------


@st.composite
def report_posts(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = intake_answers()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        if draw(st.booleans()):
            data.pop(name, None)
        else:
            data[name] = draw(VALUES)
    return {"data": data, "token": draw(TOKENS), "files": draw(FILES)}


def check_report_post(client: Client, post: dict[str, Any]) -> None:
    before = counts()
    data = dict(post["data"])
    token = _token(tokens.REPORT, post["token"])
    if token is not None:
        data["token"] = token
    if post["files"]:
        data["files"] = _files(post["files"])
    response = client.post(reverse("intake:report"), data)
    assert response.status_code < 500
    assert not response.cookies
    after = counts()
    if response.status_code == 200 and b'class="receipt"' in response.content:
        assert after["Submission"] == before["Submission"] + 1
        newest = Submission.objects.order_by("-last_position", "-id").first()
        assert newest is not None
        assert after["Recipient"] > before["Recipient"]
        assert after["Attachment"] - before["Attachment"] == len(post["files"])
        assert after["AttachmentBlob"] == after["Attachment"]
    else:
        assert after == before, response.content[:2000]


@FAST
@given(post=report_posts())
def test_malformed_reports_never_fail_and_never_half_save(
    client: Client, receiving: Organisation, post: dict[str, Any]
) -> None:
    check_report_post(client, post)


@pytest.mark.slow
@THOROUGH
@given(post=report_posts())
def test_thousands_of_malformed_reports_never_fail_and_never_half_save(
    client: Client, receiving: Organisation, post: dict[str, Any]
) -> None:
    check_report_post(client, post)


# --- Follow-ups -------------------------------------------------------------------------------


@st.composite
def follow_ups(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "receipt": draw(st.one_of(TEXT, st.just("RIGHT"), st.just("right-lower"))),
        "token": draw(TOKENS),
        "access": draw(st.sampled_from(["valid", "missing", "junk", "expired-looking"])),
        "body": draw(st.one_of(TEXT, st.just(""), st.just("x" * 25_000), st.just("a\x00b"))),
        "files": draw(FILES),
        "extra": draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3)),
    }


def check_follow_up(
    client: Client, receipt: str, submission: Submission, post: dict[str, Any]
) -> None:
    typed = {"RIGHT": receipt, "right-lower": receipt.lower()}.get(post["receipt"], post["receipt"])
    data: dict[str, Any] = {**post["extra"], "receipt": typed}
    token = _token(tokens.FOLLOW_UP, post["token"])
    if token is not None:
        data["token"] = token
    response = client.post(reverse("intake:follow_up"), data)
    assert response.status_code < 500
    assert not response.cookies

    before = counts()
    access = {
        "valid": tokens.grant_access(submission.pk).value,
        "junk": "amp1:zz:AAAA",
        "expired-looking": "amp1:" + "A" * 60,
        "missing": None,
    }[post["access"]]
    reply: dict[str, Any] = {**post["extra"], "body": post["body"]}
    if access is not None:
        reply["access"] = access
    reply_token = _token(tokens.REPLY, post["token"])
    if reply_token is not None:
        reply["token"] = reply_token
    if post["files"]:
        reply["files"] = _files(post["files"])
    response = client.post(reverse("intake:follow_up_reply"), reply)
    assert response.status_code < 500
    after = counts()
    if response.status_code == 200 and b"has been received" in response.content:
        added = (after["Message"] - before["Message"]) + (
            after["Attachment"] - before["Attachment"]
        )
        assert added >= 1
        assert after["AttachmentBlob"] == after["Attachment"]
    else:
        assert after == before


@pytest.fixture
def report(receiving: Organisation) -> tuple[Submission, str]:
    """One report, shared by all the examples of a test (they run in the test's transaction)."""
    submission, receipt = intake_report()
    return submission, receipt.receipt


@FAST
@given(post=follow_ups())
def test_malformed_follow_ups_never_fail_and_never_half_save(
    client: Client, report: tuple[Submission, str], post: dict[str, Any]
) -> None:
    check_follow_up(client, report[1], report[0], post)


@pytest.mark.slow
@THOROUGH
@given(post=follow_ups())
def test_thousands_of_malformed_follow_ups_never_fail_and_never_half_save(
    client: Client, report: tuple[Submission, str], post: dict[str, Any]
) -> None:
    check_follow_up(client, report[1], report[0], post)


# --- Staff actions ------------------------------------------------------------------------------

ACTIONS = ["assign", "status", "mark", "reply", "note", "communication", "open_case"]


@FAST
@given(
    action=st.sampled_from(ACTIONS),
    data=st.dictionaries(
        st.sampled_from(
            [
                "assignee",
                "status",
                "disposition",
                "duplicate_of",
                "reply-body",
                "note-body",
                "sent",
                "organisation",
            ]
        ),
        VALUES,
        max_size=4,
    ),
)
def test_malformed_staff_actions_never_fail(
    staff_client: Client,
    documentalist: User,
    report: tuple[Submission, str],
    action: str,
    data: dict[str, Any],
) -> None:
    submission = report[0]
    response = staff_client.post(reverse(f"intake:{action}", args=[submission.pk]), data)
    assert response.status_code < 500
