"""Validating an uploaded image and making its thumbnail, with Pillow.

Every upload is decoded completely before anything is stored: a file that is not an
image, is truncated, or has more pixels than ``DATASLOT_MAX_IMAGE_PIXELS`` is refused
with a message for the ``file`` field. The mimetype and the stored file's extension come
from the decoded format, never from the client. An EXIF orientation is applied once,
here, so the stored original, its width/height and its thumbnail all agree with what a
viewer shows.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

EXIF_ORIENTATION = 0x0112
# Re-encoding options when an EXIF orientation had to be applied to the original.
_REENCODE = {"JPEG": {"quality": 95, "subsampling": "keep"}, "WEBP": {"quality": 95}}
# The stored file's extension, by the format Pillow decoded; never the client's (a valid PPM
# named x.html must not be stored as .html). MPO: what many cameras' JPEGs decode as.
_EXTENSIONS = {
    "JPEG": ".jpg",
    "MPO": ".jpg",
    "PNG": ".png",
    "GIF": ".gif",
    "WEBP": ".webp",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "ICO": ".ico",
    "PPM": ".ppm",
    "JPEG2000": ".jp2",
}
UNMAPPED_EXTENSION = ".bin"


@dataclass(frozen=True)
class ProcessedImage:
    """An upload that decoded cleanly: what to store and what we know about it.

    ``content`` is the bytes to store: the upload's own, or new ones when an EXIF
    orientation had to be applied. It is None when the upload is a file stored as it came,
    so a large upload spooled to disk is never held whole in memory.
    """

    content: bytes | None
    size: int
    width: int
    height: int
    format: str
    mimetype: str
    extension: str
    thumbnail: bytes
    thumbnail_extension: str
    reencoded: bool


def validate_name(name: str, *, field: str = "name") -> str:
    """A file name is one path component: no separators, no ``..``, not empty."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({field: "A file name must not be empty."})
    if "/" in name or "\\" in name:
        raise ValidationError({field: f"File name {name!r} must not contain a path separator."})
    if ".." in name:
        raise ValidationError({field: f"File name {name!r} must not contain '..'."})
    if "\x00" in name or len(name) > 255:
        raise ValidationError({field: f"File name {name!r} is not a valid file name."})
    return name


def normalize_dir(value: str | None, *, field: str = "dir") -> str:
    """``dir`` always starts with ``/``; ``..`` is refused; no trailing or doubled ``/``."""
    value = (value or "/").strip().replace("\\", "/")
    parts = [p for p in value.split("/") if p not in ("", ".")]
    if any(".." in p for p in parts):
        raise ValidationError({field: f"Directory {value!r} must not contain '..'."})
    normalized = "/" + "/".join(parts)
    if len(normalized) > 1024:
        raise ValidationError({field: "Directory is too long (1024 characters at most)."})
    return normalized


def _refuse(name: str, why: str) -> ValidationError:
    return ValidationError({"file": f"{name}: {why}"})


def _readable(source: bytes | BinaryIO) -> BinaryIO:
    """A fresh reader over bytes, or the (seekable) file rewound."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    source.seek(0)
    return source


def _size(source: bytes | BinaryIO) -> int:
    return len(source) if isinstance(source, bytes) else _readable(source).seek(0, io.SEEK_END)


def _open(data: bytes | BinaryIO, name: str) -> Image.Image:
    """Open from the header only and check the pixel count before any decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(_readable(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, f"the image has more than {settings.DATASLOT_MAX_IMAGE_PIXELS} pixels.")
    except UnidentifiedImageError:
        raise _refuse(name, "not an image (or a format that cannot be read).")
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refuse(name, f"not a readable image ({exc}).")
    width, height = img.size
    if width * height > settings.DATASLOT_MAX_IMAGE_PIXELS:
        raise _refuse(
            name,
            f"the image has {width}x{height} = {width * height} pixels, more than the limit of "
            f"{settings.DATASLOT_MAX_IMAGE_PIXELS}.",
        )
    if width < 1 or height < 1:
        raise _refuse(name, "the image is empty.")
    return img


def _decode(
    data: bytes | BinaryIO, name: str, *, draft_box: tuple[int, int] | None = None, img: Image.Image | None = None
) -> Image.Image:
    """The image decoded completely; a JPEG with ``draft_box`` at the smallest DCT scale (1/2,
    1/4, 1/8) still at least that large: libjpeg still reads every byte, so a truncated or
    corrupt file is refused all the same, at a fraction of a full decode's cost. ``img``: the
    image already opened from ``data`` by ``_open`` (its header is not parsed twice)."""
    img = img or _open(data, name)
    if draft_box and img.format == "JPEG":
        img.draft("RGB" if img.mode not in ("L", "CMYK") else img.mode, draft_box)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, f"the image has more than {settings.DATASLOT_MAX_IMAGE_PIXELS} pixels.")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow says "image file is truncated" for a cut-off file; LOAD_TRUNCATED_IMAGES stays off.
        raise _refuse(name, f"the image could not be decoded completely ({exc}).")
    return img


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(EXIF_ORIENTATION, 1) or 1)
    except Exception:  # a broken EXIF block is not a broken image
        return 1


