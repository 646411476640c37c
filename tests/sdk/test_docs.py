"""docs/sdk.md's walkthrough, "From nothing to a clicked slot", as a test.

Its fenced ``python`` blocks run in order, in one namespace, against a real server with
real replicas. A block whose introducing line ends with a path in backticks and a colon
(``./image-processing/main.py``:) is a file the reader writes: it is written (into a
temporary working directory), not run. A block preceded by ``<!-- not run -->`` is
reference only and skipped. The only changes to the code are the substitutions in
``SUBSTITUTIONS`` (the server's address, a user and project of this test's own, a photo
that exists); each must still occur in the doc. Step 6's click is made before its block,
as the dataset browser sends it, and its executions are waited for after it (step 8 pauses
the service). Each step's documented effect is then asserted.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

import dataslot as dl

pytestmark = [pytest.mark.server, pytest.mark.timeout(300)]

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
SECTION = "## From nothing to a clicked slot"
NOT_RUN = "<!-- not run -->"
USERNAME = "docs-walkthrough-alice"
PROJECT = "docs-walkthrough"


@dataclass
class Block:
    step: int  # the "**N." step the block belongs to
    line: int  # the doc's line number of the block's first code line
    code: str
    path: str | None  # a file to write, or None: code to run


def walkthrough_blocks() -> list[Block]:
    lines = DOC.read_text().splitlines()
    start = lines.index(SECTION)
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
    blocks, step, n = [], 0, start + 1
    while n < end:
        if match := re.match(r"\*\*(\d+)\.", lines[n]):
            step = int(match.group(1))
        if lines[n].strip() != "```python":
            n += 1
            continue
        before = next((lines[b].strip() for b in range(n - 1, start, -1) if lines[b].strip()), "")
        close = lines.index("```", n + 1)
        if before != NOT_RUN:
            path = re.search(r"`([^`]+)`:$", before)
            code = "\n".join(lines[n + 1 : close]) + "\n"
            blocks.append(Block(step, n + 2, code, path.group(1) if path else None))
        n = close + 1
    return blocks


def substitutions(url: str) -> dict[str, str]:
    """What the doc writes for its reader's setup -> this test's own, replaced verbatim."""
    return {
        '"http://127.0.0.1:8000"': repr(url),
        '"alice"': repr(USERNAME),
        'project_name="Demo"': f"project_name={PROJECT!r}",
        '"/photos/car.jpg"': '"car.jpg"',  # written into the working directory below
    }


def slots_listed(project_id, panel="browser") -> dict[str, dict]:
    listed = dl.client_api.get(f"/api/projects/{project_id}/slots/", {"resource": "item", "panel": panel})
    return {s["displayName"]: s for s in listed}


def click(ns) -> list[dl.Execution]:
    """Step 6's click: Applications -> RGB2GRAY on the selected item, in the dataset browser."""
    answer = dl.client_api.post(
        f"/api/projects/{ns['project'].id}/slots/run/",
        {
            "serviceId": ns["service"].id,
            "functionName": "rgb2gray",
            "resource": "item",
            "panel": "browser",
            "selection": {"ids": [ns["item"].id]},
        },
    )
    return [dl.Execution(e) for e in answer["executions"]]


