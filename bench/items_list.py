"""How fast are a dataset's item pages and counts at 10,000, 100,000 and 1,000,000 items?

Starts a real server (daphne in a subprocess, as ``make run`` does; dispatcher off) on
SQLite or PostgreSQL, bulk-creates items straight into its database (one multi-row insert
per 10,000 items; the database's triggers index their metadata as they would for an
upload), and measures over real HTTP, 100-item pages:

- the first page, and a page 90% of the way through reached by a jump (``?page=N``);
- the first page of a filter on ``metadata.user.*`` matching 10%, 0.1% and none of the
  items, a range (1%), and an ``$in`` of 50 values (5%);
- each of those with ``count=true`` (the number that match, exact up to 10,000).

Prints p50/p95 per case and size, the 1M/10k (or largest/smallest) ratio of the p95s,
and the verdict against the targets: p95 <= 30 ms a page, <= 50 ms with a count, ratio
<= 1.5.

    PYTHONPATH=platform:. .venv/bin/python bench/items_list.py [--db sqlite|postgresql]
        [--sizes 10000,100000,1000000] [--repeat 60] [--port 8630]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from tests.support.live import LiveServer  # noqa: E402

PAGE = 100
SPECIES = ["wren", "robin", "finch", "heron", "owl", "swift", "kestrel", "plover"]
STATIONS = 1000  # metadata.user.station = "st<n % 1000>": each value on 0.1% of the items
PAGE_TARGET_MS, COUNT_TARGET_MS, RATIO_TARGET = 30, 50, 1.5
BATCH = 10_000
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

COLUMNS = (
    "dataset_id, name, dir, type, hidden, width, height, size, metadata, file, thumbnail, created_by_id, created_at"
)


def rows(dataset_id: int, start: int, stop: int, now: str):
    for n in range(start, stop):
        metadata = {
            "system": {"mimetype": "image/jpeg", "originalname": f"img{n:07d}.jpg"},
            "user": {
                "batch": n % 10,
                "species": SPECIES[n % len(SPECIES)],
                "score": (n * 37 % 100) / 100,
                "station": f"st{n % STATIONS}",
            },
        }
        yield (
            dataset_id,
            f"img{n:07d}.jpg",
            f"/site{n % 7}",
            "file",
            False,
            1000 + n % 13,
            1000,
            150_000 + n % 997,
            json.dumps(metadata),
            f"datasets/{dataset_id}/items/fake{n}.jpg",
            f"datasets/{dataset_id}/thumbnails/fake{n}.jpg",
            None,
            now,
        )


class SQLiteLoader:
    def __init__(self, server: LiveServer):
        self.db = sqlite3.connect(server.home / "dataslot.sqlite3", timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")

    def add(self, dataset_id: int, start: int, stop: int) -> None:
        now = datetime.now(UTC).isoformat(sep=" ")
        sql = f"INSERT INTO workspace_item ({COLUMNS}) VALUES ({', '.join('?' * 13)})"
        for lo in range(start, stop, BATCH):
            with self.db:
                self.db.executemany(sql, rows(dataset_id, lo, min(lo + BATCH, stop), now))

    def analyze(self) -> None:
        self.db.execute("PRAGMA analysis_limit=1000")
        self.db.execute("ANALYZE")
        self.db.commit()
        # the bulk insert left its pages in the write-ahead log; a server that has run a
        # while has them in the database file (SQLite checkpoints as it goes)
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class PostgresLoader:
    def __init__(self, url: str):
        import psycopg

        self.db = psycopg.connect(url, autocommit=True)

    def add(self, dataset_id: int, start: int, stop: int) -> None:
        now = datetime.now(UTC)
        for lo in range(start, stop, BATCH * 10):
            with self.db.cursor() as cursor, cursor.copy(f"COPY workspace_item ({COLUMNS}) FROM STDIN") as copy:
                for row in rows(dataset_id, lo, min(lo + BATCH * 10, stop), now):
                    copy.write_row(row)

    def analyze(self) -> None:
        self.db.execute("VACUUM ANALYZE workspace_item")
        self.db.execute("VACUUM ANALYZE workspace_item_metadata_value")
        self.db.execute("VACUUM ANALYZE workspace_item_block")


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def timed_rounds(session, requests: dict[str, tuple[str, object]], repeat: int) -> dict[str, list[float]]:
    """Each case once per round, ``repeat`` rounds: a slow moment of the machine falls on
    every case alike instead of on whichever case was running then."""
    for url, check in requests.values():  # warm, and the answer is right
        check(session.get(url).json())
    times: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(repeat):
        for name, (url, _check) in requests.items():
            t0 = time.perf_counter()
            response = session.get(url)
            times[name].append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content[:500]
    return times


def cases(total: int) -> dict[str, tuple[dict | None, int]]:
    """Case name -> (filter, number of matching items)."""
    deep = int(total / PAGE * 0.9)
    return {
        "first page": (None, total),
        f"page {deep} (jump)": ("jump", total),
        "metadata.user.batch = 3 (10%)": ({"metadata.user.batch": 3}, total // 10),
        "metadata.user.station = st7 (0.1%)": ({"metadata.user.station": "st7"}, total // STATIONS),
        "metadata.user.station = none (0%)": ({"metadata.user.station": "none"}, 0),
        "score in [0.42, 0.43) (range, 1%)": ({"metadata.user.score": {"$gte": 0.42, "$lt": 0.43}}, total // 100),
        "station $in 50 values (5%)": (
            {"metadata.user.station": {"$in": [f"st{n}" for n in range(50)]}},
            total * 50 // STATIONS,
        ),
    }


def measure(session, base: str, total: int, repeat: int) -> dict[str, list[float]]:
    requests = {}
    deep = int(total / PAGE * 0.9)
    for name, (query, matching) in cases(total).items():
        if query == "jump":
            first_id = session.get(base, params={"page_size": 1}).json()["results"][0]["id"]

            def check_jump(body, first_id=first_id):
                assert body["results"][0]["id"] == first_id + (deep - 1) * PAGE, body["results"][0]["id"]

            requests[name] = (f"{base}?page_size={PAGE}&page={deep}", check_jump)
            continue
        url = f"{base}?page_size={PAGE}" + (f"&filter={json.dumps(query)}" if query else "")

        def check_page(body, matching=matching):
            assert len(body["results"]) == min(PAGE, matching), (len(body["results"]), matching)

        def check_count(body, matching=matching, filtered=query is not None):
            exact = matching <= 10_000 or not filtered  # a dataset's total is kept, always exact
            expected = matching if exact else 10_000
            assert body["count"] == expected and body["countExact"] == exact, (body["count"], matching)

        requests[name] = (url, check_page)
        requests[f"{name} + count"] = (url + "&count=true", check_count)
    return timed_rounds(session, requests, repeat)


def report(results: dict[str, list[float]]) -> None:
    for name, times in results.items():
        target = COUNT_TARGET_MS if name.endswith("count") else PAGE_TARGET_MS
        over = f"  over the {target} ms target" if p95(times) > target else ""
        print(f"  {name:45s} p50 {statistics.median(times):6.1f} ms   p95 {p95(times):6.1f} ms{over}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--port", type=int, default=8630)
    parser.add_argument("--pg-database", default="ds_items_bench_run")
    parser.add_argument("--home", help="reuse this server home (SQLite) and its dataset: only missing items are added")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for a later --reuse-pg")
    parser.add_argument("--reuse-pg", action="store_true", help="reuse --pg-database as it is")
    parser.add_argument("--save", help="write the p95s to this JSON file")
    parser.add_argument("--compare", help="a JSON file of --save: ratios against its smallest size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    env = {"DATASLOT_DISPATCHER": "off"}
    if args.db == "postgresql":
        import psycopg

        if not args.reuse_pg:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.pg_database}"')
                admin.execute(f'CREATE DATABASE "{args.pg_database}"')
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + args.pg_database
    server = LiveServer(Path(args.home) if args.home else None, **env)
    server.port, server.url, server.env["PORT"] = args.port, f"http://127.0.0.1:{args.port}", str(args.port)
    server.start()
    try:
        loader = PostgresLoader(env["DATABASE_URL"]) if args.db == "postgresql" else SQLiteLoader(server)
        token = server.create_user("bench", project="Bench", role="owner")
        session = server.session(token)
        project_id = session.get(f"{server.url}/api/projects/").json()[0]["id"]
        datasets = session.get(f"{server.url}/api/projects/{project_id}/datasets/").json()
        dataset = (
            next((d for d in datasets if d["name"] == "Birds"), None)
            or session.post(f"{server.url}/api/projects/{project_id}/datasets/", json={"name": "Birds"}).json()
        )
        base = f"{server.url}/api/datasets/{dataset['id']}/items/"
        print(f"database: {args.db}; {args.repeat} requests per case, {PAGE} items a page")
        runs, done = {}, dataset.get("itemsCount") or 0
        for total in sizes:
            if done > total:
                print(f"{total:,} items: skipped, the dataset already has {done:,}")
                continue
            t0 = time.perf_counter()
            loader.add(dataset["id"], done, total)
            made = time.perf_counter() - t0
            t0 = time.perf_counter()
            loader.analyze()
            done = total
            print(f"{total:,} items (bulk-created in {made:.1f} s, analyzed in {time.perf_counter() - t0:.1f} s):")
            runs[total] = measure(session, base, total, args.repeat)
            report(runs[total])
        p95s = {total: [p95(t) for t in results.values()] for total, results in runs.items()}
        if args.save:
            Path(args.save).write_text(json.dumps({"db": args.db, "p95": p95s}))
        if args.compare:
            earlier = {int(k): v for k, v in json.loads(Path(args.compare).read_text())["p95"].items()}
            p95s = earlier | p95s
        small, big = min(p95s), max(p95s)
        print(f"ratio of p95, {big:,} / {small:,}:")
        worst_ratio = 0.0
        for index, name_big in enumerate(runs[max(runs)]):
            ratio = p95s[big][index] / p95s[small][index]
            worst_ratio = max(worst_ratio, ratio)
            over = f"  over {RATIO_TARGET}" if ratio > RATIO_TARGET else ""
            print(f"  {name_big:45s} {ratio:.2f}{over}")
        pages = [(n, p95(t)) for n, t in runs[big].items() if not n.endswith("count")]
        counts = [(n, p95(t)) for n, t in runs[big].items() if n.endswith("count")]
        worst_page, worst_count = max(pages, key=lambda p: p[1]), max(counts, key=lambda p: p[1])
        ok = worst_page[1] <= PAGE_TARGET_MS and worst_count[1] <= COUNT_TARGET_MS and worst_ratio <= RATIO_TARGET
        print(
            f"at {big:,}: worst page p95 {worst_page[1]:.1f} ms ({worst_page[0]}), worst count p95 "
            f"{worst_count[1]:.1f} ms ({worst_count[0]}), worst ratio {worst_ratio:.2f}: "
            f"{'OK' if ok else 'MISSES A TARGET'} (targets {PAGE_TARGET_MS} / {COUNT_TARGET_MS} ms, {RATIO_TARGET})"
        )
    finally:
        server.stop()
        if "loader" in locals():
            loader.db.close()
        if args.db == "postgresql" and not args.keep:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.pg_database}"')


if __name__ == "__main__":
    main()
