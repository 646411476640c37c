"""Projects, their members and their datasets."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from live.events import revoke_access_on_commit
from workspace.events import entities_changed, project_deleting
from workspace.models import Dataset, Item, Membership, Project
from workspace.selectors.projects import is_function_bot
from workspace.services.storage import delete_files_on_commit


@transaction.atomic
def project_create(*, name: str, description: str = "", owner) -> Project:
    """A new project; ``owner`` becomes its owner. A service's bot acts only inside its own project."""
    if is_function_bot(owner):
        raise PermissionDenied("A service's bot acts only inside its own project: it cannot create projects.")
    project = Project(name=name, description=description or "")
    project.full_clean()
    project.save()
    membership_set(project=project, user=owner, role=Membership.Role.OWNER)
    project.role = Membership.Role.OWNER.value
    return project


def project_update(*, project: Project, name: str | None = None, description: str | None = None) -> Project:
    if name is not None:
        project.name = name
    if description is not None:
        project.description = description
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    files = _item_files(Item.objects.filter(dataset__project=project))
    revoke_access_on_commit(user_ids=project.memberships.values_list("user_id", flat=True), project_id=project.pk)
    # What other apps keep in the project goes their way first (a service protects its
    # package and owns its bot user: the functions app deletes each as a service delete does).
    project_deleting(project=project)
    project.delete()
    delete_files_on_commit(files)


@transaction.atomic
def membership_set(*, project: Project, user, role: str) -> Membership:
    """Add ``user`` to ``project`` with ``role``, or change their role."""
    membership = Membership.objects.filter(project=project, user=user).first() or Membership(project=project, user=user)
    if membership.pk and membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _keep_an_owner(project=project, leaving=membership)
    membership.role = role
    membership.full_clean()
    membership.save()
    return membership


def membership_set_by_username(*, project: Project, username: str, role: str) -> Membership:
    """Only an owner gets here (the view checks first), and learns only whether an active
    person of that name exists: a missing name, a deactivated account and a service's bot
    (whose membership is its service's) get one answer (docs/api.md, "Errors and existence")."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or is_function_bot(user):
        raise ValidationError({"username": f"No user named {username!r} can be added."})
    return membership_set(project=project, user=user, role=role)


@transaction.atomic
def membership_delete(*, project: Project, user_id: int) -> None:
    membership = Membership.objects.select_for_update().filter(project=project, user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    if membership.role == Membership.Role.OWNER:
        _keep_an_owner(project=project, leaving=membership)
    membership.delete()
    revoke_access_on_commit(user_ids=[user_id], project_id=project.pk)


def _keep_an_owner(*, project: Project, leaving: Membership) -> None:
    others = Membership.objects.filter(project=project, role=Membership.Role.OWNER).exclude(pk=leaving.pk)
    if not others.exists():
        raise ValidationError({"role": "A project keeps at least one owner."})


def _name_free(*, project: Project, name: str, exclude_pk=None) -> None:
    if Dataset.objects.filter(project=project, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": f"A dataset named {name!r} already exists in this project."})


def dataset_create(*, project: Project, name: str) -> Dataset:
    _name_free(project=project, name=name)
    dataset = Dataset(project=project, name=name)
    dataset.full_clean()
    dataset.save()
    entities_changed(project_id=project.id, resource="Dataset", action="Created", entities=[dataset])
    return dataset


def dataset_update(*, dataset: Dataset, name: str | None = None) -> Dataset:
    if name is not None:
        _name_free(project=dataset.project, name=name, exclude_pk=dataset.pk)
        dataset.name = name
    dataset.full_clean()
    dataset.save()
    entities_changed(project_id=dataset.project_id, resource="Dataset", action="Updated", entities=[dataset])
    return dataset


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    files = _item_files(Item.objects.filter(dataset=dataset))
    entities_changed(
        project_id=dataset.project_id, resource="Dataset", action="Deleted", entities=[dataset], deleted=True
    )
    dataset.delete()
    delete_files_on_commit(files)


def _item_files(items) -> list[str]:
    names = []
    for file, thumbnail in items.values_list("file", "thumbnail").iterator():
        names += [n for n in (file, thumbnail) if n]
    return names
