"""The SDK installs on its own: ``pip install .`` into a fresh virtual environment gives
``import dataslot as dl`` with only its client dependencies, and no Django.

The project's ``pyproject.toml`` and ``dataslot/`` are copied to a temporary folder first,
so the build (with pip's build isolation, fetching setuptools as a user's pip would)
leaves nothing in the work tree; it is the same configuration ``pip install .`` reads.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, json
import dataslot as dl
names = ["PackageSlot", "SlotPostAction", "SlotPostActionType", "SlotDisplayScope", "SlotDisplayScopeResource",
         "UiBindingPanel", "PackageModule", "PackageFunction", "FunctionIO", "PackageInputType", "ExecutionStatus",
         "OnResetAction", "BaseServiceRunner", "Progress", "Context", "Filters", "setenv", "login", "login_token",
         "projects", "exceptions"]
print(json.dumps({
    "file": dl.__file__,
    "missing": [n for n in names if not hasattr(dl, n)],
    "server_modules": [m for m in ("django", "rest_framework", "channels", "faas", "workspace")
                       if importlib.util.find_spec(m) is not None],
    "conflict": dl.exceptions.Conflict.status_code,
}))
"""


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_pip_install_gives_the_sdk_without_server_dependencies(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source / "pyproject.toml")
    shutil.copytree(ROOT / "dataslot", source / "dataslot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env_dir = tmp_path / "env"
    run(sys.executable, "-m", "venv", str(env_dir), cwd=tmp_path)
    python = env_dir / "bin" / "python"

    run(python, "-m", "pip", "install", "--quiet", str(source), cwd=tmp_path)

    probe = json.loads(run(python, "-c", PROBE, cwd=tmp_path))
    assert probe["file"].startswith(str(env_dir)), probe["file"]  # the installed copy, not the work tree
    assert probe["missing"] == []
    assert probe["server_modules"] == []
    assert probe["conflict"] == 409
    shown = run(python, "-m", "pip", "show", "dataslot", cwd=tmp_path)
    assert "Requires: requests\n" in shown
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json", cwd=tmp_path))
    installed = {p["name"].lower() for p in listed}
    assert "dataslot" in installed
    assert installed - {"dataslot", "pip", "setuptools"} <= {
        "requests",
        "urllib3",
        "idna",
        "charset-normalizer",
        "certifi",
    }
