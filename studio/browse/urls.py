"""The dataset browser and the executions pages (included at the site root, app ``studio``)."""

from django.urls import path

from studio.browse import views

urlpatterns = [
    path("projects/<int:project_id>/datasets/<int:dataset_id>/", views.dataset_browser, name="dataset-browser"),
    path("projects/<int:project_id>/datasets/<int:dataset_id>/items/", views.dataset_items, name="dataset-items"),
    path(
        "projects/<int:project_id>/datasets/<int:dataset_id>/items/<int:item_id>/overlay/",
        views.item_overlay,
        name="item-overlay",
    ),
    path("projects/<int:project_id>/executions/", views.executions_page, name="executions"),
    path("projects/<int:project_id>/executions/rows/", views.execution_rows, name="execution-rows"),
    path("projects/<int:project_id>/executions/download/", views.executions_download, name="executions-download"),
    path("projects/<int:project_id>/executions/<int:execution_id>/", views.execution_detail, name="execution-detail"),
]
