"""Small real images, as the bytes of their files: what an upload sends."""

from __future__ import annotations

import io

from PIL import Image


def png(size: tuple[int, int] = (8, 6), color=(20, 120, 130), fmt: str = "PNG") -> bytes:
    """An image of one ``color`` (a name or an RGB tuple) in ``fmt`` (PNG unless told)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()
