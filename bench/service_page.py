"""How fast is a service's page with many executions? Prints figures; not a test.

A real server (daphne, embedded dispatcher) with the demo, plus bulk-created executions:
``--day`` of the demo's ``image-processing`` service spread over the last 24 hours (with
durations and a mix of statuses), ``--older`` of it from the week before, and ``--other``
of another service of the same project over the last day. Then the service page (last
hour, last day), its live fragment (what the page polls) and the services list are each
requested ``--repeat`` times over a keep-alive connection on loopback. Target: p95 <= 100 ms.
"first" is the first request of each, which also fills the cache of a window's older
buckets (studio/services/selectors.py: refreshed every 5 minutes, so one poll in ~60).

The charts read the executions created in the window; they are timed first as the
migrations leave the table, then again with an index on ``Execution(service, created_at)``
created by hand (``--no-index`` skips that), to show what the index is worth.

    PYTHONPATH=platform:. .venv/bin/python bench/service_page.py [--repeat 40] [--day 100000] [--port 8731]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from tests.support.live import LiveServer  # noqa: E402

SEED = """
import json, random
from datetime import timedelta
from django.utils import timezone
from faas.models import Execution, Service
from faas.services.services import service_deploy
random.seed(7)
target = Service.objects.get(name="image-processing")
other, _ = service_deploy(project=target.project, package=target.package, name="bench-other", fields={{}})
Execution._meta.get_field("created_at").auto_now_add = False  # the rows say when they were made
now = timezone.now()

def make(service, count, newest, oldest):
    batch = []
    for n in range(count):
        created = now - timedelta(seconds=random.uniform(newest, oldest))
        status = random.choices(["success", "failed", "terminated"], [90, 8, 2])[0]
        duration = timedelta(seconds=random.lognormvariate(0, 0.7))
        batch.append(Execution(
            project_id=service.project_id, service=service, package_revision=service.package_revision,
            function_name="rgb2gray", status=status, input={{"item": {{"item_id": n}}}},
            created_at=created, started_at=created, finished_at=created + duration,
        ))
        if len(batch) == 5000:
            Execution.objects.bulk_create(batch)
            batch = []
    Execution.objects.bulk_create(batch)

make(target, {day}, 0, 86400)
make(target, {older}, 86400, 8 * 86400)
make(other, {other}, 0, 86400)
print(json.dumps({{"project": target.project_id, "service": target.id, "total": Execution.objects.count()}}))
"""

DROP = "DROP INDEX IF EXISTS bench_execution_service_created"
INDEX = "CREATE INDEX IF NOT EXISTS bench_execution_service_created ON faas_execution (service_id, created_at)"


# The same requests inside one process (Django's test client, no HTTP), timing the CPU
# the request used as well as the wall clock: on a shared, loaded machine the CPU time is
# closer to what the server would answer in alone.
IN_PROCESS = """
import statistics, time
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
settings.ALLOWED_HOSTS = ["*"]
client = Client()
client.force_login(User.objects.get(username="demo"))
for name, url in {urls!r}:
    client.get(url)
    wall, cpu = [], []
    for _ in range({repeat}):
        w0, c0 = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    q = lambda xs: statistics.quantiles(xs, n=20)[18]
    print(f"  {{name:36s}} cpu p50 {{statistics.median(cpu):6.1f}} ms  p95 {{q(cpu):6.1f}} ms  "
          f"wall p50 {{statistics.median(wall):6.1f}} ms  p95 {{q(wall):6.1f}} ms")
"""


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)


def log_in(server: LiveServer) -> requests.Session:
    session = requests.Session()
    session.get(server.url + "/login/", timeout=10)
    answer = session.post(
        server.url + "/login/",
        data={"username": "demo", "password": "demo", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
    )
    assert "/login/" not in answer.url, "could not log in as demo"
    return session


def timed(session: requests.Session, url: str, repeat: int) -> tuple[float, list[float]]:
    """(the first request's time, which fills the cache of older buckets; the next ``repeat``)."""
    t0 = time.perf_counter()
    session.get(url, timeout=60).raise_for_status()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        answer = session.get(url, timeout=30)
        times.append((time.perf_counter() - t0) * 1000)
        answer.raise_for_status()
    return first, times


def paths(ids: dict) -> list[tuple[str, str]]:
    base = f"/projects/{ids['project']}/services"
    return [
        ("service page, last hour", f"{base}/{ids['service']}/"),
        ("service page, last day", f"{base}/{ids['service']}/?window=day"),
        ("live fragment (polled), last hour", f"{base}/{ids['service']}/live/"),
        ("live fragment (polled), last day", f"{base}/{ids['service']}/live/?window=day"),
        ("services list", f"{base}/"),
    ]


def bench(session: requests.Session, server: LiveServer, ids: dict, repeat: int, label: str) -> None:
    print(f"{label}, over HTTP:")
    for name, path in paths(ids):
        first, times = timed(session, server.url + path, repeat)
        print(
            f"  {name:36s} p50 {statistics.median(times):6.1f} ms  p95 {p95(times):6.1f} ms  "
            f"max {max(times):6.1f} ms  first {first:6.1f} ms  (target p95 <= 100 ms)"
        )
    print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    print(f"{label}, in one process (no HTTP):")
    print(server.python(IN_PROCESS.format(urls=paths(ids), repeat=repeat)).rstrip())
    print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--day", type=int, default=100_000, help="executions of the service in the last day")
    parser.add_argument("--older", type=int, default=100_000, help="executions of the service before that")
    parser.add_argument("--other", type=int, default=100_000, help="executions of another service")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--no-index", action="store_true")
    parser.add_argument("--home", help="reuse this DATASLOT_HOME seeded by an earlier run (kept afterwards)")
    args = parser.parse_args()

    home = Path(args.home or tempfile.mkdtemp(prefix="dataslot-bench-service-"))
    server = LiveServer(home=home)
    server.port, server.url = args.port, f"http://127.0.0.1:{args.port}"
    server.env["PORT"] = str(args.port)
    try:
        t0 = time.perf_counter()
        if args.home and (home / "seeded.json").exists():
            ids = json.loads((home / "seeded.json").read_text())
        else:
            server.manage("load_demo")
            seeded = server.python(SEED.format(day=args.day, older=args.older, other=args.other))
            ids = json.loads(seeded.strip().splitlines()[-1])
            (home / "seeded.json").write_text(json.dumps(ids))
        server.python(f"from django.db import connection; connection.cursor().execute({DROP!r})")
        print(
            f"{ids['total']:,} executions ({args.day:,} of the service in the last day, {args.older:,} older, "
            f"{args.other:,} of another service), ready in {time.perf_counter() - t0:.1f} s; "
            f"{args.repeat} requests each, keep-alive, loopback."
        )
        server.start()
        session = log_in(server)
        bench(session, server, ids, args.repeat, "(a) indexes as migrated")
        if not args.no_index:
            server.stop()  # a fresh process: an empty cache, so "first" is a miss again
            server.python(f"from django.db import connection; connection.cursor().execute({INDEX!r})")
            server.start()
            session = log_in(server)
            bench(session, server, ids, args.repeat, "(b) with an index on Execution(service, created_at)")
    finally:
        server.stop()
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
