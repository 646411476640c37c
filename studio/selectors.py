"""Reads for the studio's pages: what a page shows, in a fixed number of queries.

Membership is decided by ``workspace.selectors.projects.projects_for_user``; this module
only adds the counts a page displays. Counts are correlated subqueries rather than
``Count`` over joins, so two counts never multiply each other and no DISTINCT is needed.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from workspace.models import Dataset, Item, Membership, Project, Task
from workspace.selectors.projects import projects_for_user


def _count_of(model, **outer) -> Coalesce:
    rows = model.objects.filter(**{k: OuterRef(v) for k, v in outer.items()}).order_by()
    counted = rows.values(*outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def datasets_with_counts() -> QuerySet[Dataset]:
    return Dataset.objects.annotate(
        item_count=_count_of(Item, dataset="pk"),
        task_count=_count_of(Task, dataset="pk"),
    ).order_by("name")


def project_list_for_user(*, user) -> QuerySet[Project]:
    """The user's projects, each with its datasets (and their item/task counts)."""
    return (
        projects_for_user(user=user)
        .annotate(member_count=_count_of(Membership, project="pk"))
        .prefetch_related(Prefetch("datasets", queryset=datasets_with_counts()))
        .order_by("name")
    )


def project_overview(*, user, project_id: int) -> dict:
    """A member's view of one project; any other project is a 404, so ids do not leak."""
    project = project_list_for_user(user=user).filter(pk=project_id).first()  # .role comes with it
    if project is None:
        raise Http404("No such project.")
    memberships = list(Membership.objects.filter(project=project).select_related("user").order_by("user__username"))
    datasets = list(project.datasets.all())
    return {
        "project": project,
        "role": project.role,
        "datasets": datasets,
        "memberships": memberships,
        "item_count": sum(d.item_count for d in datasets),
        "task_count": sum(d.task_count for d in datasets),
    }
