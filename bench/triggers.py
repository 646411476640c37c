"""A trigger storm: does an active item trigger slow a 10,000-item upload down?

Starts a real server (daphne + the embedded dispatcher, SQLite, as ``make run``), deploys a
service whose function takes an item and does nothing, then uploads N small PNGs over
HTTP (multipart requests of ``--per-request`` files, ``--clients`` in parallel) twice:
into a dataset with no trigger listening, then with an active ``Item``/``Created``
trigger (``Always``) on that service. Prints both upload rates and their ratio (target:
the triggered upload keeps >= 80 % of the rate), and how long after the last upload the
last execution of the storm was created (the outbox is drained in batches of 2,000 by the
trigger pump, beside the dispatcher, never inside the upload's request).

    PYTHONPATH=platform:. .venv/bin/python bench/triggers.py [--items 10000] [--per-request 100] [--clients 2]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

import requests  # noqa: E402
from PIL import Image  # noqa: E402

from tests.support.functions import FunctionsApi, function  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def touch(self, item):
        return None
"""
PORT = 8650  # this bench's port (bench ports 8650-8669)


def tiny_png(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (n % 256, (n // 256) % 256, 7)).save(out, format="PNG")
    return out.getvalue()


def upload_all(server, token: str, dataset_id: int, images: list[bytes], per_request: int, clients: int) -> float:
    """Items per second for uploading every image."""
    url = f"{server.url}/api/datasets/{dataset_id}/items/"
    batches = [list(enumerate(images))[s : s + per_request] for s in range(0, len(images), per_request)]

    def send(batch) -> int:
        files = [("file", (f"img{n:05d}.png", data, "image/png")) for n, data in batch]
        response = server.session(token).post(url, files=files, data={"dir": "/storm"}, timeout=600)
        response.raise_for_status()
        return len(batch)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        stored = sum(pool.map(send, batches))
    return stored / (time.perf_counter() - t0)


def created_by(server, trigger_id: int) -> int:
    code = f"from faas.models import Execution; print(Execution.objects.filter(trigger_id={trigger_id}).count())"
    return int(server.python(code).strip().splitlines()[-1])


def start(server) -> None:
    """LiveServer.start, patient with a busy machine (its first answer can take over 1 s)."""
    try:
        server.start()
    except requests.Timeout:
        for _ in range(120):
            try:
                requests.get(server.url + "/login/", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    images = [tiny_png(n) for n in range(args.items)]

    server = LiveServer()
    server.port, server.url = PORT, f"http://127.0.0.1:{PORT}"
    server.env["PORT"] = str(PORT)
    try:
        start(server)
        token = server.create_user("bench", project="Storm", role="owner")
        api = FunctionsApi(server, token)
        project_id = api.project("Storm")
        package = api.push(project_id, "storm", CODE, [function("touch", ("item", "Item"))])
        service = api.deploy(project_id, package, "storm")
        quiet = api.call("POST", f"/projects/{project_id}/datasets/", 201, json={"name": "quiet"}).json()
        loud = api.call("POST", f"/projects/{project_id}/datasets/", 201, json={"name": "loud"}).json()
        upload_all(server, token, quiet["id"], images[:20], 10, 1)  # warm up imports and connections

        without = upload_all(server, token, quiet["id"], images, args.per_request, args.clients)
        print(f"no trigger:     {args.items} items at {without:7.1f} items/s")

        trigger = api.call(
            "POST",
            f"/services/{service['id']}/triggers/",
            201,
            json={
                "name": "storm",
                "functionName": "touch",
                "spec": {
                    "resource": "Item",
                    "actions": ["Created"],
                    "executionMode": "Always",
                    "filter": {"datasetId": loud["id"]},
                },
            },
        ).json()
        t0 = time.perf_counter()
        with_trigger = upload_all(server, token, loud["id"], images, args.per_request, args.clients)
        uploaded = time.perf_counter()
        print(f"active trigger: {args.items} items at {with_trigger:7.1f} items/s")
        while (count := created_by(server, trigger["id"])) < args.items:
            if time.perf_counter() - uploaded > 300:
                break
            time.sleep(0.5)
        drained = time.perf_counter()
        print(
            f"storm: {count} executions created; the last {drained - uploaded:.1f} s after the last upload "
            f"({count / (drained - t0):.0f} executions/s over the whole storm)"
        )
        print(f"ratio (with / without trigger): {with_trigger / without:.2f}  (target >= 0.80)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
