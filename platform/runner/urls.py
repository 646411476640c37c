from django.urls import path

from runner.archives import revision_archive
from workspace import ids  # noqa: F401  (registers the <id:...> converter)

urlpatterns = [
    path("revisions/<id:revision_id>/archive", revision_archive, name="runner-revision-archive"),
]
