"""The repository is self-contained: its design is written in docs/design.md, and no file
cites a document that lives outside the checkout."""

import re
import subprocess
from pathlib import Path

import pytest

from faas.enums import ExecutionStatus, OnResetAction, SlotPostActionType

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "design.md"

# Documents that were never part of the repository, however they are spelt.
OUTSIDE = re.compile(r"\.\./shared|[\w/]+/shared/|dtlpy-facts|ui-slots-and-execution-control\.txt")
# A design.md named with whatever path precedes it (``docs/design.md``, ``../design.md``...).
DESIGN_NAME = re.compile(r"[\w./-]*design\.md")


def _repository_files() -> list[Path]:
    """Tracked files, and new ones not ignored yet (a document added before its commit)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the repository's files cannot be listed")
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [p for p in paths if p.is_file() and p != Path(__file__).resolve()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _design_name_is_inside(token: str, path: Path) -> bool:
    # In docs/ a bare "design.md" is the sibling file; anywhere else it must say docs/.
    return (
        token.endswith("docs/design.md")
        and not token.startswith("..")
        or (token == "design.md" and path.parent == ROOT / "docs")
    )


def test_no_file_in_the_repository_cites_a_document_outside_it():
    found = []
    for path in _repository_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
            if OUTSIDE.search(line):
                found.append(where)
            elif any(not _design_name_is_inside(m.group(), path) for m in DESIGN_NAME.finditer(line)):
                found.append(where)
    assert not found, "cite docs/design.md (and its section) instead:\n" + "\n".join(found)


@pytest.mark.parametrize("enum", [ExecutionStatus, SlotPostActionType, OnResetAction], ids=lambda enum: enum.__name__)
def test_the_design_document_names_every_wire_value_the_server_defines(enum):
    text = DESIGN.read_text(encoding="utf-8")
    missing = [value for value in enum.values if f"`{value}`" not in text]
    assert not missing, f"docs/design.md does not name {enum.__name__} values {missing}"


def _packages(folder: Path) -> set[str]:
    return {p.parent.name for p in folder.glob("*/__init__.py") if p.parent.name not in ("migrations", "templatetags")}


@pytest.mark.parametrize("document", ["README.md", "docs/architecture.md"])
def test_the_documented_layout_names_every_app_and_page_package(document):
    text = (ROOT / document).read_text()
    apps = _packages(ROOT / "platform")
    pages = _packages(ROOT / "studio")
    assert apps >= {"dataslot_server", "workspace", "faas", "runner", "live"}
    assert pages >= {"browse", "annotate", "tasks", "executions", "applications", "services"}
    missing = {name for name in apps | pages if not re.search(rf"`?\b{name}\b", text)}
    assert not missing, f"{document} does not name {sorted(missing)}"
