"""items.upload accepts a path, bytes, a BytesIO, a PIL image or a NumPy array."""

import io

import numpy as np
import pytest
from PIL import Image

from dataslot.uploads import payloads
from tests.support.images import png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_path_keeps_its_name_unless_renamed(tmp_path):
    path = tmp_path / "cat.png"
    path.write_bytes(png((4, 3), "red"))
    [(name, handle)] = payloads(str(path), None)
    assert name == "cat.png" and handle.read().startswith(PNG_MAGIC)
    handle.close()
    [(name, handle)] = payloads(path, "dog.png")
    assert name == "dog.png"
    handle.close()


def test_bytes_and_buffers_get_an_extension_from_their_content():
    [(name, handle)] = payloads(png((4, 3), "red"), None)
    assert name.endswith(".png") and handle.read().startswith(PNG_MAGIC)
    buffer = io.BytesIO(png((4, 3), "red"))
    buffer.name = "/tmp/x/photo.png"
    [(name, _)] = payloads(buffer, None)
    assert name == "photo.png"


def test_images_and_arrays_are_encoded_as_png():
    [(name, handle)] = payloads(Image.new("L", (5, 5)), "gray.png")
    assert name == "gray.png" and Image.open(handle).size == (5, 5)
    array = np.zeros((6, 8, 3), dtype=np.uint8)
    [(name, handle)] = payloads(array, None)
    image = Image.open(handle)
    assert name.endswith(".png") and image.format == "PNG" and image.size == (8, 6)
    [(_, handle)] = payloads(np.ones((2, 2), dtype=np.float32), "f.png")
    assert Image.open(handle).getpixel((0, 0)) == 255


def test_unknown_sources_are_refused_clearly(tmp_path):
    with pytest.raises(TypeError, match="Cannot upload a dict"):
        payloads({"a": 1}, None)
    with pytest.raises(FileNotFoundError):
        payloads(str(tmp_path / "missing.png"), None)