def _reencode(img: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    options = dict(_REENCODE.get(fmt, {}))
    if fmt == "JPEG" and options.get("subsampling") == "keep":
        options.pop("subsampling")  # "keep" needs the source JPEG; the transposed copy is not one
    exif = img.getexif()
    exif.pop(EXIF_ORIENTATION, None)
    if fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        options["exif"] = exif.tobytes()
    if img.info.get("icc_profile"):
        options["icc_profile"] = img.info["icc_profile"]
    img.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "P", "RGBa", "La") or "transparency" in img.info


def _thumbnail_box(width: int, height: int, size: int) -> tuple[int, int]:
    """The thumbnail's own size: what a JPEG needs to be decoded at, at least."""
    scale = min(1.0, size / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def make_thumbnail(data: bytes | BinaryIO, *, size: int | None = None) -> tuple[bytes, str]:
    """A thumbnail no larger than ``size`` on either side: JPEG, or PNG for alpha/palette."""
    size = size or settings.DATASLOT_THUMBNAIL_SIZE
    img = Image.open(_readable(data))
    if img.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far faster than a full decode.
        img.draft("RGB" if img.mode not in ("L", "CMYK") else img.mode, _thumbnail_box(*img.size, size))
    img = ImageOps.exif_transpose(img) or img
    return _thumbnail_of(img, size)


def _thumbnail_of(img: Image.Image, size: int, *, resample=Image.Resampling.BICUBIC) -> tuple[bytes, str]:
    if _has_alpha(img):
        img = img.convert("RGBA") if img.mode != "LA" else img
        img.thumbnail((size, size))
        out, ext = io.BytesIO(), ".png"
        img.save(out, format="PNG", optimize=False)
    else:
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.thumbnail((size, size), resample)
        out, ext = io.BytesIO(), ".jpg"
        img.save(out, format="JPEG", quality=85)
    return out.getvalue(), ext


def process_image(data: bytes | BinaryIO, *, name: str) -> ProcessedImage:
    """Decode ``data`` (bytes, or a seekable binary file) completely and prepare what is
    stored; raise ``ValidationError`` if bad."""
    if not _size(data):
        raise _refuse(name, "the file is empty.")
    size = settings.DATASLOT_THUMBNAIL_SIZE
    header = _open(data, name)
    full_size, upright = header.size, _orientation(header) not in range(2, 9)
    if header.format == "JPEG" and upright:
        # One decode, at the thumbnail's scale, checks the whole file and gives the thumbnail.
        img = _decode(data, name, draft_box=_thumbnail_box(*full_size, size), img=header)
        try:
            # libjpeg's DCT scaling already averaged it down to less than twice the
            # thumbnail: bilinear is enough for the rest, a third cheaper than bicubic.
            thumbnail, thumbnail_extension = _thumbnail_of(img, size, resample=Image.Resampling.BILINEAR)
        except (OSError, ValueError) as exc:
            raise _refuse(name, f"no thumbnail could be made ({exc}).")
        return ProcessedImage(
            content=data if isinstance(data, bytes) else None,
            size=_size(data),
            width=full_size[0],
            height=full_size[1],
            format="JPEG",
            mimetype="image/jpeg",
            extension=".jpg",
            thumbnail=thumbnail,
            thumbnail_extension=thumbnail_extension,
            reencoded=False,
        )
    img = _decode(data, name)
    fmt = img.format or ""
    Image.init()
    mimetype = Image.MIME.get(fmt) or f"image/{fmt.lower() or 'unknown'}"
    extension = _EXTENSIONS.get(fmt, UNMAPPED_EXTENSION)
    content, reencoded = (data if isinstance(data, bytes) else None), False
    if _orientation(img) in range(2, 9):
        transposed = ImageOps.exif_transpose(img)
        try:
            content, reencoded = _reencode(transposed, fmt), True
        except (OSError, KeyError, ValueError):
            content, reencoded = _reencode(transposed, "PNG"), True
            fmt, mimetype, extension = "PNG", "image/png", ".png"
        width, height = transposed.size
    else:
        width, height = img.size
    try:
        thumbnail, thumbnail_extension = make_thumbnail(data if content is None else content)
    except (OSError, ValueError) as exc:
        raise _refuse(name, f"no thumbnail could be made ({exc}).")
    return ProcessedImage(
        content=content,
        size=_size(data if content is None else content),
        width=width,
        height=height,
        format=fmt,
        mimetype=mimetype,
        extension=extension,
        thumbnail=thumbnail,
        thumbnail_extension=thumbnail_extension,
        reencoded=reencoded,
    )
