"""Pictures reduced to their pixels: decoded within a pixel limit read from the header, and
re-encoded with nothing else of the original (no EXIF, GPS, XMP, IPTC, ICC profile, comment or
text chunk). Used for uploaded pictures and for the pictures inside uploaded PDFs."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError


class TooManyPixels(Exception):
    """The header announces more pixels than a limit: the picture was not decoded. `in_total`
    says the limit was the sending's budget rather than the picture's own."""

    def __init__(self, *, in_total: bool = False) -> None:
        super().__init__("in total" if in_total else "picture")
        self.in_total = in_total


class PixelBudget:
    """The pixels all the pictures of one sending may still decode."""

    def __init__(self, pixels: int) -> None:
        self.remaining = pixels

    def spend(self, pixels: int) -> None:
        if pixels > self.remaining:
            raise TooManyPixels(in_total=True)
        self.remaining -= pixels


class Undecodable(Exception):
    """The data does not decode as a picture of the expected format."""


def decode(
    data: bytes, formats: list[str], max_pixels: int, budget: PixelBudget | None = None
) -> Image.Image:
    """The first frame, decoded only after its header showed it within `max_pixels` (and the
    budget, which it spends)."""
    with warnings.catch_warnings():
        # Pillow's own check (process-wide, and only a warning up to twice its limit) is
        # superseded by the explicit limit below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=formats)
            if image.width * image.height > max_pixels:
                raise TooManyPixels
            if budget is not None:
                budget.spend(image.width * image.height)
            image.seek(0)
            image.load()
        except Image.DecompressionBombError:
            raise TooManyPixels from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise Undecodable from None
    return image


def pixels_only(image: Image.Image, *, upright: bool = True) -> Image.Image:
    """`image` reduced to its pixels, in a mode JPEG or PNG takes, with no metadata left.

    With `upright`, the camera's orientation tag is applied first (for photos; a PDF places its
    pictures with its own coordinates and ignores the tag). Pillow writes metadata only from an
    image's `info` and from the arguments of `save` (see `encode`, which passes none), so an
    emptied `info` leaves nothing to write; the pixels are not copied for that, and a second
    copy exists only while a turn or a change of mode is made (the first is then let go)."""
    if upright:
        ImageOps.exif_transpose(image, in_place=True)
    mode = image.mode
    if mode in {"P", "PA"}:
        mode = "RGBA" if "transparency" in image.info or mode == "PA" else "RGB"
    elif mode not in {"1", "L", "LA", "RGB", "RGBA"}:
        mode = "RGBA" if "A" in image.getbands() else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    image.info = {}
    return image


def encode(image: Image.Image, format_name: str) -> bytes:
    """The pixels as a JPEG or PNG file, written with no metadata argument."""
    if image.info:
        raise ValueError("encode() takes an image from pixels_only()")
    output = io.BytesIO()
    if format_name == "JPEG":
        image.save(output, "JPEG", quality=90, optimize=True)
    else:
        image.save(output, format_name)
    return output.getvalue()
