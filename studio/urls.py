from django.contrib.auth import views as auth_views
from django.urls import include, path

from studio import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

app_name = "studio"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.project_list, name="project-list"),
    path("projects/<id:project_id>/", views.project_detail, name="project-detail"),
    # The dataset browser (studio/browse/...).
    path("", include("studio.browse.urls")),
    # The executions pages and the drawer's rows (studio/executions/...).
    path("", include("studio.executions.urls")),
    # The annotation studio (studio/annotate/...).
    path("", include("studio.annotate.urls")),
    # The tasks browser and a task's page (studio/tasks/...).
    path("", include("studio.tasks.urls")),
    # A project's services and a service's page (studio/services/...).
    path("", include("studio.services.urls")),
]
