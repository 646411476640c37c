"""The OpenAPI schema is committed (docs/openapi.yaml), so a change to the API shows in review."""

from __future__ import annotations

import difflib

from django.core.management import call_command

from tests.support.live import ROOT

COMMITTED = ROOT / "docs" / "openapi.yaml"
REGENERATE = ".venv/bin/python manage.py spectacular --file docs/openapi.yaml --validate"


def test_the_committed_openapi_schema_is_the_one_the_server_serves(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    expected, actual = COMMITTED.read_text(), generated.read_text()
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "committed", "generated", n=1)
    )
    assert expected == actual, f"docs/openapi.yaml is out of date; regenerate it with:\n    {REGENERATE}\n{diff[:4000]}"


def test_every_api_operation_documents_its_errors_in_one_shape():
    import yaml

    schema = yaml.safe_load(COMMITTED.read_text())
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "401" in responses or path == "/api/auth/token/", (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