def test_the_walkthrough_runs_as_written(live_server_proc, default_client_at, tmp_path, monkeypatch):
    # default_client_at restores the default client the doc's dl.setenv/dl.login change.
    live_server_proc.create_user(USERNAME, "password", project=PROJECT, role="owner")
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (32, 24), (200, 40, 10)).save("car.jpg")

    blocks = walkthrough_blocks()
    assert [b.step for b in blocks] == [1, 2, 3, 4, 5, 6, 7, 8], "the walkthrough's steps changed"
    mapping = substitutions(live_server_proc.url)
    for old in mapping:
        assert any(old in b.code for b in blocks), f"the doc no longer writes {old}: update SUBSTITUTIONS"

    ns: dict = {"__name__": "walkthrough"}
    printed: dict[int, str] = {}
    executions: dict[int, list] = {}  # each value `execution` took during a step, in order
    clicked: list[dl.Execution] = []
    for block in blocks:
        if block.path:
            (tmp_path / block.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / block.path).write_text(block.code)
            continue
        code = block.code
        for old, new in mapping.items():
            code = code.replace(old, new)
        if block.step == 6:
            clicked = click(ns)
        tree = ast.parse(code)
        ast.increment_lineno(tree, block.line - 1)  # a traceback names the doc's line
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for statement in tree.body:
                exec(compile(ast.Module([statement], []), str(DOC), "exec"), ns)
                seen = executions.setdefault(block.step, [])
                if ns.get("execution") is not None and not any(e is ns["execution"] for e in seen):
                    seen.append(ns["execution"])
        printed[block.step] = printed.get(block.step, "") + out.getvalue()
        if block.step == 6:  # the click and the hand-run execution finish before step 8's pause
            for execution in (*clicked, *executions[6]):
                execution.wait(timeout=60)

    project, dataset, item, package, service = (ns[k] for k in ("project", "dataset", "item", "package", "service"))

    # 1. A project, a dataset and the uploaded photo.
    assert (project.name, dataset.name, item.name, item.dir) == (PROJECT, "street", "car.jpg", "/cars")
    assert item.mimetype == "image/jpeg"

    # 2-4. The package was pushed (revision 1) and its rgb2gray ran: the printed output is
    # a reference to a new, gray item, and the function's print was captured.
    assert [r["version"] for r in package.revisions] == [1, 2]
    documented = re.search(r"^# (\{.*?\})", blocks[3].code, re.M).group(1)
    streamed, result = printed[4].strip().rsplit("\n", 1)
    assert streamed == "converted car.jpg"  # sync=True streams the execution's output first
    output = ast.literal_eval(result)
    assert output.keys() == ast.literal_eval(documented).keys()
    gray = dataset.items.get(item_id=output["item_id"])
    assert (gray.dir, gray.name, output["dataset_id"]) == ("/gray/cars", "car.jpg", dataset.id)
    assert Image.open(gray.download(save_locally=False)).mode == "L"
    first_run = service.executions.list(function_name="rgb2gray").to_list()[-1]
    assert "converted car.jpg\n" in list(first_run.logs())

    # 5. Revision 2 carries the slot, the service runs it, and the project shows it.
    assert (package.version, service.package_revision) == (2, 2)
    [slot] = dl.packages.get(package_id=package.id).slots
    assert (slot.display_name, slot.post_action.type) == ("RGB2GRAY", dl.SlotPostActionType.DOWNLOAD)
    for panel in ("browser", "studio"):
        assert "RGB2GRAY" in slots_listed(project.id, panel)

    # 6. `.first()` is the latest click; the execution run by hand succeeds.
    assert len(clicked) == 1
    latest, by_hand = executions[6]
    assert latest.id == clicked[0].id
    assert by_hand.id != latest.id and by_hand.function_name == "rgb2gray"
    for execution in (clicked[0], by_hand):
        assert execution.status == dl.ExecutionStatus.SUCCESS

    # 7. The logs were followed line by line up to "epoch 3".
    assert printed[7] == "".join(f"epoch {n} saved\n" for n in range(4))

    # 8. Terminated at a checkpoint, with the documented status and message, after the work
    # it saved; the paused service's slot is disabled and a click is refused.
    training = ns["execution"]
    assert training is executions[7][0] and training.function_name == "train"
    assert training.status == dl.ExecutionStatus.TERMINATED
    assert f"# {printed[8].strip()}" in blocks[-1].code.splitlines()
    saved = [line for line in training.logs() if line.startswith("epoch ")]
    assert 4 <= len(saved) < 100 and saved[-1] == f"epoch {len(saved) - 1} saved\n"
    assert dl.services.get(service_id=service.id).active is False
    assert slots_listed(project.id)["RGB2GRAY"]["enabled"] is False
    with pytest.raises(dl.exceptions.Conflict):
        click(ns)
