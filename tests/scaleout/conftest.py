"""Scale-out on separate hosts: clusters of this test's own, workers in network namespaces.

Every test gets fresh clusters (`cluster_factory`): it kills hosts, cuts links and
restarts brokers, so nothing it breaks is shared with another test.
"""

from __future__ import annotations

import time

import pytest

from tests.support import cluster as clusters
from tests.support import hosts
from tests.support.functions import FunctionsApi, function

COUNTER_CODE = """
import os
import time

import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def count(self, tag, seconds):
        # One line per run, in the replica's home on its worker's host: how many times it ran.
        with open(os.path.join(os.environ["HOME"], "runs.txt"), "a") as f:
            f.write(tag + "\\n")
        time.sleep(seconds)
        return {"tag": tag, "pid": os.getpid()}
"""


@pytest.fixture
def cluster_factory(tmp_path):
    """Make clusters (`cluster_factory(broker="rabbitmq", lease=3)`); all are torn down at the end."""
    reason = hosts.unavailable()
    if reason:
        pytest.skip(f"separate hosts cannot be made here: {reason}")
    made: list[clusters.Cluster] = []

    def make(**kwargs) -> clusters.Cluster:
        reason = clusters.unavailable(kwargs.get("broker", "redis"))
        if reason:
            pytest.skip(f"a scale-out cluster cannot run here: {reason}")
        cluster = clusters.Cluster(tmp_path / f"cluster{len(made)}", **kwargs)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.close()


def counter(web, project: str = "Scale") -> tuple[FunctionsApi, int, dict]:
    """An owner's API on `web`, their project, and the counting package pushed."""
    api = FunctionsApi(web, web.create_user(f"owner-{project.lower()}", project=project))
    project_id = api.project(project)
    package = api.push(
        project_id, "counter", COUNTER_CODE, [function("count", ("tag", "String"), ("seconds", "Float"))]
    )
    return api, project_id, package


def runs(cluster: clusters.Cluster, tag: str) -> int:
    """How many times the execution tagged `tag` started, on every worker of the cluster."""
    return sum(
        path.read_text().splitlines().count(tag) for path in cluster.root.glob("*-home/replica-homes/*/runs.txt")
    )


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(interval)


def holder(cluster: clusters.Cluster, execution_id: int) -> str | None:
    """The worker (its boot id, `Execution.holder`) holding an execution, as the database says."""
    rows = cluster.query("SELECT holder FROM faas_execution WHERE id = %s", execution_id)
    return rows[0][0] if rows else None
