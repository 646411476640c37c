from django.urls import path

from faas.api import executions as e
from faas.api import packages as p
from faas.api import triggers as t
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/packages/", p.ProjectPackagesView.as_view()),
    path("packages/<id:package_id>/", p.PackageView.as_view()),
    path("packages/<id:package_id>/revisions/", p.PackageRevisionsView.as_view()),
    path("projects/<id:project_id>/services/", p.ProjectServicesView.as_view()),
    path("services/<id:service_id>/", p.ServiceView.as_view()),
    path("services/<id:service_id>/pause/", p.ServicePauseView.as_view()),
    path("services/<id:service_id>/resume/", p.ServiceResumeView.as_view()),
    path("services/<id:service_id>/restart/", p.ServiceRestartView.as_view()),
    path("services/<id:service_id>/activate-slots/", p.ServiceActivateSlotsView.as_view()),
    path("services/<id:service_id>/execute/", e.ServiceExecuteView.as_view()),
    path("services/<id:service_id>/execute-batch/", e.ServiceExecuteBatchView.as_view()),
    path("projects/<id:project_id>/slots/", e.ProjectSlotsView.as_view()),
    path("projects/<id:project_id>/slots/resolve/", e.SlotResolveView.as_view()),
    path("projects/<id:project_id>/slots/run/", e.SlotRunView.as_view()),
    path("projects/<id:project_id>/executions/", e.ProjectExecutionsView.as_view()),
    path("executions/<id:execution_id>/", e.ExecutionView.as_view()),
    path("executions/<id:execution_id>/terminate/", e.ExecutionTerminateView.as_view()),
    path("executions/<id:execution_id>/rerun/", e.ExecutionRerunView.as_view()),
    path("executions/<id:execution_id>/logs/", e.ExecutionLogsView.as_view()),
    path("services/<id:service_id>/triggers/", t.ServiceTriggersView.as_view()),
    path("projects/<id:project_id>/triggers/", t.ProjectTriggersView.as_view()),
    path("triggers/<id:trigger_id>/", t.TriggerView.as_view()),
    path("projects/<id:project_id>/integrations/", e.ProjectIntegrationsView.as_view()),
    path("integrations/<id:integration_id>/", e.IntegrationView.as_view()),
]
