"""Reading and checking package archives without running them.

The server never imports user code. At push an archive is verified whole: its size
before and after decompression (in total, per member, member count and compression
ratio), every member read to its end (a zip member's CRC is checked as it is read),
only regular files and folders with relative paths, and the entry point parsed with
``ast`` to check that the class and every function exist and that each argument is a
declared input (docs/design.md "Packages and revisions"). A replica unpacks the same archive with the same checks.
"""

from __future__ import annotations

import ast
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

from faas.enums import (
    PACKAGE_INPUT_TYPES,
    SlotDisplayScopeResource,
    SlotPostActionType,
    UiBindingPanel,
)
from workspace import dql

INJECTED_ARGUMENTS = {"self", "progress", "context"}

# A member (or an archive) may compress at most this well once it is over RATIO_FLOOR:
# source and model files stay far below it; a decompression bomb is far above.
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR = 1024 * 1024
# The entry point is parsed in the server: its AST costs up to ~500 times its size.
MAX_ENTRY_POINT_BYTES = 256 * 1024
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


def _normalise(name: str) -> str:
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
        path = _normalise(name)
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


def _is_input_type(value) -> bool:
    return isinstance(value, str) and value.removesuffix("[]") in PACKAGE_INPUT_TYPES


def _check_io(where: str, ios) -> None:
    if not isinstance(ios, list):
        raise ValidationError({"modules": f"{where} must be a list."})
    for io_ in ios:
        if not isinstance(io_, dict) or not isinstance(io_.get("name"), str) or not io_["name"].isidentifier():
            raise ValidationError({"modules": f"{where}: each needs a 'name' that is a Python identifier."})
        if not _is_input_type(io_.get("type")):
            raise ValidationError(
                {
                    "modules": f"{where}: '{io_['name']}' has type {io_.get('type')!r}; "
                    f"expected one of {', '.join(PACKAGE_INPUT_TYPES)} (or a list form such as 'Item[]')."
                }
            )


def normalise_modules(modules) -> list[dict]:
    """Fill defaults (dtlpy's) and check the shape of the modules declaration."""
    if not isinstance(modules, list) or not modules:
        raise ValidationError({"modules": "Declare at least one module (a list of objects)."})
    result = []
    for module in modules:
        if not isinstance(module, dict):
            raise ValidationError({"modules": "Each module must be an object."})
        name = module.get("name") or "default_module"
        functions = []
        for function in module.get("functions") or []:
            if not isinstance(function, dict):
                raise ValidationError({"modules": f"Module '{name}': each function must be an object."})
            fname = function.get("name") or "run"
            if not isinstance(fname, str) or not fname.isidentifier():
                raise ValidationError(
                    {"modules": f"Module '{name}': function name {fname!r} is not a Python identifier."}
                )
            inputs, outputs = function.get("inputs") or [], function.get("outputs") or []
            _check_io(f"Function '{fname}' inputs", inputs)
            _check_io(f"Function '{fname}' outputs", outputs)
            functions.append(
                {
                    "name": fname,
                    "displayName": function.get("displayName") or fname,
                    "description": function.get("description") or "",
                    "inputs": inputs,
                    "outputs": outputs,
                }
            )
        if not functions:
            raise ValidationError({"modules": f"Module '{name}' declares no functions: there would be nothing to run."})
        init_inputs = module.get("initInputs") or []
        _check_io(f"Module '{name}' initInputs", init_inputs)
        result.append(
            {
                "name": name,
                "entryPoint": module.get("entryPoint") or "main.py",
                "className": module.get("className") or "ServiceRunner",
                "initInputs": init_inputs,
                "functions": functions,
            }
        )
    names = [m["name"] for m in result]
    if len(set(names)) != len(names):
        raise ValidationError({"modules": "Module names must be unique."})
    return result


def _parse(source: bytes, entry_point: str) -> ast.Module:
    if len(source) > MAX_ENTRY_POINT_BYTES:
        raise _refuse(
            f"{entry_point} is {len(source)} bytes; an entry point may have {MAX_ENTRY_POINT_BYTES} "
            "(keep the rest of the code in other modules of the package)."
        )
    try:
        return ast.parse(source, filename=entry_point)
    except SyntaxError as exc:  # also a null byte, a bad encoding, too deep a nesting
        raise _refuse(f"{entry_point}{f' line {exc.lineno}' if exc.lineno else ''}: {exc.msg}")
    except (RecursionError, MemoryError):
        raise _refuse(f"{entry_point} cannot be parsed: an expression in it is nested or chained too deeply.")
    except ValueError as exc:
        raise _refuse(f"{entry_point} cannot be parsed: {exc}")


