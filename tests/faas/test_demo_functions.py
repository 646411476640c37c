"""The demo's functions are deployed and activated by `load_demo`, and each one works."""

import io

import pytest
from PIL import Image

from tests.support.functions import FunctionsApi

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from tests.support.live import LiveServer

    server = LiveServer(home=tmp_path_factory.mktemp("demo-home"))
    server.manage("load_demo")
    server.start()
    token = server.python(
        "from rest_framework.authtoken.models import Token; from django.contrib.auth.models import User;"
        "print(Token.objects.get_or_create(user=User.objects.get(username='demo'))[0].key)"
    ).strip()
    api = FunctionsApi(server, token)
    yield api, api.project("Demo")
    server.stop()


def run_slot(api, project_id, function_name, resource, panel, ids):
    service = next(
        s for s in api.call("GET", f"/projects/{project_id}/services/", 200).json() if s["name"] == "image-processing"
    )
    return api.run_slot(project_id, service["id"], function_name, ids, resource=resource, panel=panel)


def first_item(api, project_id):
    dataset = api.call("GET", f"/projects/{project_id}/datasets/", 200).json()
    dataset = dataset["results"][0] if isinstance(dataset, dict) else dataset[0]
    return api.call(
        "GET",
        f"/datasets/{dataset['id']}/items/",
        200,
        params={"filter": '{"metadata.system.mimetype": "image/jpeg"}', "page_size": 1},
    ).json()["results"][0]


def test_the_demo_slots_are_activated_per_page(demo):
    api, project_id = demo
    browser = {
        s["displayName"]
        for s in api.call(
            "GET", f"/projects/{project_id}/slots/", 200, params={"resource": "item", "panel": "browser"}
        ).json()
    }
    assert {"RGB2GRAY", "Long job", "Call labelling API"} <= browser and "Detect objects" not in browser
    studio = {
        s["displayName"]
        for s in api.call(
            "GET", f"/projects/{project_id}/slots/", 200, params={"resource": "item", "panel": "studio"}
        ).json()
    }
    assert {"RGB2GRAY", "Detect objects"} <= studio
    tasks = {
        s["displayName"]
        for s in api.call(
            "GET", f"/projects/{project_id}/slots/", 200, params={"resource": "task", "panel": "browser"}
        ).json()
    }
    assert tasks == {"Summarize task"}


def test_rgb2gray_returns_a_new_grayscale_item(demo):
    api, project_id = demo
    item = first_item(api, project_id)
    (execution,) = run_slot(api, project_id, "rgb2gray", "item", "browser", [item["id"]])
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success", done
    output = done["output"]
    assert output["item_id"] != item["id"]
    # Outputs stay out of the dataset being labelled.
    assert api.call("GET", f"/datasets/{output['dataset_id']}/", 200).json()["name"] == "Samples outputs"
    data = api.call("GET", f"/items/{output['item_id']}/download/", 200).content
    image = Image.open(io.BytesIO(data))
    assert image.mode == "L" and image.size == (item["width"], item["height"])


def test_detect_returns_a_box_on_its_item_made_by_a_function(demo):
    api, project_id = demo
    item = first_item(api, project_id)
    (execution,) = run_slot(api, project_id, "detect", "item", "studio", [item["id"]])
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success", done
    annotation = api.call("GET", f"/annotations/{done['output']['annotation_id']}/", 200).json()
    assert (annotation["type"], annotation["itemId"], annotation["source"]) == ("box", item["id"], "function")


def test_the_long_job_reports_progress_and_stops_at_a_checkpoint(demo):
    api, project_id = demo
    item = first_item(api, project_id)
    (execution,) = run_slot(api, project_id, "long_job", "item", "browser", [item["id"]])
    api.wait(execution["id"], until={"in-progress"}, timeout=60)
    import time

    deadline = time.monotonic() + 10
    while api.execution(execution["id"])["latestStatus"]["percentComplete"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.execution(execution["id"])["latestStatus"]["percentComplete"] > 0
    api.call("POST", f"/executions/{execution['id']}/terminate/", 200)
    assert api.wait(execution["id"], timeout=10)["status"] == "terminated"
    assert "finished step 1" in api.logs(execution["id"])


def test_the_task_and_secret_functions(demo):
    api, project_id = demo
    task = api.call("GET", f"/projects/{project_id}/tasks/", 200).json()
    task = task["results"][0] if isinstance(task, dict) else task[0]
    (execution,) = run_slot(api, project_id, "summarize_task", "task", "browser", [task["id"]])
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success" and done["output"]["task"] == task["name"]
    item = first_item(api, project_id)
    (execution,) = run_slot(api, project_id, "use_secret", "item", "browser", [item["id"]])
    done = api.wait(execution["id"], timeout=60)
    assert done["status"] == "success" and done["output"]["keyLength"] > 10
    assert "with key [redacted]" in api.logs(execution["id"])


def test_the_readme_sdk_example_runs_against_the_demo(demo, capsys):
    import re
    from pathlib import Path

    import dataslot as dl

    api, _ = demo
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    example = example.replace('"http://127.0.0.1:8000"', repr(api.server.url))
    try:
        exec(compile(example, "README.md", "exec"), {})
    finally:
        dl.logout()
    printed = capsys.readouterr().out
    assert "item_id" in printed
