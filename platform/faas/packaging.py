"""Reading and checking package archives without running them.

The server never imports user code. At push an archive is verified whole: its size
before and after decompression (in total, per member, member count and compression
ratio), every member read to its end (a zip member's CRC is checked as it is read),
only regular files and folders with relative paths (docs/design.md "Packages and
revisions"). A replica unpacks the same archive with the same checks. What the package
declares, and its entry point's code against that, is checked in ``faas.declarations``.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import lzma
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

# A member (or an archive) may compress at most this well once it is over RATIO_FLOOR:
# source and model files stay far below it; a decompression bomb is far above.
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR = 1024 * 1024
CHUNK = 1024 * 1024
# Errors that a damaged or hostile archive raises while it is read.
_READ_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not have
    RuntimeError,  # an encrypted zip member
    ValueError,
    OSError,
)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"archive": message})


@dataclass(frozen=True)
class Limits:
    archive: int
    unpacked: int
    member: int
    members: int

    @classmethod
    def current(cls) -> Limits:
        return cls(
            archive=settings.DATASLOT_MAX_ARCHIVE_BYTES,
            unpacked=settings.DATASLOT_MAX_ARCHIVE_UNPACKED_BYTES,
            member=settings.DATASLOT_MAX_ARCHIVE_MEMBER_BYTES,
            members=settings.DATASLOT_MAX_ARCHIVE_MEMBERS,
        )


@dataclass(frozen=True)
class Archive:
    kind: str  # "zip" | "tar"
    data: bytes
    members: dict[str, str]  # normalised path -> the name inside the archive (regular files)

    @contextmanager
    def _opener(self) -> Iterator[Callable[[str], IO[bytes]]]:
        """One open archive for any number of reads (its members were verified on open)."""
        if self.kind == "zip":
            with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
                yield lambda path: zf.open(self.members[path])
        else:
            with tarfile.open(fileobj=io.BytesIO(self.data), mode=_compression(self.data)[0]) as tf:
                yield lambda path: tf.extractfile(self.members[path])

    def read(self, path: str) -> bytes:
        with self._opener() as open_member, open_member(path) as f:
            return f.read()

    def extract_to(self, target: Path) -> None:
        """Write the archive's regular files under ``target`` (paths were checked on open)."""
        with self._opener() as open_member:
            for path in self.members:
                destination = target / path
                destination.parent.mkdir(parents=True, exist_ok=True)
                with open_member(path) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)


def member_path(name: str) -> str:
    """A member's name as ``Archive.members`` keys it."""
    return str(PurePosixPath(name.replace("\\", "/")))


def _check_member(name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _refuse(f"Refused: the archive holds an absolute path ({name!r}).")
    if ".." in path.parts:
        raise _refuse(f"Refused: the archive holds a path with '..' ({name!r}).")
    if "\x00" in name or any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.parts):
        raise _refuse(f"Refused: the archive holds a name no file can have ({name[:80]!r}).")


