from django.urls import path

from faas.api import executions, integrations, packages, services, slots, triggers
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/packages/", packages.ProjectPackagesView.as_view()),
    path("packages/<id:package_id>/", packages.PackageView.as_view()),
    path("packages/<id:package_id>/revisions/", packages.PackageRevisionsView.as_view()),
    path("projects/<id:project_id>/services/", services.ProjectServicesView.as_view()),
    path("services/<id:service_id>/", services.ServiceView.as_view()),
    path("services/<id:service_id>/pause/", services.ServicePauseView.as_view()),
    path("services/<id:service_id>/resume/", services.ServiceResumeView.as_view()),
    path("services/<id:service_id>/restart/", services.ServiceRestartView.as_view()),
    path("services/<id:service_id>/activate-slots/", services.ServiceActivateSlotsView.as_view()),
    path("services/<id:service_id>/execute/", executions.ServiceExecuteView.as_view()),
    path("services/<id:service_id>/execute-batch/", executions.ServiceExecuteBatchView.as_view()),
    path("projects/<id:project_id>/slots/", slots.ProjectSlotsView.as_view()),
    path("projects/<id:project_id>/slots/resolve/", slots.SlotResolveView.as_view()),
    path("projects/<id:project_id>/slots/run/", slots.SlotRunView.as_view()),
    path("projects/<id:project_id>/executions/", executions.ProjectExecutionsView.as_view()),
    path("executions/<id:execution_id>/", executions.ExecutionView.as_view()),
    path("executions/<id:execution_id>/terminate/", executions.ExecutionTerminateView.as_view()),
    path("executions/<id:execution_id>/rerun/", executions.ExecutionRerunView.as_view()),
    path("executions/<id:execution_id>/logs/", executions.ExecutionLogsView.as_view()),
    path("services/<id:service_id>/triggers/", triggers.ServiceTriggersView.as_view()),
    path("projects/<id:project_id>/triggers/", triggers.ProjectTriggersView.as_view()),
    path("triggers/<id:trigger_id>/", triggers.TriggerView.as_view()),
    path("projects/<id:project_id>/integrations/", integrations.ProjectIntegrationsView.as_view()),
    path("integrations/<id:integration_id>/", integrations.IntegrationView.as_view()),
]
