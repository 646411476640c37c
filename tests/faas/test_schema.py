"""The functions API is described in the OpenAPI schema (design: every view documented)."""

import pytest


@pytest.mark.django_db
def test_the_schema_documents_every_functions_endpoint(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method in [
        ("/api/projects/{project_id}/packages/", "post"),
        ("/api/packages/{package_id}/", "patch"),
        ("/api/packages/{package_id}/revisions/", "get"),
        ("/api/projects/{project_id}/services/", "post"),
        ("/api/services/{service_id}/", "patch"),
        ("/api/services/{service_id}/pause/", "post"),
        ("/api/services/{service_id}/resume/", "post"),
        ("/api/services/{service_id}/activate-slots/", "post"),
        ("/api/services/{service_id}/execute/", "post"),
        ("/api/services/{service_id}/execute-batch/", "post"),
        ("/api/projects/{project_id}/slots/", "get"),
        ("/api/projects/{project_id}/slots/resolve/", "post"),
        ("/api/projects/{project_id}/slots/run/", "post"),
        ("/api/projects/{project_id}/executions/", "get"),
        ("/api/executions/{execution_id}/", "get"),
        ("/api/executions/{execution_id}/terminate/", "post"),
        ("/api/executions/{execution_id}/rerun/", "post"),
        ("/api/executions/{execution_id}/logs/", "get"),
        ("/api/projects/{project_id}/integrations/", "post"),
        ("/api/integrations/{integration_id}/", "patch"),
    ]:
        assert method in schema["paths"].get(path, {}), f"{method.upper()} {path}"
    push = schema["paths"]["/api/projects/{project_id}/packages/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in push


def test_the_functions_schema_is_valid_openapi_without_warnings(capsys):
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("faas.api.urls"))])
    validate_schema(generator.get_schema(request=None, public=True))
    assert not GENERATOR_STATS, capsys.readouterr().err


@pytest.mark.django_db
def test_the_schema_and_its_docs_need_a_login(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)
