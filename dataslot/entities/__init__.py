"""Entities (views over the server's JSON) and the value objects a package declares."""

from dataslot.entities.annotation import Annotation, AnnotationBuilder, Box, Classification, Point, Polygon
from dataslot.entities.base import BaseEntity
from dataslot.entities.dataset import Dataset
from dataslot.entities.execution import Execution
from dataslot.entities.integration import Integration
from dataslot.entities.item import Item
from dataslot.entities.module import FunctionIO, PackageFunction, PackageModule
from dataslot.entities.package import Package
from dataslot.entities.project import Project
from dataslot.entities.service import Service
from dataslot.entities.slot import PackageSlot, SlotDisplayScope, SlotPostAction
from dataslot.entities.task import Task
from dataslot.entities.trigger import CronTrigger, Trigger

__all__ = [
    "Annotation",
    "AnnotationBuilder",
    "BaseEntity",
    "Box",
    "Classification",
    "Dataset",
    "Execution",
    "FunctionIO",
    "Integration",
    "Item",
    "Package",
    "PackageFunction",
    "PackageModule",
    "PackageSlot",
    "Point",
    "Polygon",
    "Project",
    "Service",
    "SlotDisplayScope",
    "SlotPostAction",
    "Task",
    "CronTrigger",
    "Trigger",
]
