"""Running a slot on "all matching", the executions pages, and the zip of outputs."""

import io
import re
import zipfile

import pytest
from django.test import Client

from faas.models import Execution, ExecutionLog
from faas.services.packages import package_push
from faas.services.services import service_deploy
from studio.executions import downloads
from studio.executions.rows import VIEWS, render_views, rows_of
from tests.studio.browse.conftest import CODE, executions_with_outputs, fake_items
from tests.support.functions import archive, function
from tests.support.images import png
from workspace.services.items import item_create

pytestmark = pytest.mark.django_db


def csrf_client(user) -> Client:
    """A browser-like client: session login, and CSRF checked as for the pages' fetch()."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # sets the csrftoken cookie
    return client


def test_select_all_matching_runs_once_per_matching_item_minus_excluded(alice, project, dataset, service):
    garden = fake_items(dataset, 6, dir="/garden")
    fake_items(dataset, 3, start=50, dir="/elsewhere")
    client = csrf_client(alice)
    selection = {
        "all": True,
        "excluded": [garden[0].pk, garden[3].pk],
        "filter": {"dir": "/garden"},
        "datasetId": dataset.pk,
    }
    body = {
        "serviceId": service.pk,
        "functionName": "gray",
        "resource": "item",
        "panel": "browser",
        "selection": selection,
    }
    refused = client.post(f"/api/projects/{project.pk}/slots/run/", body, content_type="application/json")
    assert refused.status_code == 403  # no CSRF header: a forged cross-site post fails
    response = client.post(
        f"/api/projects/{project.pk}/slots/run/",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201, response.content
    executions = response.json()["executions"]
    expected = [i.pk for i in garden if i.pk not in (garden[0].pk, garden[3].pk)]
    assert sorted(e["input"]["item"]["item_id"] for e in executions) == expected
    assert Execution.objects.filter(service=service).count() == 4
    assert len({e["id"] for e in executions}) == 4


def test_the_zip_holds_the_output_items_of_the_executions(client, alice, project, dataset, service):
    items = [item_create(dataset=dataset, file=png((40, 30), color=(n * 40, 0, 0)), name="same.png") for n in range(3)]
    executions = executions_with_outputs(service, items)
    client.force_login(alice)
    ids = ",".join(str(e.pk) for e in executions)
    response = client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip" and "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == 3 and len(set(names)) == 3  # same names are made unique
    assert sorted(archive.read(n) for n in names) == sorted(i.file.open("rb").read() for i in items)


def test_a_zip_past_its_limits_is_a_400_that_says_so(client, alice, project, dataset, service, monkeypatch, settings):
    items = [item_create(dataset=dataset, file=png((40, 30)), name=f"{n}.png") for n in range(3)]
    ids = ",".join(str(e.pk) for e in executions_with_outputs(service, items))
    client.force_login(alice)
    settings.DATASLOT_MAX_ZIP_ITEMS = 2
    response = client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids})
    assert response.status_code == 400 and "at most 2 items" in response.content.decode()
    # Asked first, as the page does: the same 400, and 204 when the zip would be sent.
    checked = client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids, "check": "1"})
    assert (checked.status_code, checked.content) == (400, response.content)
    settings.DATASLOT_MAX_ZIP_ITEMS = 3
    checked = client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids, "check": "1"})
    assert checked.status_code == 204 and checked.content == b"" and "Content-Disposition" not in checked
    monkeypatch.setattr(downloads, "MAX_ZIP_BYTES", sum(i.size for i in items) - 1)
    assert client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids}).status_code == 400
    monkeypatch.setattr(downloads, "MAX_ZIP_BYTES", sum(i.size for i in items))
    assert client.get(f"/projects/{project.pk}/executions/download/", {"ids": ids}).status_code == 200


def test_the_zip_refuses_other_projects_executions_and_non_members(client, alice, bob, project, service, other_project):
    others_project, _, secret_item = other_project
    package = package_push(
        project=others_project,
        name="p",
        archive=archive({"main.py": CODE}),
        modules=[{"name": "m", "functions": [function("gray", ("item", "Item"))]}],
        user=bob,
    )
    bobs_service, _ = service_deploy(project=others_project, package=package, name="s", fields={}, user=bob)
    (bobs_execution,) = executions_with_outputs(bobs_service, [secret_item])
    client.force_login(alice)
    assert client.get(f"/projects/{project.pk}/executions/download/", {"ids": bobs_execution.pk}).status_code == 404
    assert (
        client.get(f"/projects/{others_project.pk}/executions/download/", {"ids": bobs_execution.pk}).status_code == 404
    )
    # An execution of this project whose output claims another project's item yields nothing.
    (forged,) = executions_with_outputs(service, [secret_item])
    assert client.get(f"/projects/{project.pk}/executions/download/", {"ids": forged.pk}).status_code == 400
    assert client.get(f"/projects/{project.pk}/executions/download/", {"ids": "1,x"}).status_code == 400


@pytest.mark.parametrize("path", ["executions/", "executions/1/", "executions/rows/", "executions/download/?ids=1"])
def test_executions_pages_require_login_and_membership(client, bob, project, path):
    url = f"/projects/{project.pk}/{path}"
    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_the_executions_page_lists_rows_and_filters_them(client, alice, project, dataset, service):
    items = fake_items(dataset, 3)
    done = executions_with_outputs(service, items[:2])
    queued = Execution.objects.create(
        project=project,
        service=service,
        package_revision=1,
        function_name="detect",
        input={"item": {"item_id": items[2].pk}},
        status="created",
        post_action="drawAnnotation",
    )
    client.force_login(alice)
    body = client.get(f"/projects/{project.pk}/executions/").content.decode()
    ids = [int(i) for i in re.findall(r'<tr id="execution-table-(\d+)"', body)]
    assert ids == [queued.pk, done[1].pk, done[0].pk]  # newest first
    row = re.search(rf'<tr id="execution-table-{queued.pk}".*?</tr>', body, re.S).group(0)
    assert 'data-status="created"' in row and 'data-post-action="drawAnnotation"' in row
    assert 'role="progressbar" aria-valuenow="0"' in row and 'data-action="terminate"' in row
    assert f"item “{items[2].name}”" in row  # by name, linked to the item's studio
    success = client.get(f"/projects/{project.pk}/executions/", {"status": "success"}).content.decode()
    assert [int(i) for i in re.findall(r'<tr id="execution-table-(\d+)"', success)] == [done[1].pk, done[0].pk]
    assert 'data-filter-status="success"' in success
    by_function = client.get(f"/projects/{project.pk}/executions/", {"function": "detect"}).content.decode()
    assert re.findall(r'<tr id="execution-table-(\d+)"', by_function) == [str(queued.pk)]


def test_the_drawer_rows_fragment_renders_the_asked_executions(client, alice, project, dataset, service):
    executions = executions_with_outputs(service, fake_items(dataset, 3))
    client.force_login(alice)
    body = client.get(f"/projects/{project.pk}/executions/rows/", {"ids": f"{executions[0].pk}"}).content.decode()
    assert re.findall(r'<li id="execution-drawer-(\d+)"', body) == [str(executions[0].pk)]
    assert "hx-swap-oob" not in body  # a fetched fragment is not swapped out of band
    # What the page downloads on success, said by the server (executions.js reads no output).
    item_id = executions[0].output["item_id"]
    assert 'data-post-action="download"' in body
    assert f'data-download-count="1" data-download-item="{item_id}"' in body
    latest = client.get(f"/projects/{project.pk}/executions/rows/").content.decode()
    assert len(re.findall(r'<li id="execution-drawer-', latest)) == 3


def test_a_resync_re_reads_rows_in_the_layouts_of_the_pages_view(client, alice, project, dataset, service):
    (execution,) = executions_with_outputs(service, fake_items(dataset, 1))
    client.force_login(alice)
    url = f"/projects/{project.pk}/executions/rows/"
    shown = {}
    for view in ("drawer", "executions", "execution"):
        response = client.get(url, {"layout": "live", "view": view, "ids": execution.pk})
        assert response.status_code == 200
        shown[view] = set(
            re.findall(rf'id="execution-([a-z-]+)-{execution.pk}"[^>]*hx-swap-oob="true"', response.content.decode())
        )
    assert shown == {
        "drawer": {"drawer"},
        "executions": {"drawer", "table"},
        "execution": {"drawer", "summary", "status-log"},
    }
    refused = client.get(url, {"layout": "live", "view": "everything", "ids": execution.pk})
    assert refused.status_code == 400 and "Unknown view" in refused.content.decode()
    # What the request said is quoted in plain text, never served as HTML.
    hostile = client.get(url, {"layout": "live", "view": "<svg onload=alert(1)>", "ids": execution.pk})
    assert hostile.status_code == 400
    assert hostile["Content-Type"].startswith("text/plain")


def test_an_executions_page_shows_input_output_status_log_and_logs(client, alice, project, dataset, service):
    (execution,) = executions_with_outputs(service, fake_items(dataset, 1))
    execution.status_log = [{"status": "created", "timestamp": "2025-01-01T10:00:00+00:00", "message": ""}]
    execution.save()
    ExecutionLog.objects.create(execution=execution, text="hello <world>\n")
    client.force_login(alice)
    body = client.get(f"/projects/{project.pk}/executions/{execution.pk}/").content.decode()
    assert f'id="execution-summary-{execution.pk}"' in body and f'id="execution-status-log-{execution.pk}"' in body
    assert "&quot;item_id&quot;" in body  # input and output as JSON
    assert "2025-01-01 10:00:00" in body
    assert "hello &lt;world&gt;\n</span>" in body
    assert f'data-follow-logs="/ws/executions/{execution.pk}/logs/"' in body


def test_a_live_update_is_the_row_in_each_layout_its_view_shows_out_of_band_and_escaped(project, service):
    event = {
        "id": 7,
        "projectId": project.pk,
        "serviceId": service.pk,
        "serviceName": "tools",
        "functionName": "gray",
        "input": {"item": {"item_id": 3, "dataset_id": 1}},
        "output": None,
        "status": "in-progress",
        "statusLog": [],
        "latestStatus": {"status": "in-progress", "percentComplete": 40, "message": "<b>step</b> 2"},
        "toTerminate": False,
        "createdAt": "2025-01-01T10:00:00+00:00",
        "creator": "alice",
        "postAction": "download",
    }
    views = render_views(rows_of([event]), VIEWS)
    # Each kind of page is sent the layouts it shows (its socket's ?view=), and no others.
    shown = {"drawer": {"drawer"}, "executions": {"drawer", "table"}, "execution": {"drawer", "summary", "status-log"}}
    for view, layouts in shown.items():
        for layout in ("drawer", "table", "summary", "status-log"):
            found = re.search(rf'id="execution-{layout}-7"[^>]*hx-swap-oob="true"', views[view]) is not None
            assert found == (layout in layouts), (view, layout)
    html = views["executions"] + views["execution"]  # every layout, the drawer's twice
    # data-version: which of two renderings is newer (executions.js).
    assert (
        len(
            re.findall(
                r'data-execution-id="7" data-status="in-progress" data-version="000000\|" data-post-action="download"',
                html,
            )
        )
        == 4
    )
    assert html.count('role="progressbar" aria-valuenow="40"') == 4
    assert "&lt;b&gt;step&lt;/b&gt; 2" in html and "<b>step" not in html
    assert 'button type="button" class="button button--small button--secondary" data-action="terminate"' in html