class _Members:
    """The regular files seen so far, with the limits on their number and size."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.paths: dict[str, str] = {}
        self.folders: set[str] = set()
        self.total = 0
        self.count = 0

    def add(self, name: str, size: int, *, folder: bool = False) -> None:
        _check_member(name)
        self.count += 1
        if self.count > self.limits.members:
            raise _refuse(f"The archive holds more than {self.limits.members} entries; that is the limit.")
        path = member_path(name)
        if folder or path == ".":
            self.folders.add(path)
            return
        if path in self.paths:
            raise _refuse(f"Refused: the archive holds {path!r} twice.")
        if size > self.limits.member:
            raise _refuse(f"{path!r} unpacks to {size} bytes; the limit for one file is {self.limits.member}.")
        self.total += size
        if self.total > self.limits.unpacked:
            raise _refuse(f"The archive unpacks to more than {self.limits.unpacked} bytes; that is the limit.")
        self.paths[path] = name

    def check_tree(self) -> dict[str, str]:
        """A file cannot also be a folder of another path (it could not be unpacked)."""
        for path in self.paths:
            parent = PurePosixPath(path).parent
            while str(parent) != ".":
                if str(parent) in self.paths:
                    raise _refuse(f"Refused: {str(parent)!r} is both a file and a folder in the archive.")
                parent = parent.parent
        return self.paths


def _ratio_check(what: str, unpacked: int, packed: int) -> None:
    if unpacked > RATIO_FLOOR and unpacked > MAX_COMPRESSION_RATIO * max(packed, 1):
        raise _refuse(
            f"{what} compresses {unpacked // max(packed, 1)}:1; more than {MAX_COMPRESSION_RATIO}:1 is refused "
            "(a decompression bomb)."
        )


def _read_to_end(f: IO[bytes], name: str, limit: int) -> None:
    """Read a member to its end: zipfile checks its CRC there; nothing is kept."""
    seen = 0
    while chunk := f.read(CHUNK):
        seen += len(chunk)
        if seen > limit:
            raise _refuse(f"{name!r} unpacks to more than it declares.")


def _scan_zip(data: bytes, limits: Limits) -> dict[str, str]:
    members = _Members(limits)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        # Before decompressing: what the central directory declares.
        for info in infos:
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                what = "a symbolic link" if kind == stat.S_IFLNK else "a device, FIFO or socket"
                raise _refuse(f"Refused: the archive holds {what} ({info.filename!r}); only files and folders.")
            if info.flag_bits & 0x1:
                raise _refuse(f"Refused: {info.filename!r} is encrypted.")
            members.add(info.filename, info.file_size, folder=info.is_dir())
            if not info.is_dir():
                _ratio_check(repr(info.filename), info.file_size, info.compress_size)
        _ratio_check("The archive", members.total, len(data))
        # Then every member read to its end, which checks its CRC.
        for info in infos:
            if not info.is_dir():
                with zf.open(info) as f:
                    _read_to_end(f, info.filename, info.file_size)
    return members.check_tree()


# A tar's compression, by its first bytes: (magic, tarfile mode, decompressor).
_COMPRESSIONS = (
    (b"\x1f\x8b", "r:gz", lambda: zlib.decompressobj(wbits=31)),
    (b"BZh", "r:bz2", bz2.BZ2Decompressor),
    (b"\xfd7zXZ\x00", "r:xz", lzma.LZMADecompressor),
)


def _compression(data: bytes) -> tuple[str, Callable | None]:
    # The compression read at push is the one read at unpack: it is never guessed twice.
    return next(((mode, make) for magic, mode, make in _COMPRESSIONS if data.startswith(magic)), ("r:", None))


def _tar_stream(data: bytes, limits: Limits, spool: IO[bytes]) -> None:
    """Decompress into ``spool``, never past the limits: a tar has no directory to read first."""
    _, make = _compression(data)
    if make is None:
        spool.write(data)
        return
    decompressor = make()
    # A tar adds a 512-byte header (and up to 511 bytes of padding) per member, a few
    # headers more for long names, and two zero blocks at the end.
    room = limits.unpacked + 4096 * (limits.members + 16)
    is_zlib = not hasattr(decompressor, "needs_input")
    written, pending = 0, data
    while True:
        chunk = decompressor.decompress(pending, CHUNK)
        if is_zlib:
            pending = decompressor.unconsumed_tail
            more = bool(pending) or len(chunk) == CHUNK
        else:
            pending = b""
            more = not decompressor.needs_input
        written += len(chunk)
        if written > room:
            raise _refuse(f"The archive unpacks to more than {limits.unpacked} bytes; that is the limit.")
        _ratio_check("The archive", written, len(data))
        spool.write(chunk)
        if decompressor.eof or not more:
            break
    if not decompressor.eof:
        raise _refuse("The archive is damaged: its compressed stream is cut short.")
    if decompressor.unused_data.strip(b"\0"):  # zeros padding a record are harmless
        raise _refuse("The archive is damaged: it holds data after its compressed stream.")


def _scan_tar(data: bytes, limits: Limits) -> dict[str, str]:
    members = _Members(limits)
    with tempfile.TemporaryFile() as spool:
        _tar_stream(data, limits, spool)
        spool.seek(0)
        try:
            tf = tarfile.open(fileobj=spool, mode="r:")
        except tarfile.ReadError:
            raise _refuse("Not a zip or tar.gz archive.")
        with tf:
            for member in tf:
                if not (member.isreg() or member.isdir()) or member.issparse():
                    what = (
                        "a symbolic link"
                        if member.issym()
                        else "a hard link"
                        if member.islnk()
                        else "a device, FIFO or other special entry"
                    )
                    raise _refuse(f"Refused: the archive holds {what} ({member.name!r}); only files and folders.")
                members.add(member.name, member.size, folder=member.isdir())
                if member.isreg():
                    with tf.extractfile(member) as f:
                        _read_to_end(f, member.name, member.size)
                        if f.tell() != member.size:
                            raise _refuse(f"{member.name!r} is cut short: the archive is incomplete.")
    return members.check_tree()


def open_archive(data: bytes) -> Archive:
    """Verify the whole archive (ValidationError says what is wrong) and return it."""
    limits = Limits.current()
    if len(data) > limits.archive:
        raise _refuse(f"The archive is {len(data)} bytes; the limit is {limits.archive}.")
    kind = "zip" if zipfile.is_zipfile(io.BytesIO(data)) else "tar"
    try:
        members = _scan_zip(data, limits) if kind == "zip" else _scan_tar(data, limits)
    except ValidationError:
        raise
    except _READ_ERRORS as exc:
        raise _refuse(f"The archive is damaged: {exc}")
    return Archive(kind=kind, data=data, members=members)


class StoredArchiveError(Exception):
    """A revision's stored archive is missing, or is not the one verified at push."""


def stored_archive(revision) -> bytes:
    """The bytes of a revision's stored archive, checked against the sha256 taken at push."""
    what = f"The stored archive of package revision {revision.version}"
    try:
        with revision.archive.open("rb") as f:
            data = f.read()
    except (OSError, ValueError):  # ValueError: no file recorded at all
        raise StoredArchiveError(f"{what} is missing.") from None
    if hashlib.sha256(data).hexdigest() != revision.archive_sha256:
        raise StoredArchiveError(f"{what} has changed since it was pushed (its checksum differs).")
    return data