def _class_methods(source: bytes, entry_point: str, class_name: str) -> dict[str, list[str]]:
    tree = _parse(source, entry_point)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            methods = {}
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    args = item.args
                    methods[item.name] = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            return methods
    raise ValidationError({"modules": f"Class '{class_name}' is not defined in {entry_point}."})


def validate_code(archive: Archive, modules: list[dict]) -> None:
    for module in modules:
        entry = _normalise(module["entryPoint"])
        if entry not in archive.members:
            raise ValidationError(
                {"archive": f"Module '{module['name']}': entry point '{entry}' is not in the archive."}
            )
        methods = _class_methods(archive.read(entry), entry, module["className"])
        declared_init = {i["name"] for i in module["initInputs"]}
        for arg in methods.get("__init__", []):
            if arg not in INJECTED_ARGUMENTS and arg not in declared_init:
                raise ValidationError(
                    {"modules": f"Module '{module['name']}': __init__ argument '{arg}' is not a declared init input."}
                )
        for function in module["functions"]:
            if function["name"] not in methods:
                raise ValidationError(
                    {
                        "modules": f"Module '{module['name']}': function '{function['name']}' is not a method of "
                        f"{module['className']} in {entry}."
                    }
                )
            declared = {i["name"] for i in function["inputs"]}
            for arg in methods[function["name"]]:
                if arg not in INJECTED_ARGUMENTS and arg not in declared:
                    raise ValidationError(
                        {
                            "modules": f"Function '{function['name']}': argument '{arg}' is not a declared input "
                            f"(declared: {', '.join(sorted(declared)) or 'none'})."
                        }
                    )


def normalise_slots(slots, modules: list[dict]) -> list[dict]:
    """Check each slot names an existing module and function, and its scopes' vocabulary."""
    if slots in (None, ""):
        return []
    if not isinstance(slots, list):
        raise ValidationError({"slots": "Must be a list of slots."})
    by_module = {m["name"]: {f["name"] for f in m["functions"]} for m in modules}
    result = []
    for slot in slots:
        if not isinstance(slot, dict):
            raise ValidationError({"slots": "Each slot must be an object."})
        module_name = slot.get("moduleName") or "default_module"
        function_name = slot.get("functionName") or "run"
        if module_name not in by_module:
            raise ValidationError({"slots": f"Slot names module '{module_name}', which the package does not have."})
        if function_name not in by_module[module_name]:
            raise ValidationError(
                {"slots": f"Slot names function '{function_name}', which module '{module_name}' does not have."}
            )
        post_action = slot.get("postAction") or {"type": SlotPostActionType.NO_ACTION}
        if not isinstance(post_action, dict) or post_action.get("type") not in SlotPostActionType.values:
            raise ValidationError({"slots": f"postAction.type must be one of {', '.join(SlotPostActionType.values)}."})
        scopes = []
        for scope in slot.get("displayScopes") or []:
            if not isinstance(scope, dict) or scope.get("resource") not in SlotDisplayScopeResource.values:
                raise ValidationError(
                    {"slots": f"displayScopes[].resource must be one of {', '.join(SlotDisplayScopeResource.values)}."}
                )
            panel = scope.get("panel") or UiBindingPanel.ALL
            if panel not in UiBindingPanel.values:
                raise ValidationError(
                    {"slots": f"displayScopes[].panel must be one of {', '.join(UiBindingPanel.values)}."}
                )
            query = scope.get("filter") or {}
            try:
                dql.parse(query)
                dql.compile_query(scope["resource"], query)
            except dql.QueryError as exc:
                raise ValidationError({"slots": f"Slot '{function_name}' filter: {exc}"})
            scopes.append({"resource": scope["resource"], "panel": panel, "filter": dql.parse(query)})
        result.append(
            {
                "moduleName": module_name,
                "functionName": function_name,
                "displayName": slot.get("displayName") or function_name,
                "postAction": {"type": post_action["type"]},
                "displayScopes": scopes,
                "displayIcon": slot.get("displayIcon") or "",
            }
        )
    return result
