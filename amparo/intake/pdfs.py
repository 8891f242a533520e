"""Cleaning an uploaded PDF: every picture re-encoded from its pixels, nothing that runs, reaches
out or describes the document's making left, or else the file is declared uncleanable.

What is removed, wherever it is in the file:

* metadata: the document information dictionary (/Info), every XMP stream (/Metadata, of the
  document, pages, pictures or fonts), private application data (/PieceInfo, /SpiderInfo),
  thumbnails (/Thumb: small copies of pages, with their own JPEG metadata);
* anything that runs or reaches out: JavaScript (the document's name tree, /JS), the document's
  open action (/OpenAction), additional actions of the document, pages, fields and annotations
  (/AA), and every action but a jump inside the document (/GoTo): Launch, URI, SubmitForm,
  ImportData, GoToR and the others; the base URI; XFA forms; media annotations (sound, movie,
  screen, rich media, 3D), whose payloads are files of their own.

Pictures: a JPEG (DCTDecode) or JPEG 2000 (JPXDecode) picture is decoded and re-encoded as a JPEG
of its pixels alone, so its EXIF (camera, GPS position, times), XMP, comments and ICC profile are
left behind; the other pictures are pixel samples (Flate, LZW, run length...), which have no place
for metadata, and are rewritten from their decoded samples, cut to the length their size calls for
(so no bytes can trail them). Pictures in other formats (JBIG2, CCITT fax, inline JPEGs in a page's
content) cannot be re-encoded here: the file is then `Uncleanable` and the caller keeps it closed.

Finally the cleaned file is read back and checked for each removed kind of entry: any left
makes it `Uncleanable` too. So a file is either clean or never served.

Embedded files (attachments inside the PDF) are refused rather than dropped: they are often the
evidence itself, and the reporter can send them as files of their own.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

from amparo.intake import pixels

# Why a file is uncleanable; the same codes as amparo.intake.models.Quarantine.
IMAGE_FORMAT = "pdf_image"
INLINE_IMAGE = "pdf_inline_image"
LEFTOVER = "pdf_leftover"

_DROPPED_KEYS = (
    "/AA",
    "/JS",
    "/Metadata",
    "/PieceInfo",
    "/SpiderInfo",
    "/Thumb",
    "/OpenAction",
    "/URI",
    "/XFA",
    "/NeedsRendering",
)
# A stream whose data is to be read from another file.
_EXTERNAL_STREAM_KEYS = ("/F", "/FFilter", "/FDecodeParms")
_DROPPED_NAMES = ("/JavaScript", "/AlternatePresentations", "/Renditions")
# Every action type of ISO 32000-2 but /GoTo, the one that only moves within the document.
_ACTIONS = frozenset(
    {
        "/GoToR",
        "/GoToE",
        "/GoToDp",
        "/Launch",
        "/Thread",
        "/URI",
        "/Sound",
        "/Movie",
        "/Hide",
        "/Named",
        "/SubmitForm",
        "/ResetForm",
        "/ImportData",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
        "/RichMediaExecute",
    }
)
_MEDIA_ANNOTATIONS = frozenset({"/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})
# What must not be in a cleaned file: checked again on the written bytes.
FORBIDDEN_KEYS = frozenset(
    {*_DROPPED_KEYS, "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/JavaScript", "/Launch"}
)
_JPEG_FILTERS = frozenset({"/DCTDecode", "/DCT"})
_JPX_FILTERS = frozenset({"/JPXDecode"})
_SAMPLE_FILTERS = frozenset(
    {"/FlateDecode", "/Fl", "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL", "/ASCIIHexDecode",
     "/AHx", "/ASCII85Decode", "/A85"}
)  # fmt: skip
_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3}
_COMPONENTS |= {"/DeviceCMYK": 4, "/Indexed": 1, "/Separation": 1, "/G": 1, "/RGB": 3}
_COMPONENTS |= {"/CMYK": 4, "/I": 1}


class Unreadable(Exception):
    """Not a PDF that can be read."""


class PasswordProtected(Exception):
    """The PDF needs a password to be read."""


class HasEmbeddedFiles(Exception):
    """The PDF carries other files inside it."""


class Uncleanable(Exception):
    """The PDF can be read but not cleaned with certainty; `reason` is one of the codes above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean(data: bytes, *, max_pixels: int, budget: pixels.PixelBudget) -> bytes:
    """The PDF rewritten without what the module docstring lists, or one of the exceptions."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            _refuse_embedded_files(pdf)
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            _check_inline_images(pdf)
            for obj in list(pdf.objects):
                if isinstance(obj, Dictionary | pikepdf.Stream):
                    _clean_dictionary(obj)
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image:
                    _reencode_image(obj, max_pixels, budget)
            _drop_media_annotations(pdf)
            output = io.BytesIO()
            pdf.remove_unreferenced_resources()
            pdf.save(output, encryption=False, fix_metadata_version=False, deterministic_id=True)
    except pikepdf.PasswordError:
        raise PasswordProtected from None
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, ValueError, RuntimeError):
        raise Unreadable from None
    cleaned = output.getvalue()
    if leftovers(cleaned):
        raise Uncleanable(LEFTOVER)
    return cleaned


def _refuse_embedded_files(pdf: pikepdf.Pdf) -> None:
    names = pdf.Root.get("/Names")
    if isinstance(names, Dictionary) and "/EmbeddedFiles" in names:
        raise HasEmbeddedFiles
    if "/Collection" in pdf.Root:
        raise HasEmbeddedFiles
    for obj in pdf.objects:
        if isinstance(obj, Dictionary | pikepdf.Stream) and (
            obj.get("/Type") == Name.EmbeddedFile
            or obj.get("/Subtype") == Name.FileAttachment
            or "/EF" in obj
        ):
            raise HasEmbeddedFiles


def _check_inline_images(pdf: pikepdf.Pdf) -> None:
    """An inline picture lives inside a page's drawing instructions; a JPEG one could carry
    metadata and cannot be re-encoded in place here."""
    streams: list[pikepdf.Object] = [page.obj for page in pdf.pages]
    streams += [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Form
    ]
    for stream in streams:
        for instruction in pikepdf.parse_content_stream(stream):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                filters = _filters(instruction.iimage.obj, inline=True)
                if set(filters) & (_JPEG_FILTERS | _JPX_FILTERS):
                    raise Uncleanable(INLINE_IMAGE)


def _clean_dictionary(dictionary: pikepdf.Object) -> None:
    """Drop what runs, reaches out or describes, in this dictionary and its direct children."""
    dropped = (
        _DROPPED_KEYS + _EXTERNAL_STREAM_KEYS
        if isinstance(dictionary, pikepdf.Stream)
        else _DROPPED_KEYS
    )
    for key in dropped:
        if key in dictionary:
            del dictionary[key]
    if _name(dictionary, "/S") in _ACTIONS:
        for key in list(dictionary.keys()):
            del dictionary[key]
        return
    if "/Next" in dictionary and dictionary.get("/S") == Name.GoTo:
        del dictionary["/Next"]
    action = dictionary.get("/A")
    if action is not None and not (
        isinstance(action, Dictionary) and action.get("/S") == Name.GoTo
    ):
        del dictionary["/A"]
    if dictionary.get("/Type") == Name.Catalog:
        names = dictionary.get("/Names")
        if isinstance(names, Dictionary):
            for key in _DROPPED_NAMES:
                if key in names:
                    del names[key]
    for key in list(dictionary.keys()):
        _clean_direct(dictionary[key])


def _clean_direct(value: object) -> None:
    """Clean a value held inside another object; an indirect one is cleaned on its own turn."""
    if not isinstance(value, pikepdf.Object) or value.is_indirect:
        return
    if isinstance(value, Dictionary):
        _clean_dictionary(value)
    elif isinstance(value, Array):
        for item in value:
            _clean_direct(item)


def _drop_media_annotations(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if isinstance(annotations, Array):
            page.obj.Annots = Array(
                annotation
                for annotation in annotations
                if not (
                    isinstance(annotation, Dictionary)
                    and _name(annotation, "/Subtype") in _MEDIA_ANNOTATIONS
                )
            )


def _name(dictionary: pikepdf.Object, key: str) -> str | None:
    value = dictionary.get(key)
    return str(value) if isinstance(value, Name) else None


def _filters(obj: pikepdf.Object, *, inline: bool = False) -> list[str]:
    """The filters of a stream, or of an inline picture (which may abbreviate the key)."""
    value = obj.get("/Filter", obj.get("/F") if inline else None)
    if value is None:
        return []
    if isinstance(value, Array):
        return [str(item) for item in value]
    return [str(value)]


def _reencode_image(image: pikepdf.Stream, max_pixels: int, budget: pixels.PixelBudget) -> None:
    """Rewrite one picture from its pixels alone (see the module docstring); raises
    pixels.TooManyPixels before decoding one that is too large."""
    width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    if width * height > max_pixels:
        raise pixels.TooManyPixels
    filters = _filters(image)
    codec = filters[-1] if filters else None
    if codec in _JPEG_FILTERS | _JPX_FILTERS and len(filters) == 1:
        # Counted from the picture's own header, which decides what is decoded.
        _reencode_as_jpeg(image, codec in _JPEG_FILTERS, max_pixels, budget)
    elif codec is None or codec in _SAMPLE_FILTERS:
        budget.spend(width * height)
        _rewrite_samples(image, width, height)
    else:
        raise Uncleanable(IMAGE_FORMAT)


def _reencode_as_jpeg(
    image: pikepdf.Stream, is_jpeg: bool, max_pixels: int, budget: pixels.PixelBudget
) -> None:
    raw = image.read_raw_bytes()
    try:
        decoded = pixels.decode(raw, ["JPEG"] if is_jpeg else ["JPEG2000"], max_pixels, budget)
    except pixels.Undecodable:
        raise Uncleanable(IMAGE_FORMAT) from None
    if "A" in decoded.getbands() or "/SMaskInData" in image:
        raise Uncleanable(IMAGE_FORMAT)
    bare = pixels.pixels_only(decoded, upright=False)
    if bare.mode not in {"L", "RGB"}:
        bare = bare.convert("RGB")
    image.write(pixels.encode(bare, "JPEG"), filter=Name.DCTDecode)
    image.Width, image.Height = bare.size
    image.ColorSpace = Name.DeviceGray if bare.mode == "L" else Name.DeviceRGB
    image.BitsPerComponent = 8
    for key in ("/Decode", "/SMaskInData"):
        if key in image:
            del image[key]


def _rewrite_samples(image: pikepdf.Stream, width: int, height: int) -> None:
    components, bits = 1, 1
    if not bool(image.get("/ImageMask", False)):
        counted = _components(image.get("/ColorSpace"))
        bits = int(image.get("/BitsPerComponent", 8))
        if counted is None or bits not in {1, 2, 4, 8, 16}:
            raise Uncleanable(IMAGE_FORMAT)
        components = counted
        image.ColorSpace = _without_profile(image.ColorSpace)
    try:
        samples = image.read_bytes()
    except pikepdf.PdfError:
        raise Uncleanable(IMAGE_FORMAT) from None
    expected = math.ceil(width * components * bits / 8) * height
    image.write(zlib.compress(samples[:expected]), filter=Name.FlateDecode)


def _components(space: pikepdf.Object | None) -> int | None:
    if isinstance(space, Name):
        return _COMPONENTS.get(str(space))
    if isinstance(space, Array) and len(space) > 0:
        family = str(space[0])
        if family == "/ICCBased" and isinstance(space[1], pikepdf.Stream):
            return int(space[1].get("/N", 0)) or None
        if family == "/DeviceN" and isinstance(space[1], Array):
            return len(space[1])
        return _COMPONENTS.get(family)
    return None


def _without_profile(space: pikepdf.Object) -> pikepdf.Object:
    """An ICC-based colour space replaced by the device space with as many components: an ICC
    profile can name the device and its maker."""
    if isinstance(space, Array) and len(space) > 1 and str(space[0]) == "/ICCBased":
        return {1: Name.DeviceGray, 3: Name.DeviceRGB, 4: Name.DeviceCMYK}.get(
            int(space[1].get("/N", 0)), space
        )
    if isinstance(space, Array) and len(space) == 4 and str(space[0]) == "/Indexed":
        space[1] = _without_profile(space[1])
    return space


def leftovers(data: bytes) -> set[str]:
    """The forbidden entries and actions a written PDF still has (empty for a clean file)."""
    found: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Info" in pdf.trailer:
            found.add("/Info")
        for obj in pdf.objects:
            for dictionary in _dictionaries(obj):
                found.update(FORBIDDEN_KEYS.intersection(dictionary.keys()))
                if _name(dictionary, "/S") in _ACTIONS:
                    found.add(str(dictionary["/S"]))
    return found


def _dictionaries(value: object) -> Iterator[pikepdf.Object]:
    if not isinstance(value, pikepdf.Object):
        return
    if isinstance(value, Dictionary | pikepdf.Stream):
        yield value
        children = [value[key] for key in value.keys()]  # noqa: SIM118 - a pikepdf dictionary
    elif isinstance(value, Array):
        children = list(value)
    else:
        return
    for child in children:
        if not (isinstance(child, pikepdf.Object) and child.is_indirect):
            yield from _dictionaries(child)
