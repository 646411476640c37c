"""Pushing, deploying and running functions on a live server over plain HTTP."""

from __future__ import annotations

import io
import json
import textwrap
import time
import zipfile

from dataslot.enums import FINISHED_STATUSES

# What an HTTP client waits for: the SDK's set, as the wire spells it.
FINISHED = FINISHED_STATUSES


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def idle_runner(*signatures: str) -> str:
    """A package's main.py whose ServiceRunner has these functions, each doing nothing.

    ``idle_runner("on_item(self, item)", "tick(self, config)")``."""
    body = "".join(f"    def {signature}: pass\n" for signature in signatures)
    return f"import dataslot as dl\n\nclass ServiceRunner(dl.BaseServiceRunner):\n{body}"


def function(name: str, *inputs: tuple[str, str], **extra) -> dict:
    return {"name": name, "inputs": [{"name": n, "type": t} for n, t in inputs], **extra}


def slot(
    function_name: str,
    display_name: str,
    post_action: str,
    *,
    panel: str = "all",
    filter: dict | None = None,
    scopes: list[tuple[str, str, dict]] | None = None,
) -> dict:
    """A slot of module ``m``, as a package's JSON declares it: on items of ``panel`` matching
    ``filter``, or on each (resource, panel, filter) of ``scopes``."""
    scopes = scopes or [("item", panel, filter or {})]
    return {
        "moduleName": "m",
        "functionName": function_name,
        "displayName": display_name,
        "postAction": {"type": post_action},
        "displayIcon": "",
        "displayScopes": [{"resource": r, "panel": p, "filter": f} for r, p, f in scopes],
    }


class FunctionsApi:
    def __init__(self, server, token: str):
        self.server = server
        self.url = server.url + "/api"
        self.http = server.session(token)

    def call(self, method: str, path: str, expect: int | None = None, **kwargs):
        response = self.http.request(method, self.url + path, timeout=30, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response

    def project(self, name: str) -> int:
        return next(p["id"] for p in self.call("GET", "/projects/", 200).json() if p["name"] == name)

    def push(
        self,
        project_id: int,
        name: str,
        code: str,
        functions: list[dict],
        *,
        module: str = "m",
        slots=None,
        init_inputs=None,
        expect: int = 201,
    ):
        modules = [{"name": module, "functions": functions, "initInputs": init_inputs or []}]
        data = {"name": name, "modules": json.dumps(modules)}
        if slots is not None:
            data["slots"] = json.dumps(slots)
        return self.call(
            "POST",
            f"/projects/{project_id}/packages/",
            expect,
            data=data,
            files={"archive": ("code.zip", archive({"main.py": code}))},
        ).json()

    def deploy(self, project_id: int, package: dict, name: str, expect: int | None = None, **fields) -> dict:
        body = {"name": name, "packageId": package["id"], **fields}
        response = self.call("POST", f"/projects/{project_id}/services/", expect, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def execute(self, service_id: int, function_name: str, input: dict | None = None) -> dict:
        return self.call(
            "POST", f"/services/{service_id}/execute/", 201, json={"functionName": function_name, "input": input or {}}
        ).json()

    def run_slot(
        self, project_id: int, service_id: int, function_name: str, ids: list[int], *, resource="item", panel="browser"
    ) -> list[dict]:
        """A slot's click on the selected ``ids``: the executions it queued."""
        body = {
            "serviceId": service_id,
            "functionName": function_name,
            "resource": resource,
            "panel": panel,
            "selection": {"ids": ids},
        }
        return self.call("POST", f"/projects/{project_id}/slots/run/", 201, json=body).json()["executions"]

    def execution(self, execution_id: int) -> dict:
        return self.call("GET", f"/executions/{execution_id}/", 200).json()

    def wait(self, execution_id: int, *, until=FINISHED, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(execution_id)
            if execution["status"] in until:
                return execution
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"execution {execution_id} still {execution['status']} after {timeout} s: {execution}"
                )
            time.sleep(0.05)

    def logs(self, execution_id: int) -> str:
        return "".join(
            line["text"] for line in self.call("GET", f"/executions/{execution_id}/logs/", 200).json()["lines"]
        )
