"""What ``items.upload`` accepts, turned into (filename, bytes-like) pairs for multipart.

Pillow and NumPy are optional: they are imported only when an image or an array is
actually given.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
]


def payloads(source, remote_name: str | None) -> list[tuple[str, object]]:
    """One or more ``(name, file object)`` for a path, directory, bytes, buffer, image or array."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            raise ValueError("a directory is uploaded by items.upload, one folder at a time")
        if not path.is_file():
            raise FileNotFoundError(f"No such file to upload: {path}")
        return [(remote_name or path.name, path.open("rb"))]
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return [(remote_name or _generated_name(data), io.BytesIO(data))]
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        # From the start, as dtlpy reads a buffer: one just written (image.save(buffer)) sits at its end.
        if hasattr(source, "seek") and getattr(source, "seekable", lambda: True)():
            source.seek(0)
        data = source.read()
        name = remote_name or os.path.basename(getattr(source, "name", "") or "") or _generated_name(data)
        return [(name, io.BytesIO(data))]
    if _is_pil_image(source):
        return [(_png_name(remote_name), _png(source))]
    if _is_ndarray(source):
        return [(_png_name(remote_name), _png(_array_to_image(source)))]
    raise TypeError(
        f"Cannot upload a {type(source).__name__}: give a path, bytes, a file object, a PIL image or a NumPy array"
    )


def _generated_name(data: bytes) -> str:
    ext = next((e for magic, e in _MAGIC if data.startswith(magic)), "")
    if not ext and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        ext = ".webp"
    return f"upload-{uuid.uuid4().hex[:12]}{ext}"


def _png_name(remote_name: str | None) -> str:
    return remote_name or f"image-{uuid.uuid4().hex[:12]}.png"


def _is_pil_image(value) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def _is_ndarray(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "__array_interface__")


def _png(image) -> io.BytesIO:
    buffer = io.BytesIO()
    if image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def _array_to_image(array):
    import numpy as np
    from PIL import Image

    if array.dtype != np.uint8:
        # Floats in [0, 1] are the usual convention for normalised images.
        if np.issubdtype(array.dtype, np.floating) and array.size and float(array.max()) <= 1.0:
            array = array * 255
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    return Image.fromarray(array)
