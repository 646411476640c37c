"""How many images a second does an upload through the API store, thumbnails included?

Starts a real server (daphne in a subprocess, as ``make run`` does), generates 300
one-megapixel JPEGs with Pillow (varied content), and uploads them over HTTP in
multipart requests. Every image is decoded to its last byte (a JPEG at the thumbnail's
DCT scale, Pillow's ``Image.draft``: one decode checks it and gives the thumbnail),
thumbnailed and stored before the request answers. Target: >= 200 images/s on a 2-core
machine.

    PYTHONPATH=platform:. .venv/bin/python bench/upload.py [--images 600] [--per-request 20] [--clients 2]
        [--port 8631]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from PIL import Image, ImageDraw  # noqa: E402

from tests.support.live import LiveServer  # noqa: E402

TARGET = 200


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: a figure the shared machine's load does not skew."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_jpeg(seed: int, size=(1200, 834)) -> bytes:
    """About one megapixel: a gradient background with random shapes, as a photo-sized JPEG."""
    rng = random.Random(seed)
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    factors = [rng.randint(1, 4) for _ in range(3)]
    img = Image.merge(
        "RGB", [c.point([(v * k) % 256 for v in range(256)]) for c, k in zip(img.split(), factors, strict=True)]
    )
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randint(10, 300), rng.randint(10, 300)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=colour)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--per-request", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2, help="parallel uploading clients")
    parser.add_argument("--port", type=int, default=8631)
    args = parser.parse_args()

    t0 = time.perf_counter()
    images = [make_jpeg(n) for n in range(args.images)]
    megabytes = sum(map(len, images)) / 1e6
    print(f"generated {len(images)} JPEGs of 1200x834 ({megabytes:.0f} MB) in {time.perf_counter() - t0:.1f} s")

    server = LiveServer()
    server.port, server.url, server.env["PORT"] = args.port, f"http://127.0.0.1:{args.port}", str(args.port)
    server.start()
    try:
        token = server.create_user("bench", project="Bench", role="owner")
        session = server.session(token)
        project_id = session.get(f"{server.url}/api/projects/").json()[0]["id"]
        dataset = session.post(f"{server.url}/api/projects/{project_id}/datasets/", json={"name": "Upload"}).json()
        url = f"{server.url}/api/datasets/{dataset['id']}/items/"
        batches = [
            list(enumerate(images))[start : start + args.per_request]
            for start in range(0, len(images), args.per_request)
        ]

        def send(batch) -> int:
            files = [("file", (f"img{n:04d}.jpg", data, "image/jpeg")) for n, data in batch]
            response = server.session(token).post(url, files=files, data={"dir": "/bench"}, timeout=300)
            response.raise_for_status()
            return len(response.json()["results"])

        send(batches[0][:1])  # warm the server (imports, first connection)
        server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            stored = sum(pool.map(send, batches))
        elapsed = time.perf_counter() - t0
        server_cpu = cpu_seconds(server.process.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        total = session.get(url, params={"count": "true", "page_size": 1}).json()["count"]
        thumb = session.get(f"{server.url}/api/items/2/thumbnail/")
        print(f"thumbnail of one item: {thumb.headers['Content-Type']}, {Image.open(io.BytesIO(thumb.content)).size}")
        print(
            f"uploaded {stored} images in {len(batches)} requests of {args.per_request} "
            f"with {args.clients} client(s) in {elapsed:.1f} s"
        )
        rate = stored / elapsed
        print(f"{rate:.1f} images/s ({megabytes / elapsed:.1f} MB/s), items in the dataset: {total}")
        print(f"target >= {TARGET} images/s: {'OK' if rate >= TARGET else 'TOO SLOW'}")
        print(
            f"CPU per image: server {server_cpu / stored * 1000:.1f} ms, client {client_cpu / stored * 1000:.1f} ms "
            f"(two idle cores would bound the rate at {2 / ((server_cpu + client_cpu) / stored):.0f} images/s)"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
