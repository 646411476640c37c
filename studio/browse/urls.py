"""The dataset browser (included at the site root, app ``studio``)."""

from django.urls import path

from studio.browse import views
from workspace import ids  # noqa: F401 - registers the <id:...> path converter

urlpatterns = [
    path("projects/<id:project_id>/datasets/<id:dataset_id>/", views.dataset_browser, name="dataset-browser"),
    path("projects/<id:project_id>/datasets/<id:dataset_id>/items/", views.dataset_items, name="dataset-items"),
    path(
        "projects/<id:project_id>/datasets/<id:dataset_id>/items/<id:item_id>/overlay/",
        views.item_overlay,
        name="item-overlay",
    ),
]
