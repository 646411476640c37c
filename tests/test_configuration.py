"""Configuration comes from the environment, with embedded defaults (nothing else to run)."""

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as c:
    journal = c.execute("PRAGMA journal_mode").fetchone()[0] if connection.vendor == "sqlite" else None
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"], "name": str(settings.DATABASES["default"]["NAME"]),
    "journal": journal, "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"], "debug": settings.DEBUG,
    "media": str(settings.MEDIA_ROOT), "secret": settings.SECRET_KEY, "key": settings.DATASLOT_ENCRYPTION_KEY,
    "api": settings.DATASLOT_API_URL,
}))
"""


def settings_env(home: Path, **env) -> dict:
    """A bare environment, as a fresh machine would give, plus what a case sets."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "dataslot_server.settings",
        "DATASLOT_HOME": str(home),
        **env,
    }


def probe(home: Path, script: str = PROBE, **env) -> dict:
    """What ``script`` prints last (JSON), run against the settings in a bare environment."""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=settings_env(home, **env),
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_with_nothing_set_everything_lives_under_dataslot_home(tmp_path):
    found = probe(tmp_path)
    assert found["engine"] == "dataslot_server.sqlite"
    assert found["name"] == str(tmp_path / "dataslot.sqlite3")
    assert found["journal"] == "wal"
    assert found["media"] == str(tmp_path / "media")
    assert found["layer"] == "live.layers.InMemoryChannelLayer"
    assert found["debug"] is False
    assert found["api"] == "http://127.0.0.1:8000"


def test_keys_are_generated_once_private_and_kept(tmp_path):
    first = probe(tmp_path)
    again = probe(tmp_path)
    assert len(first["secret"]) >= 50 and first["key"]
    assert (first["secret"], first["key"]) == (again["secret"], again["key"])
    for name in ("secret.key", "encryption.key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
    other = probe(tmp_path / "elsewhere")
    assert other["secret"] != first["secret"] and other["key"] != first["key"]
    # A new DATASLOT_HOME is closed to other users (replicas run as users of their own).
    assert stat.S_IMODE((tmp_path / "elsewhere").stat().st_mode) == 0o700


def test_generated_keys_and_data_are_never_committed():
    ignored = subprocess.run(
        ["git", "check-ignore", "var/secret.key", "var/encryption.key", "var/dataslot.sqlite3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == ["var/secret.key", "var/encryption.key", "var/dataslot.sqlite3"]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if f.endswith((".key", ".sqlite3"))]


def test_database_url_and_redis_url_switch_to_postgresql_and_redis(tmp_path):
    found_settings = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; import json; print(json.dumps(["
            "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'],"
            "settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CHANNEL_LAYERS['default']['CONFIG']['hosts']]))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=settings_env(
            tmp_path, DATABASE_URL="postgres://someone:pw@db.example:5432/dataslot", REDIS_URL="redis://cache:6379/1"
        ),
    )
    assert found_settings.returncode == 0, found_settings.stderr
    engine, name, layer, hosts = json.loads(found_settings.stdout)
    assert engine == "dataslot_server.postgresql" and name == "dataslot"
    assert layer == "channels_redis.core.RedisChannelLayer"
    assert [host["address"] for host in hosts] == ["redis://cache:6379/1"]


def test_the_statements_on_every_executions_path_are_prepared_unless_a_pooler_cannot_keep_them(tmp_path):
    """psycopg prepares only what dataslot_server.postgresql's ``execute_prepared`` runs
    (Django's own cursors bind on the client): from a statement's second run, or never."""
    script = (
        "import json; from django.conf import settings;"
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']['prepare_threshold']))"
    )
    found = {}
    for value in (None, "0", "1"):
        env = {"DATASLOT_DB_PREPARED": value} if value is not None else {}
        found[value] = probe(tmp_path, script, DATABASE_URL="postgres://someone:pw@db.example:5432/d", **env)
    assert found == {None: 1, "0": None, "1": 1}


def test_host_and_port_choose_where_replicas_reach_the_api_and_debug_is_opt_in(tmp_path):
    found = probe(tmp_path, HOST="0.0.0.0", PORT="9123", DATASLOT_DEBUG="1")
    assert found["api"] == "http://127.0.0.1:9123"
    assert found["debug"] is True


def test_make_run_installs_migrates_loads_the_demo_and_serves_on_host_and_port():
    plan = subprocess.run(
        ["make", "-n", "-B", "run", "HOST=0.0.0.0", "PORT=9123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert plan.returncode == 0, plan.stderr
    steps = plan.stdout
    order = [
        steps.index("-m venv .venv"),
        steps.index("pip install --quiet -r requirements.txt"),
        steps.index("manage.py migrate --noinput"),
        steps.index("manage.py load_demo"),
        steps.index("-m dataslot_server.serve -b 0.0.0.0 -p 9123 dataslot_server.asgi:application"),
    ]
    assert order == sorted(order)


def test_make_test_installs_the_dev_tools_lints_and_runs_the_suite_on_both_databases():
    plan = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    for step in (
        "pip install --quiet -r requirements-dev.txt",
        "ensure-chromium.sh",
        "ensure-iproute2.sh",
        "ruff check .",
        "lint-imports",
        "test-suite.sh",
    ):
        assert step in plan.stdout, step
    # The import contracts are checked before the suite runs.
    assert plan.stdout.index("lint-imports") < plan.stdout.index("test-suite.sh")
    # The suite script runs pytest over every test: the scale-out ones (and a few others,
    # BESIDE), then the PostgreSQL suites, beside the rest, which ignores exactly those.
    suite = (ROOT / "scripts" / "test-suite.sh").read_text()
    beside = re.search(r"^BESIDE=\(([^)]*)\)$", suite, re.M).group(1).split()
    assert "tests/scaleout" in beside and all((ROOT / path).exists() for path in beside), beside
    assert '.venv/bin/pytest "${BESIDE[@]}"' in suite and '.venv/bin/pytest "${BESIDE[@]/#/--ignore=}"' in suite
    assert "scripts/test-postgres.sh" in suite
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_import_contracts_hold_and_make_test_checks_them():
    """Layers point down, nothing below the pages imports the REST layer, the SDK imports
    nothing of the server, and no package's modules import each other in a circle
    (pyproject.toml, [tool.importlinter]; docs/architecture.md, "Layers")."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    kinds = {contract["id"]: contract["type"] for contract in config["contracts"]}
    assert kinds == {
        "layers": "layers",
        "representations": "forbidden",
        "sdk": "forbidden",
        "no-cycles": "acyclic_siblings",
    }
    # platform/ is a source root, not a package: every app under it is a root package.
    apps = {p.name for p in (ROOT / "platform").iterdir() if (p / "__init__.py").exists()}
    assert apps and apps <= set(config["root_packages"])
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"},
    )
    assert lint.returncode == 0, lint.stdout[-4000:] + lint.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in lint.stdout


def test_an_import_inside_a_function_fails_the_lint_unless_its_file_is_excused(tmp_path):
    """ruff's PLC0415 is on: a new late import (the usual way to hide a cycle) fails."""
    module = tmp_path / "platform" / "faas" / "late.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from faas import models\n\n    return models\n")
    ruff = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), str(module)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ruff.returncode == 1 and "PLC0415" in ruff.stdout, ruff.stdout
