"""A service's page: who may open it, what it counts and draws, pause/resume, and a service gone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from faas.models import Execution, Service
from faas.services.packages import package_push
from faas.services.services import service_deploy
from studio.services import selectors
from tests.support.functions import archive

pytestmark = pytest.mark.django_db

MAIN_PY = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def touch(self, item: dl.Item):
        return None
"""


@pytest.fixture
def service(project, owner) -> Service:
    modules = [{"name": "m", "functions": [{"name": "touch", "inputs": [{"name": "item", "type": "Item"}]}]}]
    package = package_push(
        project=project, name="tools", archive=archive({"main.py": MAIN_PY}), modules=modules, user=owner
    )
    service, _ = service_deploy(project=project, package=package, name="tools <b>", fields={})
    return service


def run(service, *, status: str, seconds: float | None, ago: timedelta) -> Execution:
    """An execution as the dispatcher would have left it, created ``ago`` before now."""
    created = timezone.now() - ago
    execution = Execution.objects.create(
        project=service.project, service=service, package_revision=1, function_name="touch", status=status
    )
    fields = {"created_at": created}
    if seconds is not None:
        fields.update(started_at=created, finished_at=created + timedelta(seconds=seconds))
    Execution.objects.filter(pk=execution.pk).update(**fields)
    return execution


def url(service, tail: str = "") -> str:
    return f"/projects/{service.project_id}/services/{service.pk}/{tail}"


def test_only_members_see_a_service_page(client, service, outsider, annotator):
    client.force_login(outsider)
    for path in ("", "live/"):
        assert client.get(url(service, path)).status_code == 404
    assert client.get(f"/projects/{service.project_id}/services/").status_code == 404
    client.force_login(annotator)
    page = client.get(url(service))
    assert page.status_code == 200
    body = page.content.decode()
    assert "tools &lt;b&gt;" in body and "tools <b>" not in body
    assert 'data-action="pause"' not in body  # an annotator watches; developers steer


def test_the_page_counts_the_queue_and_draws_executions_per_minute_by_status(client, owner, service):
    for _ in range(3):
        run(service, status="success", seconds=2, ago=timedelta(minutes=5))
    run(service, status="failed", seconds=1, ago=timedelta(minutes=5))
    run(service, status="created", seconds=None, ago=timedelta(minutes=1))
    run(service, status="in-progress", seconds=None, ago=timedelta(seconds=10))
    run(service, status="success", seconds=1, ago=timedelta(hours=3))  # outside the hour
    client.force_login(owner)
    body = client.get(url(service)).content.decode()

    assert re.search(r'id="service-queued"><strong data-count="1"', body)
    assert re.search(r'id="service-running"><strong data-count="1"', body)
    bars = re.findall(r'<rect [^>]*data-status="([a-z-]+)" data-count="(\d+)"', body)
    assert sorted(bars) == [("created", "1"), ("failed", "1"), ("in-progress", "1"), ("success", "3")]
    assert 'data-series="p50"' in body and 'data-series="p95"' in body
    day = client.get(url(service, "?window=day")).content.decode()
    day_bars = re.findall(r'<rect [^>]*data-status="([a-z-]+)" data-count="(\d+)"', day)
    assert ("success", "1") in day_bars and len(day_bars) == 5  # the one of 3 hours ago too


def test_duration_percentiles_are_the_nearest_rank_of_each_minute(service):
    for seconds in range(1, 21):  # 1..20 s in the same minute
        run(service, status="success", seconds=seconds, ago=timedelta(minutes=3))
    activity = selectors.activity(service=service, window=selectors.WINDOWS["hour"])
    ((p50, p95),) = activity.durations.values()
    assert (round(p50, 3), round(p95, 3)) == (10.0, 19.0)


def test_pause_and_resume_from_the_page(client, owner, annotator, service):
    client.force_login(annotator)
    assert client.post(url(service, "pause/")).status_code == 403
    client.force_login(owner)
    paused = client.post(url(service, "pause/"), HTTP_HX_REQUEST="true")
    assert paused.status_code == 200 and 'data-state="paused"' in paused.content.decode()
    assert Service.objects.get(pk=service.pk).active is False
    assert client.post(url(service, "resume/")).status_code == 302
    assert Service.objects.get(pk=service.pk).active is True


def test_a_service_deleted_meanwhile_is_said_plainly_and_stops_the_polling(client, owner, service):
    client.force_login(owner)
    assert client.get(url(service)).status_code == 200
    Service.objects.filter(pk=service.pk).delete()
    live = client.get(url(service, "live/"), HTTP_HX_REQUEST="true")
    assert live.status_code == 286  # htmx swaps it in and stops polling
    assert "no longer exists" in live.content.decode()
    page = client.get(url(service))
    assert page.status_code == 404 and "no longer exists" in page.content.decode()
    assert client.post(url(service, "pause/")).status_code == 404


def test_the_services_list_links_each_service_with_its_queue(client, owner, service):
    run(service, status="created", seconds=None, ago=timedelta(seconds=5))
    client.force_login(owner)
    body = client.get(f"/projects/{service.project_id}/services/").content.decode()
    assert f'href="/projects/{service.project_id}/services/{service.pk}/"' in body
    assert '<td class="num">1</td>' in body
