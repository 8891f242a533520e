"""What the reporter uploads: recognised by content, stripped of metadata, or refused with a reason.

Accepted: photos and pictures (JPEG, PNG, WebP, GIF), PDF documents and plain UTF-8 text. The
type is read from the first bytes of the file, never from its name or the browser's claim.

* Images are decoded and re-encoded from their pixels alone, after turning them the way the
  camera's orientation tag says: EXIF (camera, GPS position, times), XMP, IPTC, ICC profiles,
  comments and text chunks are all left behind. Photos are saved as JPEG, pictures with
  transparency and lossless ones as PNG; an animation keeps its first frame.
* PDFs are rewritten by qpdf (pikepdf) without the document information dictionary, without
  any XMP metadata stream (of the document, its pages, images or fonts), without private
  application data (/PieceInfo), with a trailer /ID computed from the new content, and without
  document-level scripts. PDFs with files embedded in them, or needing a password, are refused.
* Text is kept as written (it has no metadata), without a byte order mark.

The file name is kept for staff (encrypted), cleaned of paths, control characters and
direction overrides, and given the extension of its real type.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from amparo.intake import conf

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


class Rejected(Exception):
    """The file cannot be accepted; the message says why, for the reporter."""


@dataclass(frozen=True)
class CleanFile:
    name: str
    media_type: str
    data: bytes


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
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text[:65536])


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


def clean(name: str, data: bytes) -> CleanFile:
    """The file as it will be stored, or Rejected with the reason."""
    shown = display_name(name)
    if not data:
        raise Rejected(_("“%(name)s” is empty.") % {"name": shown})
    media_type = sniff(data)
    if media_type is None:
        raise Rejected(
            _("“%(name)s” is not a kind of file we can accept. We accept %(types)s.")
            % {"name": shown, "types": accepted_types_text()}
        )
    if media_type == PDF:
        cleaned, media_type = _clean_pdf(shown, data), PDF
    elif media_type == TEXT:
        cleaned = data.removeprefix(_UTF8_BOM)
    else:
        cleaned, media_type = _clean_image(shown, data, media_type)
    return CleanFile(clean_name(name, media_type), media_type, cleaned)


def _clean_image(shown: str, data: bytes, media_type: str) -> tuple[bytes, str]:
    damaged = Rejected(
        _("“%(name)s” looks like a picture but cannot be read: it may be damaged.")
        % {"name": shown}
    )
    too_large = Rejected(
        _("“%(name)s” has too many pixels (at most %(megapixels)d million).")
        % {"name": shown, "megapixels": conf.MAX_IMAGE_PIXELS // 1_000_000}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[media_type]]) as image:
                if image.width * image.height > conf.MAX_IMAGE_PIXELS:
                    raise too_large
                image.seek(0)
                image.load()
                pixels = _pixels_only(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_large from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise damaged from None
    has_alpha = "A" in pixels.getbands()
    photo = media_type in {JPEG, WEBP} and not has_alpha
    output = io.BytesIO()
    if photo:
        pixels.convert("RGB" if pixels.mode != "L" else "L").save(
            output, "JPEG", quality=90, optimize=True
        )
        return output.getvalue(), JPEG
    pixels.save(output, "PNG", optimize=False)
    return output.getvalue(), PNG


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding the (upright) pixels and nothing else of the original."""
    upright = ImageOps.exif_transpose(image) or image
    mode = upright.mode
    if mode == "P" or mode == "PA":
        mode = "RGBA" if "transparency" in upright.info or mode == "PA" else "RGB"
    elif mode not in {"1", "L", "LA", "RGB", "RGBA"}:
        mode = "RGBA" if "A" in upright.getbands() else "RGB"
    converted = upright.convert(mode) if upright.mode != mode else upright
    bare = Image.new(converted.mode, converted.size)
    bare.paste(converted)
    return bare


_DOCUMENT_SCRIPTS = ("/OpenAction", "/AA")


def _clean_pdf(shown: str, data: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            root = pdf.Root
            names = root.get("/Names")
            if isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names:
                raise Rejected(
                    _(
                        "“%(name)s” has other files embedded in it. Please send those files "
                        "separately and the PDF without them."
                    )
                    % {"name": shown}
                )
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for key in _DOCUMENT_SCRIPTS:
                if key in root:
                    del root[key]
            if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
                del names["/JavaScript"]
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    for key in ("/Metadata", "/PieceInfo"):
                        if key in obj:
                            del obj[key]
            for page in pdf.pages:
                if "/AA" in page.obj:
                    del page.obj["/AA"]
            output = io.BytesIO()
            pdf.save(
                output,
                encryption=False,
                fix_metadata_version=False,
                deterministic_id=True,
            )
            return output.getvalue()
    except pikepdf.PasswordError:
        raise Rejected(
            _("“%(name)s” is protected by a password. Please send it without the password.")
            % {"name": shown}
        ) from None
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, ValueError, RuntimeError):
        raise Rejected(
            _("“%(name)s” looks like a PDF but cannot be read: it may be damaged.")
            % {"name": shown}
        ) from None
