"""What the SDK sends for functions: execution inputs, service updates, pushes, deploys."""

import io
import zipfile

import pytest

import dataslot as dl

REVISIONS = [
    {
        "version": 2,
        "slots": [],
        "modules": [
            {
                "name": "image-processing",
                "functions": [
                    {"name": "rgb2gray", "inputs": [{"type": "Item", "name": "picture"}]},
                    {"name": "fix", "inputs": [{"type": "Annotation", "name": "ann"}]},
                ],
            }
        ],
    }
]


def execution(status="created", output=None):
    return {"id": 11, "status": status, "output": output, "latestStatus": {"status": status}}


@pytest.fixture
def service(fake_server, fake_client):
    fake_server.route("GET", "/api/packages/5/revisions/", (200, REVISIONS))
    fake_server.route("POST", "/api/services/3/execute/", (201, execution()))
    return dl.Service(
        {"id": 3, "projectId": 1, "packageId": 5, "packageRevision": 2, "moduleName": "image-processing"}, fake_client
    )


def sent(fake_server, path):
    return [r for r in fake_server.requests if r["path"] == path][-1]


def test_ids_are_keyed_by_the_functions_input_name(fake_server, service):
    service.execute(function_name="rgb2gray", item_id=7, dataset_id=2)
    assert sent(fake_server, "/api/services/3/execute/")["json"] == {
        "functionName": "rgb2gray",
        "input": {"picture": {"item_id": 7, "dataset_id": 2}},
    }
    service.execute(function_name="fix", annotation_id=9, item_id=7)
    assert sent(fake_server, "/api/services/3/execute/")["json"]["input"] == {"ann": {"annotation_id": 9, "item_id": 7}}
    # The package revision is read once per service object.
    assert sum(r["path"].endswith("/revisions/") for r in fake_server.requests) == 1


def test_ids_fall_back_to_resource_names_and_explicit_input_is_kept(fake_server, fake_client):
    fake_server.route("GET", "/api/packages/5/revisions/", (404, {"detail": "Not found."}))
    fake_server.route("POST", "/api/services/3/execute/", (201, execution()))
    service = dl.Service({"id": 3, "packageId": 5, "packageRevision": 2}, fake_client)
    service.execute(execution_input={"config": {"k": 1}}, task_id=4)
    assert sent(fake_server, "/api/services/3/execute/")["json"] == {
        "input": {"config": {"k": 1}, "task": {"task_id": 4}}
    }
    service.execute(execution_input=[dl.FunctionIO(type="String", name="color", value="red")])
    assert sent(fake_server, "/api/services/3/execute/")["json"] == {"input": {"color": "red"}}


def test_sync_execute_waits_and_returns_the_output(fake_server, service):
    polls = iter([execution("in-progress"), execution("success", output={"item_id": 8})])
    fake_server.route("GET", "/api/executions/11/", lambda r: (200, next(polls)))
    assert service.execute(item_id=7, sync=True) == {"item_id": 8}


def test_sync_execute_of_a_failure_returns_its_output_as_dtlpy_does_and_warns(fake_server, service, caplog):
    failed = {**execution("failed"), "latestStatus": {"status": "failed", "message": "ValueError: boom"}}
    fake_server.route("GET", "/api/executions/11/", (200, failed))
    fake_server.route("GET", "/api/executions/11/logs/", (200, {"lines": [], "finished": True}))
    assert service.execute(item_id=7, sync=True) is None
    assert "ValueError: boom" in caplog.text
    finished = service.execute(item_id=7, sync=True, return_output=False)
    assert finished.status == dl.ExecutionStatus.FAILED


def test_wait_times_out(fake_server, fake_client):
    fake_server.route("GET", "/api/executions/11/", (200, execution("in-progress")))
    with pytest.raises(TimeoutError):
        dl.Execution(execution("created"), fake_client).wait(timeout=0.1)


def test_update_sends_every_editable_field_and_refreshes(fake_server, fake_client):
    json = {
        "id": 3,
        "name": "s",
        "packageRevision": 1,
        "moduleName": "m",
        "initParams": {},
        "runtime": {},
        "executionTimeout": 3600,
        "drainTime": 600,
        "onReset": "failed",
        "maxAttempts": 3,
        "secrets": [],
        "active": True,
        "createdAt": "x",
    }
    fake_server.route("PATCH", "/api/services/3/", lambda r: (200, {**json, **r["json"], "updatedAt": "y"}))
    service = dl.Service(dict(json), fake_client)
    service.execution_timeout = 60
    service.on_reset = dl.OnResetAction.RERUN
    assert service.update() is service
    body = sent(fake_server, "/api/services/3/")["json"]
    assert body["executionTimeout"] == 60 and body["onReset"] == "rerun"
    assert "createdAt" not in body and "id" not in body
    assert service.updated_at == "y"


