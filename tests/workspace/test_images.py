"""What an upload must be to be stored: a complete, decodable image within the pixel limit."""

import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tests.workspace.conftest import image_bytes
from workspace.images import make_thumbnail, normalize_dir, process_image, validate_name


def test_a_jpeg_is_measured_typed_from_its_content_and_thumbnailed():
    processed = process_image(image_bytes("JPEG", (640, 480)), name="a.png")  # the name lies
    assert (processed.width, processed.height) == (640, 480)
    assert processed.mimetype == "image/jpeg"
    assert processed.extension == ".jpg"
    thumb = Image.open(io.BytesIO(processed.thumbnail))
    thumb.load()
    assert thumb.format == "JPEG" and max(thumb.size) == 256 and thumb.size == (256, 192)


def test_an_image_with_alpha_gets_a_png_thumbnail():
    processed = process_image(image_bytes("PNG", (300, 300), mode="RGBA", color=(0, 0, 0, 0)), name="a.png")
    assert processed.mimetype == "image/png"
    assert processed.thumbnail_extension == ".png"
    assert Image.open(io.BytesIO(processed.thumbnail)).mode == "RGBA"


def test_a_palette_image_gets_a_png_thumbnail():
    data = io.BytesIO()
    Image.new("P", (40, 40)).save(data, format="GIF")
    processed = process_image(data.getvalue(), name="a.gif")
    assert processed.mimetype == "image/gif"
    assert processed.thumbnail_extension == ".png"


@pytest.mark.parametrize("orientation", [6, 8])
def test_an_exif_rotated_jpeg_is_stored_upright_with_swapped_size(orientation):
    processed = process_image(image_bytes("JPEG", (120, 80), orientation=orientation), name="r.jpg")
    assert (processed.width, processed.height) == (80, 120)
    assert processed.reencoded
    stored = Image.open(io.BytesIO(processed.content))
    assert stored.size == (80, 120)
    assert stored.getexif().get(0x0112, 1) == 1  # not rotated a second time by a viewer
    assert Image.open(io.BytesIO(processed.thumbnail)).size == (80, 120)


def test_an_image_without_orientation_is_stored_byte_for_byte():
    data = image_bytes("JPEG", (120, 80), orientation=1)
    processed = process_image(data, name="r.jpg")
    assert processed.content == data and not processed.reencoded


@pytest.mark.parametrize(
    "data, why",
    [
        (b"this is not an image", "not an image"),
        (b"", "empty"),
        (image_bytes("JPEG", (400, 300))[:-400], "could not be decoded completely"),
        (image_bytes("PNG", (400, 300))[:-50], "could not be decoded completely"),
    ],
    ids=["text", "empty", "truncated-jpeg", "truncated-png"],
)
def test_bad_files_are_refused_on_the_file_field(data, why):
    with pytest.raises(ValidationError) as info:
        process_image(data, name="bad.jpg")
    (message,) = info.value.message_dict["file"]
    assert message.startswith("bad.jpg: ") and why in message


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(settings):
    settings.DATASLOT_MAX_IMAGE_PIXELS = 100 * 100
    with pytest.raises(ValidationError) as info:
        process_image(image_bytes("PNG", (101, 100)), name="big.png")
    assert "more than the limit of 10000" in info.value.message_dict["file"][0]
    assert process_image(image_bytes("PNG", (100, 100)), name="ok.png").width == 100


def test_a_decompression_bomb_is_refused():
    # A PNG header claiming 100000x100000 pixels: Pillow's own guard fires before ours.
    data = io.BytesIO()
    Image.new("1", (1, 1)).save(data, format="PNG")
    raw = bytearray(data.getvalue())
    raw[16:24] = (100000).to_bytes(4, "big") * 2  # IHDR width and height
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")
    with pytest.raises(ValidationError) as info:
        process_image(bytes(raw), name="bomb.png")
    assert info.value.message_dict["file"] == ["bomb.png: the image has more than 50000000 pixels."]


def test_the_jpeg_thumbnail_of_a_large_image_is_small():
    data, ext = make_thumbnail(image_bytes("JPEG", (2000, 1000)))
    assert ext == ".jpg" and Image.open(io.BytesIO(data)).size == (256, 128)


@pytest.mark.parametrize("name", ["", "  ", "a/b.jpg", "a\\b.jpg", "..", "x..jpg", "../etc.jpg"])
def test_names_with_separators_dotdot_or_nothing_are_refused(name):
    with pytest.raises(ValidationError) as info:
        validate_name(name)
    assert info.value.message_dict["name"]


@pytest.mark.parametrize(
    "value, expected",
    [(None, "/"), ("", "/"), ("/", "/"), ("birds", "/birds"), ("/a//b/", "/a/b"), ("a\\b", "/a/b")],
)
def test_dir_is_normalised_to_start_with_a_slash(value, expected):
    assert normalize_dir(value) == expected


@pytest.mark.parametrize("value", ["/a/../b", "..", "/x/.."])
def test_dir_with_dotdot_is_refused(value):
    with pytest.raises(ValidationError) as info:
        normalize_dir(value)
    assert "'..'" in info.value.message_dict["dir"][0]
