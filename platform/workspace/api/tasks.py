"""Labelling tasks and their items' progress."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from workspace.api import serializers as s
from workspace.api.pagination import FILTER_PARAMETER, JumpPagination, filter_from_request, paginate
from workspace.api.serializers import validated
from workspace.models import Dataset
from workspace.selectors import tasks as task_selectors
from workspace.selectors.projects import WRITERS, project_get_for_user
from workspace.services import tasks as task_services


class ProjectTasksView(APIView):
    pagination_class = JumpPagination

    @extend_schema(parameters=[FILTER_PARAMETER], responses=s.TaskSerializer(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id)
        tasks = task_selectors.tasks_for_project(project=project, filter=filter_from_request(request))
        return paginate(self, tasks, s.TaskSerializer)

    @extend_schema(
        request=s.TaskInputSerializer,
        responses={201: s.TaskSerializer},
        summary="Create a task from a DQL query or a list of item ids",
    )
    def post(self, request, project_id):
        project = project_get_for_user(user=request.user, project_id=project_id, roles=WRITERS)
        data = validated(s.TaskInputSerializer, request.data)
        dataset = Dataset.objects.filter(pk=data["datasetId"], project=project).first()
        if dataset is None:
            raise exceptions.ValidationError({"datasetId": [f"No dataset {data['datasetId']} in this project."]})
        task = task_services.task_create(
            dataset=dataset,
            name=data["name"],
            query=data["query"],
            item_ids=data["itemIds"],
            assignees=data["assignees"],
            due_date=data["dueDate"],
            user=request.user,
        )
        task = task_selectors.task_get_for_user(user=request.user, task_id=task.pk)
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)


class TaskDetailView(APIView):
    @extend_schema(responses=s.TaskSerializer)
    def get(self, request, task_id):
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(request=s.TaskUpdateSerializer, responses=s.TaskSerializer)
    def patch(self, request, task_id):
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id, roles=WRITERS)
        data = validated(s.TaskUpdateSerializer, request.data, partial=True)
        renames = {"dueDate": "due_date"}
        task_services.task_update(task=task, **{renames.get(k, k): v for k, v in data.items()})
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(responses={204: None})
    def delete(self, request, task_id):
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id, roles=WRITERS)
        task_services.task_delete(task=task)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskItemsView(APIView):
    pagination_class = JumpPagination

    @extend_schema(responses=s.TaskItemSerializer(many=True), summary="A page of the task's items, each with 'done'")
    def get(self, request, task_id):
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id)
        items = task_selectors.task_items(task=task)
        return paginate(self, items, s.TaskItemSerializer, context={"project_id": task.dataset.project_id})


class TaskItemDoneView(APIView):
    @extend_schema(
        request=s.TaskItemDoneSerializer, responses=s.TaskSerializer, summary="Mark a task's item done (or not)"
    )
    def post(self, request, task_id, item_id):
        task = task_selectors.task_get_for_user(user=request.user, task_id=task_id)
        try:
            item = task_selectors.task_item_get(task=task, item_id=item_id)
        except Http404:
            raise exceptions.NotFound("No such item in this task.")
        data = validated(s.TaskItemDoneSerializer, request.data)
        task = task_services.task_item_status_set(task=task, item=item, done=data["done"], user=request.user)
        return Response(s.TaskSerializer(task).data)
