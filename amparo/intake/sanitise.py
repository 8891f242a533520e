"""What the reporter uploads: recognised by content, stripped of metadata, or refused with a reason.

Accepted: photos and pictures (JPEG, PNG, WebP, GIF), PDF documents and plain UTF-8 text. The
type is read from the first bytes of the file, never from its name or the browser's claim.

* Images are decoded and re-encoded from their pixels alone, after turning them the way the
  camera's orientation tag says: EXIF (camera, GPS position, times), XMP, IPTC, ICC profiles,
  comments and text chunks are all left behind. Photos are saved as JPEG, pictures with
  transparency and lossless ones as PNG; an animation keeps its first frame.
* PDFs are rewritten by qpdf (pikepdf) with every picture re-encoded from its pixels and without
  metadata, scripts, actions or external links (`amparo.intake.pdfs` lists what goes), with a
  trailer /ID computed from the new content. PDFs with files embedded in them, or needing a
  password, are refused. A PDF that can be read but not cleaned with certainty (a picture in a
  format that cannot be re-encoded here) is kept in quarantine: stored, shown to staff with the
  reason, never served.
* Text is kept as written (it has no metadata), without a byte order mark.

The file name is kept for staff (encrypted), cleaned of paths, control characters and
direction overrides, and given the extension of its real type.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from amparo.intake import conf, pdfs, pixels

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
TEXT = "text/plain"

EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf", TEXT: ".txt"}
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}
_UTF8_BOM = b"\xef\xbb\xbf"
# Bidirectional overrides and isolates can make "photo\u202egpj.exe" display as "photo.exe.jpg".
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
MAX_NAME_CHARS = 100
# Control characters (Unicode category Cc) but tab, line feed, form feed and carriage return:
# text that holds one is not plain text. Searched for in the whole file.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class Rejected(Exception):
    """The file cannot be accepted; the message says why, for the reporter."""


@dataclass(frozen=True)
class CleanFile:
    name: str
    media_type: str
    data: bytes
    # Why the file could not be cleaned (a Quarantine code), or "" for a clean file.
    quarantine: str = ""


def accepted_types_text() -> str:
    return _("photos or pictures (JPEG, PNG, WebP, GIF), PDF documents and plain text files")


def sniff(data: bytes) -> str | None:
    """The media type the content shows, or None if it is not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if _is_text(data):
        return TEXT
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(text) is None


def display_name(name: str) -> str:
    """The name without any path, control characters or direction overrides."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(
        c for c in base if unicodedata.category(c) not in {"Cc", "Cf"} and c not in _BIDI_CONTROLS
    )
    return " ".join(base.split())[: MAX_NAME_CHARS + 10] or _("file")


def clean_name(name: str, media_type: str) -> str:
    """The name to store: cleaned, and with the extension of the file's real type."""
    base = display_name(name)
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    return (stem.strip(" .")[:MAX_NAME_CHARS] or _("file")) + EXTENSIONS[media_type]


def clean(name: str, data: bytes, budget: pixels.PixelBudget | None = None) -> CleanFile:
    """The file as it will be stored, or Rejected with the reason. A PDF that can be read but
    not cleaned with certainty comes back unchanged with `quarantine` set: it is stored for
    staff to know of, and never served. Pictures decode within the sending's pixel `budget`."""
    shown = display_name(name)
    budget = budget or pixels.PixelBudget(conf.MAX_REQUEST_IMAGE_PIXELS)
    if not data:
        raise Rejected(_("“%(name)s” is empty.") % {"name": shown})
    media_type = sniff(data)
    if media_type is None:
        raise Rejected(
            _("“%(name)s” is not a kind of file we can accept. We accept %(types)s.")
            % {"name": shown, "types": accepted_types_text()}
        )
    if media_type == PDF:
        try:
            cleaned = _clean_pdf(shown, data, budget)
        except pdfs.Uncleanable as uncleanable:
            return CleanFile(clean_name(name, PDF), PDF, data, quarantine=uncleanable.reason)
    elif media_type == TEXT:
        cleaned = data.removeprefix(_UTF8_BOM)
    else:
        cleaned, media_type = _clean_image(shown, data, media_type, budget)
    return CleanFile(clean_name(name, media_type), media_type, cleaned)


def _too_many_pixels(shown: str, error: pixels.TooManyPixels) -> Rejected:
    if error.in_total:
        return Rejected(
            _(
                "“%(name)s” was not read: together, the pictures you are sending have more than "
                "%(megapixels)d million pixels. Please send the others later, from the "
                "follow-up page."
            )
            % {"name": shown, "megapixels": conf.MAX_REQUEST_IMAGE_PIXELS // 1_000_000}
        )
    return Rejected(
        _("“%(name)s” has too many pixels (at most %(megapixels)d million).")
        % {"name": shown, "megapixels": conf.MAX_IMAGE_PIXELS // 1_000_000}
    )


def _clean_image(
    shown: str, data: bytes, media_type: str, budget: pixels.PixelBudget
) -> tuple[bytes, str]:
    try:
        image = pixels.decode(data, [_PIL_FORMATS[media_type]], conf.MAX_IMAGE_PIXELS, budget)
    except pixels.TooManyPixels as error:
        raise _too_many_pixels(shown, error) from None
    except pixels.Undecodable:
        raise Rejected(
            _("“%(name)s” looks like a picture but cannot be read: it may be damaged.")
            % {"name": shown}
        ) from None
    bare = pixels.pixels_only(image)
    if media_type in {JPEG, WEBP} and "A" not in bare.getbands():
        if bare.mode not in {"L", "RGB"}:
            bare = bare.convert("RGB")
        return pixels.encode(bare, "JPEG"), JPEG
    return pixels.encode(bare, "PNG"), PNG


def _clean_pdf(shown: str, data: bytes, budget: pixels.PixelBudget) -> bytes:
    try:
        return pdfs.clean(data, max_pixels=conf.MAX_IMAGE_PIXELS, budget=budget)
    except pdfs.HasEmbeddedFiles:
        raise Rejected(
            _(
                "“%(name)s” has other files embedded in it. Please send those files "
                "separately and the PDF without them."
            )
            % {"name": shown}
        ) from None
    except pdfs.PasswordProtected:
        raise Rejected(
            _("“%(name)s” is protected by a password. Please send it without the password.")
            % {"name": shown}
        ) from None
    except pixels.TooManyPixels as error:
        raise _too_many_pixels(shown, error) from None
    except pdfs.Unreadable:
        raise Rejected(
            _("“%(name)s” looks like a PDF but cannot be read: it may be damaged.")
            % {"name": shown}
        ) from None
