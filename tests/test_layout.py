"""The layout rule of docs/design.md ("Layout"): platform/ is a source root, never a package."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_folder_is_not_a_package():
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_works_inside_the_running_project():
    # Django is set up with the source root on sys.path; the stdlib module must win.
    import platform

    import django  # noqa: F401

    assert platform.system() == "Linux"
    import uuid

    assert uuid.uuid1().version == 1


def test_stdlib_platform_works_in_the_asgi_process():
    # The same check in a fresh interpreter that imports the ASGI application as daphne does.
    code = (
        "import dataslot_server.asgi, platform, twisted.internet.reactor;"
        "print(platform.system(), platform.python_version())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PYTHONPATH": "platform:.",
            "DATASLOT_HOME": str(ROOT / "var" / "layout-test"),
            "DATASLOT_DISPATCHER": "off",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Linux 3.")
