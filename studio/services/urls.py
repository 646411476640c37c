"""A project's services and one service's page (included at the site root, app ``studio``)."""

from django.urls import path

from studio.services import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/services/", views.services_page, name="services"),
    path("projects/<id:project_id>/services/<id:service_id>/", views.service_page, name="service"),
    path("projects/<id:project_id>/services/<id:service_id>/live/", views.service_live, name="service-live"),
    path("projects/<id:project_id>/services/<id:service_id>/pause/", views.service_pause, name="service-pause"),
    path("projects/<id:project_id>/services/<id:service_id>/resume/", views.service_resume, name="service-resume"),
]
