"""Who may see which project, and with what role.

A user sees only the projects they are a member of. Anything of another project is
answered as if it did not exist (``Http404``), so ids do not leak; a member whose role
does not allow an action gets ``PermissionDenied``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from workspace.models import Dataset, ItemBlock, Membership, Project

OWNER = Membership.Role.OWNER.value
DEVELOPER = Membership.Role.DEVELOPER.value
ANNOTATOR = Membership.Role.ANNOTATOR.value
# Roles from the most to the least powerful.
ROLES = (OWNER, DEVELOPER, ANNOTATOR)
OWNERS = (OWNER,)
WRITERS = (OWNER, DEVELOPER)
MEMBERS = ROLES


def _role_subquery(user) -> Subquery:
    return Subquery(Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1])


def projects_for_user(*, user) -> QuerySet[Project]:
    """The user's projects, each with ``.role`` (the user's role in it)."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user).annotate(role=_role_subquery(user)).order_by("id")


_bot_checks: list[Callable[[object], bool]] = []


def register_bot_check(check: Callable[[object], bool]) -> None:
    """The app that makes bots tells how to know one (``faas.apps``: a service's bot); the
    workspace names none of its models or relations."""
    if check not in _bot_checks:
        _bot_checks.append(check)


def is_function_bot(user) -> bool:
    """Whether the user is the bot a service's replicas act as (faas.Service.bot).

    A bot acts only inside its service's project: it creates no project, and no API call
    adds it to a project or changes its role (workspace.services.projects)."""
    return bool(getattr(user, "is_authenticated", False)) and any(check(user) for check in _bot_checks)


def role_of(*, user, project) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    project_id = getattr(project, "pk", project)
    return Membership.objects.filter(project_id=project_id, user=user).values_list("role", flat=True).first()


def check_role(*, user, project_id: int, roles: Iterable[str] | None = None) -> str:
    """The user's role in the project; 404 for a non-member, 403 for a role not in ``roles``."""
    role = role_of(user=user, project=project_id)
    if role is None:
        raise Http404("No such project.")
    if roles is not None and role not in tuple(roles):
        raise PermissionDenied(f"Your role ({role}) does not allow this; it needs {' or '.join(roles)}.")
    return role


def project_get_for_user(*, user, project_id, roles: Iterable[str] | None = None) -> Project:
    try:
        project = Project.objects.get(pk=int(project_id))
    except (Project.DoesNotExist, TypeError, ValueError):
        raise Http404("No such project.")
    project.role = check_role(user=user, project_id=project.pk, roles=roles)
    return project


def datasets_for_project(*, project: Project) -> QuerySet[Dataset]:
    """The project's datasets, each with ``items_count`` (the sum of its kept block counters)."""
    totals = (
        ItemBlock.objects.filter(dataset_id=OuterRef("pk"))
        .order_by()
        .values("dataset_id")
        .annotate(n=Sum("items"))
        .values("n")
    )
    return (
        Dataset.objects.filter(project=project)
        .annotate(items_count=Coalesce(Subquery(totals), 0, output_field=BigIntegerField()))
        .order_by("id")
    )


def dataset_get_for_user(*, user, dataset_id, roles: Iterable[str] | None = None) -> Dataset:
    try:
        dataset = Dataset.objects.select_related("project").get(pk=int(dataset_id))
    except (Dataset.DoesNotExist, TypeError, ValueError):
        raise Http404("No such dataset.")
    dataset.role = check_role(user=user, project_id=dataset.project_id, roles=roles)
    return dataset


def members_of(*, project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user").order_by("id")