def test_push_zips_the_folder_without_caches(fake_server, fake_client, tmp_path):
    (tmp_path / "main.py").write_text("print('hi')\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("X = 1\n")
    captured = {}

    def answer(request):
        captured["raw"] = request["raw"]
        captured["type"] = request["headers"]["Content-Type"]
        return 201, {"id": 5, "projectId": 1, "name": "pkg", "version": 1, "modules": [], "slots": []}

    fake_server.route("POST", "/api/projects/1/packages/", answer)
    project = dl.Project({"id": 1, "name": "p"}, fake_client)
    package = project.packages.push(
        src_path=str(tmp_path),
        package_name="pkg",
        modules=[dl.PackageModule(name="m")],
        slots=[dl.PackageSlot(module_name="m")],
    )
    assert package.version == 1
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + captured["type"].encode() + b"\r\n\r\n" + captured["raw"]
    )
    parts = {
        p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in message.iter_parts()
    }
    assert parts["name"] == b"pkg"
    assert b'"moduleName":"m"' in parts["slots"] and b'"entryPoint":"main.py"' in parts["modules"]
    names = zipfile.ZipFile(io.BytesIO(parts["archive"])).namelist()
    assert sorted(names) == ["lib/util.py", "main.py"]


def test_deploy_posts_the_package_and_only_given_options(fake_server, fake_client):
    fake_server.route("POST", "/api/projects/1/services/", lambda r: (201, {"id": 3, **r["json"]}))
    package = dl.Package({"id": 5, "projectId": 1, "name": "pkg", "version": 4}, fake_client)
    service = package.services.deploy(
        name="with-integrations",
        secrets=["12"],
        execution_timeout=60,
        init_input=[dl.FunctionIO(type="Integer", name="size", value=3)],
    )
    assert sent(fake_server, "/api/projects/1/services/")["json"] == {
        "name": "with-integrations",
        "packageId": 5,
        "packageRevision": 4,
        "initParams": {"size": 3},
        "executionTimeout": 60,
        "secrets": ["12"],
    }
    assert service.name == "with-integrations"


def test_activate_slots_sends_slot_json(fake_server, fake_client):
    fake_server.route("POST", "/api/services/3/activate-slots/", lambda r: (200, {"serviceId": 3, **r["json"]}))
    package = dl.Package({"id": 5, "projectId": 1, "name": "pkg", "version": 4}, fake_client)
    service = dl.Service({"id": 3, "projectId": 1}, fake_client)
    answer = package.services.activate_slots(service=service, project_id=1, slots=[dl.PackageSlot()])
    assert answer["slots"][0]["postAction"] == {"type": "noAction"}
    assert service.activate_slots()["slots"] is None


def test_logs_follow_until_finished(fake_server, fake_client):
    answers = iter(
        [
            {"lines": [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}], "finished": False},
            {"lines": [], "finished": False},
            {"lines": [{"id": 3, "text": "c"}], "finished": True},
            {"lines": [], "finished": True},
        ]
    )
    fake_server.route("GET", "/api/executions/11/logs/", lambda r: (200, next(answers)))
    lines = list(dl.Execution({"id": 11}, fake_client).logs(follow=True))
    assert lines == ["abc"]  # no newline came: one last, unfinished line
    afters = [r["query"].get("after") for r in fake_server.requests]
    assert afters == [None, "2", "2", "3"]


def test_logs_join_the_pieces_a_function_wrote_into_lines(fake_server, fake_client):
    # print("epoch", 3, "saved") reaches the server as five writes.
    pieces = ["epoch", " ", "3", " ", "saved", "\n", "two\nlines\n", "tail"]
    answer = {"lines": [{"id": i, "text": t} for i, t in enumerate(pieces, 1)], "finished": True}
    answers = iter([answer, {"lines": [], "finished": True}])
    fake_server.route("GET", "/api/executions/11/logs/", lambda r: (200, next(answers)))
    lines = list(dl.Execution({"id": 11}, fake_client).logs())
    assert lines == ["epoch 3 saved\n", "two\n", "lines\n", "tail"]
