"""The workspace's REST API (docs/api.md, "Workspace"), included at /api/."""

from django.urls import path

from workspace.api import views_items as items
from workspace.api import views_projects as projects
from workspace.api import views_tasks as tasks

app_name = "workspace"

urlpatterns = [
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/<int:project_id>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:project_id>/members/", projects.MemberListView.as_view(), name="member-list"),
    path("projects/<int:project_id>/members/<int:user_id>/", projects.MemberDetailView.as_view(), name="member-detail"),
    path("projects/<int:project_id>/datasets/", projects.DatasetListView.as_view(), name="dataset-list"),
    path("datasets/<int:dataset_id>/", projects.DatasetDetailView.as_view(), name="dataset-detail"),
    path("datasets/<int:dataset_id>/items/", items.DatasetItemsView.as_view(), name="item-list"),
    path("items/<int:item_id>/", items.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:item_id>/download/", items.ItemDownloadView.as_view(), name="item-download"),
    path("items/<int:item_id>/thumbnail/", items.ItemThumbnailView.as_view(), name="item-thumbnail"),
    path("items/<int:item_id>/annotations/", items.ItemAnnotationsView.as_view(), name="item-annotations"),
    path("projects/<int:project_id>/annotations/", items.ProjectAnnotationsView.as_view(), name="annotation-list"),
    path("annotations/<int:annotation_id>/", items.AnnotationDetailView.as_view(), name="annotation-detail"),
    path("projects/<int:project_id>/tasks/", tasks.ProjectTasksView.as_view(), name="task-list"),
    path("tasks/<int:task_id>/", tasks.TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<int:task_id>/items/", tasks.TaskItemsView.as_view(), name="task-items"),
    path("tasks/<int:task_id>/items/<int:item_id>/", tasks.TaskItemDoneView.as_view(), name="task-item-done"),
]
