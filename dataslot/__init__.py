"""Dataslot's Python SDK: ``import dataslot as dl``.

Shaped after Dataloop's dtlpy: ``dl.projects.get(...)``, ``project.datasets``,
``dataset.items.upload(...)``, ``project.packages.push(...)``,
``package.services.deploy(...)``, ``service.execute(...)``. Connect with ``dl.setenv(url)``
and ``dl.login(...)`` / ``dl.login_token(...)``, or the ``DATASLOT_URL`` and
``DATASLOT_TOKEN`` environment variables.
"""

from dataslot import exceptions
from dataslot.client import ApiClient, default_client, login, login_token, logout, setenv
from dataslot.entities import (
    Annotation,
    AnnotationBuilder,
    BaseEntity,
    Box,
    Classification,
    Dataset,
    Execution,
    FunctionIO,
    Integration,
    Item,
    Package,
    PackageFunction,
    PackageModule,
    PackageSlot,
    Point,
    Polygon,
    Project,
    Service,
    SlotDisplayScope,
    SlotPostAction,
    Task,
)
from dataslot.entities.annotation import AnnotationCollection
from dataslot.entities.command import Command, CommandsStatus
from dataslot.entities.runtime import (
    InstanceCatalog,
    KubernetesAutoscaler,
    KubernetesAutoscalerType,
    KubernetesRabbitmqAutoscaler,
    KubernetesRuntime,
    RuntimeType,
)
from dataslot.entities.trigger import CronTrigger, Trigger
from dataslot.enums import (
    ExecutionStatus,
    FiltersMethod,
    FiltersOperations,
    FiltersOrderByDirection,
    FiltersResource,
    OnResetAction,
    PackageInputType,
    SlotDisplayScopeResource,
    SlotPostActionType,
    TriggerAction,
    TriggerExecutionMode,
    TriggerResource,
    TriggerType,
    UiBindingPanel,
)
from dataslot.filters import Filters
from dataslot.paging import PagedEntities
from dataslot.repositories.annotations import AnnotationsRepository
from dataslot.repositories.datasets import DatasetsRepository
from dataslot.repositories.executions import ExecutionsRepository
from dataslot.repositories.integrations import IntegrationsRepository
from dataslot.repositories.items import ItemsRepository
from dataslot.repositories.packages import PackagesRepository
from dataslot.repositories.projects import ProjectsRepository
from dataslot.repositories.services import ServicesRepository
from dataslot.repositories.tasks import TasksRepository
from dataslot.repositories.triggers import TriggersRepository
from dataslot.verbose import VerboseLoggingLevel, token_expired, verbose

__version__ = "0.1.0"

client_api = default_client()

# Top-level repositories on the default client, as dtlpy has them. Those below projects
# only get by id (``dl.items.get(item_id=...)``); lists go through a parent.
projects = ProjectsRepository(client_api)
datasets = DatasetsRepository(client_api)
items = ItemsRepository(client_api)
annotations = AnnotationsRepository(client_api)
tasks = TasksRepository(client_api)
packages = PackagesRepository(client_api)
services = ServicesRepository(client_api)
executions = ExecutionsRepository(client_api)
integrations = IntegrationsRepository(client_api)
triggers = TriggersRepository(client_api)

try:
    from dataslot.service_runner import BaseServiceRunner, Context, Progress
except ModuleNotFoundError as exc:  # the runtime half ships separately; the client works without it
    if exc.name != "dataslot.service_runner":
        raise

__all__ = [
    "AnnotationCollection",
    "Command",
    "CommandsStatus",
    "FiltersOrderByDirection",
    "InstanceCatalog",
    "KubernetesAutoscaler",
    "KubernetesAutoscalerType",
    "KubernetesRabbitmqAutoscaler",
    "KubernetesRuntime",
    "RuntimeType",
    "VerboseLoggingLevel",
    "token_expired",
    "verbose",
    "Annotation",
    "AnnotationBuilder",
    "AnnotationsRepository",
    "ApiClient",
    "BaseEntity",
    "BaseServiceRunner",
    "Box",
    "Classification",
    "Context",
    "Dataset",
    "DatasetsRepository",
    "Execution",
    "ExecutionStatus",
    "ExecutionsRepository",
    "Filters",
    "FiltersMethod",
    "FiltersOperations",
    "FiltersResource",
    "FunctionIO",
    "Integration",
    "IntegrationsRepository",
    "Item",
    "ItemsRepository",
    "OnResetAction",
    "Package",
    "PackageFunction",
    "PackageInputType",
    "PackageModule",
    "PackageSlot",
    "PackagesRepository",
    "PagedEntities",
    "Point",
    "Polygon",
    "Progress",
    "Project",
    "ProjectsRepository",
    "Service",
    "ServicesRepository",
    "SlotDisplayScope",
    "SlotDisplayScopeResource",
    "SlotPostAction",
    "SlotPostActionType",
    "Task",
    "TasksRepository",
    "UiBindingPanel",
    "annotations",
    "client_api",
    "datasets",
    "default_client",
    "exceptions",
    "executions",
    "integrations",
    "items",
    "login",
    "login_token",
    "logout",
    "packages",
    "projects",
    "services",
    "setenv",
    "tasks",
    "CronTrigger",
    "Trigger",
    "TriggerAction",
    "TriggerExecutionMode",
    "TriggerResource",
    "TriggerType",
    "TriggersRepository",
    "triggers",
]
