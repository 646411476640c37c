"""The workspace's REST API (docs/api.md, "Workspace"), included at /api/."""

from django.urls import path

from workspace import ids  # noqa: F401 - registers the <id:...> path converter
from workspace.api import annotations, datasets, items, members, projects, tasks

app_name = "workspace"

urlpatterns = [
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/<id:project_id>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<id:project_id>/members/", members.MemberListView.as_view(), name="member-list"),
    path("projects/<id:project_id>/members/<id:user_id>/", members.MemberDetailView.as_view(), name="member-detail"),
    path("projects/<id:project_id>/datasets/", datasets.DatasetListView.as_view(), name="dataset-list"),
    path("datasets/<id:dataset_id>/", datasets.DatasetDetailView.as_view(), name="dataset-detail"),
    path("datasets/<id:dataset_id>/items/", items.DatasetItemsView.as_view(), name="item-list"),
    path("items/<id:item_id>/", items.ItemDetailView.as_view(), name="item-detail"),
    path("items/<id:item_id>/download/", items.ItemDownloadView.as_view(), name="item-download"),
    path("items/<id:item_id>/thumbnail/", items.ItemThumbnailView.as_view(), name="item-thumbnail"),
    path("items/<id:item_id>/annotations/", annotations.ItemAnnotationsView.as_view(), name="item-annotations"),
    path("projects/<id:project_id>/annotations/", annotations.ProjectAnnotationsView.as_view(), name="annotation-list"),
    path("annotations/<id:annotation_id>/", annotations.AnnotationDetailView.as_view(), name="annotation-detail"),
    path("projects/<id:project_id>/tasks/", tasks.ProjectTasksView.as_view(), name="task-list"),
    path("tasks/<id:task_id>/", tasks.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<id:task_id>/items/", tasks.TaskItemsView.as_view(), name="task-items"),
    path("tasks/<id:task_id>/items/<id:item_id>/", tasks.TaskItemDoneView.as_view(), name="task-item-done"),
]
